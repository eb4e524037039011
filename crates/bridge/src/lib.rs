//! The one way aioxide returns results from Rust threads to asyncio.
//!
//! - [`slot`]: the rendezvous of one operation's result and its awaiter.
//! - [`queue`] and [`bell`]: the per-loop batch queue and its wake-up fd.
//! - [`port`]: one completion port per event loop, drained on the loop thread.
//! - [`completion`]: the native awaitable and the worker-side completer.
//! - [`worker`]: a thread that owns state and runs operations in order.
//! - [`echo`]: a small worker used by the tests, the benchmark and the demo.
//! - [`drive`]: advancing Python awaitables from Rust (`PyIter_Send`), the
//!   way `yield from` does; [`slots`]: `am_send` for native awaitables.

pub mod bell;
pub mod completion;
pub mod drive;
pub mod echo;
pub mod outcome;
pub mod port;
pub mod queue;
pub mod slot;
pub mod slots;
pub mod worker;

pub use completion::{exception_from, pending, Completer, Completion, Ticket};
pub use outcome::Outcome;
pub use worker::{Worker, WorkerClosed};
