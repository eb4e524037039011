//! The SQL renderer behind `aioxide.sql`.
//!
//! The DSL (tables, columns, the fluent `Query`) is Python; rendering a query
//! tree to `(sql, parameters)` for a dialect happens here, in one walk:
//!
//! - [`dialect`]: quoting, placeholders, types, what each dialect lacks;
//! - [`writer`]: the output text and bound parameters;
//! - [`expr`]: operands and clauses; [`statement`]: SELECT / INSERT /
//!   UPDATE / DELETE; [`ddl`]: CREATE TABLE and its indexes;
//! - [`result`]: the native base of a query's `Result` (how it is awaited);
//! - rows become the user's objects through `RowShape` (in aioxide-sqlite,
//!   beside the cells it is built from).

pub mod codes;
pub mod ddl;
pub mod dialect;
pub mod expr;
pub mod py_modules;
pub mod result;
pub mod shape;
pub mod statement;
pub mod tree;
pub mod writer;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use codes::action;
use dialect::Dialect;
use writer::Writer;

fn writer(py: Python<'_>, dialect: u8) -> PyResult<Writer<'_>> {
    let d = Dialect::from_code(dialect).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("unknown SQL dialect code {dialect}"))
    })?;
    Writer::new(py, d)
}

fn finish<'py>(w: Writer<'py>) -> PyResult<(String, Bound<'py, PyList>)> {
    let params = PyList::new(w.py, w.params)?;
    Ok((w.sql, params))
}

/// Renders `query` into `w` by its action; returns the statements that
/// must follow it (a CREATE's indexes).
fn render_into<'py>(w: &mut Writer<'py>, query: &Bound<'py, PyAny>) -> PyResult<Vec<String>> {
    match tree::as_query(query)?.borrow().action {
        action::CREATE => return ddl::create(w, query),
        action::INSERT => statement::insert(w, query)?,
        action::SELECT => statement::select(w, query)?,
        action::UPDATE => statement::update(w, query)?,
        action::DELETE => statement::delete(w, query)?,
        _ => return Err(w.build_error("query not yet started: nothing to render")),
    }
    Ok(Vec::new())
}

/// Render a query to a `PreparedQuery`.
#[pyfunction]
pub fn sql_render<'py>(
    py: Python<'py>,
    dialect: u8,
    query: &Bound<'py, PyAny>,
) -> PyResult<tree::PreparedQuery> {
    let mut w = writer(py, dialect)?;
    let q = tree::as_query(query)?;
    let table = q.borrow().table.clone_ref(py);
    if let Some(done) = shape::select(&mut w, q, |w| statement::select(w, query))? {
        return Ok(tree::PreparedQuery::new_with(
            py,
            table,
            done.sql.into_any().unbind(),
            PyList::new(py, done.params)?.into_any().unbind(),
            None,
        ));
    }
    let after = render_into(&mut w, query)?;
    let (sql, params) = finish(w)?;
    let after = if after.is_empty() {
        None
    } else {
        Some(PyList::new(py, after)?.unbind())
    };
    Ok(tree::PreparedQuery::new_with(
        py,
        table,
        PyString::new(py, &sql).into_any().unbind(),
        params.into_any().unbind(),
        after,
    ))
}

/// A query that is one statement (select, insert, update, delete) as SQL
/// text and the values its placeholders bind, for a native caller that
/// hands them straight to a driver. `CREATE` (which may need follow-up
/// statements) goes through [`sql_render`].
pub fn render_statement<'py>(
    py: Python<'py>,
    dialect: u8,
    query: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyString>, Vec<Bound<'py, PyAny>>)> {
    let mut w = writer(py, dialect)?;
    let q = tree::as_query(query)?;
    if q.borrow().action == action::CREATE {
        return Err(
            w.build_error("a CREATE query may need several statements: render it with sql_render")
        );
    }
    if let Some(done) = shape::select(&mut w, q, |w| statement::select(w, query))? {
        return Ok((done.sql, done.params));
    }
    render_into(&mut w, query)?;
    Ok((PyString::new(py, &w.sql), w.params))
}

type Fragment = for<'a, 'py> fn(&'a mut Writer<'py>, &'a Bound<'py, PyAny>) -> PyResult<()>;

/// One piece of SQL on its own: `(sql, parameters)`.
fn fragment<'py>(
    py: Python<'py>,
    dialect: u8,
    ob: &Bound<'py, PyAny>,
    render: Fragment,
) -> PyResult<(String, Bound<'py, PyList>)> {
    let mut w = writer(py, dialect)?;
    render(&mut w, ob)?;
    finish(w)
}

/// Render one clause (a comparison, And / Or / Not group or raw fragment).
#[pyfunction]
pub fn sql_render_clause<'py>(
    py: Python<'py>,
    dialect: u8,
    clause: &Bound<'py, PyAny>,
) -> PyResult<(String, Bound<'py, PyList>)> {
    fragment(py, dialect, clause, expr::clause)
}

/// Render one JOIN clause.
#[pyfunction]
pub fn sql_render_join<'py>(
    py: Python<'py>,
    dialect: u8,
    join: &Bound<'py, PyAny>,
) -> PyResult<(String, Bound<'py, PyList>)> {
    fragment(py, dialect, join, statement::join)
}

/// A raw statement with `?` placeholders in the dialect's placeholder style.
#[pyfunction]
pub fn sql_render_raw<'py>(
    py: Python<'py>,
    dialect: u8,
    raw: &Bound<'py, PyAny>,
) -> PyResult<(String, Bound<'py, PyList>)> {
    fragment(py, dialect, raw, expr::raw)
}

/// Register the functions on the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    tree::register(m)?;
    m.add_class::<result::ResultCore>()?;
    m.add("SQL_CODES", codes::as_dict(m.py())?)?;
    m.add_function(wrap_pyfunction!(sql_render, m)?)?;
    m.add_function(wrap_pyfunction!(tree::sql_select, m)?)?;
    m.add_function(wrap_pyfunction!(sql_render_clause, m)?)?;
    m.add_function(wrap_pyfunction!(sql_render_join, m)?)?;
    m.add_function(wrap_pyfunction!(sql_render_raw, m)?)?;
    m.add_function(wrap_pyfunction!(shape::sql_shape_cache_size, m)?)?;
    m.add_function(wrap_pyfunction!(shape::sql_shape_cache_clear, m)?)?;
    Ok(())
}
