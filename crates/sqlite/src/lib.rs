//! The SQLite engine behind `aioxide.sqlite`.
//!
//! - [`value`]: parameters and cells between Python and the connection thread.
//! - [`convert`]: `detect_types` converters.
//! - [`functions`]: Python aggregates and window functions.
//! - [`errors`]: engine errors raised as the stdlib `sqlite3` exception classes.
//! - [`row`]: the native `Row`.
//! - [`engine`]: one rusqlite connection with `sqlite3`-module semantics.
//! - [`connection`]: the Python-facing connection, one worker thread each.

pub mod connection;
pub mod convert;
pub mod engine;
pub mod errors;
pub mod functions;
pub mod row;
pub mod value;

pub use connection::{SqliteBatch, SqliteConnection};
pub use row::Row;

/// The version of the bundled SQLite library, e.g. "3.50.4".
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}
