//! The statement-shape cache: the SQL text of a select, keyed by its shape.
//!
//! A program builds the same few queries again and again with different
//! values (`T.select().where(T.id == i)`), and each is a new tree. Its SQL
//! depends only on the tree's structure — which tables and columns, which
//! operators, where the values go — not on the values, which become
//! parameters. So a select whose every part is of a kind listed here is
//! walked once for a compact key (node tags, operator codes, the identities
//! of its tables and columns) while its values are bound, and the SQL text
//! is looked up by that key; only a key never seen is rendered in full.
//!
//! Anything else (functions, aliases, raw fragments, subqueries, GROUP BY,
//! `USING`, BETWEEN, an IN over an iterator, a tree deeper than
//! [`MAX_SHAPE_DEPTH`]) ends the walk and the query is rendered as before.
//!
//! Why this is safe:
//! - tables and columns enter the key by identity, and each entry holds a
//!   reference to every one of them, so no other object can take one of
//!   their addresses while the entry lives; their names are fixed once made
//!   (a column's quoted name was already cached on it), and so are a
//!   table's columns (`Table.__init__` makes them; a `select()` of every
//!   column is keyed by its table alone);
//! - a key's payload length is fixed by its tag or by a count before it, so
//!   two different shapes never give the same key;
//! - the first time a key is seen the query is rendered in full, and the
//!   entry is kept only if the values bound by the walk are the ones the
//!   renderer bound, in the same order.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::codes::action::SELECT;
use crate::codes::operator::*;
use crate::dialect::Dialect;
use crate::expr::glob_of;
use crate::py_modules::{Classes, Node};
use crate::tree::{And, Comparison, Not, Or, QueryCore, TableJoin};
use crate::writer::Writer;

/// Clauses nested deeper than this are rendered, not keyed.
pub const MAX_SHAPE_DEPTH: usize = 32;

/// Entries kept before the cache starts again (a program generating
/// shapes without end must not grow it without end).
const MAX_SHAPES: usize = 1024;

// Tags. Payloads: SELECT dialect table distinct; COLUMNS n col* or
// ALL_COLUMNS (none: the table's own, in order); JOINS n
// (style table ONS m clause*)*; WHERE n clause*; ORDER n (col dir)*;
// LIMIT has_limit has_offset. Clauses: CMP op left right, where right is
// PARAM | NULL | COLUMN col | LIST n; AND n clause*; OR n clause*;
// NOT clause. Tags are small numbers and objects' addresses never are,
// but only the position of a word decides what it is.
const T_SELECT: usize = 1;
const T_COLUMNS: usize = 2;
const T_JOINS: usize = 3;
const T_WHERE: usize = 4;
const T_ORDER: usize = 5;
const T_LIMIT: usize = 6;
const T_CMP: usize = 7;
const T_PARAM: usize = 8;
const T_NULL: usize = 9;
const T_COLUMN: usize = 10;
const T_LIST: usize = 11;
const T_AND: usize = 12;
const T_OR: usize = 13;
const T_NOT: usize = 14;
const T_ALL_COLUMNS: usize = 15;

/// What one shape renders to.
struct Entry {
    sql: Py<PyString>,
    /// The tables and columns whose addresses are in the key.
    _held: Vec<Py<PyAny>>,
}

type Shapes = HashMap<Vec<usize>, Entry, foldhash::fast::FixedState>;

static SHAPES: Mutex<Option<Shapes>> = Mutex::new(None);

/// Runs `f` on the cache. `f` must not run Python code (nor drop Python
/// references, which can): a deallocation running Python code that renders
/// a query would wait for this lock forever. What an update replaces is
/// returned to be dropped after the lock is released.
fn with_shapes<R>(f: impl FnOnce(&mut Shapes) -> R) -> R {
    let mut guard = SHAPES.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(Shapes::default))
}

thread_local! {
    /// The key buffer of this thread's last walk, kept for the next: a
    /// select found in the cache then allocates nothing for its key.
    static KEY_BUFFER: std::cell::Cell<Vec<usize>> = const { std::cell::Cell::new(Vec::new()) };
}

/// An empty key buffer (the kept one, if no walk on this thread holds it).
fn key_buffer() -> Vec<usize> {
    let mut key = KEY_BUFFER.take();
    key.clear();
    key.reserve(64);
    key
}

/// The walk of one query: its key, the objects named in it (only when
/// they are to be kept: a key never seen), and (in the writer) the values
/// bound in render order.
struct Walk<'a, 'py> {
    w: &'a mut Writer<'py>,
    key: Vec<usize>,
    held: Option<Vec<Bound<'py, PyAny>>>,
}

/// The walk stops: this query is rendered in full.
struct Unkeyed;

type Step = Result<(), Unkeyed>;

fn ok_or_unkeyed<T>(r: PyResult<T>) -> Result<T, Unkeyed> {
    // An error here is one the renderer raises too, with its own message.
    r.map_err(|_| Unkeyed)
}

impl<'py> Walk<'_, 'py> {
    #[inline]
    fn object(&mut self, ob: &Bound<'py, PyAny>) {
        self.key.push(ob.as_ptr() as usize);
        if let Some(held) = &mut self.held {
            held.push(ob.clone());
        }
    }

    #[inline]
    fn column(&mut self, ob: &Bound<'py, PyAny>) -> Step {
        // `Column` (exactly: a subclass might render otherwise) is the
        // Python class over ColumnCore.
        if !self.w.cls.is_exact_column(ob) {
            return Err(Unkeyed);
        }
        self.object(ob);
        Ok(())
    }

    #[inline]
    fn bind(&mut self, value: &Bound<'py, PyAny>) -> Step {
        ok_or_unkeyed(self.w.bind(value.clone()))
    }

    fn clauses(
        &mut self,
        items: impl ExactSizeIterator<Item = Bound<'py, PyAny>>,
        depth: usize,
    ) -> Step {
        self.key.push(items.len());
        for clause in items {
            self.clause(&clause, depth)?;
        }
        Ok(())
    }

    fn clause(&mut self, ob: &Bound<'py, PyAny>, depth: usize) -> Step {
        if depth >= MAX_SHAPE_DEPTH {
            return Err(Unkeyed);
        }
        let py = ob.py();
        match self.w.cls.node(ob) {
            Node::Comparison => {
                self.comparison(ob.cast::<Comparison>().map_err(|_| Unkeyed)?.get())
            }
            node @ (Node::And | Node::Or) => {
                let (tag, clauses) = match ob.cast::<And>() {
                    Ok(and) => (T_AND, and.get().clauses.bind(py).clone()),
                    Err(_) => {
                        let or = ob.cast::<Or>().map_err(|_| Unkeyed)?;
                        (T_OR, or.get().clauses.bind(py).clone())
                    }
                };
                debug_assert_eq!(tag == T_AND, node == Node::And);
                self.key.push(tag);
                self.clauses(clauses.iter(), depth + 1)
            }
            Node::Not => {
                self.key.push(T_NOT);
                let inner = ob
                    .cast::<Not>()
                    .map_err(|_| Unkeyed)?
                    .get()
                    .clause
                    .bind(py)
                    .clone();
                self.clause(&inner, depth + 1)
            }
            _ => Err(Unkeyed),
        }
    }

    /// The right-hand side of `column op value` as the renderer's `value()`
    /// treats it: a column renders, anything that is not part of the DSL
    /// binds.
    fn operand_value(&mut self, value: &Bound<'py, PyAny>) -> Step {
        if Classes::is_plain_value(value) {
            self.key.push(T_PARAM);
            return self.bind(value);
        }
        match self.w.cls.node(value) {
            Node::Column => {
                self.key.push(T_COLUMN);
                self.column(value)
            }
            Node::Other => {
                self.key.push(T_PARAM);
                self.bind(value)
            }
            _ => Err(Unkeyed),
        }
    }

    fn comparison(&mut self, c: &Comparison) -> Step {
        let py = self.w.py;
        let right = c.value.bind(py);
        self.key.push(T_CMP);
        self.key.push(usize::from(c.op));
        self.column(c.column.bind(py))?;
        match c.op {
            EQ | NE | GT | GE | LT | LE => {
                if right.is_none() {
                    // `== None` is IS NULL; `> None` is an error, raised by
                    // the renderer.
                    if c.op != EQ && c.op != NE {
                        return Err(Unkeyed);
                    }
                    self.key.push(T_NULL);
                    return Ok(());
                }
                self.operand_value(right)
            }
            IN | NOT_IN => {
                // Only a list or tuple: walking an iterator would use it up
                // before the renderer reads it.
                let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = right.cast::<PyList>() {
                    list.iter().collect()
                } else if let Ok(tuple) = right.cast::<PyTuple>() {
                    tuple.iter().collect()
                } else {
                    return Err(Unkeyed);
                };
                self.key.push(T_LIST);
                self.key.push(items.len());
                for item in &items {
                    self.operand_value(item)?;
                }
                Ok(())
            }
            LIKE | ILIKE | NOT_LIKE | NOT_ILIKE => {
                let Ok(pattern) = right.cast::<PyString>() else {
                    return Err(Unkeyed);
                };
                if !right.is_exact_instance_of::<PyString>() {
                    return Err(Unkeyed);
                }
                self.key.push(T_PARAM);
                let fold = c.op == ILIKE || c.op == NOT_ILIKE;
                if self.w.dialect == Dialect::Sqlite && !fold {
                    // SQLite matches case-sensitively with GLOB (expr::like).
                    self.bind(ok_or_unkeyed(glob_of(pattern))?.as_any())
                } else {
                    self.bind(right)
                }
            }
            _ => Err(Unkeyed),
        }
    }

    fn select(&mut self, q: &QueryCore) -> Step {
        let py = self.w.py;
        if q.action != SELECT || has_items(py, &q.groupby) || has_items(py, &q.having) {
            return Err(Unkeyed);
        }
        self.key.push(T_SELECT);
        self.key.push(self.w.dialect as usize);
        self.object(q.table.bind(py));
        self.key.push(usize::from(q.distinct));

        match q.columns.as_ref().map(|c| c.bind(py)) {
            Some(columns) => {
                if columns.is_empty() {
                    return Err(Unkeyed);
                }
                self.key.push(T_COLUMNS);
                self.key.push(columns.len());
                for column in columns.iter() {
                    self.column(&column)?;
                }
            }
            // `select()` of every column, its list not made: the table
            // (already in the key) decides them.
            None if q._all_columns => self.key.push(T_ALL_COLUMNS),
            None => return Err(Unkeyed),
        }

        self.key.push(T_JOINS);
        match &q.joins {
            Some(joins) => {
                let joins = joins.bind(py);
                self.key.push(joins.len());
                for join in joins.iter() {
                    let j = join.cast::<TableJoin>().map_err(|_| Unkeyed)?.get();
                    if !j.using.bind(py).is_empty() {
                        return Err(Unkeyed);
                    }
                    let style: u8 = j.style.bind(py).extract().map_err(|_| Unkeyed)?;
                    self.key.push(usize::from(style));
                    self.object(j.table.bind(py));
                    self.clauses(j.on.bind(py).iter(), 0)?;
                }
            }
            None => self.key.push(0),
        }

        self.key.push(T_WHERE);
        match &q.where_ {
            Some(groups) => self.clauses(groups.bind(py).iter(), 0)?,
            None => self.key.push(0),
        }

        self.key.push(T_ORDER);
        match &q.order {
            Some(order) => {
                let order = order.bind(py);
                self.key.push(order.len());
                for pair in order.iter() {
                    let pair = pair.cast::<PyTuple>().map_err(|_| Unkeyed)?;
                    if pair.len() != 2 {
                        return Err(Unkeyed);
                    }
                    self.column(&ok_or_unkeyed(pair.get_item(0))?)?;
                    let desc = ok_or_unkeyed(pair.get_item(1))?.is(self.w.cls.order_desc.bind(py));
                    self.key.push(usize::from(desc));
                }
            }
            None => self.key.push(0),
        }

        // The renderer binds the limit, then the offset.
        self.key.push(T_LIMIT);
        self.key.push(usize::from(q._limit.is_some()));
        self.key.push(usize::from(q._offset.is_some()));
        if let Some(limit) = &q._limit {
            self.bind(limit.bind(py))?;
        }
        if let Some(offset) = &q._offset {
            self.bind(offset.bind(py))?;
        }
        Ok(())
    }
}

fn has_items(py: Python<'_>, part: &Option<Py<PyList>>) -> bool {
    part.as_ref().is_some_and(|l| !l.bind(py).is_empty())
}

/// A select rendered through the cache: its SQL and the values its
/// placeholders bind.
pub struct Rendered<'py> {
    pub sql: Bound<'py, PyString>,
    pub params: Vec<Bound<'py, PyAny>>,
}

/// `query` (a select) rendered, from the cache when its shape is known;
/// `render` renders it in full into a fresh writer. None when the query is
/// not a select of a shape the cache keys: render it as usual.
pub fn select<'py>(
    w: &mut Writer<'py>,
    query: &Bound<'py, QueryCore>,
    render: impl FnOnce(&mut Writer<'py>) -> PyResult<()>,
) -> PyResult<Option<Rendered<'py>>> {
    let py = w.py;
    let q = query.borrow();
    let mut walk = Walk {
        w,
        key: key_buffer(),
        held: None,
    };
    let keyed = walk.select(&q);
    let Walk { w, key, .. } = walk;
    let bound = std::mem::take(&mut w.params);
    w.sql.clear();
    if keyed.is_err() {
        KEY_BUFFER.set(key);
        return Ok(None);
    }
    let hit = with_shapes(|shapes| shapes.get(&key).map(|e| e.sql.bind(py).clone()));
    if let Some(sql) = hit {
        KEY_BUFFER.set(key);
        return Ok(Some(Rendered { sql, params: bound }));
    }
    // A key never seen: walk again for the objects its entry must hold.
    let mut again = Walk {
        w,
        key: Vec::with_capacity(key.len()),
        held: Some(Vec::new()),
    };
    let walked_again = again.select(&q);
    let Walk {
        w,
        held,
        key: key_again,
    } = again;
    w.params.clear();
    w.sql.clear();
    drop(q);
    render(w)?;
    let sql = PyString::new(py, &std::mem::take(&mut w.sql));
    let params = std::mem::take(&mut w.params);
    if walked_again.is_ok() && key_again == key && same_values(&bound, &params) {
        let entry = Entry {
            sql: sql.clone().unbind(),
            _held: held
                .unwrap_or_default()
                .into_iter()
                .map(Bound::unbind)
                .collect(),
        };
        let replaced = with_shapes(|shapes| {
            let evicted = if shapes.len() >= MAX_SHAPES {
                std::mem::take(shapes)
            } else {
                Shapes::default()
            };
            (evicted, shapes.insert(key, entry))
        });
        drop(replaced);
    }
    Ok(Some(Rendered { sql, params }))
}

/// The walk bound what the renderer bound: the same values in the same
/// order (equal, for the ones both made anew, such as a GLOB pattern).
fn same_values(walked: &[Bound<'_, PyAny>], rendered: &[Bound<'_, PyAny>]) -> bool {
    if walked.len() != rendered.len() {
        return false;
    }
    for (a, b) in walked.iter().zip(rendered) {
        // A value whose == fails cannot be vouched for: no entry, no error.
        if !(a.is(b) || (a.get_type().is(b.get_type()) && a.eq(b).unwrap_or(false))) {
            return false;
        }
    }
    true
}

/// Entries in the cache now.
#[pyfunction]
pub fn sql_shape_cache_size() -> usize {
    with_shapes(|shapes| shapes.len())
}

/// Forget every cached shape (tests compare cached and fresh renders).
#[pyfunction]
pub fn sql_shape_cache_clear() {
    // Dropped after the lock is released (see `with_shapes`).
    let old = with_shapes(std::mem::take);
    drop(old);
}
