//! The native awaitable every aioxide operation returns.
//!
//! `Completion` is a coroutine-shaped object (`__await__`, `send`, `throw`,
//! `close`), so it can be awaited, passed to `asyncio.gather`, or wrapped by
//! `asyncio.create_task` directly. If the worker has already finished when it
//! is first awaited, the result comes back without suspending; otherwise it
//! suspends on a real loop future that the port resolves, so cancellation and
//! the C Task fast path keep working.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{asyncio::CancelledError, PyBaseException, PyRuntimeError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{PyTraverseError, PyVisit};

use crate::drive::Resume;
use crate::outcome::{self, Outcome};
use crate::port::{port_for, running_loop, Delivery, PortShared};
use crate::slot::{Completed, Polled, Slot};
use crate::slots::{SendStep, Sent};

/// The awaiter's side of a suspended operation: its loop future and port.
pub(crate) struct Waiter {
    future: Py<PyAny>,
    port: Arc<PortShared>,
}

pub(crate) type PySlot = Slot<Outcome, Waiter>;

/// Creates a linked awaitable and completer for one operation.
pub fn pending(py: Python<'_>) -> PyResult<(Py<Completion>, Completer)> {
    let slot = Arc::new(PySlot::new());
    let completion = Py::new(
        py,
        Completion {
            slot: slot.clone(),
            future: None,
            finished: false,
        },
    )?;
    Ok((completion, Completer { slot: Some(slot) }))
}

/// An awaitable whose result is already there (work done on the caller's
/// thread): awaiting it returns at once, without the loop.
pub fn ready(py: Python<'_>, outcome: Outcome) -> PyResult<Py<Completion>> {
    let (completion, completer) = pending(py)?;
    completer.complete(outcome);
    Ok(completion)
}

/// The worker's side of one operation. Completing it hands the outcome to
/// the awaiter; dropping it uncompleted fails the awaiter, so no caller ever
/// waits forever on work that was lost.
pub struct Completer {
    slot: Option<Arc<PySlot>>,
}

impl Completer {
    /// Hands `outcome` to the awaiter. Needs no GIL.
    pub fn complete(mut self, outcome: Outcome) {
        if let Some(slot) = self.slot.take() {
            finish(&slot, outcome);
        }
    }

    /// A handle the running operation uses to watch for cancellation.
    #[expect(
        clippy::expect_used,
        reason = "the slot is taken only by complete(self) and drop: never while &self lives"
    )]
    pub fn ticket(&self) -> Ticket {
        Ticket(
            self.slot
                .clone()
                .expect("a completer holds its slot until completed"),
        )
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let lost = PyRuntimeError::new_err(
                "aioxide: the operation was dropped by its worker without a result",
            );
            finish(&slot, outcome::error(lost));
        }
    }
}

fn finish(slot: &PySlot, outcome: Outcome) {
    match slot.complete(outcome) {
        Completed::Deliver(Waiter { future, port }, outcome) => {
            port.deliver(Delivery { future, outcome })
        }
        Completed::Stored => {}
        // Cancelled: nobody will read it. Its Python references (if any) are
        // released through PyO3's deferred reference pool.
        Completed::Discarded(_) => {}
    }
}

/// What a running operation sees of its caller: whether it was cancelled.
#[derive(Clone)]
pub struct Ticket(Arc<PySlot>);

impl Ticket {
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Sleeps up to `timeout`; returns true early if the caller cancelled.
    pub fn sleep_unless_cancelled(&self, timeout: Duration) -> bool {
        self.0.sleep_unless_cancelled(timeout)
    }

    /// Runs `hook` (on the cancelling thread) if the caller cancels, e.g. to
    /// interrupt a running SQLite statement.
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        self.0.on_cancel(hook)
    }
}

/// An awaitable aioxide operation (single use, like a coroutine).
#[pyclass(module = "aioxide._core")]
pub struct Completion {
    slot: Arc<PySlot>,
    /// The loop future this awaitable is suspended on, if any.
    future: Option<Py<PyAny>>,
    finished: bool,
}

impl Completion {
    /// One step: the result (`Return`) or the loop future to suspend on
    /// (`Yield`). `am_send` hands a result straight to the awaiter; the
    /// iterator protocol (`__next__`, `send`) wraps it in `StopIteration`.
    fn step(&mut self, py: Python<'_>) -> PyResult<Sent> {
        if let Some(future) = &self.future {
            let future = future.bind(py);
            if !future.call_method0(intern!(py, "done"))?.is_truthy()? {
                // Resumed before the result arrived: keep waiting on the same future.
                future.setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                return Ok(Sent::Yield(future.clone().unbind()));
            }
            let result = future.call_method0(intern!(py, "result"));
            self.future = None;
            self.finished = true;
            return Ok(Sent::Return(result?.unbind()));
        }
        if self.finished {
            return Err(PyRuntimeError::new_err(
                "cannot reuse an already awaited aioxide operation",
            ));
        }
        let mut suspended_on = None;
        let polled = self.slot.poll(|| -> PyResult<Waiter> {
            let event_loop = running_loop(py)?;
            let port = port_for(py, &event_loop)?;
            let future = event_loop
                .call_method0(intern!(py, "create_future"))?
                .unbind();
            suspended_on = Some(future.clone_ref(py));
            Ok(Waiter { future, port })
        })?;
        match polled {
            Polled::Ready(outcome) => {
                self.finished = true;
                Ok(Sent::Return(outcome(py)?))
            }
            Polled::Waiting => {
                let Some(future) = suspended_on else {
                    return Err(PyRuntimeError::new_err(
                        "aioxide operation polled while already suspended",
                    ));
                };
                future
                    .bind(py)
                    .setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                self.future = Some(future.clone_ref(py));
                Ok(Sent::Yield(future))
            }
            Polled::Finished => {
                self.finished = true;
                Err(CancelledError::new_err(
                    "the aioxide operation was cancelled",
                ))
            }
        }
    }

    /// `step` for the iterator protocol: a result travels as `StopIteration`.
    fn next_or_stop(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.step(py)? {
            Sent::Yield(future) => Ok(future),
            Sent::Return(value) => Err(PyStopIteration::new_err((value,))),
        }
    }

    /// Stops waiting: cancels the operation (if still running) and our future.
    fn abandon(&mut self, py: Python<'_>) -> PyResult<()> {
        self.finished = true;
        self.slot.cancel();
        if let Some(future) = self.future.take() {
            // Fails only when its loop is already closed (a task destroyed at
            // shutdown): nobody is left to be told, so there is nothing to do.
            let _ = future.bind(py).call_method0(intern!(py, "cancel"));
        }
        Ok(())
    }
}

// `await` on 3.11 and a Task's steps (every version) go through `am_send`
// (`install_step`): the result comes back without a `StopIteration`.
impl SendStep for Completion {
    fn send_step(awaitable: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent> {
        let py = awaitable.py();
        let mut this = awaitable.try_borrow_mut()?;
        match resume {
            Resume::Throw(err) => {
                this.abandon(py)?;
                Err(*err)
            }
            // A sent value is ignored, as a future ignores it.
            Resume::Start | Resume::Send(_) => this.step(py),
        }
    }
}

/// The exception a coroutine-protocol `throw(typ, val, tb)` call asks for
/// (an instance, or a class with an optional value and traceback). Shared by
/// every native awaitable aioxide defines.
pub fn exception_from(
    py: Python<'_>,
    typ: &Bound<'_, PyAny>,
    val: Option<&Bound<'_, PyAny>>,
    tb: Option<&Bound<'_, PyAny>>,
) -> PyErr {
    let val = val.filter(|v| !v.is_none());
    let instance = if typ.is_instance_of::<PyBaseException>() {
        Ok(typ.clone())
    } else if let Ok(cls) = typ.cast::<PyType>() {
        match val {
            Some(v) if v.is_instance(cls).unwrap_or(false) => Ok(v.clone()),
            Some(v) => cls.call1((v,)),
            None => cls.call0(),
        }
    } else {
        return PyRuntimeError::new_err("throw() expects an exception type or instance");
    };
    let instance = match instance {
        Ok(i) => i,
        Err(e) => return e,
    };
    if let Some(tb) = tb.filter(|t| !t.is_none()) {
        if let Err(e) = instance.call_method1(intern!(py, "with_traceback"), (tb,)) {
            return e;
        }
    }
    PyErr::from_value(instance)
}

#[pymethods]
impl Completion {
    // The loop future's callbacks hold the awaiting task, whose coroutine
    // holds this object: the garbage collector must see that cycle.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(future) = &self.future {
            visit.call(future)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.future = None;
    }

    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Iterator protocol, so `yield from completion` works in generator-based awaitables.
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.next_or_stop(py)
    }

    /// Coroutine protocol: resume (the sent value is ignored, as for a future).
    #[pyo3(signature = (value, /))]
    fn send(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let _ignored = value;
        self.next_or_stop(py)
    }

    /// Coroutine protocol: the awaiting task is being cancelled or aborted.
    /// The operation is cancelled and the exception re-raised in the awaiter.
    #[pyo3(signature = (typ, val=None, tb=None, /))]
    fn throw(
        &mut self,
        py: Python<'_>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.abandon(py)?;
        Err(exception_from(py, typ, val, tb))
    }

    /// Coroutine protocol: the awaitable is discarded; the operation is cancelled.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        if !self.finished {
            self.abandon(py)?;
        }
        Ok(())
    }

    /// Cancels the operation without awaiting it. Returns whether it was still pending.
    fn cancel(&mut self, py: Python<'_>) -> PyResult<bool> {
        let was_pending = !self.finished && self.slot.cancel();
        self.abandon(py)?;
        Ok(was_pending)
    }

    /// Whether the result has arrived (and was not yet taken by an awaiter).
    fn ready(&self) -> bool {
        self.slot.is_ready()
    }

    fn __repr__(&self) -> String {
        let state = if self.finished {
            "finished"
        } else if self.slot.is_ready() {
            "ready"
        } else if self.future.is_some() {
            "waiting"
        } else {
            "pending"
        };
        format!("<aioxide Completion {state}>")
    }
}
