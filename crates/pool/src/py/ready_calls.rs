//! A pool child's batch of calls whose coroutines cannot suspend (their
//! code has no `await`), run natively: each coroutine is created, sent
//! `None` once inside a copy of the current context (as an asyncio task
//! would run it), and its result taken from `PyIter_Send`, which returns
//! it without a `StopIteration` being raised and caught. In Python that
//! raise-and-catch and the per-call bookkeeping were most of the ~1 µs a
//! trivial call cost the child (`benchmarks/bench_multiprocess.py`).

use pyo3::exceptions::{PyRuntimeError, PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// Runs `func(*args, **kwargs)` for each `(args, kwargs)` of `calls` (with
/// `single`, `func(item)` for each item: what `map` sends), whose
/// coroutines have code object `code`. Returns `(values, failures, rest)`:
/// `values[i]` is call i's result (None where it has none), `failures`
/// lists `(i, exception)` for the calls that raised, and `rest` lists
/// `(i, returned)` for calls that returned something other than a
/// coroutine of `code` — already called, so the caller carries on with
/// what they returned rather than calling again.
#[pyfunction]
pub fn run_ready_calls<'py>(
    py: Python<'py>,
    func: &Bound<'py, PyAny>,
    calls: &Bound<'py, PyList>,
    code: &Bound<'py, PyAny>,
    single: bool,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>, Bound<'py, PyList>)> {
    let values = PyList::new(py, (0..calls.len()).map(|_| py.None()))?;
    let failures = PyList::empty(py);
    let rest = PyList::empty(py);
    for (index, call) in calls.iter().enumerate() {
        let returned = if single {
            func.call1((call,))
        } else {
            call_with(func, &call)
        };
        let returned = match returned {
            Ok(returned) => returned,
            Err(err) => {
                failures.append((index, err.into_value(py)))?;
                continue;
            }
        };
        // SAFETY: a type check on a valid object.
        let is_coroutine = unsafe { ffi::PyCoro_CheckExact(returned.as_ptr()) } != 0;
        if !is_coroutine || !returned.getattr(pyo3::intern!(py, "cr_code"))?.is(code) {
            rest.append((index, returned))?;
            continue;
        }
        match run_in_copied_context(py, &returned)? {
            Sent::Returned(value) => values.set_item(index, value)?,
            Sent::Raised(err) => failures.append((index, err.into_value(py)))?,
            Sent::Suspended => {
                // Not possible for code without YIELD_VALUE/YIELD_FROM; stay
                // correct anyway, as the Python path does.
                returned.call_method0(pyo3::intern!(py, "close"))?;
                let err = PyRuntimeError::new_err("a coroutine without await suspended");
                failures.append((index, err.into_value(py)))?;
            }
        }
    }
    Ok((values, failures, rest))
}

/// `func(*args, **kwargs)` for one `(args, kwargs)` pair.
fn call_with<'py>(
    func: &Bound<'py, PyAny>,
    call: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let call = call
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("each call must be an (args, kwargs) tuple"))?;
    let args = call.get_item(0)?;
    let args = args.cast::<PyTuple>()?;
    let kwargs = call.get_item(1)?;
    if kwargs.is_none() {
        func.call(args, None)
    } else {
        func.call(args, Some(kwargs.cast::<PyDict>()?))
    }
}

enum Sent {
    Returned(Py<PyAny>),
    Raised(PyErr),
    Suspended,
}

/// `coro.send(None)` in a copy of the current context.
fn run_in_copied_context(py: Python<'_>, coro: &Bound<'_, PyAny>) -> PyResult<Sent> {
    // SAFETY: returns a new reference, or null with an exception set.
    let context = unsafe { ffi::PyContext_CopyCurrent() };
    if context.is_null() {
        return Err(fetched(py));
    }
    // SAFETY: `context` is the new reference just returned; we own it.
    let context = unsafe { Bound::from_owned_ptr(py, context) };
    // SAFETY: `context` is a valid, not yet entered context object.
    if unsafe { ffi::PyContext_Enter(context.as_ptr()) } != 0 {
        return Err(fetched(py));
    }
    let mut result: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `coro` is a valid coroutine and None a valid value; `result`
    // receives a new reference on RETURN and NEXT, and stays null on ERROR.
    let outcome = unsafe { ffi::PyIter_Send(coro.as_ptr(), ffi::Py_None(), &mut result) };
    let sent = match outcome {
        ffi::PySendResult::PYGEN_RETURN => {
            // SAFETY: on RETURN `result` is a new reference we now own.
            Sent::Returned(unsafe { Bound::from_owned_ptr(py, result) }.unbind())
        }
        ffi::PySendResult::PYGEN_NEXT => {
            // SAFETY: on NEXT `result` is a new reference (the yielded value).
            drop(unsafe { Bound::from_owned_ptr(py, result) });
            Sent::Suspended
        }
        ffi::PySendResult::PYGEN_ERROR => Sent::Raised(fetched(py)),
    };
    // SAFETY: `context` is the context entered above, on this thread.
    if unsafe { ffi::PyContext_Exit(context.as_ptr()) } != 0 {
        return Err(fetched(py));
    }
    Ok(sent)
}

fn fetched(py: Python<'_>) -> PyErr {
    PyErr::take(py)
        .unwrap_or_else(|| PySystemError::new_err("a C API call failed without an exception"))
}
