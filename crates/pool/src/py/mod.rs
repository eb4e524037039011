//! The Python face of the pool (feature `python`): `Channel`, a link whose
//! received frames reach the event loop through the bridge's completion
//! port, and `run_ready_calls`, a child's batch of non-suspending calls.

pub mod bytes_sink;
pub mod channel;
pub mod ready_calls;

pub use channel::Channel;
pub use ready_calls::run_ready_calls;
