//! The SQL renderer on random query trees, steered by libFuzzer's coverage.
//!
//! The renderer walks Python objects (tables, columns and clauses are
//! Python classes or PyO3 classes), so this target embeds an interpreter,
//! registers the real `aioxide._core` in it (linked in from the
//! `aioxide-python` crate, whose lib is named `_core`) and builds trees with the same hypothesis
//! strategy as `tests/test_sql_properties.py`: hypothesis'
//! `fuzz_one_input` decodes libFuzzer's bytes into a tree, and the property
//! checks it for every dialect — renders without error, every identifier
//! quoted whole, placeholders match the parameters, SQLite's `EXPLAIN`
//! accepts the statement. A failed check is reported as a crash; a Rust
//! panic aborts through libFuzzer's hook before PyO3 could catch it.
//!
//! Needs hypothesis on `PYTHONPATH` and libpython on the library path (the
//! Makefile's `fuzz` targets set both).
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

/// The property's `fuzz_one_input(bytes)`, made once.
static PROPERTY: OnceLock<Py<PyAny>> = OnceLock::new();

const TEST_MODULE: &str = "test_sql_properties";
const TEST_NAME: &str = "test_every_dialect_renders_random_trees_quoted_and_sqlite_accepts_them";

fn load_property(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // sys.path entries must be str (a PathBuf would become a pathlib.Path).
    let dir = |name: &str| root.join(name).to_string_lossy().into_owned();
    let sys = py.import("sys")?;
    let path = sys.getattr("path")?.cast_into::<PyList>()?;
    path.insert(0, dir("python"))?;
    path.insert(0, dir("tests"))?;
    // `import aioxide` finds this module instead of a built .so, so the
    // renderer that runs is the instrumented one linked into this binary.
    let core = pyo3::wrap_pymodule!(_core::_core)(py);
    sys.getattr("modules")?.set_item("aioxide._core", core)?;
    let test = py.import(TEST_MODULE)?.getattr(TEST_NAME)?;
    Ok(test
        .getattr("hypothesis")?
        .getattr("fuzz_one_input")?
        .unbind())
}

fn property(py: Python<'_>) -> &'static Py<PyAny> {
    PROPERTY.get_or_init(|| {
        load_property(py).unwrap_or_else(|err| {
            err.print(py);
            panic!("cannot load {TEST_MODULE}.{TEST_NAME} (is hypothesis on PYTHONPATH?)");
        })
    })
}

fuzz_target!(|data: &[u8]| {
    Python::initialize();
    Python::attach(|py| {
        let check = property(py).bind(py);
        if let Err(err) = check.call1((PyBytes::new(py, data),)) {
            err.print(py);
            panic!("the SQL renderer failed its property on this input");
        }
    });
});
