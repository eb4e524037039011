//! Async slots PyO3 does not emit, for native awaitables.
//!
//! Without `am_send`, every value a native awaitable hands back travels as
//! a `StopIteration` exception (built, raised, caught: ~1,000 instructions).
//! With it, CPython's `SEND` (the `await` machinery, and `Task` steps) gets
//! the value directly, as it does from its own coroutines.

use std::marker::PhantomData;

use pyo3::ffi;
use pyo3::impl_::trampoline;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyClass;

use crate::drive::Resume;

/// An `am_await` for a type that is its own iterator: a new reference to
/// the object itself.
///
/// # Safety
/// Called by CPython with a live object.
pub unsafe extern "C" fn await_self(awaitable: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the object is live per the contract; the caller owns the new
    // reference returned.
    unsafe { ffi::Py_IncRef(awaitable) };
    awaitable
}

/// Installs `am_send` (and `am_await`) on a PyO3 class with an async slot
/// of its own (it defines `__await__`, so PyO3 gave it a `PyAsyncMethods`).
/// Call while the module is being initialised, before the type is used.
pub fn install_send(
    ty: &Bound<'_, PyType>,
    send: ffi::sendfunc,
    await_: ffi::unaryfunc,
) -> PyResult<()> {
    let ty = ty.as_type_ptr();
    // SAFETY: a PyO3 class is a heap type (PyType_FromSpec), so
    // `tp_as_async` points at the type object's own, writable
    // `PyAsyncMethods`; the type is not in use yet while the module
    // initialises. PyType_Modified drops any cached slot lookups.
    unsafe {
        let methods = (*ty).tp_as_async;
        if methods.is_null() {
            return Err(pyo3::exceptions::PySystemError::new_err(
                "a type without async slots cannot take am_send",
            ));
        }
        (*methods).am_send = Some(send);
        (*methods).am_await = Some(await_);
        ffi::PyType_Modified(ty);
    }
    Ok(())
}

/// What one step of a native awaitable did.
pub enum Sent {
    /// Finished with this result (the `await` evaluates to it).
    Return(Py<PyAny>),
    /// Suspended: this (usually a future) goes up to the task.
    Yield(Py<PyAny>),
}

/// A native awaitable stepped by its `am_send` slot (see [`install_send`]).
pub trait SendStep: PyClass {
    /// One step, resumed as the task resumed it.
    fn send_step(awaitable: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent>;
}

// The slot runs inside PyO3's own slot trampoline (the one its generated
// slots use): it marks the thread attached for PyO3 without a GILState
// round trip, traps panics, and restores errors. A plain `Python::attach`
// per call cost ~20 ns each way, most of what a ready step costs.
// am_send's (object, value, result*) fits the three-pointer trampoline; its
// return value says which PySendResult it was.

struct SendDef<T>(PhantomData<T>);

impl<T: SendStep> trampoline::MethodDef<trampoline::ternaryfunc::Func> for SendDef<T> {
    const METH: trampoline::ternaryfunc::Func = send_body::<T>;
}

/// Returned by `send_body` (compared, never dereferenced) to tell a value
/// yielded (PYGEN_NEXT) from a result (PYGEN_RETURN).
fn yielded_marker() -> *mut ffi::PyObject {
    // SAFETY: only the address of the static True object is taken.
    unsafe { ffi::Py_True() }
}

/// # Safety
/// Called by the trampoline with the thread attached; `awaitable` is a live
/// `T` (the slot is installed on T's type, and subtypes inherit it as
/// instances of T), `value` a borrowed reference and `result` the
/// `PyObject **` CPython passed to am_send.
unsafe fn send_body<T: SendStep>(
    py: Python<'_>,
    awaitable: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    let result = result.cast::<*mut ffi::PyObject>();
    // SAFETY: see the function's contract.
    let (this, resume) = unsafe {
        (
            Bound::from_borrowed_ptr(py, awaitable),
            Resume::sent(py, value),
        )
    };
    // SAFETY: `awaitable` is a T (see the contract).
    let this = unsafe { this.cast_unchecked::<T>() };
    match T::send_step(this, resume)? {
        Sent::Return(v) => {
            // SAFETY: `result` is writable (am_send contract).
            unsafe { *result = v.into_ptr() };
            // Any non-null pointer other than the marker: it returned.
            Ok(awaitable)
        }
        Sent::Yield(y) => {
            // SAFETY: as above.
            unsafe { *result = y.into_ptr() };
            Ok(yielded_marker())
        }
    }
}

unsafe extern "C" fn send_slot<T: SendStep>(
    awaitable: *mut ffi::PyObject,
    value: *mut ffi::PyObject,
    result: *mut *mut ffi::PyObject,
) -> ffi::PySendResult {
    // SAFETY: CPython calls am_send with the GIL held and valid pointers;
    // `result` starts out null so an error leaves nothing behind.
    unsafe {
        *result = std::ptr::null_mut();
        let outcome = trampoline::ternaryfunc::<SendDef<T>>(awaitable, value, result.cast());
        if outcome.is_null() {
            ffi::PySendResult::PYGEN_ERROR
        } else if outcome == yielded_marker() {
            ffi::PySendResult::PYGEN_NEXT
        } else {
            ffi::PySendResult::PYGEN_RETURN
        }
    }
}

/// Installs `am_send` (stepping through [`SendStep`]) and an `am_await`
/// returning the object itself on T's type.
pub fn install_step<T: SendStep>(py: Python<'_>) -> PyResult<()> {
    install_send(&py.get_type::<T>(), send_slot::<T>, await_self)
}

/// An awaitable that is already finished: awaiting it gives its value at
/// once (every time, as a done future does), with no coroutine, no event
/// loop turn and no `StopIteration`. What a fast path returns where a
/// coroutine would have nothing to wait for (`Cursor.fetchone` on a row it
/// holds, `__aexit__` that closed in place).
#[pyclass(module = "aioxide._core", frozen)]
pub struct Finished {
    value: Py<PyAny>,
}

impl Finished {
    /// An awaitable already finished with `value`.
    pub fn new(value: Py<PyAny>) -> Self {
        Finished { value }
    }
}

impl SendStep for Finished {
    fn send_step(awaitable: &Bound<'_, Self>, resume: Resume) -> PyResult<Sent> {
        if let Resume::Throw(err) = resume {
            return Err(*err);
        }
        Ok(Sent::Return(
            awaitable.get().value.clone_ref(awaitable.py()),
        ))
    }
}

#[pymethods]
impl Finished {
    // `await` uses the am_await / am_send slots (`install_step`); these are
    // the Python-visible forms.
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Returns at once: `StopIteration(value)` (how a finished iterator
    /// hands back its result; 3.12+ `await` steps native awaitables this
    /// way, not through `am_send`).
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(pyo3::exceptions::PyStopIteration::new_err((self
            .value
            .clone_ref(py),)))
    }

    #[pyo3(signature = (_value, /))]
    fn send(&self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.__next__(py)
    }

    /// Raises what is thrown in (there is nothing to clean up).
    #[pyo3(signature = (typ, val=None, tb=None, /))]
    fn throw(
        &self,
        py: Python<'_>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Err(crate::completion::exception_from(py, typ, val, tb))
    }

    fn close(&self) {}

    fn __repr__(&self) -> String {
        "<aioxide finished awaitable>".to_owned()
    }
}

/// An awaitable already finished with `value` (see [`Finished`]).
#[pyfunction]
pub fn finished(py: Python<'_>, value: Py<PyAny>) -> PyResult<Py<Finished>> {
    Py::new(py, Finished { value })
}

/// The finished awaitable whose value is None, shared (it holds no state).
pub fn finished_none(py: Python<'_>) -> PyResult<Py<Finished>> {
    static NONE: pyo3::sync::PyOnceLock<Py<Finished>> = pyo3::sync::PyOnceLock::new();
    NONE.get_or_try_init(py, || finished(py, py.None()))
        .map(|f| f.clone_ref(py))
}
