//! The delivery queue behind a completion port: worker threads push finished
//! work without touching Python; the loop thread takes everything in one go.

use aioxide_sync::Unpoisoned;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// What happened to an item handed to [`DeliveryQueue::push`].
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed<T> {
    /// The queue was empty: the pusher must wake the consumer.
    First,
    /// The queue already held items, so a wake-up is already on its way.
    Queued,
    /// The consumer is gone; the item is handed back to be dropped.
    Closed(T),
}

/// A multi-producer, single-consumer batch queue.
#[derive(Debug)]
pub struct DeliveryQueue<T> {
    items: Mutex<Vec<T>>,
    closed: AtomicBool,
}

impl<T> Default for DeliveryQueue<T> {
    fn default() -> Self {
        Self {
            items: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }
}

impl<T> DeliveryQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one item. Only the push that finds the queue empty reports
    /// [`Pushed::First`], so a burst of completions costs a single wake-up.
    pub fn push(&self, item: T) -> Pushed<T> {
        let mut items = self.items.locked();
        if self.closed.load(Ordering::Acquire) {
            return Pushed::Closed(item);
        }
        let first = items.is_empty();
        items.push(item);
        if first {
            Pushed::First
        } else {
            Pushed::Queued
        }
    }

    /// Takes every queued item, oldest first.
    pub fn take_all(&self) -> Vec<T> {
        let mut items = self.items.locked();
        std::mem::take(&mut *items)
    }

    /// Refuses further items and returns those still queued.
    pub fn close(&self) -> Vec<T> {
        let mut items = self.items.locked();
        self.closed.store(true, Ordering::Release);
        std::mem::take(&mut *items)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bell::Bell;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn only_the_first_push_of_a_batch_asks_for_a_wake() {
        let q = DeliveryQueue::new();
        assert_eq!(q.push(1), Pushed::First);
        assert_eq!(q.push(2), Pushed::Queued);
        assert_eq!(q.take_all(), vec![1, 2]);
        assert_eq!(q.push(3), Pushed::First);
    }

    #[test]
    fn closed_queue_hands_items_back() {
        let q = DeliveryQueue::new();
        q.push(1);
        assert_eq!(q.close(), vec![1]);
        assert_eq!(q.push(2), Pushed::Closed(2));
        assert!(q.is_closed());
        assert!(q.take_all().is_empty());
    }

    /// The port's protocol (ring on First; consumer clears the bell, then
    /// takes) must never lose a wake-up: with four producers racing one
    /// consumer, every item is taken and the consumer never waits on a
    /// silent bell while items are queued.
    #[test]
    fn no_lost_wakeups_under_contention() {
        const PRODUCERS: usize = 4;
        const PER_PRODUCER: usize = 50_000;
        let q = Arc::new(DeliveryQueue::new());
        let bell = Arc::new(Bell::new().unwrap());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (q, bell) = (q.clone(), bell.clone());
                std::thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        if q.push(p * PER_PRODUCER + i) == Pushed::First {
                            bell.ring();
                        }
                    }
                })
            })
            .collect();
        let mut seen = vec![false; PRODUCERS * PER_PRODUCER];
        let mut count = 0;
        while count < seen.len() {
            assert!(
                bell.wait(Duration::from_secs(5)),
                "consumer waited on a silent bell with {} items outstanding",
                seen.len() - count
            );
            bell.clear();
            for item in q.take_all() {
                assert!(!seen[item], "item {item} delivered twice");
                seen[item] = true;
                count += 1;
            }
        }
        for p in producers {
            p.join().unwrap();
        }
        assert!(q.take_all().is_empty());
    }
}
