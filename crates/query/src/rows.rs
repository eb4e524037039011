//! Fetched rows to the user's objects (the shared builder lives in the
//! bridge crate: the SQLite engine uses it on rows as they are converted).

pub use aioxide_bridge::objects::{Build, Shape};
