//! Conditions: `column <operator> value` comparisons and the AND / OR / NOT
//! groups built from them with `&`, `|` and `~`. `operator()` lives here,
//! beside `Comparison`, because operands make comparisons through it.

use pyo3::exceptions::PyRecursionError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple, PyType};
use pyo3::IntoPyObjectExt;

use super::ColumnCore;
use crate::py_modules::{classes, Classes, Node};

/// Operands nested deeper than this (functions of functions ...) are not
/// compared: `RecursionError`, as Python's own `==` would raise.
const MAX_OPERAND_DEPTH: usize = 1_000;

/// Whether two sides of conditions are the same, as `==` on conditions
/// compares them: DSL operands by what they name (their own `==` builds a
/// `Comparison`, which is always truthy) — a column by table and name, a
/// function by name and arguments, an alias by name, a raw fragment by text
/// and parameters, anything else by identity; lists and tuples item by
/// item; other values by `is` or `==`.
pub(super) fn same_operand(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    same_at(py, a, b, 0)
}

fn same_at(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<bool> {
    if depth > MAX_OPERAND_DEPTH {
        return Err(PyRecursionError::new_err(
            "operands nested too deeply to compare",
        ));
    }
    if a.is(b) {
        return Ok(true);
    }
    let cls = classes(py)?;
    let operand = cls.operand.bind(py);
    if a.is_instance(operand)? || b.is_instance(operand)? {
        if !a.get_type().is(b.get_type()) {
            return Ok(false);
        }
        return same_named(py, cls, a, b, depth);
    }
    let sequence =
        |x: &Bound<'_, PyAny>| x.is_instance_of::<PyList>() || x.is_instance_of::<PyTuple>();
    if sequence(a) && sequence(b) {
        return same_items(py, a, b, depth);
    }
    a.eq(b)
}

/// Two operands of the same class: equal by what they name.
fn same_named(
    py: Python<'_>,
    cls: &Classes,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<bool> {
    fn attr<'py>(x: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        x.getattr(name)
    }
    match cls.node(a) {
        Node::Column => {
            let (x, y) = (
                a.cast::<ColumnCore>()?.borrow(),
                b.cast::<ColumnCore>()?.borrow(),
            );
            Ok(x.table_name.bind(py).eq(y.table_name.bind(py))?
                && x.name.bind(py).eq(y.name.bind(py))?)
        }
        Node::Func => Ok(attr(a, "name")?.eq(attr(b, "name")?)?
            && same_items(py, &attr(a, "args")?, &attr(b, "args")?, depth)?),
        Node::Alias => attr(a, "name")?.eq(attr(b, "name")?),
        Node::Raw => {
            let params = |x: &Bound<'_, PyAny>| -> PyResult<Py<PyTuple>> {
                let items = attr(x, "params")?
                    .try_iter()?
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, items)?.unbind())
            };
            Ok(attr(a, "sql")?.eq(attr(b, "sql")?)? && params(a)?.bind(py).eq(params(b)?)?)
        }
        // Any other operand is only itself (checked by the caller).
        _ => Ok(false),
    }
}

fn same_items(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<bool> {
    if a.len()? != b.len()? {
        return Ok(false);
    }
    for (x, y) in a.try_iter()?.zip(b.try_iter()?) {
        if !same_at(py, &x?, &y?, depth + 1)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The `Operator` member for a code (a `Comparison` keeps both).
pub(super) fn operator<'py>(py: Python<'py>, code: u8) -> PyResult<Bound<'py, PyAny>> {
    classes(py)?.operator(py, code)
}

/// `column <operator> value`.
#[pyclass(frozen, module = "aioxide.sql.types", name = "Comparison")]
pub struct Comparison {
    #[pyo3(get)]
    pub column: Py<PyAny>,
    /// What `Comparison(column, operator, value)` was given; None when
    /// the builder made it from a code (the `Operator` member is then
    /// looked up when read: nearly nothing reads it, and the lookup cost
    /// every comparison built).
    pub given_operator: Option<Py<PyAny>>,
    #[pyo3(get)]
    pub value: Py<PyAny>,
    pub op: u8,
}

impl Comparison {
    /// `column <code> value`, as the builder makes it.
    pub fn of(column: Py<PyAny>, op: u8, value: Py<PyAny>) -> Self {
        Comparison {
            column,
            given_operator: None,
            value,
            op,
        }
    }
}

#[pymethods]
impl Comparison {
    #[new]
    fn new(column: Py<PyAny>, operator: &Bound<'_, PyAny>, value: Py<PyAny>) -> PyResult<Self> {
        Ok(Comparison {
            column,
            given_operator: Some(operator.clone().unbind()),
            op: operator.extract()?,
            value,
        })
    }

    /// The `Operator` member (or what the constructor was given).
    #[getter]
    fn operator<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.given_operator {
            Some(given) => Ok(given.bind(py).clone()),
            None => operator(py, self.op),
        }
    }

    /// Remade from its constructor's arguments (`copy`, `pickle`).
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let args = (
            self.column.bind(py),
            self.operator(py)?,
            self.value.bind(py),
        );
        Ok((py.get_type::<Comparison>(), args.into_pyobject(py)?))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(other) = other.cast::<Comparison>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let equal = self.op == other.op
            && same_operand(py, self.column.bind(py), other.column.bind(py))?
            && same_operand(py, self.value.bind(py), other.value.bind(py))?;
        equal.into_py_any(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Comparison(column={}, operator={}, value={})",
            self.column.bind(py).repr()?,
            self.operator(py)?.repr()?,
            self.value.bind(py).repr()?
        ))
    }

    fn __and__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        group_of(slf.as_any(), other)
    }

    fn __or__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        any_of(slf.as_any(), other)
    }

    fn __invert__(slf: &Bound<'_, Self>) -> PyResult<Py<Not>> {
        Py::new(
            slf.py(),
            Not {
                clause: slf.clone().into_any().unbind(),
            },
        )
    }
}

fn group_of(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let py = a.py();
    Ok(Py::new(
        py,
        And {
            clauses: PyTuple::new(py, [a, b])?.unbind(),
        },
    )?
    .into_any())
}

fn any_of(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let py = a.py();
    Ok(Py::new(
        py,
        Or {
            clauses: PyTuple::new(py, [a, b])?.unbind(),
        },
    )?
    .into_any())
}

fn clauses_repr(py: Python<'_>, name: &str, clauses: &Py<PyTuple>) -> PyResult<String> {
    Ok(format!("{name}{}", clauses.bind(py).repr()?))
}

macro_rules! group_class {
    ($ty:ident, $name:literal) => {
        #[doc = concat!("Clauses joined with ", $name, " (parenthesised when rendered).")]
        #[pyclass(frozen, module = "aioxide.sql.types", name = $name)]
        pub struct $ty {
            #[pyo3(get)]
            pub clauses: Py<PyTuple>,
        }

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (*clauses))]
            fn new(clauses: Py<PyTuple>) -> Self {
                $ty { clauses }
            }

            /// Remade from its clauses (`copy`, `pickle`).
            fn __reduce__<'py>(
                &self,
                py: Python<'py>,
            ) -> (Bound<'py, PyType>, Bound<'py, PyTuple>) {
                (py.get_type::<$ty>(), self.clauses.bind(py).clone())
            }

            fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                let Ok(other) = other.cast::<$ty>() else {
                    return Ok(py.NotImplemented());
                };
                self.clauses
                    .bind(py)
                    .eq(other.get().clauses.bind(py))?
                    .into_py_any(py)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                clauses_repr(py, $name, &self.clauses)
            }

            fn __and__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                group_of(slf.as_any(), other)
            }

            fn __or__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                any_of(slf.as_any(), other)
            }

            fn __invert__(slf: &Bound<'_, Self>) -> PyResult<Py<Not>> {
                Py::new(
                    slf.py(),
                    Not {
                        clause: slf.clone().into_any().unbind(),
                    },
                )
            }
        }
    };
}

group_class!(And, "And");
group_class!(Or, "Or");

/// `NOT (clause)`.
#[pyclass(frozen, module = "aioxide.sql.types", name = "Not")]
pub struct Not {
    #[pyo3(get)]
    pub clause: Py<PyAny>,
}

#[pymethods]
impl Not {
    #[new]
    fn new(clause: Py<PyAny>) -> Self {
        Not { clause }
    }

    /// Remade from its clause (`copy`, `pickle`).
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        Ok((
            py.get_type::<Not>(),
            PyTuple::new(py, [self.clause.bind(py)])?,
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(other) = other.cast::<Not>() else {
            return Ok(py.NotImplemented());
        };
        self.clause
            .bind(py)
            .eq(other.get().clause.bind(py))?
            .into_py_any(py)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Not({})", self.clause.bind(py).repr()?))
    }

    fn __and__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        group_of(slf.as_any(), other)
    }

    fn __or__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        any_of(slf.as_any(), other)
    }

    fn __invert__(&self, py: Python<'_>) -> Py<PyAny> {
        self.clause.clone_ref(py)
    }
}
