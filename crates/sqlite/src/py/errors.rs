//! Database errors raised as the standard library's `sqlite3` exception
//! classes (on the loop thread, with the GIL), so `except
//! sqlite3.IntegrityError` keeps working in user code.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::errors::{error_name, Kind, SqlError};

impl SqlError {
    /// Converts to the `sqlite3` exception (needs the GIL).
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        // Two classes changed in Python 3.11's sqlite3; follow the running one.
        let before_311 = py.version_info() < (3, 11);
        match self.kind {
            Kind::Memory => return pyo3::exceptions::PyMemoryError::new_err(self.message),
            Kind::Value => return pyo3::exceptions::PyValueError::new_err(self.message),
            Kind::NulInQuery if before_311 => {
                return pyo3::exceptions::PyValueError::new_err(self.message)
            }
            _ => {}
        }
        let class_name = match self.kind {
            Kind::MultipleStatements if before_311 => "Warning",
            kind => kind.class_name(),
        };
        let raised = (|| -> PyResult<PyErr> {
            let class = sqlite3_module(py)?.getattr(class_name)?;
            let exc = class.call1((self.message.as_str(),))?;
            if let Some(code) = self.code {
                exc.setattr("sqlite_errorcode", code)?;
                exc.setattr("sqlite_errorname", error_name(code))?;
            }
            Ok(PyErr::from_value(exc))
        })();
        raised.unwrap_or_else(|e| e)
    }
}

fn sqlite3_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static SQLITE3: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    SQLITE3
        .get_or_try_init(py, || py.import("sqlite3").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// `sqlite3.ProgrammingError(message)`.
pub fn programming_error(py: Python<'_>, message: &str) -> PyErr {
    SqlError::programming(message).into_pyerr(py)
}
