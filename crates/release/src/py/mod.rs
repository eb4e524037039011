//! `GitHistory`: a repository opened once, answering attribution's git
//! questions in-process (see `crate::history`).

use std::path::PathBuf;
use std::sync::Mutex;

use aioxide_sync::Unpoisoned;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::history::{Error, History};

fn raised(err: Error) -> PyErr {
    PyValueError::new_err(err.0)
}

/// A git repository's tags and history, read in-process.
#[pyclass(module = "aioxide._core", frozen)]
pub struct GitHistory {
    /// A gitoxide repository may move between threads but not be shared:
    /// one caller at a time.
    history: Mutex<History>,
}

#[pymethods]
impl GitHistory {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let history = py.detach(|| History::open(&path)).map_err(raised)?;
        Ok(GitHistory {
            history: Mutex::new(history),
        })
    }

    /// Whether the clone is shallow (its history cut off).
    #[getter]
    fn shallow(&self) -> bool {
        self.history.locked().is_shallow()
    }

    /// `git tag`: the tag names, in git's order.
    fn tag_names(&self) -> Vec<String> {
        self.history.locked().tag_names()
    }

    /// `git tag -l NAME`, for a literal name.
    fn has_tag(&self, name: &str) -> bool {
        self.history.locked().has_tag(name)
    }

    /// `git cat-file tag NAME`, or None for a lightweight tag.
    fn tag_object(&self, name: &str) -> Option<String> {
        self.history.locked().tag_object(name)
    }

    /// `git describe --tags --abbrev=0 --always REV`.
    fn describe(&self, py: Python<'_>, rev: &str) -> PyResult<String> {
        py.detach(|| self.history.locked().describe(rev))
            .map_err(raised)
    }

    /// `(id, subject)` of every commit in `[BASE...]TIP`, newest first.
    #[pyo3(signature = (base, tip))]
    fn subjects(
        &self,
        py: Python<'_>,
        base: Option<&str>,
        tip: &str,
    ) -> PyResult<Vec<(String, String)>> {
        py.detach(|| self.history.locked().subjects(base, tip))
            .map_err(raised)
    }

    /// The whole changelog for `project` (attribution's text), and the
    /// warnings attribution would log.
    fn changelog(&self, py: Python<'_>, project: &str) -> (String, Vec<String>) {
        py.detach(|| crate::changelog::changelog(&self.history.locked(), project))
    }

    /// `git shortlog -s [BASE...]TIP`; with `co_authors`, also counting
    /// `Co-authored-by:` trailers (`--group=author
    /// --group=trailer:co-authored-by`).
    #[pyo3(signature = (base, tip, co_authors = false))]
    fn shortlog(
        &self,
        py: Python<'_>,
        base: Option<&str>,
        tip: &str,
        co_authors: bool,
    ) -> PyResult<String> {
        py.detach(|| {
            self.history
                .locked()
                .shortlog_grouped(base, tip, co_authors)
        })
        .map_err(raised)
    }
}
