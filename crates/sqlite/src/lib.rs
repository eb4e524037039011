//! The SQLite engine behind `aioxide.sqlite`.
//!
//! - [`value`]: parameters and cells between Python and the connection thread.
//! - [`convert`]: `detect_types` converters.
//! - [`functions`]: Python aggregates and window functions.
//! - [`errors`]: engine errors raised as the stdlib `sqlite3` exception classes.
//! - [`row`]: the native `Row`.
//! - [`library`]: which SQLite library the engine calls (the interpreter's,
//!   shared with the stdlib, or the fallback), [`library_py`] its Python face.
//! - [`engine`]: one rusqlite connection with `sqlite3`-module semantics.
//! - [`connection`]: the Python-facing connection, one worker thread each.

mod api_names;
pub mod connection;
pub mod convert;
pub mod engine;
pub mod errors;
pub mod functions;
pub mod library;
pub mod library_py;
pub mod row;
pub mod value;

pub use connection::{SqliteBatch, SqliteConnection};
pub use library_py::sqlite_library;
pub use row::Row;
