//! Driving Python awaitables from Rust, the way `yield from` does.
//!
//! An awaitable is advanced with `PyIter_Send`, which reports a return value
//! without raising `StopIteration`; whatever it yields (a future) is passed
//! up unchanged to the task driving the outermost awaitable, and the task's
//! `send`/`throw` come back down to it.

use pyo3::exceptions::{PyAttributeError, PyStopIteration, PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;

/// How the task resumed us.
pub enum Resume {
    /// `send(None)`: the start of a step, and nearly every resumption (no
    /// reference to None is taken or dropped for it).
    Start,
    Send(Py<PyAny>),
    /// Boxed, here and in `Poll`: a PyErr is 64 bytes, and these enums are
    /// passed by value through every layer of a step; at two words they
    /// travel in registers.
    Throw(Box<PyErr>),
}

impl Resume {
    /// How CPython's am_send resumed us (`value` is borrowed).
    ///
    /// # Safety
    /// `value` must be a live object pointer.
    #[inline]
    pub unsafe fn sent(py: Python<'_>, value: *mut ffi::PyObject) -> Self {
        // SAFETY: only None's address is read; `value` is live per the contract.
        unsafe {
            if value == ffi::Py_None() {
                Resume::Start
            } else {
                Resume::Send(Bound::from_borrowed_ptr(py, value).unbind())
            }
        }
    }
}

/// `PyIter_Send(iter, value)`, its outcome as a Poll.
#[inline]
fn send_raw(py: Python<'_>, iter: &Bound<'_, PyAny>, value: *mut ffi::PyObject) -> Poll {
    let mut result: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `iter` and `value` are valid objects for the call; the
    // result pointer receives a new (owned) reference or stays null.
    let outcome = unsafe { ffi::PyIter_Send(iter.as_ptr(), value, &mut result) };
    match outcome {
        // SAFETY: on RETURN and NEXT, `result` is a new reference we now own.
        ffi::PySendResult::PYGEN_RETURN => {
            Poll::Ready(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
        }
        ffi::PySendResult::PYGEN_NEXT => {
            Poll::Pending(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
        }
        ffi::PySendResult::PYGEN_ERROR => Poll::fail(PyErr::take(py).unwrap_or_else(|| {
            PySystemError::new_err("awaitable failed without setting an exception")
        })),
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
    Err(Box<PyErr>),
}

impl Poll {
    pub fn fail(err: PyErr) -> Self {
        Poll::Err(Box::new(err))
    }
}

/// The iterator that advances `awaitable` (its `__await__()`; a coroutine is its own).
#[inline]
pub fn awaitable_iter(awaitable: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    awaitable_iter_or(awaitable, |type_name| {
        PyTypeError::new_err(format!(
            "object {type_name} can't be used in 'await' expression"
        ))
    })
}

/// [`awaitable_iter`], with the error to raise (given the object's type
/// name) when the object is not awaitable at all.
pub fn awaitable_iter_or(
    awaitable: Bound<'_, PyAny>,
    not_awaitable: impl FnOnce(&str) -> PyErr,
) -> PyResult<Bound<'_, PyAny>> {
    // A coroutine, or an awaitable that is its own iterator (an async
    // generator's `__anext__()` object), is advanced directly: no
    // `__await__` call per item.
    // SAFETY: type checks on a valid, borrowed object pointer.
    // (The iterator test first: it is the common case, and pyo3-ffi's
    // PyCoro_CheckExact is a subtype check, not an exact one.)
    let direct = unsafe {
        ffi::PyIter_Check(awaitable.as_ptr()) != 0
            || ffi::PyCoro_CheckExact(awaitable.as_ptr()) != 0
    };
    if direct {
        return Ok(awaitable);
    }
    let py = awaitable.py();
    match awaitable.getattr(pyo3::intern!(py, "__await__")) {
        Ok(method) => method.call0(),
        Err(err) if err.is_instance_of::<PyAttributeError>(py) => {
            Err(not_awaitable(&awaitable.get_type().name()?.to_string()))
        }
        Err(err) => Err(err),
    }
}

/// Advances an awaitable's iterator with `resume`.
#[inline]
pub fn send(py: Python<'_>, iter: &Bound<'_, PyAny>, resume: Resume) -> Poll {
    match resume {
        // SAFETY: None is a valid object.
        Resume::Start => send_raw(py, iter, unsafe { ffi::Py_None() }),
        Resume::Send(value) => {
            // Bound: its drop is a plain decref (a Py's checks the thread first).
            let value = value.into_bound(py);
            send_raw(py, iter, value.as_ptr())
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
                Err(err) => Poll::fail(err),
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
        let iter = awaitable_iter(value)?;
        return Ok(Called::Awaiting(iter.unbind()));
    }
    Ok(Called::Value(value.unbind()))
}
