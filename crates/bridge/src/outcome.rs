//! What a worker hands back: a conversion that runs later on the loop thread.
//!
//! Workers finish without the GIL, so a result is carried as a closure that
//! turns Rust data into a Python object once the drain (or an awaiter that
//! finds the value ready) holds the GIL.

use pyo3::prelude::*;
use pyo3::BoundObject;

/// A finished operation's result, converted to Python on the loop thread.
pub type Outcome = Box<dyn for<'py> FnOnce(Python<'py>) -> PyResult<Py<PyAny>> + Send>;

/// An outcome that produces `value` as is.
pub fn value(value: Py<PyAny>) -> Outcome {
    Box::new(move |_py| Ok(value))
}

/// An outcome that converts a Rust value on the loop thread.
pub fn convert<T>(value: T) -> Outcome
where
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    Box::new(move |py| {
        value
            .into_pyobject(py)
            .map(|obj| obj.into_any().unbind())
            .map_err(Into::into)
    })
}

/// An outcome that raises `err` in the awaiter.
pub fn error(err: PyErr) -> Outcome {
    Box::new(move |_py| Err(err))
}
