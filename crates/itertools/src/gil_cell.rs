//! `GilCell`: a combinator's mutable state, guarded by the GIL and a plain
//! (non-atomic) borrow flag.
//!
//! PyO3's own borrow flag for a mutable pyclass is an atomic
//! compare-and-swap, and a native iterator takes it twice per item (once in
//! `__anext__`, once to step): measured at ~7% of a `chain` item. The
//! interpreter's lock already serialises every thread that holds a
//! `Python` token, so a plain flag is enough to refuse re-entry ("already
//! running") without the atomic.
//!
//! Soundness rests on the GIL: the extension module declares `gil_used`, so
//! even a free-threaded interpreter keeps its GIL enabled while it is
//! loaded, and every access below requires a `Python` token.

use pyo3::Python;
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

pub struct GilCell<T> {
    borrowed: Cell<bool>,
    value: UnsafeCell<T>,
}

// SAFETY: `borrowed` and `value` are only read or written by a thread
// holding a `Python` token (`try_borrow_mut`, `for_traverse`, and the
// guard's drop, which happens on the thread that borrowed since the guard is
// not `Send`). The GIL orders those accesses across threads, and `T: Send`
// means the value itself may move between the threads that take turns.
unsafe impl<T: Send> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    pub fn new(value: T) -> Self {
        Self {
            borrowed: Cell::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Exclusive access, or None while another borrow is alive (the state
    /// is being stepped further up this thread's stack, or by a thread that
    /// let the GIL go in the middle of a step).
    pub fn try_borrow_mut<'a>(&'a self, _py: Python<'_>) -> Option<GilRefMut<'a, T>> {
        if self.borrowed.replace(true) {
            return None;
        }
        Some(GilRefMut {
            cell: self,
            _not_send: PhantomData,
        })
    }

    /// Shared access for the garbage collector's traversal, which runs
    /// attached but without a token PyO3 lets us use; None while borrowed
    /// (the collector may run in the middle of a step, from an allocation).
    pub fn for_traverse(&self) -> Option<&T> {
        if self.borrowed.get() {
            return None;
        }
        // SAFETY: not borrowed, so no `&mut T` exists; the collector runs
        // with the GIL held and calls no code of ours that could borrow
        // while this reference is alive.
        Some(unsafe { &*self.value.get() })
    }
}

pub struct GilRefMut<'a, T> {
    cell: &'a GilCell<T>,
    /// Dropped on the thread that borrowed (which holds the GIL then).
    _not_send: PhantomData<*const ()>,
}

impl<T> Deref for GilRefMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only borrow while it lives.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> DerefMut for GilRefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes it exclusive.
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for GilRefMut<'_, T> {
    fn drop(&mut self) {
        self.cell.borrowed.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_borrow_is_refused_until_the_first_ends() {
        Python::initialize();
        Python::attach(|py| {
            let cell = GilCell::new(1);
            let mut first = cell.try_borrow_mut(py).expect("free");
            *first += 1;
            assert!(cell.try_borrow_mut(py).is_none());
            assert!(cell.for_traverse().is_none());
            drop(first);
            assert_eq!(cell.for_traverse(), Some(&2));
            assert_eq!(*cell.try_borrow_mut(py).expect("free again"), 2);
        });
    }
}
