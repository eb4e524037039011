//! The SQLite engine behind `aioxide.sqlite`.
//!
//! Pure Rust (no Python, checked by building without the `python` feature):
//!
//! - [`database`]: one rusqlite connection with `sqlite3`-module semantics;
//! - [`columns`]: result column descriptions, shared between runs;
//! - [`stream`]: queries whose rows are still being read, chunk by chunk;
//! - [`value`]: parameters and cells as plain values;
//! - [`errors`]: engine errors and which `sqlite3` class each becomes;
//! - [`library`]: which SQLite library the engine calls (the interpreter's,
//!   shared with the stdlib, or the fallback).
//!
//! With the `python` feature, [`py`] is its face to Python: the connection
//! class, conversions both ways, user callbacks, `Row`.

mod api_names;
pub mod columns;
pub mod database;
pub mod errors;
pub mod library;
pub mod stream;
pub mod value;

#[cfg(feature = "python")]
pub mod py;

#[cfg(feature = "python")]
pub use py::{
    new_cursor, new_execute_call, sqlite_cursor_hooks, sqlite_library, ConnectionCore, CursorCore,
    DslRun, ExecuteCall, NativeConnection, Row, RowShape, RowStream, SqliteBatch,
};
