//! The process-pool core behind `aioxide.multiprocess`.
//!
//! Pure Rust (no Python, checked by building without the `python` feature):
//!
//! - [`frame`]: the wire format (length-prefixed frames) and its decoder;
//! - [`link`]: a framed socket with a writer thread, read by its own thread
//!   or by its owner's event loop.
//!
//! With the `python` feature, [`py`] is its face to Python (`Channel`).

pub mod frame;
pub mod link;
pub mod outbox;

#[cfg(feature = "python")]
pub mod py;

#[cfg(feature = "python")]
pub use py::{run_ready_calls, Channel};
