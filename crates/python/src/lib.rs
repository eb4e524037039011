//! `aioxide._core`: the single extension module. Glue only: every class and
//! function lives in a library crate and is registered here.

use pyo3::prelude::*;

/// `(ports, watched)`: loops that currently have a completion port, and how
/// many of those watch their bell with `add_reader`.
#[pyfunction]
fn port_counts() -> (usize, usize) {
    aioxide_bridge::port::port_counts()
}

/// Closes the completion ports of closed event loops (normally done whenever
/// a new loop starts using the bridge). Returns how many were closed.
#[pyfunction]
fn release_closed_loops(py: Python<'_>) -> usize {
    aioxide_bridge::port::release_closed_loops(py)
}

#[pymodule(gil_used = true)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<aioxide_bridge::Completion>()?;
    m.add_class::<aioxide_bridge::echo::EchoWorker>()?;
    m.add_class::<aioxide_bridge::objects::RowShape>()?;
    m.add_class::<aioxide_sqlite::SqliteConnection>()?;
    m.add_class::<aioxide_sqlite::SqliteBatch>()?;
    m.add_class::<aioxide_sqlite::Row>()?;
    m.add_function(wrap_pyfunction!(aioxide_sqlite::sqlite_library, m)?)?;
    aioxide_itertools::register(m)?;
    m.add_class::<aioxide_pool::Channel>()?;
    aioxide_query::register(m)?;
    m.add_function(wrap_pyfunction!(port_counts, m)?)?;
    m.add_function(wrap_pyfunction!(release_closed_loops, m)?)?;
    Ok(())
}
