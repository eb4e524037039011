//! A Rust thread that owns some state and runs operations on it in order,
//! completing each through the bridge. A SQLite connection, for instance,
//! lives on one such thread.

use aioxide_sync::Unpoisoned;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::completion::{pending, Completer, Completion, Ticket};
use crate::outcome::{self, Outcome};

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

/// One thread, one state, a FIFO of operations.
pub struct Worker<S> {
    name: String,
    /// Operations submitted and not yet completed.
    pending: Arc<AtomicUsize>,
    jobs: Mutex<Option<mpsc::Sender<Job<S>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<S: 'static> Worker<S> {
    /// Starts the thread; `init` builds the state on it.
    pub fn spawn(name: &str, init: impl FnOnce() -> S + Send + 'static) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job<S>>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut state = init();
                // Ends when every sender is gone and the queue is empty.
                while let Some(job) = next_job(&rx) {
                    job(&mut state);
                }
            })?;
        Ok(Self {
            name: name.to_owned(),
            pending: Arc::default(),
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs a plain job on the thread (no awaitable). Fails once closed.
    pub fn run(&self, job: impl FnOnce(&mut S) + Send + 'static) -> Result<(), WorkerClosed> {
        let jobs = self.jobs.locked();
        match jobs.as_ref() {
            Some(tx) => tx.send(Box::new(job)).map_err(|_| WorkerClosed),
            None => Err(WorkerClosed),
        }
    }

    /// Like `run`, but counted in `pending` until it has run, so that work
    /// a caller would otherwise do inline (when nothing is pending) waits
    /// its turn behind this job.
    pub fn run_counted(
        &self,
        job: impl FnOnce(&mut S) + Send + 'static,
    ) -> Result<(), WorkerClosed> {
        let count = self.pending.clone();
        count.fetch_add(1, Ordering::AcqRel);
        let queued = self.run(move |state| {
            job(state);
            count.fetch_sub(1, Ordering::AcqRel);
        });
        if queued.is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
        }
        queued
    }

    /// Queues `op` and returns the awaitable for its outcome. An operation
    /// whose caller cancelled before it started is skipped.
    pub fn submit(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&mut S, &Ticket) -> Outcome + Send + 'static,
    ) -> PyResult<Py<Completion>> {
        let (completion, completer) = pending(py)?;
        let count = self.pending.clone();
        count.fetch_add(1, Ordering::AcqRel);
        let queued = self.run(move |state| run_op(state, completer, op, &count));
        if queued.is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(PyRuntimeError::new_err(format!("{} is closed", self.name)));
        }
        Ok(completion)
    }

    /// Operations submitted and not yet completed (queued or running).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.jobs.locked().is_none()
    }

    /// Refuses new work; the thread finishes what is queued and exits on its own.
    pub fn close_without_joining(&self) {
        self.jobs.locked().take();
    }

    /// Refuses new work, lets queued work finish, and joins the thread
    /// (with the GIL released, so queued work that needs Python can run).
    pub fn close(&self, py: Python<'_>) {
        self.jobs.locked().take();
        let thread = self.thread.locked().take();
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                py.detach(|| {
                    let _ = thread.join();
                });
            }
        }
    }
}

impl<S> Drop for Worker<S> {
    fn drop(&mut self) {
        // Closing the channel is enough: the thread drains its queue and
        // exits on its own. Joining here could wait on the GIL we may hold.
        self.jobs.locked_mut().take();
    }
}

/// How long an idle worker keeps looking for the next job before it parks.
/// A loop thread that awaits results back to back submits again within a
/// few microseconds; parking in between would cost a futex wake-up on both
/// sides for every operation.
const SPIN_BEFORE_PARKING: Duration = Duration::from_micros(50);

fn next_job<T>(rx: &mpsc::Receiver<T>) -> Option<T> {
    match rx.try_recv() {
        Ok(job) => return Some(job),
        Err(mpsc::TryRecvError::Disconnected) => return None,
        Err(mpsc::TryRecvError::Empty) => {}
    }
    let start = Instant::now();
    while start.elapsed() < SPIN_BEFORE_PARKING {
        for _ in 0..64 {
            std::hint::spin_loop();
        }
        match rx.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
    }
    rx.recv().ok()
}

fn run_op<S>(
    state: &mut S,
    completer: Completer,
    op: impl FnOnce(&mut S, &Ticket) -> Outcome,
    pending: &AtomicUsize,
) {
    let ticket = completer.ticket();
    // Counted down before the awaiter can see the result, so an awaiter that
    // has its result never still sees its operation as pending.
    if ticket.is_cancelled() {
        pending.fetch_sub(1, Ordering::AcqRel);
        return; // the dropped completer finds the slot finished and discards its error
    }
    // A panic fails this operation alone; the thread and its state carry on.
    let outcome =
        std::panic::catch_unwind(AssertUnwindSafe(|| op(state, &ticket))).unwrap_or_else(|panic| {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            outcome::error(PyRuntimeError::new_err(format!(
                "aioxide internal error: {reason}"
            )))
        });
    pending.fetch_sub(1, Ordering::AcqRel);
    completer.complete(outcome);
}

/// The worker no longer accepts work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerClosed;

impl std::fmt::Display for WorkerClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("worker is closed")
    }
}

impl std::error::Error for WorkerClosed {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn jobs_run_in_order_on_one_thread_and_close_is_final() {
        let worker = Worker::spawn("test-worker", Vec::<u32>::new).unwrap();
        let (tx, rx) = mpsc::channel();
        for i in 0..100 {
            worker.run(move |seen| seen.push(i)).unwrap();
        }
        worker
            .run(move |seen| {
                tx.send((
                    seen.clone(),
                    std::thread::current().name().map(str::to_owned),
                ))
                .unwrap()
            })
            .unwrap();
        let (seen, name) = rx.recv().unwrap();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert_eq!(name.as_deref(), Some("test-worker"));
        worker.jobs.lock().unwrap().take();
        assert!(worker.is_closed());
        assert_eq!(worker.run(|_| {}), Err(WorkerClosed));
    }

    #[test]
    fn dropping_the_worker_lets_queued_jobs_finish_and_the_thread_exit() {
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let worker = Worker::spawn("test-drop", || ()).unwrap();
        for _ in 0..10 {
            let done = done.clone();
            worker
                .run(move |_| {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
                .unwrap();
        }
        let thread = worker.thread.lock().unwrap().take().unwrap();
        drop(worker);
        thread.join().unwrap();
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 10);
    }
}
