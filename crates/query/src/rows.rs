//! Fetched rows to the user's objects, in one pass over the result.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyTuple};

/// How a row becomes an object (chosen in Python by `aioxide.sql.mapping`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// `factory(*row)`: any class.
    Call,
    /// `object.__new__(factory)` then each field set: classes whose generated
    /// `__init__` does nothing but store its arguments.
    Fields,
    /// `tuple.__new__(factory, row)`: NamedTuples.
    Tuple,
}

fn object_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    NEW.import(py, "builtins", "object").and_then(|o| {
        // A bound lookup each time would cost more than the cache.
        static METHOD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let method = METHOD.get_or_try_init(py, || o.getattr("__new__").map(Bound::unbind))?;
        Ok(method.bind(py))
    })
}

fn tuple_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let t = NEW.get_or_try_init(py, || {
        py.get_type::<PyTuple>()
            .getattr("__new__")
            .map(Bound::unbind)
    })?;
    Ok(t.bind(py))
}

pub fn build_rows<'py>(
    py: Python<'py>,
    factory: &Bound<'py, PyAny>,
    names: &Bound<'py, PyTuple>,
    build: Build,
    converters: &[(usize, Bound<'py, PyAny>)],
    rows: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let width = names.len();
    let names: Vec<Bound<'py, PyString>> = names
        .iter()
        .map(|n| n.cast_into::<PyString>().map_err(PyErr::from))
        .collect::<PyResult<_>>()?;
    let out = PyList::empty(py);
    for row in rows.try_iter()? {
        let row = row?;
        // Rows from sqlite and MySQL are tuples; asyncpg's Records are sequences.
        let mut tuple = match row.cast_into::<PyTuple>() {
            Ok(t) => t,
            Err(e) => {
                let r = e.into_inner();
                PyTuple::new(py, r.try_iter()?.collect::<PyResult<Vec<_>>>()?)?
            }
        };
        if tuple.len() != width {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "a row has {} values but the query selects {width}",
                tuple.len()
            )));
        }
        if !converters.is_empty() {
            let mut values: Vec<Bound<'py, PyAny>> = tuple.iter().collect();
            for (i, convert) in converters {
                if !values[*i].is_none() {
                    values[*i] = convert.call1((&values[*i],))?;
                }
            }
            tuple = PyTuple::new(py, values)?;
        }
        let obj = match build {
            Build::Call => factory.call1(tuple)?,
            Build::Tuple => tuple_new(py)?.call1((factory, tuple))?,
            Build::Fields => {
                let obj = object_new(py)?.call1((factory,))?;
                for (name, value) in names.iter().zip(tuple.iter()) {
                    // SAFETY: the GIL is held and all three pointers are live
                    // references owned by this frame for the whole call.
                    // Generic setattr skips a frozen class's __setattr__ the
                    // way its own generated __init__ does.
                    let rc = unsafe {
                        ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr())
                    };
                    if rc < 0 {
                        return Err(PyErr::fetch(py));
                    }
                }
                obj
            }
        };
        out.append(obj)?;
    }
    Ok(out)
}
