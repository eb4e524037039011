//! Driving Python awaitables from Rust, the way `yield from` does.
//!
//! An awaitable is advanced with `PyIter_Send`, which reports a return value
//! without raising `StopIteration`; whatever it yields (a future) is passed
//! up unchanged to the task driving the outermost awaitable, and the task's
//! `send`/`throw` come back down to it.

use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::ffi;
use pyo3::prelude::*;

/// How the task resumed us.
pub enum Resume {
    Send(Py<PyAny>),
    Throw(PyErr),
}

impl Resume {
    pub fn start(py: Python<'_>) -> Self {
        Resume::Send(py.None())
    }
}

/// The outcome of advancing something by one step.
pub enum Poll {
    /// A value is ready.
    Ready(Py<PyAny>),
    /// Suspended: this must be yielded to the task (usually a future).
    Pending(Py<PyAny>),
    /// The iterator is exhausted.
    Done,
    Err(PyErr),
}

/// The iterator that advances `awaitable` (its `__await__()`; a coroutine is its own).
pub fn awaitable_iter<'py>(awaitable: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // A coroutine, or an awaitable that is its own iterator (an async
    // generator's `__anext__()` object), is advanced directly: no
    // `__await__` call per item.
    // SAFETY: type checks on a valid, borrowed object pointer.
    let direct = unsafe {
        ffi::PyCoro_CheckExact(awaitable.as_ptr()) != 0
            || ffi::PyIter_Check(awaitable.as_ptr()) != 0
    };
    if direct {
        return Ok(awaitable.clone());
    }
    awaitable.call_method0(pyo3::intern!(awaitable.py(), "__await__"))
}

/// Advances an awaitable's iterator with `resume`.
pub fn send(py: Python<'_>, iter: &Bound<'_, PyAny>, resume: Resume) -> Poll {
    match resume {
        Resume::Send(value) => {
            let mut result: *mut ffi::PyObject = std::ptr::null_mut();
            // SAFETY: `iter` and `value` are valid objects for the call; the
            // result pointer receives a new (owned) reference or stays null.
            let outcome = unsafe { ffi::PyIter_Send(iter.as_ptr(), value.as_ptr(), &mut result) };
            match outcome {
                // SAFETY: on RETURN and NEXT, `result` is a new reference we now own.
                ffi::PySendResult::PYGEN_RETURN => {
                    Poll::Ready(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
                }
                ffi::PySendResult::PYGEN_NEXT => {
                    Poll::Pending(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
                }
                ffi::PySendResult::PYGEN_ERROR => Poll::Err(PyErr::take(py).unwrap_or_else(|| {
                    PyStopAsyncIteration::new_err("awaitable failed without an exception")
                })),
            }
        }
        Resume::Throw(err) => {
            match iter.call_method1(pyo3::intern!(py, "throw"), (err.into_value(py),)) {
                Ok(yielded) => Poll::Pending(yielded.unbind()),
                Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
                    let value = err
                        .value(py)
                        .getattr("value")
                        .map(Bound::unbind)
                        .unwrap_or_else(|_| py.None());
                    Poll::Ready(value)
                }
                Err(err) => Poll::Err(err),
            }
        }
    }
}

/// Calls a user function and classifies the result: a plain value, or an
/// awaitable to drive.
pub enum Called {
    Value(Py<PyAny>),
    Awaiting(Py<PyAny>),
}

/// Whether `value` must be awaited: not for the common plain types (checked
/// by exact type, cheaply), otherwise if it has `__await__`.
pub fn classify(value: Bound<'_, PyAny>) -> PyResult<Called> {
    let py = value.py();
    // SAFETY: exact-type checks on a valid object pointer.
    let plain = unsafe {
        let p = value.as_ptr();
        ffi::PyLong_CheckExact(p) != 0
            || ffi::PyBool_Check(p) != 0
            || ffi::PyFloat_CheckExact(p) != 0
            || ffi::PyUnicode_CheckExact(p) != 0
            || ffi::PyTuple_CheckExact(p) != 0
            || ffi::PyList_CheckExact(p) != 0
            || ffi::PyDict_CheckExact(p) != 0
            || ffi::PyBytes_CheckExact(p) != 0
            || p == ffi::Py_None()
    };
    if plain {
        return Ok(Called::Value(value.unbind()));
    }
    // SAFETY: as above.
    let is_coroutine = unsafe { ffi::PyCoro_CheckExact(value.as_ptr()) } != 0;
    if is_coroutine || value.get_type().hasattr(pyo3::intern!(py, "__await__"))? {
        let iter = awaitable_iter(&value)?;
        return Ok(Called::Awaiting(iter.unbind()));
    }
    Ok(Called::Value(value.unbind()))
}
