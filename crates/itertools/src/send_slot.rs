//! The `am_send` slot for `Step`.
//!
//! PyO3 does not emit `am_send`, so without it every value a native
//! iterator delivers travels as a `StopIteration` exception. With it,
//! CPython's `SEND` (the `await` / `async for` machinery) receives the value
//! directly, as it does from its own generators and coroutines.

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::ffi;
use pyo3::impl_::trampoline;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::drive::{Poll, Resume};
use crate::native::{NativeIter, Step};

// The slots run inside PyO3's own slot trampoline (the one its generated
// slots use): it marks the thread attached for PyO3 without a GILState
// round trip, traps panics, and restores errors. A plain `Python::attach`
// per slot call cost ~20 ns each way, which is most of what a one-item
// step costs. am_send's (object, value, result*) fits the three-pointer
// trampoline; its return value says which PySendResult it was.

struct SendDef;
impl trampoline::MethodDef<trampoline::ternaryfunc::Func> for SendDef {
    const METH: trampoline::ternaryfunc::Func = send_body;
}

struct AnextDef;
impl trampoline::MethodDef<trampoline::unaryfunc::Func> for AnextDef {
    const METH: trampoline::unaryfunc::Func = anext_body;
}

/// Returned by `send_body` (compared, never dereferenced) to tell a value
/// the step yields (PYGEN_NEXT) from its final result (PYGEN_RETURN).
fn yielded_marker() -> *mut ffi::PyObject {
    // SAFETY: only the address of the static True object is taken.
    unsafe { ffi::Py_True() }
}

/// # Safety
/// Called by the trampoline with the thread attached; `iter` is a live
/// Step (the slot is installed on Step's type only), `value` a borrowed
/// reference and `result` the `PyObject **` CPython passed to am_send.
unsafe fn send_body(
    py: Python<'_>,
    iter: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    let result = result.cast::<*mut ffi::PyObject>();
    // SAFETY: see the function's contract.
    let (step, resume) = unsafe { (Bound::from_borrowed_ptr(py, iter), Resume::sent(py, value)) };
    // SAFETY: the slot is installed on Step's type only, and Step cannot be
    // subclassed, so `iter` is a Step.
    let step = unsafe { step.cast_unchecked::<Step>() };
    let polled = step.get().poll_step(py, resume);
    match polled {
        Poll::Ready(v) => {
            // SAFETY: `result` is writable (am_send contract).
            unsafe { *result = v.into_ptr() };
            // Any non-null pointer other than the marker: the step returned.
            Ok(iter)
        }
        Poll::Pending(y) => {
            // SAFETY: as above.
            unsafe { *result = y.into_ptr() };
            Ok(yielded_marker())
        }
        Poll::Done => Err(PyStopAsyncIteration::new_err(())),
        Poll::Err(err) => Err(*err),
    }
}

unsafe extern "C" fn step_send(
    iter: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut *mut ffi::PyObject,
) -> ffi::PySendResult {
    // SAFETY: CPython calls am_send with the GIL held and valid pointers;
    // `result` starts out null so an error leaves nothing behind.
    unsafe {
        *result = std::ptr::null_mut();
        let outcome = trampoline::ternaryfunc::<SendDef>(iter, value, result.cast());
        if outcome.is_null() {
            ffi::PySendResult::PYGEN_ERROR
        } else if outcome == yielded_marker() {
            ffi::PySendResult::PYGEN_NEXT
        } else {
            ffi::PySendResult::PYGEN_RETURN
        }
    }
}

unsafe extern "C" fn step_await(step: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython passes a live Step; `await step` must return an
    // iterator, and the Step is its own: return a new reference to it.
    unsafe {
        ffi::Py_IncRef(step);
    }
    step
}

/// # Safety
/// Called by the trampoline with the thread attached on a live NativeIter
/// (the slot is installed on that type only).
unsafe fn anext_body(py: Python<'_>, iter: *mut ffi::PyObject) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see the function's contract.
    let this = unsafe { Bound::from_borrowed_ptr(py, iter) };
    // SAFETY: the slot is installed on NativeIter's type only, and
    // NativeIter cannot be subclassed.
    let native = unsafe { this.cast_unchecked::<NativeIter>() };
    Ok(NativeIter::next_step(native)?.into_ptr())
}

/// Installs a direct `am_anext` on NativeIter's type (no PyO3 trampoline per item).
pub fn install_anext(native_type: &Bound<'_, PyType>) {
    let ty = native_type.as_type_ptr();
    // SAFETY: as in `install`: a PyO3 heap type whose `tp_as_async` is its
    // own writable `PyAsyncMethods`, patched during module initialisation.
    unsafe {
        let methods = (*ty).tp_as_async;
        if !methods.is_null() {
            (*methods).am_anext = Some(trampoline::unaryfunc::<AnextDef>);
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
