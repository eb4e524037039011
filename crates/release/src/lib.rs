//! The history reader behind `aioxide.release`.
//!
//! Pure Rust: [`history`] answers the read-only git questions a changelog
//! needs (tags, tag objects, describe, shortlog) from the repository with
//! gitoxide. With the `python` feature, [`py`] is its face to Python
//! (`aioxide._core.GitHistory`).

pub mod changelog;
pub mod history;

#[cfg(feature = "python")]
pub mod py;

pub use history::{Error, History};
