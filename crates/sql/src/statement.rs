//! SELECT, INSERT, UPDATE and DELETE.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyMemoryView,
    PyString, PyTuple,
};

use crate::codes::{self, action::SELECT, join, kind};
use crate::dialect::Dialect;
use crate::expr::{clause, operand, value};
use crate::py_modules::Node;
use crate::tree::{as_query, QueryCore, TableJoin};
use crate::writer::Writer;

fn table_name<'py>(table: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    Ok(table
        .getattr(intern!(table.py(), "_name"))?
        .cast_into::<PyString>()?)
}

/// The items of an optional part of the query (empty when never set).
fn items<'py>(py: Python<'py>, part: &Option<Py<PyList>>) -> Vec<Bound<'py, PyAny>> {
    match part {
        Some(list) => list.bind(py).iter().collect(),
        None => Vec::new(),
    }
}

/// An optional part as a list, if it has items.
fn part<'py>(py: Python<'py>, part: &Option<Py<PyList>>) -> Option<Bound<'py, PyList>> {
    match part {
        Some(list) if !list.bind(py).is_empty() => Some(list.bind(py).clone()),
        _ => None,
    }
}

/// `WHERE (g1) AND (g2)`: each where() call is one parenthesised group.
fn where_clause<'py>(
    w: &mut Writer<'py>,
    groups: Option<Bound<'py, PyList>>,
    keyword: &str,
) -> PyResult<()> {
    let Some(groups) = groups else {
        return Ok(());
    };
    w.kw(keyword);
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            w.kw(" AND ");
        }
        clause(w, &g)?;
    }
    Ok(())
}

fn limit_offset(w: &mut Writer<'_>, q: &QueryCore) -> PyResult<()> {
    let py = w.py;
    match (&q._limit, &q._offset) {
        (Some(limit), _) => {
            w.kw(" LIMIT ");
            w.param(limit.bind(py).clone())?;
        }
        (None, Some(_)) => {
            if let Some(all) = w.dialect.no_limit() {
                w.kw(" LIMIT ");
                w.kw(all);
            }
        }
        (None, None) => {}
    }
    if let Some(offset) = &q._offset {
        w.kw(" OFFSET ");
        w.param(offset.bind(py).clone())?;
    }
    Ok(())
}

/// The statement's table name, put in scope for its column references.
fn own_table(w: &mut Writer<'_>, q: &QueryCore) -> PyResult<String> {
    let name = table_name(q.table.bind(w.py))?;
    let text = name.to_str()?.to_owned();
    w.push_scope(vec![name])?;
    Ok(text)
}

/// One JOIN clause.
pub fn join<'py>(w: &mut Writer<'py>, join: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let j = join.cast::<TableJoin>()?.get();
    let style = j.style.bind(py);
    w.kw(match style.extract::<u8>() {
        Ok(join::INNER) => "INNER JOIN ",
        Ok(join::LEFT) => "LEFT JOIN ",
        Ok(join::RIGHT) => "RIGHT JOIN ",
        _ => {
            return Err(w.error(
                "UnsupportedQuery",
                format!("unsupported join type {}", style.repr()?),
            ))
        }
    });
    w.ident(table_name(j.table.bind(py))?.to_str()?)?;
    let on = j.on.bind(py);
    let using = j.using.bind(py);
    if !on.is_empty() {
        w.kw(" ON ");
        for (i, c) in on.iter().enumerate() {
            if i > 0 {
                w.kw(" AND ");
            }
            clause(w, &c)?;
        }
    } else if !using.is_empty() {
        w.kw(" USING (");
        for (i, c) in using.iter().enumerate() {
            if i > 0 {
                w.kw(", ");
            }
            w.ident_of(&c.getattr(intern!(py, "name"))?)?;
        }
        w.kw(")");
    }
    Ok(())
}

pub fn select<'py>(w: &mut Writer<'py>, query: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let q = as_query(query)?.borrow();
    if q.action != SELECT {
        return Err(w.build_error("a subquery must be a select query"));
    }
    let table_ob = table_name(q.table.bind(py))?;
    let joins = part(py, &q.joins);
    let mut scope = Vec::with_capacity(1 + joins.as_ref().map_or(0, |j| j.len()));
    scope.push(table_ob.clone());
    if let Some(joins) = &joins {
        for j in joins.iter() {
            scope.push(table_name(j.cast::<TableJoin>()?.get().table.bind(py))?);
        }
    }
    w.push_scope(scope)?;
    let table = table_ob.to_str()?;
    w.kw(if q.distinct {
        "SELECT DISTINCT "
    } else {
        "SELECT ALL "
    });
    let Some(columns) = q.selected(py)?.filter(|c| !c.is_empty()) else {
        return Err(w.build_error(format!("nothing to select: table {table} has no columns")));
    };
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            w.kw(", ");
        }
        operand(w, &c, true)?;
    }
    w.kw(" FROM ");
    w.ident(table)?;
    if let Some(joins) = &joins {
        for j in joins.iter() {
            w.kw(" ");
            join(w, &j)?;
        }
    }
    where_clause(w, part(py, &q.where_), " WHERE ")?;
    if let Some(groupby) = part(py, &q.groupby) {
        w.kw(" GROUP BY ");
        for (i, c) in groupby.iter().enumerate() {
            if i > 0 {
                w.kw(", ");
            }
            operand(w, &c, false)?;
        }
        where_clause(w, part(py, &q.having), " HAVING ")?;
    }
    if let Some(order) = part(py, &q.order) {
        w.kw(" ORDER BY ");
        for (i, pair) in order.iter().enumerate() {
            if i > 0 {
                w.kw(", ");
            }
            let pair = pair.cast::<PyTuple>()?;
            operand(w, &pair.get_item(0)?, false)?;
            w.kw(if pair.get_item(1)?.is(w.cls.order_desc.bind(py)) {
                " DESC"
            } else {
                " ASC"
            });
        }
    }
    limit_offset(w, &q)?;
    w.pop_scope();
    Ok(())
}

/// Whether `value` fits a column of this kind (`crate::codes::kind`).
fn accepts(kind: u8, value: &Bound<'_, PyAny>) -> bool {
    match kind {
        kind::BOOL => value.cast::<PyBool>().is_ok(),
        kind::INT => value.cast::<PyInt>().is_ok(),
        kind::FLOAT => value.cast::<PyFloat>().is_ok() || value.cast::<PyInt>().is_ok(),
        kind::STR | kind::TEXT => value.cast::<PyString>().is_ok(),
        kind::BYTES | kind::BLOB => {
            value.cast::<PyBytes>().is_ok()
                || value.cast::<PyByteArray>().is_ok()
                || value.cast::<PyMemoryView>().is_ok()
        }
        kind::DATE => value.cast::<PyDate>().is_ok(),
        kind::DATETIME => value.cast::<PyDateTime>().is_ok(),
        _ => true,
    }
}

/// A column's type facts, read once per statement.
pub struct ColumnFacts {
    pub name: String,
    pub kind: u8,
    pub nullable: bool,
    pub auto: bool,
}

impl ColumnFacts {
    pub fn read(col: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = col.py();
        if let Ok(c) = col.cast::<crate::tree::ColumnCore>() {
            let c = c.borrow();
            return Ok(ColumnFacts {
                name: c.name.extract(py)?,
                kind: c._kind,
                nullable: c._nullable,
                auto: c._auto,
            });
        }
        Ok(ColumnFacts {
            name: col.getattr(intern!(py, "name"))?.extract()?,
            kind: col.getattr(intern!(py, "_kind"))?.extract()?,
            nullable: col.getattr(intern!(py, "_nullable"))?.is_truthy()?,
            auto: col.getattr(intern!(py, "_auto"))?.is_truthy()?,
        })
    }

    /// Refuse a value the column cannot hold, naming column and value.
    pub fn check(
        &self,
        w: &Writer<'_>,
        table: &str,
        v: &Bound<'_, PyAny>,
        what: &str,
    ) -> PyResult<()> {
        if self.kind == kind::ANY {
            return Ok(());
        }
        if v.is_none() {
            if self.nullable || self.auto {
                return Ok(());
            }
            return Err(w.error(
                "InvalidValue",
                format!(
                    "{what}: {table}.{} is NOT NULL and was given None",
                    self.name
                ),
            ));
        }
        if accepts(self.kind, v) {
            return Ok(());
        }
        Err(w.error(
            "InvalidValue",
            format!(
                "{what}: {table}.{} holds {} values, not {} {}",
                self.name,
                codes::name_of(codes::KINDS, self.kind),
                v.get_type().name()?,
                v.repr()?
            ),
        ))
    }
}

fn row_values<'py>(
    w: &Writer<'py>,
    row: &Bound<'py, PyAny>,
    columns: &[ColumnFacts],
    names: &[Bound<'py, PyString>],
    index: usize,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if row.is_exact_instance_of::<PyTuple>() || row.is_exact_instance_of::<PyList>() {
        let values: Vec<Bound<'py, PyAny>> = row.try_iter()?.collect::<PyResult<_>>()?;
        if values.len() != columns.len() {
            return Err(w.build_error(format!(
                "row {index} has {} values for {} insert columns",
                values.len(),
                columns.len()
            )));
        }
        return Ok(values);
    }
    if let Ok(dict) = row.cast::<PyDict>() {
        return names
            .iter()
            .map(|name| {
                dict.get_item(name)?
                    .ok_or_else(|| w.build_error(format!("row {index} (a dict) has no key {name}")))
            })
            .collect();
    }
    names
        .iter()
        .map(|name| {
            row.getattr(name).map_err(|_| {
                w.build_error(format!(
                    "row {index} ({}) has no attribute {name:?}; rows are objects with the \
                     column attributes, dicts, or tuples",
                    row.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                ))
            })
        })
        .collect()
}

fn returning(w: &mut Writer<'_>, q: &QueryCore, action: &str) -> PyResult<()> {
    let py = w.py;
    let list = items(py, &q.returning);
    if list.is_empty() {
        return Ok(());
    }
    if w.dialect == Dialect::Mysql && action == "UPDATE" {
        return Err(w.error(
            "UnsupportedQuery",
            "MySQL/MariaDB cannot return rows from an UPDATE (RETURNING works for INSERT and DELETE)",
        ));
    }
    w.kw(" RETURNING ");
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            w.kw(", ");
        }
        if w.cls.node(item) == Node::Column {
            w.ident_of(&item.getattr(intern!(py, "name"))?)?;
        } else {
            operand(w, item, true)?;
        }
    }
    Ok(())
}

pub fn insert<'py>(w: &mut Writer<'py>, query: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let q = as_query(query)?.borrow();
    let table = own_table(w, &q)?;
    let columns = items(py, &q.columns);
    let facts: Vec<ColumnFacts> = columns
        .iter()
        .map(ColumnFacts::read)
        .collect::<PyResult<_>>()?;
    let names: Vec<Bound<'py, PyString>> =
        facts.iter().map(|c| PyString::new(py, &c.name)).collect();
    let rows = items(py, &q.rows);
    if rows.is_empty() {
        return Err(w.build_error(format!("insert into {table} has no rows: call values(...)")));
    }
    if facts.is_empty() {
        return Err(w.build_error(format!("insert into {table} names no columns")));
    }
    w.kw("INSERT INTO ");
    w.ident(&table)?;
    w.kw(" (");
    for (i, c) in facts.iter().enumerate() {
        if i > 0 {
            w.kw(", ");
        }
        w.ident(&c.name)?;
    }
    w.kw(") VALUES ");
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            w.kw(", ");
        }
        let values = row_values(w, row, &facts, &names, r)?;
        w.kw("(");
        for (i, (v, c)) in values.into_iter().zip(&facts).enumerate() {
            if i > 0 {
                w.kw(",");
            }
            if w.cls.node(&v) != Node::Other {
                value(w, &v)?;
                continue;
            }
            c.check(w, &table, &v, &format!("row {r}"))?;
            if v.is_none() && c.auto && w.dialect == Dialect::Postgres {
                w.kw("DEFAULT"); // an identity column numbers the row
            } else {
                w.param(v)?;
            }
        }
        w.kw(")");
    }
    conflict(w, &q)?;
    returning(w, &q, "INSERT")?;
    w.pop_scope();
    Ok(())
}

fn conflict(w: &mut Writer<'_>, q: &QueryCore) -> PyResult<()> {
    let py = w.py;
    let Some(spec) = &q._conflict else {
        return Ok(());
    };
    let spec = spec.bind(py);
    let target: Vec<Bound<'_, PyAny>> = spec.get_item(0)?.try_iter()?.collect::<PyResult<_>>()?;
    let updates = spec.get_item(1)?;
    let updates: Option<Vec<Bound<'_, PyAny>>> = if updates.is_none() {
        None
    } else {
        Some(updates.try_iter()?.collect::<PyResult<_>>()?)
    };
    let name =
        |c: &Bound<'_, PyAny>| -> PyResult<String> { c.getattr(intern!(py, "name"))?.extract() };
    if w.dialect == Dialect::Mysql {
        w.kw(" ON DUPLICATE KEY UPDATE ");
        match updates {
            Some(cols) => {
                for (i, c) in cols.iter().enumerate() {
                    if i > 0 {
                        w.kw(", ");
                    }
                    let n = name(c)?;
                    w.ident(&n)?;
                    w.kw(" = VALUES(");
                    w.ident(&n)?;
                    w.kw(")");
                }
            }
            None => {
                // No "DO NOTHING" in MySQL: assigning a key column to itself is a no-op.
                let Some(first) = target.first() else {
                    return Err(w.build_error("on_conflict() needs a target column"));
                };
                let n = name(first)?;
                w.ident(&n)?;
                w.kw(" = ");
                w.ident(&n)?;
            }
        }
        return Ok(());
    }
    w.kw(" ON CONFLICT (");
    for (i, c) in target.iter().enumerate() {
        if i > 0 {
            w.kw(", ");
        }
        w.ident(&name(c)?)?;
    }
    w.kw(")");
    match updates {
        None => w.kw(" DO NOTHING"),
        Some(cols) => {
            w.kw(" DO UPDATE SET ");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    w.kw(", ");
                }
                let n = name(c)?;
                w.ident(&n)?;
                w.kw(" = excluded.");
                w.ident(&n)?;
            }
        }
    }
    Ok(())
}

/// WHERE plus LIMIT/OFFSET of an UPDATE or DELETE. SQLite and PostgreSQL
/// have no LIMIT there: the rows are picked by a subquery on the row id.
fn filtered(w: &mut Writer<'_>, q: &QueryCore, table: &str, verb: &str) -> PyResult<()> {
    let groups = part(w.py, &q.where_);
    let limited = q._limit.is_some() || q._offset.is_some();
    let row_id = match w.dialect {
        Dialect::Sqlite => Some("rowid"),
        Dialect::Postgres => Some("ctid"),
        _ => None,
    };
    match (limited, row_id) {
        (true, Some(id)) => {
            w.kw(" WHERE ");
            w.kw(id);
            w.kw(" IN (SELECT ");
            w.kw(id);
            w.kw(" FROM ");
            w.ident(table)?;
            where_clause(w, groups, " WHERE ")?;
            limit_offset(w, q)?;
            w.kw(")");
        }
        _ => {
            where_clause(w, groups, " WHERE ")?;
            if limited {
                if q._offset.is_some() {
                    return Err(w.error(
                        "UnsupportedQuery",
                        format!("{} has no OFFSET for {verb}", w.dialect.name()),
                    ));
                }
                limit_offset(w, q)?;
            }
        }
    }
    Ok(())
}

pub fn update<'py>(w: &mut Writer<'py>, query: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let q = as_query(query)?.borrow();
    let table = own_table(w, &q)?;
    let updates = match &q.updates {
        Some(d) if !d.bind(py).is_empty() => d.bind(py).clone(),
        _ => return Err(w.build_error("no update criteria specified")),
    };
    w.kw("UPDATE ");
    w.ident(&table)?;
    w.kw(" SET ");
    for (i, (col, v)) in updates.iter().enumerate() {
        if i > 0 {
            w.kw(", ");
        }
        // Unqualified: `SET t.c = ?` is MySQL-only.
        let facts = ColumnFacts::read(&col)?;
        if w.cls.node(&v) == Node::Other {
            facts.check(w, &table, &v, "update")?;
        }
        w.ident(&facts.name)?;
        w.kw(" = ");
        value(w, &v)?;
    }
    filtered(w, &q, &table, "UPDATE")?;
    returning(w, &q, "UPDATE")?;
    w.pop_scope();
    Ok(())
}

pub fn delete<'py>(w: &mut Writer<'py>, query: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let q = as_query(query)?.borrow();
    let has_where = q
        .where_
        .as_ref()
        .map(|l| !l.bind(py).is_empty())
        .unwrap_or(false);
    if !(has_where || q._limit.is_some() || q._everything) {
        return Err(w.error(
            "UnsafeQuery",
            "Unsafe delete query: specify where(), limit(), or everything()",
        ));
    }
    let table = own_table(w, &q)?;
    w.kw("DELETE FROM ");
    w.ident(&table)?;
    filtered(w, &q, &table, "DELETE")?;
    returning(w, &q, "DELETE")?;
    w.pop_scope();
    Ok(())
}
