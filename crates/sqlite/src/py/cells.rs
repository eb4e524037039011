//! Result cells and batches as Python objects: the text factory, the
//! `detect_types` converters and `SqliteBatch`, the rows of one execution.

use super::row_shape::{GcPause, Shape};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::convert;
use crate::columns::Columns;
use crate::database::Batch;
use crate::errors::{Kind, SqlError};
use crate::value::Value;

/// How TEXT cells become Python objects (`Connection.text_factory`).
pub(super) enum TextMode {
    Str,
    Bytes,
    Factory(Py<PyAny>),
}

impl TextMode {
    pub(super) fn from_py(factory: Option<&Bound<'_, PyAny>>) -> Self {
        let py_str = |f: &Bound<'_, PyAny>| f.is(f.py().get_type::<PyString>());
        let py_bytes = |f: &Bound<'_, PyAny>| f.is(f.py().get_type::<PyBytes>());
        match factory {
            None => TextMode::Str,
            Some(f) if f.is_none() || py_str(f) => TextMode::Str,
            Some(f) if py_bytes(f) => TextMode::Bytes,
            Some(f) => TextMode::Factory(f.clone().unbind()),
        }
    }
}

/// One cell as a Python object; `column` names it in the error for text
/// that is not UTF-8 under the `str` text factory.
pub(super) fn cell_to_py(
    py: Python<'_>,
    value: Value,
    text: &TextMode,
    column: impl FnOnce() -> String,
) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Integer(i) => i.into_pyobject(py)?.into_any().unbind(),
        Value::Real(f) => f.into_pyobject(py)?.into_any().unbind(),
        Value::Text(s) => match text {
            TextMode::Str => PyString::new(py, &s).into_any().unbind(),
            TextMode::Bytes => PyBytes::new(py, s.as_bytes()).into_any().unbind(),
            TextMode::Factory(f) => f
                .bind(py)
                .call1((PyBytes::new(py, s.as_bytes()),))?
                .unbind(),
        },
        Value::BadText(t) => match text {
            TextMode::Str => {
                return Err(SqlError::new(
                    Kind::Operational,
                    format!(
                        "Could not decode to UTF-8 column '{}' with text '{}'",
                        column(),
                        String::from_utf8_lossy(&t)
                    ),
                )
                .into_pyerr(py))
            }
            TextMode::Bytes => PyBytes::new(py, &t).into_any().unbind(),
            TextMode::Factory(f) => f.bind(py).call1((PyBytes::new(py, &t),))?.unbind(),
        },
        Value::Blob(b) => PyBytes::new(py, &b).into_any().unbind(),
    })
}

/// One execution's result, as Python objects.
#[pyclass(module = "aioxide._core", frozen)]
pub struct SqliteBatch {
    /// The rows, as tuples.
    #[pyo3(get)]
    rows: Py<PyList>,
    /// The statement's columns (shared between its runs); `None` for
    /// statements without columns. Names are shown as `detect_types` says.
    columns: Option<Columns>,
    detect_types: u32,
    #[pyo3(get)]
    rowcount: i64,
    #[pyo3(get)]
    lastrowid: Option<i64>,
    /// The query's remaining rows, when this batch is not all of them.
    #[pyo3(get)]
    more: Option<Py<super::stream::RowStream>>,
}

impl SqliteBatch {
    /// The rows.
    pub(super) fn rows<'py>(&self, py: Python<'py>) -> &Bound<'py, PyList> {
        self.rows.bind(py)
    }

    /// The query's remaining rows, if this batch is not all of them.
    pub(super) fn more(&self) -> Option<&Py<super::stream::RowStream>> {
        self.more.as_ref()
    }

    /// The rows, when they are all of the query's (no `more` to read).
    pub(super) fn all_rows(&self, py: Python<'_>) -> Option<Py<PyList>> {
        self.more.is_none().then(|| self.rows.clone_ref(py))
    }
}

#[pymethods]
impl SqliteBatch {
    /// DB-API `description`: a 7-tuple per column (name, then six Nones), or
    /// None for statements without columns. Built on demand: most callers
    /// never look at it.
    #[getter]
    fn description<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let Some(columns) = &self.columns else {
            return Ok(py.None().into_bound(py));
        };
        let columns = columns
            .iter()
            .map(|column| {
                let name = convert::display_name(&column.name, self.detect_types);
                let none = py.None();
                PyTuple::new(
                    py,
                    [
                        PyString::new(py, name).into_any().unbind(),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none,
                    ],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyTuple::new(py, columns)?.into_any())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<SqliteBatch rows={} rowcount={}>",
            self.rows.bind(py).len(),
            self.rowcount
        )
    }
}

/// How result cells become Python objects: the text factory, and
/// `detect_types` converters.
pub(super) struct Conversion {
    pub(super) text: TextMode,
    pub(super) detect_types: u32,
    /// Build each row as the user's object instead of a tuple (aioxide.sql).
    pub(super) shape: Option<std::sync::Arc<Shape>>,
}

impl Conversion {
    pub(super) fn plain() -> Self {
        Conversion {
            text: TextMode::Str,
            detect_types: 0,
            shape: None,
        }
    }
}

/// A batch as Python's `SqliteBatch`; `more` is the stream of the rest.
pub(super) fn batch_to_py(
    py: Python<'_>,
    batch: Batch,
    how: &Conversion,
    more: Option<Py<super::stream::RowStream>>,
) -> PyResult<Py<PyAny>> {
    for message in &batch.deprecations {
        let text = std::ffi::CString::new(message.as_str())
            .map_err(|_| pyo3::exceptions::PyValueError::new_err("warning text with a NUL"))?;
        let category = py.get_type::<pyo3::exceptions::PyDeprecationWarning>();
        PyErr::warn(py, &category, &text, 1)?;
    }
    let width = batch.width();
    let rows = PyList::empty(py);
    if width > 0 {
        let converters = match (&batch.columns, how.detect_types) {
            (Some(columns), detect) if detect != 0 => convert::converters_for(py, columns, detect)?,
            _ => Vec::new(),
        };
        if let Some(shape) = &how.shape {
            if shape.width() != width {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "the statement returns {width} columns but rows are shaped for {}",
                    shape.width()
                )));
            }
        }
        // Objects built per row here create no cycles; see GcPause.
        let _pause = how.shape.as_ref().map(|_| GcPause::new());
        let whole_rows = batch.cells.len() / width;
        let mut cells = batch.cells.into_iter();
        let mut next_cell = |column: usize| -> PyResult<Py<PyAny>> {
            let Some(v) = cells.next() else {
                // Unreachable: only whole rows are read.
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "a row of the batch is shorter than its width",
                ));
            };
            match converters.get(column) {
                Some(Some(converter)) => convert::convert(py, converter, &v),
                _ => cell_to_py(py, v, &how.text, || {
                    batch
                        .columns
                        .as_ref()
                        .and_then(|c| c.get(column))
                        .map_or_else(String::new, |c| c.name.clone())
                }),
            }
        };
        match &how.shape {
            Some(shape) => {
                let mut values = Vec::with_capacity(width);
                for _ in 0..whole_rows {
                    for column in 0..width {
                        values.push(next_cell(column)?.into_bound(py));
                    }
                    let built = shape.build(py, &mut values);
                    values.clear();
                    rows.append(built?)?;
                }
            }
            None => {
                for _ in 0..whole_rows {
                    rows.append(tuple_of(py, width, &mut next_cell)?)?;
                }
            }
        }
    }
    Ok(Py::new(
        py,
        SqliteBatch {
            rows: rows.unbind(),
            columns: batch.columns,
            detect_types: how.detect_types,
            rowcount: batch.rowcount,
            lastrowid: batch.lastrowid,
            more,
        },
    )?
    .into_any())
}

/// A tuple of `width` items made by `item(index)`, filled in place: no
/// vector of the items first (one allocation less per row; most batches
/// are one row).
fn tuple_of<'py>(
    py: Python<'py>,
    width: usize,
    item: &mut impl FnMut(usize) -> PyResult<Py<PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let size = ffi::Py_ssize_t::try_from(width)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("too many columns"))?;
    // SAFETY: PyTuple_New returns a new reference, or NULL with an
    // exception set (which from_owned_ptr_or_err turns into the error).
    let tuple = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(size))? };
    for (index, at) in (0..width).zip(0..size) {
        // An error drops the tuple with its later slots still NULL, which
        // the tuple's deallocator and the GC's traversal both skip.
        let value = item(index)?;
        // SAFETY: `at` < the tuple's size, the slot is still empty, the
        // tuple is new and not yet shared, and SET_ITEM takes over the
        // reference `into_ptr` gives up.
        unsafe { ffi::PyTuple_SET_ITEM(tuple.as_ptr(), at, value.into_ptr()) };
    }
    // SAFETY: made by PyTuple_New above.
    Ok(unsafe { tuple.cast_into_unchecked() })
}

pub(super) fn value_to_py(py: Python<'_>, v: rusqlite::types::ValueRef<'_>) -> PyResult<Py<PyAny>> {
    cell_to_py(py, Value::from_ref(v), &TextMode::Str, String::new)
}
