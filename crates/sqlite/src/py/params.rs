//! Parameters from Python objects, converted on the loop thread (where the
//! GIL is held) the way the `sqlite3` module binds them, so the connection
//! thread never needs Python to bind them.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::errors::programming_error;
use crate::errors::{Kind, SqlError};
use crate::value::{Param, Params, Value};

fn adapters(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ADAPTERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    ADAPTERS.import(py, "sqlite3", "adapters")
}

fn prepare_protocol(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static PROTOCOL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    PROTOCOL.import(py, "sqlite3", "PrepareProtocol")
}

fn plain_value(obj: &Bound<'_, PyAny>) -> PyResult<Option<Value>> {
    if obj.is_none() {
        return Ok(Some(Value::Null));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return match i.extract::<i64>() {
            Ok(v) => Ok(Some(Value::Integer(v))),
            Err(_) => Err(PyOverflowError::new_err(
                "Python int too large to convert to SQLite INTEGER",
            )),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Some(Value::Real(f.value())));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(Value::Text(s.to_str()?.to_owned())));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(Value::Blob(b.as_bytes().to_vec())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Some(Value::Blob(b.to_vec())));
    }
    if obj.hasattr("__buffer__").unwrap_or(false) || obj.get_type().name()? == "memoryview" {
        let bytes = obj
            .call_method0("tobytes")
            .or_else(|_| obj.py().get_type::<PyBytes>().call1((obj,)))?;
        return Ok(Some(Value::Blob(
            bytes.cast::<PyBytes>()?.as_bytes().to_vec(),
        )));
    }
    Ok(None)
}

fn is_exact_builtin(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_none()
        || obj.is_exact_instance_of::<PyInt>()
        || obj.is_exact_instance_of::<PyFloat>()
        || obj.is_exact_instance_of::<PyString>()
        || obj.is_exact_instance_of::<PyBytes>()
}

/// Converts one Python parameter the way the `sqlite3` module does: exact
/// builtins as they are, anything else through `sqlite3.adapters` or
/// `__conform__` first.
pub fn param_from_py(obj: &Bound<'_, PyAny>, position: usize) -> PyResult<Param> {
    let py = obj.py();
    if is_exact_builtin(obj) {
        if let Some(value) = plain_value(obj)? {
            return Ok(Param::Value(value));
        }
    }
    let key = (obj.get_type(), prepare_protocol(py)?);
    let adapted = match adapters(py)?.get_item(key) {
        Ok(adapter) => Some(adapter.call1((obj,))?),
        Err(_) => match obj.getattr("__conform__") {
            Ok(conform) => {
                let conformed = conform.call1((prepare_protocol(py)?,))?;
                (!conformed.is_none()).then_some(conformed)
            }
            Err(_) => None,
        },
    };
    let candidate = adapted.as_ref().unwrap_or(obj);
    match plain_value(candidate)? {
        Some(v) => Ok(Param::Value(v)),
        None if py.version_info() >= (3, 11) => {
            Ok(Param::Unsupported(SqlError::programming(format!(
                "Error binding parameter {position}: type '{}' is not supported",
                candidate.get_type().name()?
            ))))
        }
        // 3.10's sqlite3 counted from 0 and raised InterfaceError.
        None => Ok(Param::Unsupported(SqlError::new(
            Kind::Interface,
            format!(
                "Error binding parameter {} - probably unsupported type.",
                position.saturating_sub(1)
            ),
        ))),
    }
}

/// Converts an `execute` parameter argument: a sequence (positional) or a
/// dict (named); `None` means no parameters.
pub fn params_from_py(parameters: Option<&Bound<'_, PyAny>>) -> PyResult<Params> {
    let Some(parameters) = parameters.filter(|p| !p.is_none()) else {
        return Ok(Params::empty());
    };
    if let Ok(dict) = parameters.cast::<PyDict>() {
        let mut named = Vec::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            if let Ok(name) = key.extract::<String>() {
                let param = param_from_py(&value, 0)?;
                named.push((name, param));
            }
        }
        return Ok(Params::Named(named));
    }
    // Sized up front: collecting the `PyResult`s grew the vector from empty.
    if let Ok(tuple) = parameters.cast::<PyTuple>() {
        let mut values = Vec::with_capacity(tuple.len());
        for (i, v) in tuple.iter().enumerate() {
            values.push(param_from_py(&v, i + 1)?);
        }
        return Ok(Params::Positional(values));
    }
    if let Ok(list) = parameters.cast::<PyList>() {
        let mut values = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            values.push(param_from_py(&v, i + 1)?);
        }
        return Ok(Params::Positional(values));
    }
    if parameters.is_instance_of::<PyString>() || parameters.is_instance_of::<PyBytes>() {
        return Err(unsupported_parameters(parameters.py()));
    }
    // Any other sequence (or a mapping that is not a dict, via its keys).
    if parameters.hasattr("keys")? && parameters.hasattr("__getitem__")? {
        let mut named = Vec::new();
        for key in parameters.call_method0("keys")?.try_iter()? {
            let key = key?;
            if let Ok(name) = key.extract::<String>() {
                let value = parameters.get_item(&key)?;
                named.push((name, param_from_py(&value, 0)?));
            }
        }
        return Ok(Params::Named(named));
    }
    match parameters.try_iter() {
        Ok(items) if parameters.hasattr("__len__")? => {
            let mut values = Vec::new();
            for (i, v) in items.enumerate() {
                values.push(param_from_py(&v?, i + 1)?);
            }
            Ok(Params::Positional(values))
        }
        _ => Err(unsupported_parameters(parameters.py())),
    }
}

/// A parameter argument that is neither a sequence nor a mapping: the
/// interpreter's class for it (ValueError before Python 3.11).
fn unsupported_parameters(py: Python<'_>) -> PyErr {
    let message = "parameters are of unsupported type";
    if py.version_info() >= (3, 11) {
        programming_error(py, message)
    } else {
        pyo3::exceptions::PyValueError::new_err(message)
    }
}
