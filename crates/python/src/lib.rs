//! `aioxide._core`: the single extension module. Glue only: every class and
//! function lives in a library crate and is registered here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use pyo3::prelude::*;

/// Panics seen in this process since the module was loaded.
static PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts every panic (on any thread) before the default hook prints it. A
/// panic is always a defect: the test suites check this count after every
/// test, so one that was caught and turned into an exception still fails.
fn count_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::Relaxed);
            default(info);
        }));
    });
}

/// How many Rust panics this process has seen (each one a defect).
#[pyfunction]
fn panic_count() -> u64 {
    PANICS.load(Ordering::Relaxed)
}

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

/// The module's contents; `pub` so an embedding program (the fuzz target)
/// can register it with `wrap_pymodule!`.
#[pymodule(gil_used = true)]
pub fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    count_panics();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<aioxide_bridge::Completion>()?;
    aioxide_bridge::slots::install_step::<aioxide_bridge::Completion>(m.py())?;
    m.add_class::<aioxide_bridge::echo::EchoWorker>()?;
    m.add_class::<aioxide_sqlite::RowShape>()?;
    m.add_class::<aioxide_sqlite::NativeConnection>()?;
    m.add_class::<aioxide_sqlite::SqliteBatch>()?;
    m.add_class::<aioxide_sqlite::RowStream>()?;
    m.add_class::<aioxide_bridge::slots::Finished>()?;
    aioxide_bridge::slots::install_step::<aioxide_bridge::slots::Finished>(m.py())?;
    m.add_function(wrap_pyfunction!(aioxide_bridge::slots::finished, m)?)?;
    m.add_class::<aioxide_sqlite::ExecuteCall>()?;
    m.add_class::<aioxide_sqlite::DslRun>()?;
    aioxide_sql::result::register_native_run(aioxide_sqlite::py::dsl_run::native_run);
    m.add_class::<aioxide_sqlite::CursorCore>()?;
    m.add_class::<aioxide_sqlite::ConnectionCore>()?;
    m.add(
        "SQLITE_REST_CHUNK",
        aioxide_sqlite::py::connection_core::REST_CHUNK,
    )?;
    m.add_function(wrap_pyfunction!(aioxide_sqlite::new_cursor, m)?)?;
    aioxide_bridge::slots::install_step::<aioxide_sqlite::ExecuteCall>(m.py())?;
    m.add_function(wrap_pyfunction!(aioxide_sqlite::sqlite_cursor_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(aioxide_sqlite::new_execute_call, m)?)?;
    m.add_class::<aioxide_sqlite::Row>()?;
    m.add_function(wrap_pyfunction!(aioxide_sqlite::sqlite_library, m)?)?;
    aioxide_itertools::register(m)?;
    m.add_class::<aioxide_pool::Channel>()?;
    m.add("CHANNEL_MAX_PAYLOAD", aioxide_pool::frame::MAX_PAYLOAD)?;
    m.add_function(wrap_pyfunction!(aioxide_pool::run_ready_calls, m)?)?;
    aioxide_sql::register(m)?;
    m.add_class::<aioxide_release::py::GitHistory>()?;
    m.add_function(wrap_pyfunction!(port_counts, m)?)?;
    m.add_function(wrap_pyfunction!(panic_count, m)?)?;
    m.add_function(wrap_pyfunction!(release_closed_loops, m)?)?;
    Ok(())
}
