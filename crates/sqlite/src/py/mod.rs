//! The Python face of the database: everything here needs the interpreter
//! (built with the `python` feature). The database itself (`crate::database`,
//! `crate::errors`, `crate::value`, `crate::library`) never touches Python.
//!
//! - [`connection`]: `NativeConnection`, one worker thread each, and the
//!   dispatch of every operation to it (inline when it cannot block);
//! - [`params`]: parameters from Python objects, as `sqlite3` binds them;
//! - [`cells`]: result cells and batches back to Python objects;
//! - [`convert`]: `detect_types` converters;
//! - [`callbacks`], [`functions`]: what SQLite calls back into Python
//!   through (user functions, aggregates, windows, the authorizer);
//! - [`errors`]: engine errors raised as the `sqlite3` exception classes;
//! - [`connection_core`], [`cursor_core`]: `ConnectionCore` and `CursorCore`,
//!   the native bases of `Connection` and `Cursor`;
//! - [`execute_call`]: `ExecuteCall`, the awaitable `Connection.execute()` returns;
//! - [`dsl_run`]: `DslRun`, an aioxide.sql select run in one native call;
//! - [`stream`]: `RowStream`, the rows of a query still inside SQLite;
//! - [`row`]: the native `Row`; [`row_shape`]: rows as the user's objects
//!   (`RowShape`, for aioxide.sql);
//! - [`library`]: which SQLite library the interpreter has, and
//!   `sqlite_library()` reporting the one in use.

mod callbacks;
mod cells;
pub mod connection;
pub mod connection_core;
pub mod convert;
pub mod cursor_core;
pub mod dsl_run;
pub mod errors;
pub mod execute_call;
pub mod functions;
pub mod library;
pub mod params;
pub mod row;
pub mod row_shape;
pub mod stream;

pub use cells::SqliteBatch;
pub use connection::NativeConnection;
pub use connection_core::ConnectionCore;
pub use cursor_core::{new_cursor, CursorCore};
pub use dsl_run::DslRun;
pub use execute_call::{new_execute_call, sqlite_cursor_hooks, ExecuteCall};
pub use library::sqlite_library;
pub use row::Row;
pub use row_shape::RowShape;
pub use stream::RowStream;
