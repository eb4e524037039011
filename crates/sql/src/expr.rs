//! Operands (columns, functions, aliases, raw fragments, subqueries) and
//! clauses (comparisons, AND / OR / NOT groups).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::dialect::Dialect;
use crate::py_modules::{Classes, Node};
use crate::statement;
use crate::tree::{And, ColumnCore, Comparison, Not, Or};
use crate::writer::{push_ident, Writer};

// The operator codes (`Operator` in Python).
use crate::codes::operator::*;

/// `table`.`column`, checking the table is part of the query.
pub fn column_ref<'py>(w: &mut Writer<'py>, col: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    if let Ok(c) = col.cast::<ColumnCore>() {
        let c = c.borrow();
        let table = c.table_name.bind(py).cast::<PyString>()?;
        let style = match w.dialect {
            Dialect::Generic | Dialect::Sqlite => 0,
            Dialect::Mysql => 1,
            Dialect::Postgres => 2,
        };
        if let Some(cached) = c.refs[style].get() {
            if table.is_empty()? || w.in_scope(table) {
                w.kw(cached);
                return Ok(());
            }
        } else {
            let mut text = String::new();
            let t = table.to_str()?;
            let name = c.name.bind(py).cast::<PyString>()?.to_str()?.to_owned();
            let quoted = (if t.is_empty() {
                Ok(())
            } else {
                push_ident(&mut text, w.dialect, t).map(|()| text.push('.'))
            })
            .and_then(|()| push_ident(&mut text, w.dialect, &name));
            if quoted.is_ok() {
                let _ = c.refs[style].set(text);
            }
        }
    }
    let (table_ob, name) = match col.cast::<ColumnCore>() {
        Ok(c) => {
            let c = c.borrow();
            (c.table_name.bind(py).clone(), c.name.bind(py).clone())
        }
        Err(_) => (
            col.getattr(intern!(py, "table_name"))?,
            col.getattr(intern!(py, "name"))?,
        ),
    };
    let table_ob = table_ob.cast_into::<PyString>()?;
    let table = table_ob.to_str()?;
    if !table.is_empty() {
        if !w.in_scope(&table_ob) {
            return Err(w.error(
                "UnknownColumn",
                format!(
                    "column {table}.{} belongs to table {table}, which is not in this query \
                     (add it with join())",
                    name.cast::<PyString>()?.to_str()?
                ),
            ));
        }
        w.ident(table)?;
        w.kw(".");
    }
    w.ident_of(&name)
}

/// An operand. `top` is a select / returning list (aliases are defined
/// there, raw fragments need no parentheses).
pub fn operand<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>, top: bool) -> PyResult<()> {
    // A column is a leaf (nothing nests inside it): no depth to account for.
    if w.cls.is_exact_column(ob) {
        return column_ref(w, ob);
    }
    w.nested(|w| operand_at(w, ob, top))
}

fn operand_at<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>, top: bool) -> PyResult<()> {
    let py = w.py;
    match w.cls.node(ob) {
        Node::Column => column_ref(w, ob),
        Node::Func => {
            let name = ob.getattr(intern!(py, "name"))?;
            w.kw(name.cast::<PyString>()?.to_str()?);
            w.kw("(");
            if ob.getattr(intern!(py, "distinct"))?.is_truthy()? {
                w.kw("DISTINCT ");
            }
            let args = ob.getattr(intern!(py, "args"))?;
            let args = args.cast::<PyTuple>()?;
            if args.is_empty() && name.cast::<PyString>()?.to_str()? == "COUNT" {
                w.kw("*");
            }
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    w.kw(", ");
                }
                value(w, &arg)?;
            }
            w.kw(")");
            Ok(())
        }
        Node::Alias => {
            let name = ob.getattr(intern!(py, "name"))?;
            if top {
                operand(w, &ob.getattr(intern!(py, "expr"))?, false)?;
                w.kw(" AS ");
            }
            w.ident_of(&name)
        }
        Node::Raw => {
            if top {
                raw(w, ob)
            } else {
                w.kw("(");
                raw(w, ob)?;
                w.kw(")");
                Ok(())
            }
        }
        Node::Query => {
            w.kw("(");
            statement::select(w, ob)?;
            w.kw(")");
            Ok(())
        }
        Node::Comparison | Node::And | Node::Or | Node::Not => clause(w, ob),
        Node::Other => {
            w.param(ob.clone())?;
            Ok(())
        }
    }
}

/// A value on the right of an operator: operands render, anything else binds.
pub fn value<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>) -> PyResult<()> {
    // Plain values (the usual right-hand side) bind at once.
    if Classes::is_plain_value(ob) {
        return w.param(ob.clone());
    }
    operand(w, ob, false)
}

/// A raw fragment: its `?` placeholders (outside quotes) become the
/// dialect's, bound to its parameters in order.
pub fn raw<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let sql = ob.getattr(intern!(py, "sql"))?;
    let sql = sql.cast::<PyString>()?.to_str()?.to_owned();
    let params = ob.getattr(intern!(py, "params"))?;
    let params: Vec<Bound<'py, PyAny>> = params.try_iter()?.collect::<PyResult<_>>()?;
    let mut used = 0usize;
    let mut quote: Option<char> = None;
    let mut chunk = String::new();
    for c in sql.chars() {
        match quote {
            Some(q) => {
                chunk.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' || c == '`' => {
                quote = Some(c);
                chunk.push(c);
            }
            None if c == '?' => {
                w.text(&chunk);
                chunk.clear();
                let Some(p) = params.get(used) else {
                    return Err(w.build_error(format!(
                        "raw(): {sql:?} has more ? placeholders than its {} parameter(s)",
                        params.len()
                    )));
                };
                w.param(p.clone())?;
                used += 1;
            }
            None => chunk.push(c),
        }
    }
    w.text(&chunk);
    if used != params.len() {
        return Err(w.build_error(format!(
            "raw(): {sql:?} has {used} ? placeholder(s) but {} parameter(s)",
            params.len()
        )));
    }
    Ok(())
}

/// A WHERE / HAVING / ON clause.
pub fn clause<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>) -> PyResult<()> {
    w.nested(|w| clause_at(w, ob))
}

fn clause_at<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    match w.cls.node(ob) {
        Node::Comparison => comparison(w, ob),
        node @ (Node::And | Node::Or) => {
            let clauses = match ob.cast::<And>() {
                Ok(a) => a.get().clauses.bind(py).clone(),
                Err(_) => ob.cast::<Or>()?.get().clauses.bind(py).clone(),
            };
            let (sep, empty) = if node == Node::And {
                (" AND ", "(1 = 1)")
            } else {
                (" OR ", "(1 = 0)")
            };
            if clauses.is_empty() {
                w.kw(empty);
                return Ok(());
            }
            w.kw("(");
            for (i, c) in clauses.iter().enumerate() {
                if i > 0 {
                    w.kw(sep);
                }
                clause(w, &c)?;
            }
            w.kw(")");
            Ok(())
        }
        Node::Not => {
            let inner = ob.cast::<Not>()?.get().clause.bind(py).clone();
            w.kw("NOT ");
            match w.cls.node(&inner) {
                Node::And | Node::Or | Node::Raw => clause(w, &inner),
                _ => {
                    w.kw("(");
                    clause(w, &inner)?;
                    w.kw(")");
                    Ok(())
                }
            }
        }
        Node::Raw => operand(w, ob, false),
        Node::Column | Node::Func | Node::Alias | Node::Query => operand(w, ob, false),
        Node::Other => Err(w.error(
            "UnsupportedQuery",
            format!("unsupported clause {}", ob.repr()?),
        )),
    }
}

fn symbol(op: u8) -> &'static str {
    match op {
        EQ => " = ",
        NE => " != ",
        GT => " > ",
        GE => " >= ",
        LT => " < ",
        _ => " <= ",
    }
}

fn comparison<'py>(w: &mut Writer<'py>, ob: &Bound<'py, PyAny>) -> PyResult<()> {
    let py = w.py;
    let c = ob.cast::<Comparison>()?.get();
    let left = c.column.bind(py).clone();
    let op = c.op;
    let right = c.value.bind(py).clone();
    match op {
        EQ | NE | GT | GE | LT | LE => {
            if right.is_none() {
                if op != EQ && op != NE {
                    return Err(w.error(
                        "InvalidValue",
                        format!(
                            "{} cannot be ordered against None (only == None / != None, \
                             meaning IS NULL / IS NOT NULL)",
                            left.repr()?
                        ),
                    ));
                }
                operand(w, &left, false)?;
                w.kw(if op == EQ { " IS NULL" } else { " IS NOT NULL" });
                return Ok(());
            }
            operand(w, &left, false)?;
            w.kw(symbol(op));
            value(w, &right)
        }
        IN | NOT_IN => {
            if w.cls.node(&right) == Node::Query {
                operand(w, &left, false)?;
                w.kw(if op == IN { " IN " } else { " NOT IN " });
                return value(w, &right);
            }
            let items: Vec<Bound<'py, PyAny>> = right.try_iter()?.collect::<PyResult<_>>()?;
            if items.is_empty() {
                // x IN () is a syntax error; an empty set matches nothing.
                w.kw(if op == IN { "1 = 0" } else { "1 = 1" });
                return Ok(());
            }
            operand(w, &left, false)?;
            w.kw(if op == IN { " IN (" } else { " NOT IN (" });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.kw(",");
                }
                value(w, item)?;
            }
            w.kw(")");
            Ok(())
        }
        LIKE | ILIKE | NOT_LIKE | NOT_ILIKE => like(w, &left, op, &right),
        BETWEEN | NOT_BETWEEN => {
            let bounds: Vec<Bound<'py, PyAny>> = right.try_iter()?.collect::<PyResult<_>>()?;
            if bounds.len() != 2 {
                return Err(w.build_error("between() takes a low and a high bound"));
            }
            operand(w, &left, false)?;
            w.kw(if op == BETWEEN {
                " BETWEEN "
            } else {
                " NOT BETWEEN "
            });
            value(w, &bounds[0])?;
            w.kw(" AND ");
            value(w, &bounds[1])
        }
        _ => Err(w.error(
            "UnsupportedQuery",
            format!("unsupported operator in {}", ob.repr()?),
        )),
    }
}

/// LIKE is case-sensitive and ILIKE case-insensitive on every dialect
/// (`\` escapes `%` and `_`), whatever the backend does by default.
fn like<'py>(
    w: &mut Writer<'py>,
    left: &Bound<'py, PyAny>,
    op: u8,
    pattern: &Bound<'py, PyAny>,
) -> PyResult<()> {
    let negate = op == NOT_LIKE || op == NOT_ILIKE;
    let fold = op == ILIKE || op == NOT_ILIKE;
    let not = if negate { " NOT" } else { "" };
    match (w.dialect, fold) {
        (Dialect::Postgres, _) => {
            operand(w, left, false)?;
            w.kw(not);
            w.kw(if fold { " ILIKE " } else { " LIKE " });
            value(w, pattern)
        }
        (Dialect::Generic | Dialect::Mysql, true) => {
            w.kw("LOWER(");
            operand(w, left, false)?;
            w.kw(")");
            w.kw(not);
            w.kw(" LIKE LOWER(");
            value(w, pattern)?;
            w.kw(")");
            Ok(())
        }
        (Dialect::Generic, false) => {
            operand(w, left, false)?;
            w.kw(not);
            w.kw(" LIKE ");
            value(w, pattern)
        }
        (Dialect::Mysql, false) => {
            // Compare bytes: the column's collation may ignore case.
            operand(w, left, false)?;
            w.kw(not);
            w.kw(" LIKE BINARY ");
            value(w, pattern)
        }
        (Dialect::Sqlite, true) => {
            // SQLite's LIKE folds ASCII case.
            operand(w, left, false)?;
            w.kw(not);
            w.kw(" LIKE ");
            value(w, pattern)?;
            w.kw(" ESCAPE '\\'");
            Ok(())
        }
        (Dialect::Sqlite, false) => {
            // SQLite's GLOB is the case-sensitive matcher: translate the pattern.
            let Ok(text) = pattern.cast::<PyString>() else {
                return Err(w.error(
                    "UnsupportedQuery",
                    "case-sensitive like() on SQLite needs a str pattern",
                ));
            };
            let glob = glob_of(text)?;
            operand(w, left, false)?;
            w.kw(not);
            w.kw(" GLOB ");
            w.param(glob.into_any())?;
            Ok(())
        }
    }
}

thread_local! {
    /// The last LIKE pattern this thread turned into a GLOB, and the GLOB:
    /// a program matches with the same pattern object again and again.
    static LAST_GLOB: std::cell::Cell<Option<(Py<PyString>, Py<PyString>)>> =
        const { std::cell::Cell::new(None) };
}

/// [`like_to_glob`] of a Python str, made once while the same pattern
/// object comes back. Keyed by identity, and the pattern is held, so its
/// text cannot change under the key.
pub fn glob_of<'py>(pattern: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
    let py = pattern.py();
    let last = LAST_GLOB.take();
    if let Some((seen, glob)) = &last {
        if seen.is(pattern) {
            let glob = glob.bind(py).clone();
            LAST_GLOB.set(last);
            return Ok(glob);
        }
    }
    let glob = PyString::new(py, &like_to_glob(pattern.to_str()?));
    // Drops the previous pair: two strs, whose deallocation runs no Python.
    LAST_GLOB.set(Some((pattern.clone().unbind(), glob.clone().unbind())));
    Ok(glob)
}

/// A LIKE pattern (`%`, `_`, `\` escapes) as the GLOB pattern matching the same strings.
pub fn like_to_glob(pattern: &str) -> String {
    fn literal(out: &mut String, c: char) {
        match c {
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            _ => out.push(c),
        }
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => literal(&mut out, chars.next().unwrap_or('\\')),
            '%' => out.push('*'),
            '_' => out.push('?'),
            _ => literal(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn glob_translation_keeps_literals_literal() {
        assert_eq!(like_to_glob("J%"), "J*");
        assert_eq!(like_to_glob("a_c"), "a?c");
        assert_eq!(like_to_glob(r"100\%"), "100%");
        assert_eq!(like_to_glob(r"a\_b"), "a_b");
        assert_eq!(like_to_glob("what?*[x]"), "what[?][*][[]x]");
        assert_eq!(like_to_glob("end\\"), "end\\");
    }
}
