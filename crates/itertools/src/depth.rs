//! A bound on how deeply native iterators step one another.
//!
//! A native iterator over another native iterator steps it with a plain Rust
//! call, so `stream = chain(stream, batch)` repeated 10,000 times and then
//! iterated used 10,000 nested native frames and overflowed the thread's
//! stack (a segfault). Python's own async generators stop at the
//! interpreter's recursion limit with `RecursionError` (aioitertools does at
//! about 1,000 such layers); so do these: at [`LIMIT`] layers on one thread,
//! or sooner when less than [`RED_ZONE`] of the thread's stack is left (a
//! layer takes a few KiB, and threads may be started with small stacks).

use std::cell::Cell;

use pyo3::exceptions::PyRecursionError;
use pyo3::PyErr;

/// Native iterators that may be stepping one another on one thread.
pub const LIMIT: u32 = 2_000;

/// Stack that must be left when entering another layer.
pub const RED_ZONE: usize = 128 * 1024;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// One layer of nesting, held while an inner native iterator is stepped.
pub struct Layer(());

impl Layer {
    /// Enters one more layer, or the `RecursionError` past [`LIMIT`].
    #[inline]
    pub fn enter() -> Result<Layer, PyErr> {
        DEPTH.with(|depth| {
            let now = depth.get();
            let low_stack = stacker::remaining_stack().is_some_and(|left| left < RED_ZONE);
            if now >= LIMIT || low_stack {
                return Err(PyRecursionError::new_err(format!(
                    "maximum nesting depth of native async iterators exceeded ({now} layers{}): \
                     combine the iterables in one chain() or chain.from_iterable() \
                     instead of nesting a combinator per batch",
                    if low_stack {
                        ", the thread's stack is nearly used up"
                    } else {
                        ""
                    }
                )));
            }
            depth.set(now + 1);
            Ok(Layer(()))
        })
    }
}

impl Drop for Layer {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}
