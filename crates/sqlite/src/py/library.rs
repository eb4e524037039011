//! The Python face of [`crate::library`]: which SQLite the interpreter has,
//! found through its `_sqlite3` module, and `sqlite_library()` reporting it.

use std::path::PathBuf;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::library::{self, Library, Request};

/// The environment variable that forces the fallback copy (`bundled`); any
/// other value, or none, means the interpreter's library.
pub const CHOICE_VARIABLE: &str = "AIOXIDE_SQLITE_LIBRARY";

/// The library in use, installing the interpreter's on first use.
pub fn ensure(py: Python<'_>) -> PyResult<&'static Library> {
    if let Some(active) = library::active() {
        return Ok(active);
    }
    let result = match std::env::var(CHOICE_VARIABLE).as_deref() {
        Ok("bundled") => library::install(Request::Bundled {
            reason: format!("{CHOICE_VARIABLE}=bundled"),
        }),
        _ => match interpreter_module(py) {
            Ok((module, version)) => library::install(Request::Interpreter {
                module: module.as_deref(),
                expected_version: &version,
            }),
            Err(why) => library::install(Request::Bundled { reason: why }),
        },
    };
    result.map_err(PyRuntimeError::new_err)
}

/// The `_sqlite3` module's file (None when built into the interpreter) and
/// the SQLite version it reports, or why there is none.
fn interpreter_module(py: Python<'_>) -> Result<(Option<PathBuf>, String), String> {
    let module = py
        .import("_sqlite3")
        .map_err(|e| format!("the interpreter has no _sqlite3 module ({e})"))?;
    let version: String = module
        .getattr("sqlite_version")
        .and_then(|v| v.extract())
        .map_err(|e| format!("the _sqlite3 module reports no sqlite_version ({e})"))?;
    let file = module
        .getattr("__file__")
        .ok()
        .and_then(|f| f.extract::<PathBuf>().ok());
    Ok((file, version))
}

/// Which SQLite library aioxide.sqlite uses, as a dict: `origin`
/// ("interpreter": the one the stdlib `sqlite3` module uses, shared;
/// "bundled": aioxide's own copy), `location`, `version`, `version_number`,
/// `reason` (why not the interpreter's), `missing` (functions it lacks) and
/// `compile_options`.
#[pyfunction]
pub fn sqlite_library(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let library = ensure(py)?;
    let info = PyDict::new(py);
    info.set_item("origin", library.origin.name())?;
    info.set_item("location", library.location.as_deref())?;
    info.set_item("version", library.version.as_str())?;
    info.set_item("version_number", library.version_number)?;
    info.set_item("reason", library.reason.as_deref())?;
    info.set_item("missing", library.missing.clone())?;
    info.set_item("compile_options", library::compile_options())?;
    Ok(info)
}
