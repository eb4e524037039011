//! The `am_send` slot for `Step`.
//!
//! PyO3 does not emit `am_send`, so without it every value a native
//! iterator delivers travels as a `StopIteration` exception. With it,
//! CPython's `SEND` (the `await` / `async for` machinery) receives the value
//! directly, as it does from its own generators and coroutines.

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::drive::{Poll, Resume};
use crate::native::{NativeIter, Step};

unsafe extern "C" fn step_send(
    iter: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut *mut ffi::PyObject,
) -> ffi::PySendResult {
    // SAFETY: CPython calls am_send with the GIL held and valid pointers:
    // `iter` is a Step (the slot is installed on Step's type only), `value`
    // a borrowed reference, and `result` writable.
    // `attach` (not `assume_attached`): PyO3 must know the thread is attached,
    // or every reference dropped here would go through its deferred pool.
    let outcome = std::panic::catch_unwind(|| {
        Python::attach(|py| unsafe {
            let step = Bound::from_borrowed_ptr(py, iter);
            let value = Bound::from_borrowed_ptr(py, value).unbind();
            let polled = match step.cast::<Step>() {
                Ok(step) => match step.try_borrow_mut() {
                    Ok(mut step) => step.poll_step(py, Resume::Send(value)),
                    Err(err) => Poll::Err(err.into()),
                },
                Err(err) => Poll::Err(err.into()),
            };
            match polled {
                Poll::Ready(v) => {
                    *result = v.into_ptr();
                    ffi::PySendResult::PYGEN_RETURN
                }
                Poll::Pending(y) => {
                    *result = y.into_ptr();
                    ffi::PySendResult::PYGEN_NEXT
                }
                Poll::Done => {
                    PyStopAsyncIteration::new_err(()).restore(py);
                    *result = std::ptr::null_mut();
                    ffi::PySendResult::PYGEN_ERROR
                }
                Poll::Err(err) => {
                    err.restore(py);
                    *result = std::ptr::null_mut();
                    ffi::PySendResult::PYGEN_ERROR
                }
            }
        })
    });
    outcome.unwrap_or_else(|_| {
        // SAFETY: as above; report the panic as a Python error.
        unsafe {
            let py = Python::assume_attached();
            pyo3::exceptions::PyRuntimeError::new_err("aioxide: panic in a native iterator")
                .restore(py);
            *result = std::ptr::null_mut();
        }
        ffi::PySendResult::PYGEN_ERROR
    })
}

unsafe extern "C" fn step_await(step: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live Step; `await step` must return an
    // iterator, and the Step is its own: return a new reference to it.
    unsafe {
        ffi::Py_IncRef(step);
    }
    step
}

unsafe extern "C" fn native_anext(iter: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls am_anext with the GIL held on a live NativeIter
    // (the slot is installed on that type only).
    let outcome = std::panic::catch_unwind(|| {
        Python::attach(|py| unsafe {
            let this = Bound::from_borrowed_ptr(py, iter);
            match this.cast::<NativeIter>() {
                Ok(native) => match NativeIter::next_step(native) {
                    Ok(step) => step.into_ptr(),
                    Err(err) => {
                        err.restore(py);
                        std::ptr::null_mut()
                    }
                },
                Err(err) => {
                    PyErr::from(err).restore(py);
                    std::ptr::null_mut()
                }
            }
        })
    });
    outcome.unwrap_or_else(|_| {
        Python::attach(|py| {
            pyo3::exceptions::PyRuntimeError::new_err("aioxide: panic in a native iterator")
                .restore(py)
        });
        std::ptr::null_mut()
    })
}

/// Installs a direct `am_anext` on NativeIter's type (no PyO3 trampoline per item).
pub fn install_anext(native_type: &Bound<'_, PyType>) {
    let ty = native_type.as_type_ptr();
    // SAFETY: as in `install`: a PyO3 heap type whose `tp_as_async` is its
    // own writable `PyAsyncMethods`, patched during module initialisation.
    unsafe {
        let methods = (*ty).tp_as_async;
        if !methods.is_null() {
            (*methods).am_anext = Some(native_anext);
            ffi::PyType_Modified(ty);
        }
    }
}

/// Installs `am_send` (and a plain `am_await`) on Step's type.
pub fn install(step_type: &Bound<'_, PyType>) {
    let ty = step_type.as_type_ptr();
    // SAFETY: Step's type is a heap type made by PyO3 (PyType_FromSpec), so
    // `tp_as_async` points at the type object's own, writable
    // `PyAsyncMethods`; the type is not yet in use while the module is being
    // initialised. PyType_Modified invalidates any cached slot lookups.
    unsafe {
        let methods = (*ty).tp_as_async;
        if !methods.is_null() {
            (*methods).am_send = Some(step_send);
            (*methods).am_await = Some(step_await);
            ffi::PyType_Modified(ty);
        }
    }
}
