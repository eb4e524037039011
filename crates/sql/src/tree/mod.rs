//! The query tree as native classes: comparisons, boolean groups, joins,
//! operands and the fluent query itself. Building a query is a chain of
//! short native calls, and rendering reads these structs directly.
//!
//! The Python classes `aioxide.sql.types.Comparison` etc. are these; the
//! Python `Query` subclasses `QueryCore` to add what is natural in Python.
//!
//! - [`clauses`] holds `Comparison`, `And`, `Or`, `Not`;
//! - [`join`] holds `TableJoin`;
//! - [`operands`] holds `OperandCore`, `ColumnCore`;
//! - [`builder`] holds `QueryCore`, the builder methods;
//! - [`prepared`] holds `PreparedQuery`;
//! - [`state`] says how each is copied and pickled.

use pyo3::prelude::*;

pub mod builder;
pub mod clauses;
pub mod join;
pub mod operands;
pub mod prepared;
pub mod state;

pub use builder::{as_query, sql_select, QueryCore};
pub use clauses::{And, Comparison, Not, Or};
pub use join::TableJoin;
pub use operands::{ColumnCore, OperandCore};
pub use prepared::PreparedQuery;

/// Register the tree classes on the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Comparison>()?;
    m.add_class::<And>()?;
    m.add_class::<Or>()?;
    m.add_class::<Not>()?;
    m.add_class::<TableJoin>()?;
    m.add_class::<QueryCore>()?;
    m.add_class::<PreparedQuery>()?;
    m.add_class::<OperandCore>()?;
    m.add_class::<ColumnCore>()?;
    Ok(())
}
