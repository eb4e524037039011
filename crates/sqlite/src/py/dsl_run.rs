//! `DslRun`: an aioxide.sql select on SQLite awaited for its rows, in one
//! native call — render, plan lookup, execute, rows built as the query's
//! objects — instead of the Python layers of the general path (result,
//! run, connection, driver cursor, fetch), which cost more than the
//! statement itself in a primary-key lookup.
//!
//! The SQLite connection of aioxide.sql puts one on itself as `_fused`
//! when it connects; `ResultCore.__await__` calls it and takes the general
//! path when it gives None (not a select, raw SQL, not connected).

use aioxide_sql::codes::action::SELECT;
use aioxide_sql::result::ResultCore;
use aioxide_sql::tree::QueryCore;
use pyo3::intern;
use pyo3::prelude::*;
use std::sync::Mutex;

use aioxide_sync::Unpoisoned;
use pyo3::types::PyTuple;

use super::connection_core::{ConnectionCore, REST_CHUNK};
use super::execute_call::{dsl_rows_call, ExecuteCall};

/// How one aioxide.sql connection runs its selects natively: the dialect to
/// render, the conversions its row plans use, and the Python plan maker
/// for plans not cached yet.
#[pyclass(frozen, module = "aioxide._core")]
pub struct DslRun {
    dialect: u8,
    conversions: Py<PyAny>,
    /// `aioxide.sql.mapping.plan_for(query, conversions)`.
    plan_for: Py<PyAny>,
    /// Plans of `select()` (every column) by table, as `plan_for` made them:
    /// a table's columns never change, so neither does its plan.
    table_plans: Mutex<Vec<TablePlan>>,
}

/// One table's plan for selecting every column, and its native shape.
struct TablePlan {
    table: Py<PyAny>,
    plan: Py<PyAny>,
    shape: Py<PyAny>,
}

/// More tables than this and the cache starts again (a program making
/// tables on the fly must not grow it without end).
const MAX_TABLE_PLANS: usize = 256;

impl DslRun {
    /// The query's row plan and its shape: a select of every column finds
    /// it cached by table; anything else asks `plan_for` (None: no rows).
    fn plan<'py>(
        &self,
        query: &Bound<'py, PyAny>,
        table: &Bound<'py, PyAny>,
        all_columns: bool,
    ) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
        let py = query.py();
        if all_columns {
            let plans = self.table_plans.locked();
            if let Some(hit) = plans.iter().find(|p| p.table.bind(py).is(table)) {
                return Ok(Some((
                    hit.plan.bind(py).clone(),
                    hit.shape.bind(py).clone(),
                )));
            }
        }
        let plan = self
            .plan_for
            .bind(py)
            .call1((query, self.conversions.bind(py)))?;
        if plan.is_none() {
            return Ok(None);
        }
        let shape = plan.getattr(intern!(py, "shape"))?;
        if all_columns {
            let mut plans = self.table_plans.locked();
            if plans.len() >= MAX_TABLE_PLANS {
                plans.clear();
            }
            plans.push(TablePlan {
                table: table.clone().unbind(),
                plan: plan.clone().unbind(),
                shape: shape.clone().unbind(),
            });
        }
        Ok(Some((plan, shape)))
    }
}

#[pymethods]
impl DslRun {
    #[new]
    fn new(dialect: u8, conversions: Py<PyAny>, plan_for: Py<PyAny>) -> Self {
        DslRun {
            dialect,
            conversions,
            plan_for,
            table_plans: Mutex::new(Vec::new()),
        }
    }

    /// The native run of `result` (an awaitable giving its rows), or None
    /// when it takes the general path.
    fn __call__(&self, result: &Bound<'_, PyAny>) -> PyResult<Option<Py<ExecuteCall>>> {
        self.run(result)
    }
}

/// `ResultCore.__await__`'s direct call of a connection's `DslRun` (see
/// `aioxide_sql::result::register_native_run`): the call protocol and
/// argument parsing cost as much as a tenth of a primary-key lookup.
pub fn native_run(
    fused: &Bound<'_, PyAny>,
    result: &Bound<'_, ResultCore>,
) -> Option<PyResult<Option<Py<PyAny>>>> {
    let run = fused.cast::<DslRun>().ok()?;
    Some(
        run.get()
            .run(result.as_any())
            .map(|call| call.map(Py::into_any)),
    )
}

impl DslRun {
    fn run(&self, result: &Bound<'_, PyAny>) -> PyResult<Option<Py<ExecuteCall>>> {
        let py = result.py();
        let Ok(core) = result.cast::<ResultCore>() else {
            return Ok(None);
        };
        let (query, connection) = {
            let r = core.borrow();
            (r.query.bind(py).clone(), r.connection.bind(py).clone())
        };
        let Ok(q) = query.cast::<QueryCore>() else {
            return Ok(None);
        };
        let (table, all_columns) = {
            let q = q.borrow();
            if q.action != SELECT {
                return Ok(None);
            }
            (q.table.bind(py).clone(), q._all_columns)
        };
        let conn = connection.getattr(intern!(py, "_conn"))?;
        if conn.cast::<ConnectionCore>().is_err() {
            return Ok(None);
        }
        let Some((plan, shape)) = self.plan(&query, &table, all_columns)? else {
            return Ok(None);
        };
        core.borrow_mut()._plan = plan.unbind();
        let (sql, params) = aioxide_sql::render_statement(py, self.dialect, &query)?;
        // A tuple: one allocation (a list is two), and no one else sees it.
        let params = PyTuple::new(py, params)?.into_any().unbind();
        dsl_rows_call(
            py,
            conn.unbind(),
            sql.into_any().unbind(),
            params,
            REST_CHUNK,
            shape.unbind(),
            result.clone().unbind(),
        )
        .map(Some)
    }
}
