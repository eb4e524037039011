//! `RowStream`: the rest of a query's rows, still inside SQLite, as the
//! Python cursor sees them. It names a live statement on one connection
//! thread (`stream::Streams`); each `fetch` steps the next chunk there, and
//! letting go of it (closing the cursor, or the cursor being collected)
//! releases the statement.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aioxide_sync::Unpoisoned;

use aioxide_bridge::Completion;
use pyo3::prelude::*;

use super::cells::{batch_to_py, Conversion};
use super::connection::NativeConnection;
use crate::database::Batch;
use crate::errors::SqlError;

/// Chunks read from the statement, oldest first, until a fetch's awaiter
/// takes them. A fetch whose awaiter was cancelled after the rows were read
/// leaves its chunk here, and the next fetch hands it over first: rows read
/// are never dropped on the floor.
pub(super) type Inbox = VecDeque<Result<Batch, SqlError>>;

/// The remaining rows of one query (`SqliteBatch.more`).
#[pyclass(module = "aioxide._core", frozen)]
pub struct RowStream {
    /// The connection whose thread holds the statement (a reader, for a
    /// query sent to one).
    owner: Py<NativeConnection>,
    id: u64,
    /// As the first batch was converted, so is every later one.
    how: Conversion,
    /// The cursor's `lastrowid` and `rowcount` stay those of the execute.
    lastrowid: Option<i64>,
    rowcount: i64,
    open: AtomicBool,
    inbox: Arc<Mutex<Inbox>>,
}

/// The first batch of a statement as Python's `SqliteBatch`, with a
/// `RowStream` for the rest when the query has more rows.
pub(super) fn first_batch_to_py(
    py: Python<'_>,
    owner: Py<NativeConnection>,
    batch: Batch,
    how: Conversion,
) -> PyResult<Py<PyAny>> {
    let Some(id) = batch.stream else {
        return batch_to_py(py, batch, &how, None);
    };
    let stream = Py::new(
        py,
        RowStream {
            owner,
            id,
            how,
            lastrowid: batch.lastrowid,
            rowcount: batch.rowcount,
            open: AtomicBool::new(true),
            inbox: Arc::default(),
        },
    )?;
    // A conversion error drops the stream, which ends the statement.
    batch_to_py(py, batch, &stream.get().how, Some(stream.clone_ref(py)))
}

#[pymethods]
impl RowStream {
    /// The next `limit` rows (every remaining one with `None`), as a
    /// `SqliteBatch` whose `more` is this stream again while rows remain.
    #[pyo3(signature = (limit=None))]
    fn fetch(slf: &Bound<'_, Self>, limit: Option<usize>) -> PyResult<Py<Completion>> {
        let this = slf.get();
        let id = this.id;
        let stream = slf.clone().unbind();
        let inbox = this.inbox.clone();
        this.owner
            .get()
            .fetch_stream(slf.py(), id, limit, inbox, move |py, ()| {
                let this = stream.get();
                // This fetch's own chunk, or an older one nobody took.
                let mut batch = match this.inbox.locked().pop_front() {
                    Some(Ok(batch)) => batch,
                    Some(Err(err)) => return Err(err.into_pyerr(py)),
                    None => {
                        return Err(pyo3::exceptions::PyRuntimeError::new_err(
                            "a cursor fetch completed without rows or an error",
                        ))
                    }
                };
                batch.lastrowid = this.lastrowid;
                batch.rowcount = this.rowcount;
                let more = batch.stream.map(|_| stream.clone_ref(py));
                batch_to_py(py, batch, &this.how, more)
            })
    }

    /// Releases the statement now (idempotent); later fetches fail.
    pub(super) fn close(&self) {
        if self.open.swap(false, Ordering::AcqRel) {
            self.owner.get().end_stream(self.id);
        }
    }

    /// Whether the statement is still held (not closed).
    #[getter]
    fn open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn __repr__(&self) -> String {
        format!("<RowStream {} open={}>", self.id, self.open())
    }
}

impl Drop for RowStream {
    fn drop(&mut self) {
        self.close();
    }
}
