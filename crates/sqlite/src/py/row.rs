//! `Row`: a result row indexable by position and by column name, the
//! drop-in for `sqlite3.Row` (which only accepts a stdlib cursor).

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

/// A row: `row[0]`, `row["name"]` (ASCII case-insensitive, as SQLite
/// compares names), slices, `keys()`, iteration, equality and hashing.
#[pyclass(module = "aioxide._core", frozen)]
pub struct Row {
    values: Py<PyTuple>,
    keys: Py<PyTuple>,
}

fn keys_from_cursor<'py>(cursor: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let py = cursor.py();
    let description = cursor.getattr("description")?;
    if description.is_none() {
        return Ok(PyTuple::empty(py));
    }
    let names = description
        .try_iter()?
        .map(|column| column?.get_item(0))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, names)
}

#[pymethods]
impl Row {
    #[new]
    #[pyo3(signature = (cursor, values, keys=None))]
    fn new(
        cursor: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        keys: Option<Bound<'_, PyTuple>>,
    ) -> PyResult<Self> {
        let values = values
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("Row() argument 2 must be a tuple"))?;
        let keys = match keys {
            Some(keys) => keys,
            None => keys_from_cursor(cursor)?,
        };
        Ok(Self {
            values: values.clone().unbind(),
            keys: keys.unbind(),
        })
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = self.values.bind(py);
        if let Ok(name) = key.cast::<PyString>() {
            let wanted = name.to_str()?;
            for (i, column) in self.keys.bind(py).iter().enumerate() {
                if column
                    .cast::<PyString>()
                    .is_ok_and(|c| c.to_str().is_ok_and(|c| c.eq_ignore_ascii_case(wanted)))
                {
                    return values.get_item(i);
                }
            }
            return Err(PyIndexError::new_err("No item with that key"));
        }
        // Integers (negative too) and slices, exactly as the tuple does.
        values.as_any().get_item(key)
    }

    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.keys.bind(py).iter())
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.values.bind(py).len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.values.bind(py).as_any().try_iter()?.into_any())
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<Row>() {
            Ok(other) => {
                let other = other.get();
                Ok(self.keys.bind(py).eq(other.keys.bind(py))?
                    && self.values.bind(py).eq(other.values.bind(py))?)
            }
            Err(_) => Ok(false),
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        Ok(self.keys.bind(py).hash()? ^ self.values.bind(py).hash()?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let pairs = self
            .keys
            .bind(py)
            .iter()
            .zip(self.values.bind(py).iter())
            .map(|(k, v)| Ok(format!("{}: {}", k.repr()?, v.repr()?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(format!("<aioxide.sqlite.Row {{{}}}>", pairs.join(", ")))
    }
}
