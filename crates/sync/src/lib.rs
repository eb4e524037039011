//! Locks that ignore poisoning.
//!
//! A mutex is poisoned when a thread panicked while holding it. aioxide's
//! locks guard plain data (queues, flags, counters, handles) that a panic
//! cannot leave half-updated in a way the next holder must not see, and a
//! poisoned lock must not turn every later call into a second panic, so
//! every lock in the workspace takes the data back from the poison error.
//! These traits say that once instead of at each of the ~40 call sites.
//!
//! ```
//! use std::sync::Mutex;
//! use aioxide_sync::Unpoisoned;
//!
//! let count = Mutex::new(0);
//! *count.locked() += 1;
//! assert_eq!(*count.locked(), 1);
//! ```

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// `Mutex::lock` that never fails.
pub trait Unpoisoned<T: ?Sized> {
    /// The guard, whether or not an earlier holder panicked.
    fn locked(&self) -> MutexGuard<'_, T>;
    /// `get_mut`, whether or not an earlier holder panicked.
    fn locked_mut(&mut self) -> &mut T;
}

impl<T: ?Sized> Unpoisoned<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn locked_mut(&mut self) -> &mut T {
        self.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `Condvar` waits that never fail.
pub trait UnpoisonedWait {
    /// `Condvar::wait`, keeping the guard if the lock was poisoned.
    fn wait_locked<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T>;
    /// `Condvar::wait_timeout`, returning just the guard (callers check
    /// their own condition and deadline).
    fn wait_timeout_locked<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> MutexGuard<'a, T>;
}

impl UnpoisonedWait for Condvar {
    fn wait_locked<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_timeout_locked<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> MutexGuard<'a, T> {
        self.wait_timeout(guard, timeout)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_poisoned_lock_still_hands_out_its_data() {
        let shared = Arc::new(Mutex::new(vec![1]));
        let poisoner = shared.clone();
        let _ = std::thread::spawn(move || {
            let mut guard = poisoner.lock().unwrap();
            guard.push(2);
            panic!("poison it");
        })
        .join();
        assert!(shared.is_poisoned());
        assert_eq!(*shared.locked(), vec![1, 2]);
        let signal = Condvar::new();
        let guard = signal.wait_timeout_locked(shared.locked(), Duration::from_millis(1));
        assert_eq!(guard.len(), 2);
    }
}
