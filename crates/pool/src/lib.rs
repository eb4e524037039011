//! The process-pool core behind `aioxide.multiprocess`.
//!
//! - [`frame`]: the wire format (length-prefixed frames) and its decoder.
//! - [`link`]: a framed socket with a reader and a writer thread (no Python).
//! - `channel` (feature `python`): the Python face of a link; received frames
//!   reach the event loop through the bridge's completion port.

#[cfg(feature = "python")]
pub mod channel;
pub mod frame;
pub mod link;

#[cfg(feature = "python")]
pub use channel::Channel;
