//! The fluent query: `QueryCore` holds a query's parts and its builder
//! methods, each checking it is called at a valid point; the Python `Query`
//! subclasses it to add what is natural in Python.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};

use super::{And, Comparison, Or, TableJoin};
use crate::codes::{self, action::*};
use crate::py_modules::{build_error, classes, error};

fn empty_list(py: Python<'_>) -> Py<PyList> {
    PyList::empty(py).unbind()
}

/// The state of a fluent query. Parts start empty and are filled by the
/// builder methods, each of which checks it is called at a valid point.
#[pyclass(subclass, module = "aioxide.sql.query", name = "QueryCore")]
pub struct QueryCore {
    #[pyo3(get)]
    pub table: Py<PyAny>,
    pub action: u8,
    #[pyo3(get)]
    pub _if_not_exists: bool,
    pub distinct: bool,
    pub columns: Option<Py<PyList>>,
    pub updates: Option<Py<PyDict>>,
    pub rows: Option<Py<PyList>>,
    pub joins: Option<Py<PyList>>,
    pub groupby: Option<Py<PyList>>,
    pub having: Option<Py<PyList>>,
    pub where_: Option<Py<PyList>>,
    pub order: Option<Py<PyList>>,
    #[pyo3(get)]
    pub _limit: Option<Py<PyAny>>,
    #[pyo3(get)]
    pub _offset: Option<Py<PyAny>>,
    #[pyo3(get)]
    pub _everything: bool,
    pub returning: Option<Py<PyList>>,
    #[pyo3(get)]
    pub _conflict: Option<Py<PyAny>>,
    /// `select()` named no columns: it selects the table's own, in order
    /// (its rows' plan is the table's, cached there by aioxide.sql.mapping).
    #[pyo3(get)]
    pub _all_columns: bool,
}

fn list_or_empty(py: Python<'_>, list: &Option<Py<PyList>>) -> Py<PyList> {
    match list {
        Some(l) => l.clone_ref(py),
        None => empty_list(py),
    }
}

fn has_items(py: Python<'_>, list: &Option<Py<PyList>>) -> bool {
    list.as_ref().is_some_and(|l| !l.bind(py).is_empty())
}

fn push(py: Python<'_>, list: &mut Option<Py<PyList>>, item: &Bound<'_, PyAny>) -> PyResult<()> {
    match list {
        Some(l) => l.bind(py).append(item),
        None => {
            *list = Some(PyList::new(py, [item])?.unbind());
            Ok(())
        }
    }
}

/// The list parts of a query, as a client names them (`q._where`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Columns,
    Rows,
    Joins,
    Groupby,
    Having,
    Where,
    Order,
    Returning,
}

impl Part {
    pub(super) const ALL: [Part; 8] = [
        Part::Columns,
        Part::Rows,
        Part::Joins,
        Part::Groupby,
        Part::Having,
        Part::Where,
        Part::Order,
        Part::Returning,
    ];

    /// The attribute (and state key) of the part.
    pub(super) fn name(self) -> &'static str {
        match self {
            Part::Columns => "_columns",
            Part::Rows => "_rows",
            Part::Joins => "_joins",
            Part::Groupby => "_groupby",
            Part::Having => "_having",
            Part::Where => "_where",
            Part::Order => "_order",
            Part::Returning => "_returning",
        }
    }
}

/// A part's list as a client reads it: made and kept when the query has
/// none yet, so what a client appends is part of the query, as with aql's
/// plain list attributes (an unkept empty list would drop a `WHERE`
/// appended to it: a DELETE of every row).
pub(super) fn kept_part(slf: &Bound<'_, QueryCore>, part: Part) -> PyResult<Py<PyList>> {
    let py = slf.py();
    let Ok(mut q) = slf.try_borrow_mut() else {
        // Read while the renderer holds the query (from a value's own
        // Python code): what there is, or a list kept by no one.
        let q = slf.borrow();
        return Ok(match (q.part(part), part) {
            (Some(list), _) => list.clone_ref(py),
            (None, Part::Columns) => match q.selected(py)? {
                Some(columns) => columns.unbind(),
                None => empty_list(py),
            },
            (None, _) => empty_list(py),
        });
    };
    if q.part(part).is_none() {
        // `select()` of every column: the table's list is copied now.
        let made = if part == Part::Columns && q._all_columns {
            q.table_columns(py)?
        } else {
            empty_list(py)
        };
        *q.part_mut(part) = Some(made);
    }
    Ok(list_or_empty(py, q.part(part)))
}

impl QueryCore {
    fn start(&mut self, py: Python<'_>, action: u8) -> PyResult<()> {
        if self.action != UNSET {
            return Err(build_error(
                py,
                format!(
                    "query already started with {}",
                    codes::name_of(codes::ACTIONS, self.action)
                ),
            ));
        }
        self.action = action;
        Ok(())
    }

    fn only(&self, py: Python<'_>, method: &str, allowed: &[u8]) -> PyResult<()> {
        if self.action == UNSET {
            return Err(build_error(
                py,
                format!(
                    "query not yet started: call select/insert/update/delete before {method}()"
                ),
            ));
        }
        if !allowed.is_empty() && !allowed.contains(&self.action) {
            return Err(build_error(
                py,
                format!(
                    "{method}() cannot be used in a {} query",
                    codes::name_of(codes::ACTIONS, self.action)
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn part(&self, part: Part) -> &Option<Py<PyList>> {
        match part {
            Part::Columns => &self.columns,
            Part::Rows => &self.rows,
            Part::Joins => &self.joins,
            Part::Groupby => &self.groupby,
            Part::Having => &self.having,
            Part::Where => &self.where_,
            Part::Order => &self.order,
            Part::Returning => &self.returning,
        }
    }

    pub(super) fn part_mut(&mut self, part: Part) -> &mut Option<Py<PyList>> {
        match part {
            Part::Columns => &mut self.columns,
            Part::Rows => &mut self.rows,
            Part::Joins => &mut self.joins,
            Part::Groupby => &mut self.groupby,
            Part::Having => &mut self.having,
            Part::Where => &mut self.where_,
            Part::Order => &mut self.order,
            Part::Returning => &mut self.returning,
        }
    }

    /// A column of this query's own table.
    fn own_column<'py>(&self, column: &Bound<'py, PyAny>, method: &str) -> PyResult<()> {
        let py = column.py();
        let e = classes(py)?;
        let table = self.table.bind(py);
        let table_name: String = table.getattr(intern!(py, "_name"))?.extract()?;
        if !column.is_instance(e.column.bind(py))? {
            return Err(build_error(
                py,
                format!(
                    "{method}() expects columns of {table_name}, not {}",
                    column.repr()?
                ),
            ));
        }
        let owner: String = column.getattr(intern!(py, "table_name"))?.extract()?;
        let name = column.getattr(intern!(py, "name"))?;
        if (!owner.is_empty() && owner != table_name)
            || !table
                .getattr(intern!(py, "_column_names"))?
                .contains(&name)?
        {
            return Err(error(
                py,
                "UnknownColumn",
                format!(
                    "{method}(): {} is not a column of {table_name}",
                    column.repr()?
                ),
            ));
        }
        Ok(())
    }

    fn check_operands(py: Python<'_>, items: &Bound<'_, PyTuple>, method: &str) -> PyResult<()> {
        let e = classes(py)?;
        let operand = e.operand.bind(py);
        let column = e.column.as_ptr();
        for item in items.iter() {
            // Columns are the common case: an exact type check first.
            if item.get_type().as_ptr() != column && !item.is_instance(operand)? {
                return Err(build_error(
                    py,
                    format!(
                        "{method}() expects columns or expressions, not {}",
                        item.repr()?
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_clauses(py: Python<'_>, items: &Bound<'_, PyTuple>, method: &str) -> PyResult<()> {
        let kinds = classes(py)?.clause_types.bind(py);
        for item in items.iter() {
            let common = item.is_exact_instance_of::<Comparison>()
                || item.is_exact_instance_of::<And>()
                || item.is_exact_instance_of::<Or>();
            if !common && !item.is_instance(kinds)? {
                return Err(build_error(
                    py,
                    format!(
                        "{method}() expects comparisons such as T.col == 1 (or raw()), not {}",
                        item.repr()?
                    ),
                ));
            }
        }
        Ok(())
    }

    fn group(
        py: Python<'_>,
        clauses: &Bound<'_, PyTuple>,
        grouping: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let anded = match grouping {
            None => true,
            Some(g) => {
                let e = classes(py)?;
                g.is(e.boolean_and.bind(py))
                    || g.is(py.get_type::<And>().as_any())
                    || g.eq(e.boolean_and.bind(py))?
            }
        };
        let clauses = clauses.clone().unbind();
        Ok(if anded {
            Py::new(py, And { clauses })?.into_any()
        } else {
            Py::new(py, Or { clauses })?.into_any()
        })
    }

    /// What a select selects: its own list, or for `select()` of every
    /// column not yet read as `_columns`, a copy of the table's.
    pub fn selected<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        match &self.columns {
            Some(columns) => Ok(Some(columns.bind(py).clone())),
            None if self._all_columns => Ok(Some(self.table_columns(py)?.into_bound(py))),
            None => Ok(None),
        }
    }

    pub(super) fn table_columns(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let columns = self.table.bind(py).getattr(intern!(py, "_columns"))?;
        match columns.cast::<PyList>() {
            Ok(list) => Ok(list.get_slice(0, list.len()).unbind()),
            Err(_) => {
                Ok(PyList::new(py, columns.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.unbind())
            }
        }
    }
}

/// A LIMIT / OFFSET count: a plain `int` >= 0 (not a bool), else
/// `InvalidValue`. Any size is accepted; it is bound as a parameter.
fn count<'py>(py: Python<'py>, n: &Bound<'py, PyAny>, what: &str) -> PyResult<Py<PyAny>> {
    if n.is_exact_instance_of::<PyInt>() && !n.lt(0)? {
        return Ok(n.clone().unbind());
    }
    Err(error(
        py,
        "InvalidValue",
        format!("{what} must be a non-negative int, not {}", n.repr()?),
    ))
}

#[pymethods]
impl QueryCore {
    #[new]
    fn new(table: Py<PyAny>) -> Self {
        QueryCore {
            table,
            action: UNSET,
            _if_not_exists: false,
            distinct: false,
            columns: None,
            updates: None,
            rows: None,
            joins: None,
            groupby: None,
            having: None,
            where_: None,
            order: None,
            _limit: None,
            _offset: None,
            _everything: false,
            returning: None,
            _conflict: None,
            _all_columns: false,
        }
    }

    #[getter]
    fn _action(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(classes(py)?.action(py, self.action)?.unbind())
    }

    #[getter]
    fn _selector(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let e = classes(py)?;
        Ok(if self.distinct {
            e.select_distinct.clone_ref(py)
        } else {
            e.select_all.clone_ref(py)
        })
    }

    /// The selected (or inserted) columns. `select()` of every column
    /// copies the table's list only when this is first read: the same
    /// list from then on, so changes to it are kept.
    #[getter]
    fn _columns(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Columns)
    }

    #[getter]
    fn _rows(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Rows)
    }

    #[getter]
    fn _joins(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Joins)
    }

    #[getter]
    fn _groupby(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Groupby)
    }

    #[getter]
    fn _having(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Having)
    }

    #[getter]
    fn _where(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Where)
    }

    #[getter]
    fn _order(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Order)
    }

    #[getter]
    fn _returning(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        kept_part(slf, Part::Returning)
    }

    /// The `UPDATE ... SET` values by column; made and kept when first
    /// read, like the lists.
    #[getter]
    fn _updates(slf: &Bound<'_, Self>) -> PyResult<Py<PyDict>> {
        let py = slf.py();
        let Ok(mut q) = slf.try_borrow_mut() else {
            return Ok(match &slf.borrow().updates {
                Some(d) => d.clone_ref(py),
                None => PyDict::new(py).unbind(),
            });
        };
        Ok(q.updates
            .get_or_insert_with(|| PyDict::new(py).unbind())
            .clone_ref(py))
    }

    /// The arguments `copy` and `pickle` remake a query with (`__new__`
    /// gets the table; the rest is its state).
    fn __getnewargs__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, [self.table.bind(py)])
    }

    /// Every part of the query by its attribute name (`copy.copy` shares
    /// its lists, as aql's attributes are shared; `copy.deepcopy` and
    /// `pickle` copy them).
    fn __getstate__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        super::state::query_state(slf)
    }

    fn __setstate__(slf: &Bound<'_, Self>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        super::state::restore_query(slf, state)
    }

    fn __reduce_ex__<'py>(
        slf: &Bound<'py, Self>,
        _protocol: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        super::state::reduce_ex(slf.as_any())
    }

    /// `CREATE TABLE [IF NOT EXISTS]` with the table's indexes.
    #[pyo3(signature = (if_not_exists=false))]
    fn create(slf: Bound<'_, Self>, if_not_exists: bool) -> PyResult<Bound<'_, Self>> {
        {
            let mut q = slf.borrow_mut();
            q.start(slf.py(), CREATE)?;
            q._if_not_exists = if_not_exists;
        }
        Ok(slf)
    }

    /// `INSERT` into the named columns (default: all).
    #[pyo3(signature = (*columns))]
    fn insert<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.start(py, INSERT)?;
            if columns.is_empty() {
                q.columns = Some(q.table_columns(py)?);
            } else {
                for c in columns.iter() {
                    q.own_column(&c, "insert")?;
                }
                q.columns = Some(columns.to_list().unbind());
            }
        }
        Ok(slf)
    }

    /// `SELECT` columns or expressions (default: every column).
    #[pyo3(signature = (*columns))]
    fn select<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.start(py, SELECT)?;
            if columns.is_empty() {
                // Every column: the table's list, copied when `_columns`
                // is read (a lookup never reads it; see `selected`).
                q._all_columns = true;
            } else {
                Self::check_operands(py, columns, "select")?;
                q.columns = Some(columns.to_list().unbind());
            }
        }
        Ok(slf)
    }

    /// `UPDATE ... SET` from `T.col == value` pairs and `col=value` keywords.
    #[pyo3(signature = (*comps, **values))]
    fn update<'py>(
        slf: Bound<'py, Self>,
        comps: &Bound<'py, PyTuple>,
        values: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            // Everything is checked before the query counts as started, so a
            // bad call leaves it usable.
            q.start(py, UPDATE)?;
            q.action = UNSET;
            if comps.is_empty() && values.map(|v| v.is_empty()).unwrap_or(true) {
                return Err(build_error(py, "no update criteria specified"));
            }
            let updates = PyDict::new(py);
            if let Some(values) = values {
                let table = q.table.bind(py);
                for (name, value) in values.iter() {
                    let column = table.get_item(&name)?;
                    let value = column.call_method1(intern!(py, "_operand"), (value,))?;
                    updates.set_item(column, value)?;
                }
            }
            for comp in comps.iter() {
                let comp = match comp.cast::<Comparison>() {
                    Ok(c) if c.get().op == 1 => c.get(),
                    _ => {
                        return Err(build_error(
                            py,
                            "only equality comparisons allowed in updates",
                        ))
                    }
                };
                let column = comp.column.bind(py);
                q.own_column(column, "update")?;
                updates.set_item(column, comp.value.bind(py))?;
            }
            q.updates = Some(updates.unbind());
            q.action = UPDATE;
        }
        Ok(slf)
    }

    /// `DELETE`; needs `where()`, `limit()` or `everything()`.
    fn delete(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.borrow_mut().start(slf.py(), DELETE)?;
        Ok(slf)
    }

    fn distinct(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        {
            let mut q = slf.borrow_mut();
            q.only(slf.py(), "distinct", &[SELECT])?;
            q.distinct = true;
        }
        Ok(slf)
    }

    /// Rows to insert: objects with the column attributes, dicts, or tuples.
    #[pyo3(signature = (*rows))]
    fn values<'py>(
        slf: Bound<'py, Self>,
        rows: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "values", &[INSERT])?;
            match &q.rows {
                Some(list) => {
                    let list = list.bind(py);
                    for r in rows.iter() {
                        list.append(r)?;
                    }
                }
                None => q.rows = Some(rows.to_list().unbind()),
            }
        }
        Ok(slf)
    }

    /// Upsert: on a duplicate of `columns` (default: the primary key) do
    /// nothing, or update `update` (`True`: every other inserted column).
    #[pyo3(signature = (*columns, update=None))]
    fn on_conflict<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
        update: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "on_conflict", &[INSERT])?;
            let target = if columns.is_empty() {
                q.table
                    .bind(py)
                    .getattr(intern!(py, "_primary"))?
                    .cast_into::<PyList>()?
            } else {
                for c in columns.iter() {
                    q.own_column(&c, "on_conflict")?;
                }
                columns.to_list()
            };
            if target.is_empty() {
                return Err(build_error(
                    py,
                    "on_conflict(): name the conflicting columns (the table has no primary key)",
                ));
            }
            let updates: Py<PyAny> = match update {
                None => py.None(),
                Some(u) if u.is_none() || u.is(pyo3::types::PyBool::new(py, false)) => py.None(),
                Some(u) if u.is(pyo3::types::PyBool::new(py, true)) => {
                    let inserted = list_or_empty(py, &q.columns);
                    let rest = PyList::empty(py);
                    for c in inserted.bind(py).iter() {
                        let mut in_target = false;
                        for t in target.iter() {
                            in_target |= t.is(&c);
                        }
                        if !in_target {
                            rest.append(c)?;
                        }
                    }
                    if rest.is_empty() {
                        return Err(build_error(
                            py,
                            "on_conflict(update=True): every inserted column is in the conflict target",
                        ));
                    }
                    rest.into_any().unbind()
                }
                Some(u) => {
                    let cols = PyList::empty(py);
                    for c in u.try_iter()? {
                        let c = c?;
                        q.own_column(&c, "on_conflict")?;
                        cols.append(c)?;
                    }
                    cols.into_any().unbind()
                }
            };
            q._conflict = Some(
                PyTuple::new(py, [target.into_any().unbind(), updates])?
                    .into_any()
                    .unbind(),
            );
        }
        Ok(slf)
    }

    /// `RETURNING` for insert, update and delete (default: all columns).
    #[pyo3(signature = (*columns))]
    fn returning<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "returning", &[INSERT, UPDATE, DELETE])?;
            if columns.is_empty() {
                q.returning = Some(q.table_columns(py)?);
            } else {
                Self::check_operands(py, columns, "returning")?;
                q.returning = Some(columns.to_list().unbind());
            }
        }
        Ok(slf)
    }

    #[pyo3(signature = (table, style=None))]
    fn join<'py>(
        slf: Bound<'py, Self>,
        table: &Bound<'py, PyAny>,
        style: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            if q.action != SELECT {
                q.only(py, "join", &[SELECT])?;
            }
            // A `Table` (exactly) has columns; anything else must show some.
            let is_table = table.get_type().is(classes(py)?.table.bind(py));
            if !is_table && !table.hasattr(intern!(py, "_columns"))? {
                return Err(build_error(
                    py,
                    format!("join() expects a table, not {}", table.repr()?),
                ));
            }
            let style = match style {
                Some(s) => s.clone().unbind(),
                None => classes(py)?.join_inner.clone_ref(py),
            };
            let join = Py::new(
                py,
                TableJoin {
                    table: table.clone().unbind(),
                    style,
                    on: empty_list(py),
                    using: empty_list(py),
                },
            )?;
            push(py, &mut q.joins, join.bind(py).as_any())?;
        }
        Ok(slf)
    }

    #[pyo3(signature = (*clauses))]
    fn on<'py>(slf: Bound<'py, Self>, clauses: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let q = slf.borrow();
            let join = q.last_join(py, "on")?;
            let join = join.get();
            if !join.using.bind(py).is_empty() {
                return Err(build_error(py, "join already specified USING"));
            }
            Self::check_clauses(py, clauses, "on")?;
            let on = join.on.bind(py);
            for c in clauses.iter() {
                on.append(c)?;
            }
        }
        Ok(slf)
    }

    #[pyo3(signature = (*columns))]
    fn using<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let q = slf.borrow();
            let join = q.last_join(py, "using")?;
            let join = join.get();
            if !join.on.bind(py).is_empty() {
                return Err(build_error(py, "join already specified ON"));
            }
            let column = classes(py)?.column.bind(py);
            let using = join.using.bind(py);
            for c in columns.iter() {
                if !c.is_instance(column)? {
                    return Err(build_error(
                        py,
                        format!("using() expects columns, not {}", c.repr()?),
                    ));
                }
                using.append(c)?;
            }
        }
        Ok(slf)
    }

    #[pyo3(signature = (*columns))]
    fn groupby<'py>(
        slf: Bound<'py, Self>,
        columns: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "groupby", &[SELECT])?;
            // As aql: a list read (and so made) empty does not count.
            if has_items(py, &q.groupby) {
                return Err(build_error(py, "group by already specified"));
            }
            if columns.is_empty() {
                return Err(build_error(py, "no columns specified for group by clause"));
            }
            Self::check_operands(py, columns, "groupby")?;
            q.groupby = Some(columns.to_list().unbind());
        }
        Ok(slf)
    }

    #[pyo3(signature = (*clauses, grouping=None))]
    fn having<'py>(
        slf: Bound<'py, Self>,
        clauses: &Bound<'py, PyTuple>,
        grouping: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "having", &[SELECT])?;
            if !has_items(py, &q.groupby) {
                return Err(build_error(py, "having must be preceded by group by"));
            }
            if clauses.is_empty() {
                return Err(build_error(py, "no criteria specified for having clause"));
            }
            Self::check_clauses(py, clauses, "having")?;
            let group = Self::group(py, clauses, grouping)?;
            push(py, &mut q.having, group.bind(py))?;
        }
        Ok(slf)
    }

    /// One parenthesised group of clauses (ANDed, or ORed with
    /// `grouping=Or`); the groups of several calls are ANDed.
    #[pyo3(name = "where", signature = (*clauses, grouping=None))]
    fn where_<'py>(
        slf: Bound<'py, Self>,
        clauses: &Bound<'py, PyTuple>,
        grouping: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "where", &[SELECT, UPDATE, DELETE])?;
            if clauses.is_empty() {
                return Err(build_error(py, "no criteria specified for where clause"));
            }
            Self::check_clauses(py, clauses, "where")?;
            let group = Self::group(py, clauses, grouping)?;
            push(py, &mut q.where_, group.bind(py))?;
        }
        Ok(slf)
    }

    /// `ORDER BY col [Order.asc|desc or "asc"/"desc"], ...`; also `col.desc()` pairs.
    #[pyo3(signature = (column, *args))]
    fn orderby<'py>(
        slf: Bound<'py, Self>,
        column: &Bound<'py, PyAny>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "orderby", &[SELECT])?;
            let e = classes(py)?;
            let order_type = e.order.bind(py);
            // The common call, `orderby(T.col)` or `orderby(T.col, Order.x)`,
            // without the general path's list of items.
            if e.is_exact_column(column) && args.len() <= 1 {
                let direction = match args.len() {
                    0 => Some(e.order_asc.bind(py).clone()),
                    _ => Some(args.get_item(0)?).filter(|d| d.get_type().is(order_type)),
                };
                if let Some(direction) = direction {
                    let pair = PyTuple::new(py, [column.clone(), direction])?;
                    push(py, &mut q.order, pair.as_any())?;
                    return Ok(slf);
                }
            }
            let operand = e.operand.bind(py);
            let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(args.len() + 1);
            for item in std::iter::once(column.clone()).chain(args.iter()) {
                // A (column, Order) pair from col.desc() counts as two items.
                if let Ok(pair) = item.cast::<PyTuple>() {
                    if pair.len() == 2 && pair.get_item(1)?.is_instance(order_type)? {
                        items.push(pair.get_item(0)?);
                        items.push(pair.get_item(1)?);
                        continue;
                    }
                }
                items.push(item);
            }
            // Every pair is checked before any is added: a bad call leaves
            // the query as it was.
            let mut pairs = Vec::with_capacity(items.len());
            let mut i = 0;
            while i < items.len() {
                let col = &items[i];
                if !e.is_exact_column(col) && !col.is_instance(operand)? {
                    return Err(build_error(
                        py,
                        "order by expects Column objects, optionally followed by Order",
                    ));
                }
                let mut direction = e.order_asc.bind(py).clone();
                if let Some(next) = items.get(i + 1) {
                    if next.is_instance(order_type)? {
                        direction = next.clone();
                        i += 1;
                    } else if let Ok(s) = next.cast::<PyString>() {
                        let lowered = s.to_str()?.to_lowercase();
                        // Order("ascending") raises ValueError, as in aql.
                        direction = order_type.call1((lowered,))?;
                        i += 1;
                    }
                }
                pairs.push(PyTuple::new(py, [col.clone(), direction])?);
                i += 1;
            }
            for pair in pairs {
                push(py, &mut q.order, pair.as_any())?;
            }
        }
        Ok(slf)
    }

    /// `LIMIT n [OFFSET m]`; `limit(0)` returns no rows.
    #[pyo3(signature = (n, offset=None))]
    fn limit<'py>(
        slf: Bound<'py, Self>,
        n: &Bound<'py, PyAny>,
        offset: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "limit", &[])?;
            q._limit = Some(count(py, n, "limit")?);
            q._offset = match offset {
                Some(o) if !o.is_none() => Some(count(py, o, "offset")?),
                _ => None,
            };
        }
        Ok(slf)
    }

    /// Skip `n` rows (works without `limit()` too).
    fn offset<'py>(slf: Bound<'py, Self>, n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        {
            let mut q = slf.borrow_mut();
            q.only(py, "offset", &[])?;
            q._offset = Some(count(py, n, "offset")?);
        }
        Ok(slf)
    }

    /// Allow an UPDATE or DELETE without a WHERE clause.
    fn everything(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        {
            let mut q = slf.borrow_mut();
            q.only(slf.py(), "everything", &[UPDATE, DELETE])?;
            q._everything = true;
        }
        Ok(slf)
    }
}

impl QueryCore {
    fn last_join<'py>(&self, py: Python<'py>, method: &str) -> PyResult<Bound<'py, TableJoin>> {
        if self.action != SELECT {
            self.only(py, method, &[SELECT])?;
        }
        let joins = match &self.joins {
            Some(j) if !j.bind(py).is_empty() => j.bind(py),
            _ => return Err(build_error(py, format!("{method}() must follow join()"))),
        };
        let last = joins.get_item(joins.len() - 1)?;
        Ok(last.cast_into::<TableJoin>()?)
    }
}

/// Used by the renderer: `Err` unless `ob` is a query.
/// `Table.select(*columns)` without a Python frame: a new `Query` on
/// `table`, started as a select of `columns` (default: every column).
#[pyfunction]
#[pyo3(signature = (table, *columns))]
pub fn sql_select<'py>(
    table: &Bound<'py, PyAny>,
    columns: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = table.py();
    let query = new_query(py, table)?.cast_into::<QueryCore>()?;
    QueryCore::select(query, columns).map(Bound::into_any)
}

/// `Query(table)`. With no `__init__` to run, its `__new__` is called
/// directly: `type.__call__`'s round trip (and `object.__init__`'s argument
/// check) was a tenth of a primary-key lookup's build.
fn new_query<'py>(py: Python<'py>, table: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let cls = classes(py)?;
    let query = cls.query.bind(py);
    if !cls.query_has_no_init {
        return query.call1((table,));
    }
    // SAFETY: `query` is a live type object (Classes holds it); its
    // `tp_new` slot is read, not written.
    let Some(tp_new) = (unsafe { (*query.as_type_ptr()).tp_new }) else {
        return query.call1((table,));
    };
    let args = PyTuple::new(py, [table])?;
    // SAFETY: what `type.__call__` does first: the type's own `tp_new` with
    // the type, an args tuple and no keywords. It returns a new reference,
    // or NULL with an exception set, which `from_owned_ptr_or_err` turns
    // into the error.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            tp_new(query.as_type_ptr(), args.as_ptr(), std::ptr::null_mut()),
        )
    }
}

pub fn as_query<'a, 'py>(ob: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, QueryCore>> {
    Ok(ob.cast::<QueryCore>()?)
}
