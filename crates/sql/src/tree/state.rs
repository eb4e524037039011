//! Copying and pickling the query tree: what each object is remade from.
//!
//! aql's nodes are plain Python objects, so `copy.copy`, `copy.deepcopy`
//! and `pickle` work on them without being told how; native classes must
//! say. The frozen nodes (`Comparison`, `And`, `Or`, `Not`, `TableJoin`)
//! reduce to their constructor's arguments. `ColumnCore` and `QueryCore`,
//! subclassed in Python, are remade by `__new__` (`__getnewargs__`) and
//! then given their fields as a dict (`__getstate__` / `__setstate__`), so
//! `copy` keeps the subclass and the standard protocol does the rest:
//! a deep copy copies the state with one memo, so a copied query's columns
//! are its copied table's.
//!
//! A state is checked before anything is set: a dict from elsewhere that
//! lacks a field or holds a wrong type raises and leaves the object as it
//! was.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::type_object::PyTypeCheck;
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};

use super::builder::{kept_part, Part, QueryCore};
use super::operands::ColumnCore;
use crate::codes::{self, ACTIONS, KINDS};
use crate::py_modules::classes;

/// `__reduce_ex__` of the Python-subclassed native classes, for every
/// pickle protocol: remade by `copyreg.__newobj__(cls, *__getnewargs__())`
/// and given `__getstate__()`. (Protocols 0 and 1 would otherwise go
/// through `copyreg._reduce_ex`, which cannot remake a native base.)
pub fn reduce_ex<'py>(ob: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let py = ob.py();
    let copyreg = py.import(intern!(py, "copyreg"))?;
    let newobj = copyreg.getattr(intern!(py, "__newobj__"))?;
    let newargs = ob.call_method0(intern!(py, "__getnewargs__"))?;
    let mut args = vec![ob.get_type().into_any()];
    args.extend(newargs.cast_into::<PyTuple>()?.iter());
    let state = match ob.getattr_opt(intern!(py, "__getstate__"))? {
        Some(getstate) => getstate.call0()?,
        None => slots_and_dict(ob, &copyreg)?,
    };
    PyTuple::new(py, [newobj, PyTuple::new(py, args)?.into_any(), state])
}

/// What Python 3.11's `object.__getstate__` gives, for 3.10 (which has
/// none): the instance's dict, and its slots' values when it has slots.
fn slots_and_dict<'py>(
    ob: &Bound<'py, PyAny>,
    copyreg: &Bound<'py, PyModule>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = ob.py();
    let own = instance_dict(ob)?.filter(|d| !d.is_empty());
    let slots = PyDict::new(py);
    let names = copyreg.call_method1(intern!(py, "_slotnames"), (ob.get_type(),))?;
    for name in names.try_iter()? {
        let name = name?;
        if let Some(value) = ob.getattr_opt(name.cast::<PyString>()?)? {
            slots.set_item(name, value)?;
        }
    }
    Ok(match (own, slots.is_empty()) {
        (own, false) => PyTuple::new(
            py,
            [
                own.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                slots.into_any(),
            ],
        )?
        .into_any(),
        (Some(own), true) => own.into_any(),
        (None, true) => py.None().into_bound(py),
    })
}

/// The instance's own `__dict__` (a Python subclass without `__slots__`).
fn instance_dict<'py>(ob: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let py = ob.py();
    Ok(ob
        .getattr_opt(intern!(py, "__dict__"))?
        .and_then(|d| d.cast_into::<PyDict>().ok()))
}

/// A state being restored: fields are taken out one by one, checked, and
/// what is left over goes to the instance's `__dict__`.
struct State<'py> {
    what: &'static str,
    fields: Bound<'py, PyDict>,
}

impl<'py> State<'py> {
    fn of(what: &'static str, state: &Bound<'py, PyAny>) -> PyResult<Self> {
        let Ok(fields) = state.cast::<PyDict>() else {
            return Err(PyTypeError::new_err(format!(
                "{what} state must be a dict, not {}",
                state.get_type().name()?
            )));
        };
        Ok(State {
            what,
            fields: fields.copy()?,
        })
    }

    fn take(&self, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(value) = self.fields.get_item(key)? else {
            return Err(PyValueError::new_err(format!(
                "{} state has no '{key}'",
                self.what
            )));
        };
        self.fields.del_item(key)?;
        Ok(value)
    }

    fn wrong(&self, key: &str, expected: &str, value: &Bound<'_, PyAny>) -> PyErr {
        let got = value
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        PyTypeError::new_err(format!(
            "{} state: '{key}' must be {expected}, not {got}",
            self.what
        ))
    }

    fn flag(&self, key: &str) -> PyResult<bool> {
        let value = self.take(key)?;
        value
            .extract()
            .map_err(|_| self.wrong(key, "a bool", &value))
    }

    fn text(&self, key: &str) -> PyResult<Py<PyAny>> {
        let value = self.take(key)?;
        if value.cast::<PyString>().is_err() {
            return Err(self.wrong(key, "a str", &value));
        }
        Ok(value.unbind())
    }

    /// A code of `table`, given as its member (`QueryAction.select`) or int.
    fn code(&self, key: &str, table: codes::Table) -> PyResult<u8> {
        let value = self.take(key)?;
        let code: u8 = value
            .extract()
            .map_err(|_| self.wrong(key, "a code", &value))?;
        if !table.iter().any(|(_, c)| *c == code) {
            return Err(PyValueError::new_err(format!(
                "{} state: '{key}' has no code {code}",
                self.what
            )));
        }
        Ok(code)
    }

    /// None, or an object of type `T` (named `expected` in the error).
    fn optional_of<T: PyTypeCheck>(&self, key: &str, expected: &str) -> PyResult<Option<Py<T>>> {
        let value = self.take(key)?;
        if value.is_none() {
            return Ok(None);
        }
        match value.cast_into::<T>() {
            Ok(typed) => Ok(Some(typed.unbind())),
            Err(err) => Err(self.wrong(key, expected, err.into_inner().as_any())),
        }
    }

    /// A LIMIT or OFFSET: None or an int >= 0.
    fn count(&self, key: &str) -> PyResult<Option<Py<PyAny>>> {
        let value = self.take(key)?;
        if value.is_none() {
            return Ok(None);
        }
        // As the builder takes them: a plain int (not a bool), any size.
        if value.is_exact_instance_of::<PyInt>() && !value.lt(0)? {
            return Ok(Some(value.unbind()));
        }
        Err(self.wrong(key, "None or an int >= 0", &value))
    }

    fn optional(&self, key: &str) -> PyResult<Option<Py<PyAny>>> {
        let value = self.take(key)?;
        Ok((!value.is_none()).then(|| value.unbind()))
    }

    /// Whatever the state holds beyond the native fields: the instance's
    /// own attributes. Checked before anything is set.
    fn rest(self, ob: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyDict>>> {
        if self.fields.is_empty() {
            return Ok(None);
        }
        if instance_dict(ob)?.is_none() {
            let keys = self.fields.keys();
            return Err(PyValueError::new_err(format!(
                "{} state has fields {} does not have: {}",
                self.what,
                ob.get_type().name()?,
                keys.repr()?
            )));
        }
        Ok(Some(self.fields))
    }
}

fn set_rest(ob: &Bound<'_, PyAny>, rest: Option<Bound<'_, PyDict>>) -> PyResult<()> {
    if let (Some(rest), Some(own)) = (rest, instance_dict(ob)?) {
        own.update(rest.as_mapping())?;
    }
    Ok(())
}

fn with_instance_dict<'py>(
    ob: &Bound<'py, PyAny>,
    state: Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyDict>> {
    if let Some(own) = instance_dict(ob)? {
        for (key, value) in own.iter() {
            if !state.contains(&key)? {
                state.set_item(key, value)?;
            }
        }
    }
    Ok(state)
}

/// A column's fields (and its own attributes, if its class has a dict).
pub fn column_state<'py>(slf: &Bound<'py, ColumnCore>) -> PyResult<Bound<'py, PyDict>> {
    let py = slf.py();
    let c = slf.borrow();
    let state = PyDict::new(py);
    state.set_item("name", c.name.bind(py))?;
    state.set_item("ctype", c.ctype.bind(py))?;
    state.set_item("default", c.default.bind(py))?;
    state.set_item("table_name", c.table_name.bind(py))?;
    state.set_item("_kind", c._kind)?;
    state.set_item("_nullable", c._nullable)?;
    state.set_item("_auto", c._auto)?;
    state.set_item("_accepts", c._accepts.bind(py))?;
    drop(c);
    with_instance_dict(slf.as_any(), state)
}

pub fn restore_column(slf: &Bound<'_, ColumnCore>, state: &Bound<'_, PyAny>) -> PyResult<()> {
    let s = State::of("Column", state)?;
    let name = s.text("name")?;
    let ctype = s.take("ctype")?.unbind();
    let default = s.take("default")?.unbind();
    let table_name = s.text("table_name")?;
    let kind = s.code("_kind", KINDS)?;
    let nullable = s.flag("_nullable")?;
    let auto = s.flag("_auto")?;
    let accepts = s.take("_accepts")?;
    if !accepts.is_none() && accepts.cast::<PyTuple>().is_err() {
        return Err(s.wrong("_accepts", "None or a tuple of types", &accepts));
    }
    let rest = s.rest(slf.as_any())?;
    {
        let mut c = slf.borrow_mut();
        c.name = name;
        c.ctype = ctype;
        c.default = default;
        c.table_name = table_name;
        c._kind = kind;
        c._nullable = nullable;
        c._auto = auto;
        c._accepts = accepts.unbind();
        // The quoted references were made from the old name.
        c.refs = Default::default();
    }
    set_rest(slf.as_any(), rest)
}

/// Every part of a query by its attribute name. The lists are the query's
/// own (made now where missing), so `copy.copy` shares them as it shares
/// aql's attributes.
pub fn query_state<'py>(slf: &Bound<'py, QueryCore>) -> PyResult<Bound<'py, PyDict>> {
    let py = slf.py();
    let state = PyDict::new(py);
    for part in Part::ALL {
        state.set_item(part.name(), kept_part(slf, part)?)?;
    }
    state.set_item("_updates", slf.getattr(intern!(py, "_updates"))?)?;
    let q = slf.borrow();
    state.set_item("_action", classes(py)?.action(py, q.action)?)?;
    state.set_item("_if_not_exists", q._if_not_exists)?;
    state.set_item("_distinct", q.distinct)?;
    state.set_item("_limit", q._limit.as_ref().map(|v| v.bind(py)))?;
    state.set_item("_offset", q._offset.as_ref().map(|v| v.bind(py)))?;
    state.set_item("_everything", q._everything)?;
    state.set_item("_conflict", q._conflict.as_ref().map(|v| v.bind(py)))?;
    state.set_item("_all_columns", q._all_columns)?;
    drop(q);
    with_instance_dict(slf.as_any(), state)
}

pub fn restore_query(slf: &Bound<'_, QueryCore>, state: &Bound<'_, PyAny>) -> PyResult<()> {
    let s = State::of("Query", state)?;
    let mut parts = Vec::with_capacity(Part::ALL.len());
    for part in Part::ALL {
        parts.push((part, s.optional_of::<PyList>(part.name(), "a list")?));
    }
    let updates = s.optional_of::<PyDict>("_updates", "a dict")?;
    let action = s.code("_action", ACTIONS)?;
    let if_not_exists = s.flag("_if_not_exists")?;
    let distinct = s.flag("_distinct")?;
    let limit = s.count("_limit")?;
    let offset = s.count("_offset")?;
    let everything = s.flag("_everything")?;
    let conflict = s.optional("_conflict")?;
    let all_columns = s.flag("_all_columns")?;
    let rest = s.rest(slf.as_any())?;
    {
        let mut q = slf.borrow_mut();
        for (part, list) in parts {
            *q.part_mut(part) = list;
        }
        q.updates = updates;
        q.action = action;
        q._if_not_exists = if_not_exists;
        q.distinct = distinct;
        q._limit = limit;
        q._offset = offset;
        q._everything = everything;
        q._conflict = conflict;
        q._all_columns = all_columns;
    }
    set_rest(slf.as_any(), rest)
}
