//! The Python face of a link (feature `python`): `Channel`, whose received
//! frames reach the event loop through the bridge's completion port.

pub mod channel;

pub use channel::Channel;
