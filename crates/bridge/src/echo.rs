//! `EchoWorker`: a Rust thread that hands values back after an optional
//! delay. It exercises every path of the bridge (ready at once, suspended,
//! failed, cancelled mid-operation) for the tests, the benchmark and the demo,
//! and also carries the naive baseline the port is measured against.

use aioxide_sync::{Unpoisoned, UnpoisonedWait};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;

use crate::completion::Completion;
use crate::outcome;
use crate::worker::Worker;

#[derive(Default)]
struct Started {
    count: u64,
    /// Threads blocked in `wait_started`.
    waiters: usize,
}

#[derive(Default)]
struct Counters {
    started: Mutex<Started>,
    started_signal: Condvar,
    completed: AtomicU64,
    cancelled: AtomicU64,
}

impl Counters {
    fn start(&self) {
        let mut started = self.started.locked();
        started.count += 1;
        // std's Condvar wakes with a futex syscall even when nobody waits:
        // one per operation was a syscall on the worker's hot path that a
        // real worker does not pay. Only a `wait_started` caller needs it.
        if started.waiters > 0 {
            drop(started);
            self.started_signal.notify_all();
        }
    }
}

/// A worker thread that echoes values back through the bridge.
#[pyclass(module = "aioxide._core", frozen)]
pub struct EchoWorker {
    worker: Worker<()>,
    counters: Arc<Counters>,
}

#[pymethods]
impl EchoWorker {
    #[new]
    fn new() -> PyResult<Self> {
        Ok(Self {
            worker: Worker::spawn("aioxide-echo", || ())?,
            counters: Arc::default(),
        })
    }

    /// Returns an awaitable that resolves to `value` after `delay_us`
    /// microseconds on the worker thread, or raises `error` if given.
    /// Cancelling the awaiting task wakes the worker early.
    #[pyo3(signature = (value, delay_us=0, error=None))]
    fn submit(
        &self,
        py: Python<'_>,
        value: Py<PyAny>,
        delay_us: u64,
        error: Option<Py<PyAny>>,
    ) -> PyResult<Py<Completion>> {
        let counters = self.counters.clone();
        self.worker.submit(py, move |_, ticket| {
            counters.start();
            if delay_us > 0 && ticket.sleep_unless_cancelled(Duration::from_micros(delay_us)) {
                counters.cancelled.fetch_add(1, Ordering::Relaxed);
                return outcome::value(value);
            }
            counters.completed.fetch_add(1, Ordering::Relaxed);
            match error {
                Some(err) => Box::new(move |py| Err(PyErr::from_value(err.into_bound(py)))),
                None => outcome::value(value),
            }
        })
    }

    /// The naive baseline: the worker thread attaches to the interpreter and
    /// calls `future.get_loop().call_soon_threadsafe(future.set_result, value)`
    /// for every single result.
    fn submit_threadsafe(&self, future: Py<PyAny>, value: Py<PyAny>) -> PyResult<()> {
        self.worker
            .run(move |_| {
                Python::attach(|py| {
                    let future = future.bind(py);
                    let resolved = future.call_method0(intern!(py, "get_loop")).and_then(|lp| {
                        let set_result = future.getattr(intern!(py, "set_result"))?;
                        lp.call_method1(intern!(py, "call_soon_threadsafe"), (set_result, value))
                    });
                    if let Err(err) = resolved {
                        err.write_unraisable(py, Some(future));
                    }
                })
            })
            .map_err(|_| PyRuntimeError::new_err("EchoWorker is closed"))
    }

    /// Blocks (with the GIL released) until every operation queued so far has run.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let (tx, rx) = mpsc::channel();
        self.worker
            .run(move |_| {
                let _ = tx.send(());
            })
            .map_err(|_| PyRuntimeError::new_err("EchoWorker is closed"))?;
        py.detach(move || rx.recv())
            .map_err(|_| PyRuntimeError::new_err("EchoWorker stopped before flushing"))
    }

    /// Blocks (with the GIL released) until at least `count` operations have
    /// started on the worker thread, so tests can cancel mid-operation
    /// without guessing at timing.
    fn wait_started(&self, py: Python<'_>, count: u64) {
        let counters = self.counters.clone();
        py.detach(move || {
            let mut started = counters.started.locked();
            started.waiters += 1;
            while started.count < count {
                started = counters.started_signal.wait_locked(started);
            }
            started.waiters -= 1;
        })
    }

    /// `(started, completed, cancelled)` operation counts.
    fn stats(&self) -> (u64, u64, u64) {
        (
            self.counters.started.locked().count,
            self.counters.completed.load(Ordering::Relaxed),
            self.counters.cancelled.load(Ordering::Relaxed),
        )
    }

    /// Lets queued work finish and stops the thread. Idempotent.
    fn close(&self, py: Python<'_>) {
        self.worker.close(py);
    }

    #[getter]
    fn closed(&self) -> bool {
        self.worker.is_closed()
    }
}
