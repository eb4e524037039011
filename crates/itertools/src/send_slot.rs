//! The `am_send` slot for `Step` (through `aioxide_bridge::slots`) and the
//! `am_anext` slot for `NativeIter`.
//!
//! PyO3 emits neither, so without them every value a native iterator
//! delivers travels as a `StopIteration` exception, and every `__anext__`
//! goes through a method lookup.

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::ffi;
use pyo3::impl_::trampoline;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::native::{NativeIter, Step};
use aioxide_bridge::drive::{Poll, Resume};
use aioxide_bridge::slots::{SendStep, Sent};

// am_anext runs inside PyO3's own slot trampoline, as am_send does (see
// aioxide_bridge::slots): no GILState round trip per item, panics trapped.

struct AnextDef;
impl trampoline::MethodDef<trampoline::unaryfunc::Func> for AnextDef {
    const METH: trampoline::unaryfunc::Func = anext_body;
}

impl SendStep for Step {
    fn send_step(step: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent> {
        match step.get().poll_step(step.py(), resume) {
            Poll::Ready(v) => Ok(Sent::Return(v)),
            Poll::Pending(y) => Ok(Sent::Yield(y)),
            Poll::Done => Err(PyStopAsyncIteration::new_err(())),
            Poll::Err(err) => Err(*err),
        }
    }
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
pub fn install(py: Python<'_>) -> PyResult<()> {
    aioxide_bridge::slots::install_step::<Step>(py)
}
