//! What SQLite calls back into Python through: results of user functions,
//! their errors, and the authorizer's trampoline.

use std::ffi::{c_char, c_int, c_void, CStr};

use pyo3::prelude::*;
use rusqlite::ffi;

use super::params::param_from_py;
use crate::value::{Param, Value};

pub(super) fn py_callback_error(_err: PyErr) -> rusqlite::Error {
    // As the sqlite3 module: the statement fails with this message (the
    // Python traceback is not printed).
    rusqlite::Error::UserFunctionError("user-defined function raised exception".into())
}

pub(super) fn py_to_value(obj: &Bound<'_, PyAny>) -> rusqlite::Result<Value> {
    match param_from_py(obj, 0) {
        Ok(Param::Value(v)) => Ok(v),
        Ok(Param::Unsupported(_)) => Err(rusqlite::Error::UserFunctionError(
            "user-defined function returned an unsupported type".into(),
        )),
        Err(e) => Err(py_callback_error(e)),
    }
}

// SQLite calls this with the authorizer's `Box<Py<PyAny>>` as `ctx`.
pub(super) unsafe extern "C" fn authorizer_trampoline(
    ctx: *mut c_void,
    action: c_int,
    arg1: *const c_char,
    arg2: *const c_char,
    db_name: *const c_char,
    trigger: *const c_char,
) -> c_int {
    // SAFETY: SQLite passes back the pointer we registered, which points at a
    // Box<Py<PyAny>> kept alive in `Thread::authorizer` while registered; the
    // string arguments are NULL or NUL-terminated strings valid for this call.
    let (callback, texts) = unsafe {
        let text = |p: *const c_char| {
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
        };
        (
            &*(ctx as *const Py<PyAny>),
            [text(arg1), text(arg2), text(db_name), text(trigger)],
        )
    };
    Python::try_attach(|py| {
        let [a1, a2, db, trig] = texts;
        match callback
            .bind(py)
            .call1((action, a1, a2, db, trig))
            .and_then(|r| r.extract::<c_int>())
        {
            Ok(code @ (ffi::SQLITE_OK | ffi::SQLITE_DENY | ffi::SQLITE_IGNORE)) => code,
            Ok(_) => ffi::SQLITE_DENY,
            Err(err) => {
                err.print(py);
                ffi::SQLITE_DENY
            }
        }
    })
    .unwrap_or(ffi::SQLITE_DENY)
}
