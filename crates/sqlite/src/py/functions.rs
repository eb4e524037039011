//! Python aggregates and window functions callable from SQL, with the
//! `sqlite3` module's protocol: a class instantiated per group, `step(*args)`
//! per row, `finalize()` for the result; windows add `value()` and `inverse(*args)`.

use std::panic::AssertUnwindSafe;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rusqlite::functions::{Aggregate, Context, WindowAggregate};

use super::params::param_from_py;
use crate::value::{Param, Value};

/// The per-group instance of the user's aggregate class.
pub type Instance = AssertUnwindSafe<Py<PyAny>>;

/// A Python aggregate (or window) class registered with SQLite.
pub struct PyAggregate {
    pub class: Py<PyAny>,
}

fn failure(method: &str) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(
        format!("user-defined aggregate's '{method}' method raised error").into(),
    )
}

fn with_python<T>(method: &str, f: impl FnOnce(Python<'_>) -> PyResult<T>) -> rusqlite::Result<T> {
    Python::try_attach(|py| f(py).map_err(|_| failure(method)))
        .unwrap_or_else(|| Err(failure(method)))
}

/// A SQL argument or result as Python sees it.
pub fn arguments<'py>(py: Python<'py>, ctx: &Context<'_>) -> PyResult<Bound<'py, PyTuple>> {
    let values = (0..ctx.len())
        .map(|i| super::cells::value_to_py(py, ctx.get_raw(i)))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, values)
}

/// A Python return value as an SQL value.
pub fn sql_value(obj: &Bound<'_, PyAny>, what: &str) -> rusqlite::Result<Value> {
    match param_from_py(obj, 0) {
        Ok(Param::Value(v)) => Ok(v),
        _ => Err(rusqlite::Error::UserFunctionError(
            format!("user-defined {what} returned an unsupported type").into(),
        )),
    }
}

impl Aggregate<Instance, Value> for PyAggregate {
    fn init(&self, _ctx: &mut Context<'_>) -> rusqlite::Result<Instance> {
        with_python("__init__", |py| {
            Ok(AssertUnwindSafe(self.class.bind(py).call0()?.unbind()))
        })
    }

    fn step(&self, ctx: &mut Context<'_>, instance: &mut Instance) -> rusqlite::Result<()> {
        with_python("step", |py| {
            instance
                .bind(py)
                .call_method1("step", arguments(py, ctx)?)?;
            Ok(())
        })
    }

    fn finalize(
        &self,
        _ctx: &mut Context<'_>,
        instance: Option<Instance>,
    ) -> rusqlite::Result<Value> {
        // No rows: the class is never instantiated and the result is NULL.
        let Some(instance) = instance else {
            return Ok(Value::Null);
        };
        let result = with_python("finalize", |py| {
            Ok(instance.bind(py).call_method0("finalize")?.unbind())
        })?;
        Python::try_attach(|py| sql_value(result.bind(py), "aggregate"))
            .unwrap_or_else(|| Err(failure("finalize")))
    }
}

impl WindowAggregate<Instance, Value> for PyAggregate {
    fn value(&self, instance: Option<&mut Instance>) -> rusqlite::Result<Value> {
        let Some(instance) = instance else {
            return Ok(Value::Null);
        };
        let result = with_python("value", |py| {
            Ok(instance.bind(py).call_method0("value")?.unbind())
        })?;
        Python::try_attach(|py| sql_value(result.bind(py), "window function"))
            .unwrap_or_else(|| Err(failure("value")))
    }

    fn inverse(&self, ctx: &mut Context<'_>, instance: &mut Instance) -> rusqlite::Result<()> {
        with_python("inverse", |py| {
            instance
                .bind(py)
                .call_method1("inverse", arguments(py, ctx)?)?;
            Ok(())
        })
    }
}
