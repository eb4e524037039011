//! The meeting point of one operation's result and its awaiter.
//!
//! A worker thread completes a slot without touching Python; the awaiter polls
//! it on the loop thread. Whichever arrives second does the hand-over: the
//! awaiter takes a value that is already there, or the worker hands the value
//! and the registered waiter to the port. Cancellation is a one-way flag that
//! the worker can watch, sleep on, or react to through hooks.

use aioxide_sync::{Unpoisoned, UnpoisonedWait};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

enum State<V, W> {
    /// Nothing yet: no value, nobody waiting.
    Idle,
    /// An awaiter registered a waiter and is suspended.
    Waiting(W),
    /// The value arrived before anyone waited for it.
    Ready(V),
    /// The value was handed over, or the operation was cancelled.
    Finished,
}

/// What [`Slot::poll`] found.
pub enum Polled<V> {
    /// The value was already there.
    Ready(V),
    /// A waiter is now registered; the worker will hand it the value.
    Waiting,
    /// The value was taken earlier, or the operation was cancelled.
    Finished,
}

/// What [`Slot::complete`] must do with the value.
pub enum Completed<V, W> {
    /// Wake this waiter with this value.
    Deliver(W, V),
    /// Nobody waits yet; the value is stored for the awaiter to take.
    Stored,
    /// The operation was cancelled or abandoned; the value is returned for dropping.
    Discarded(V),
}

type CancelHook = Box<dyn FnOnce() + Send>;

struct Cancellation {
    cancelled: bool,
    hooks: Vec<CancelHook>,
}

/// One operation's rendezvous. `V` is the result, `W` the awaiter's waiter.
pub struct Slot<V, W> {
    state: Mutex<State<V, W>>,
    cancel: Mutex<Cancellation>,
    cancel_signal: Condvar,
}

impl<V, W> Default for Slot<V, W> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::Idle),
            cancel: Mutex::new(Cancellation {
                cancelled: false,
                hooks: Vec::new(),
            }),
            cancel_signal: Condvar::new(),
        }
    }
}

impl<V, W> Slot<V, W> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Worker side: stores `value` or says who to hand it to.
    pub fn complete(&self, value: V) -> Completed<V, W> {
        let mut state = self.state.locked();
        match std::mem::replace(&mut *state, State::Finished) {
            State::Idle => {
                *state = State::Ready(value);
                Completed::Stored
            }
            State::Waiting(waiter) => Completed::Deliver(waiter, value),
            // A second completion, or a cancelled operation: keep the first outcome.
            previous @ (State::Ready(_) | State::Finished) => {
                *state = previous;
                Completed::Discarded(value)
            }
        }
    }

    /// Awaiter side: takes the value if it is there, otherwise registers the
    /// waiter built by `make_waiter`. `make_waiter` runs with no lock held (it
    /// may call into Python); if the value arrives meanwhile, the value is
    /// returned and the new waiter dropped unused.
    pub fn poll<E>(&self, make_waiter: impl FnOnce() -> Result<W, E>) -> Result<Polled<V>, E> {
        {
            let mut state = self.state.locked();
            match std::mem::replace(&mut *state, State::Finished) {
                State::Ready(value) => return Ok(Polled::Ready(value)),
                State::Finished => return Ok(Polled::Finished),
                waiting @ State::Waiting(_) => {
                    // Polled again while suspended: still waiting.
                    *state = waiting;
                    return Ok(Polled::Waiting);
                }
                State::Idle => *state = State::Idle,
            }
        }
        let waiter = make_waiter()?;
        let mut state = self.state.locked();
        match std::mem::replace(&mut *state, State::Finished) {
            State::Idle => {
                *state = State::Waiting(waiter);
                Ok(Polled::Waiting)
            }
            State::Ready(value) => Ok(Polled::Ready(value)),
            // Cancelled (or completed and taken) while the waiter was built.
            State::Finished => Ok(Polled::Finished),
            waiting @ State::Waiting(_) => {
                *state = waiting;
                Ok(Polled::Waiting)
            }
        }
    }

    /// Whether a value has been stored and not yet taken.
    pub fn is_ready(&self) -> bool {
        matches!(*self.state.locked(), State::Ready(_))
    }

    /// Cancels the operation: drops any waiter or stored value, sets the flag
    /// the worker watches and runs the cancel hooks (outside every lock).
    /// Returns false when the operation had already finished or was cancelled.
    pub fn cancel(&self) -> bool {
        let dropped = {
            let mut state = self.state.locked();
            std::mem::replace(&mut *state, State::Finished)
        };
        let was_pending = matches!(dropped, State::Idle | State::Waiting(_));
        drop(dropped);
        let hooks = {
            let mut cancel = self.cancel.locked();
            if cancel.cancelled {
                return false;
            }
            cancel.cancelled = true;
            std::mem::take(&mut cancel.hooks)
        };
        self.cancel_signal.notify_all();
        if was_pending {
            for hook in hooks {
                hook();
            }
        }
        was_pending
    }

    /// Whether the operation was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.locked().cancelled
    }

    /// Registers `hook` to run once if the operation is cancelled. Runs it at
    /// once (on this thread) if it already was.
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        let mut cancel = self.cancel.locked();
        if cancel.cancelled {
            drop(cancel);
            hook();
        } else {
            cancel.hooks.push(Box::new(hook));
        }
    }

    /// Sleeps up to `timeout`, waking early on cancellation. Returns true if
    /// the operation was cancelled.
    pub fn sleep_unless_cancelled(&self, timeout: Duration) -> bool {
        // No deadline when `timeout` is too long to represent: sleep until
        // cancelled (adding it to an Instant would panic).
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut cancel = self.cancel.locked();
        while !cancel.cancelled {
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(std::time::Instant::now())
            });
            if left.is_zero() {
                return false;
            }
            cancel = self.cancel_signal.wait_timeout_locked(cancel, left);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    type TestSlot = Slot<u32, &'static str>;

    fn no_waiter() -> Result<&'static str, ()> {
        Ok("waiter")
    }

    #[test]
    fn value_before_awaiter_is_taken_at_once() {
        let slot = TestSlot::new();
        assert!(matches!(slot.complete(7), Completed::Stored));
        assert!(slot.is_ready());
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Ready(7))));
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Finished)));
    }

    #[test]
    fn awaiter_before_value_is_handed_the_value() {
        let slot = TestSlot::new();
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Waiting)));
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Waiting)));
        match slot.complete(9) {
            Completed::Deliver(w, v) => assert_eq!((w, v), ("waiter", 9)),
            _ => panic!("expected a delivery"),
        }
        assert!(matches!(slot.complete(10), Completed::Discarded(10)));
    }

    #[test]
    fn failing_waiter_leaves_slot_pollable() {
        let slot = TestSlot::new();
        assert!(matches!(
            slot.poll(|| Err::<&str, _>("no loop")),
            Err("no loop")
        ));
        assert!(matches!(slot.complete(1), Completed::Stored));
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Ready(1))));
    }

    #[test]
    fn value_arriving_while_the_waiter_is_built_is_returned() {
        let slot = TestSlot::new();
        let polled = slot.poll(|| {
            // No lock is held here, so the worker can complete meanwhile.
            assert!(matches!(slot.complete(4), Completed::Stored));
            Ok::<_, ()>("unused waiter")
        });
        assert!(matches!(polled, Ok(Polled::Ready(4))));
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Finished)));
    }

    #[test]
    fn cancel_runs_hooks_once_and_discards_late_value() {
        let slot = TestSlot::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        slot.on_cancel(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert!(matches!(slot.poll(no_waiter), Ok(Polled::Waiting)));
        assert!(slot.cancel());
        assert!(!slot.cancel());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(slot.is_cancelled());
        assert!(matches!(slot.complete(3), Completed::Discarded(3)));
        let r = runs.clone();
        slot.on_cancel(move || {
            r.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(runs.load(Ordering::SeqCst), 11, "late hook runs at once");
    }

    #[test]
    fn cancel_after_completion_reports_not_pending() {
        let slot = TestSlot::new();
        assert!(matches!(slot.complete(3), Completed::Stored));
        assert!(!slot.cancel());
    }

    #[test]
    fn sleeping_worker_wakes_on_cancel() {
        let slot = Arc::new(TestSlot::new());
        let s = slot.clone();
        let worker = std::thread::spawn(move || s.sleep_unless_cancelled(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(20));
        slot.cancel();
        assert!(worker.join().unwrap());
        assert!(!TestSlot::new().sleep_unless_cancelled(Duration::from_millis(5)));
    }

    #[test]
    fn racing_completion_and_poll_deliver_exactly_once() {
        for _ in 0..2_000 {
            let slot = Arc::new(TestSlot::new());
            let s = slot.clone();
            let worker = std::thread::spawn(move || s.complete(5));
            let polled = slot.poll(no_waiter).unwrap();
            let completed = worker.join().unwrap();
            let delivered = matches!(completed, Completed::Deliver(_, 5)) as u8
                + matches!(polled, Polled::Ready(5)) as u8;
            assert_eq!(delivered, 1);
        }
    }
}
