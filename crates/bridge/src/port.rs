//! One completion port per event loop.
//!
//! Worker threads push deliveries onto the port's queue without the GIL and
//! wake the loop only when the queue goes from empty to non-empty: by ringing
//! a socket-pair bell watched with `loop.add_reader`, or, for loops that
//! cannot watch file descriptors, with one `call_soon_threadsafe(drain)` per
//! batch. The drain runs on the loop thread and resolves every delivered
//! future in one pass.

use aioxide_sync::Unpoisoned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use pyo3::exceptions::{PyAttributeError, PyNotImplementedError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};
use pyo3::{intern, Py};

use crate::bell::Bell;
use crate::outcome::Outcome;
use crate::queue::{DeliveryQueue, Pushed};

/// A future waiting for its result, and the result.
pub(crate) struct Delivery {
    pub future: Py<PyAny>,
    pub outcome: Outcome,
}

/// How a worker wakes the loop after queueing the first delivery of a batch.
enum Wake {
    /// The loop watches the bell with `add_reader`: ringing needs no GIL.
    Bell,
    /// The loop cannot watch fds: schedule the drain with `call_soon_threadsafe`.
    CallSoon {
        event_loop: LoopRef,
        drain: Py<PortDrain>,
    },
}

/// A reference to a loop that does not keep it alive when it supports weak references.
enum LoopRef {
    Weak(Py<PyWeakrefReference>),
    Strong(Py<PyAny>),
}

impl LoopRef {
    fn get<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        match self {
            LoopRef::Weak(w) => w.bind(py).upgrade(),
            LoopRef::Strong(l) => Some(l.bind(py).clone()),
        }
    }

    fn clone_ref(&self, py: Python<'_>) -> Self {
        match self {
            LoopRef::Weak(w) => LoopRef::Weak(w.clone_ref(py)),
            LoopRef::Strong(l) => LoopRef::Strong(l.clone_ref(py)),
        }
    }
}

/// The part of a port that worker threads hold on to.
pub struct PortShared {
    queue: DeliveryQueue<Delivery>,
    bell: Bell,
    wake: OnceLock<Wake>,
}

impl PortShared {
    /// Queues one delivery; wakes the loop if this starts a new batch.
    pub(crate) fn deliver(&self, delivery: Delivery) {
        match self.queue.push(delivery) {
            Pushed::First => self.wake(),
            Pushed::Queued => {}
            // The loop is gone: the future can never be resolved, and the
            // Python references drop through PyO3's deferred release.
            Pushed::Closed(_) => {}
        }
    }

    fn wake(&self) {
        match self.wake.get() {
            Some(Wake::Bell) | None => self.bell.ring(),
            Some(Wake::CallSoon { event_loop, drain }) => {
                // try_attach: never block a worker on an interpreter that is
                // shutting down; the loop cannot run a drain then anyway.
                let _ = Python::try_attach(|py| {
                    if let Some(lp) = event_loop.get(py) {
                        // A closed loop refuses; its port is closed when the loop goes.
                        let _ =
                            lp.call_method1(intern!(py, "call_soon_threadsafe"), (drain.bind(py),));
                    }
                });
            }
        }
    }

    /// Resolves every queued future. Runs on the loop thread.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        self.bell.clear();
        let batch = self.queue.take_all();
        let mut first_error = None;
        for Delivery { future, outcome } in batch {
            let future = future.bind(py);
            // A cancelled waiter (or one resolved by someone else) takes nothing.
            if future.call_method0(intern!(py, "done"))?.is_truthy()? {
                continue;
            }
            let resolved = match outcome(py) {
                Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
                Err(err) => {
                    future.call_method1(intern!(py, "set_exception"), (err.into_value(py),))
                }
            };
            if let Err(err) = resolved {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn close(&self) -> Vec<Delivery> {
        self.queue.close()
    }
}

/// The drain callback handed to the loop. It holds the port weakly, so the
/// loop's handle never keeps a dead port's file descriptors open.
#[pyclass(module = "aioxide._core", frozen)]
pub struct PortDrain {
    port: Weak<PortShared>,
}

#[pymethods]
impl PortDrain {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        match self.port.upgrade() {
            Some(port) => port.drain(py),
            None => Ok(()),
        }
    }
}

/// Runs when a loop is garbage-collected: forgets and closes its port.
#[pyclass(module = "aioxide._core", frozen)]
pub struct PortCloser {
    key: usize,
}

#[pymethods]
impl PortCloser {
    fn __call__(&self, _dead: &Bound<'_, PyAny>) {
        let removed = registry().locked().remove(&self.key);
        if let Some(entry) = removed {
            // Dropped with the GIL held, so the futures' references go at once.
            drop(entry.port.close());
        }
    }
}

struct Entry {
    event_loop: LoopRef,
    port: Arc<PortShared>,
    watched_fd: bool,
}

// Keyed by the loop object's address; each entry checks it still refers to
// the same live loop, so a reused address can never pick up a stale port.
fn registry() -> &'static Mutex<HashMap<usize, Entry>> {
    static REGISTRY: OnceLock<Mutex<HashMap<usize, Entry>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The running event loop of this thread (`asyncio.get_running_loop()`).
pub fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
}

/// The port of `event_loop`, created (and registered with the loop) on first use.
pub fn port_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<PortShared>> {
    let key = event_loop.as_ptr() as usize;
    {
        let ports = registry().locked();
        if let Some(entry) = ports.get(&key) {
            if entry.event_loop.get(py).is_some_and(|l| l.is(event_loop)) {
                return Ok(entry.port.clone());
            }
        }
    }
    release_closed_loops(py);
    let entry = open_port(py, event_loop, key)?;
    let port = entry.port.clone();
    let stale = registry().locked().insert(key, entry);
    if let Some(stale) = stale {
        drop(stale.port.close());
    }
    Ok(port)
}

/// Closes the ports of loops that were closed. Deliveries queued for a
/// closed loop hold its futures, and through them the loop itself, so such a
/// loop is never collected on its own; this runs whenever a new loop starts
/// using the bridge.
pub fn release_closed_loops(py: Python<'_>) -> usize {
    // Never call into Python with the registry locked: Python code can let
    // another thread take the GIL, and that thread may be waiting for this lock.
    let candidates: Vec<(usize, Option<Bound<'_, PyAny>>)> = {
        let ports = registry().locked();
        ports
            .iter()
            .map(|(key, entry)| (*key, entry.event_loop.get(py)))
            .collect()
    };
    let closed_keys: Vec<(usize, Option<Bound<'_, PyAny>>)> = candidates
        .into_iter()
        .filter(|(_, lp)| match lp {
            None => true,
            Some(lp) => lp
                .call_method0(intern!(py, "is_closed"))
                .and_then(|c| c.is_truthy())
                .unwrap_or(false),
        })
        .collect();
    let closed: Vec<Entry> = {
        let mut ports = registry().locked();
        closed_keys
            .iter()
            .filter_map(|(key, lp)| {
                // Only if the entry still belongs to the loop we looked at.
                let same = ports
                    .get(key)
                    .is_some_and(|e| match (e.event_loop.get(py), lp) {
                        (Some(now), Some(then)) => now.is(then),
                        (None, None) => true,
                        _ => false,
                    });
                if same {
                    ports.remove(key)
                } else {
                    None
                }
            })
            .collect()
    };
    // Outside the registry lock: dropping futures can run arbitrary Python.
    for entry in &closed {
        drop(entry.port.close());
    }
    closed.len()
}

fn open_port(py: Python<'_>, event_loop: &Bound<'_, PyAny>, key: usize) -> PyResult<Entry> {
    let bell = Bell::new()?;
    let fd = bell.fd();
    let port = Arc::new(PortShared {
        queue: DeliveryQueue::new(),
        bell,
        wake: OnceLock::new(),
    });
    let drain = Py::new(
        py,
        PortDrain {
            port: Arc::downgrade(&port),
        },
    )?;
    let loop_ref = match PyWeakrefReference::new_with(event_loop, PortCloser { key }) {
        Ok(weak) => LoopRef::Weak(weak.unbind()),
        // A loop type without weak-reference support: the port lives as long as the process.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {
            LoopRef::Strong(event_loop.clone().unbind())
        }
        Err(e) => return Err(e),
    };
    let watched = event_loop.call_method1(intern!(py, "add_reader"), (fd, drain.bind(py)));
    let wake = match watched {
        Ok(_) => Wake::Bell,
        Err(e)
            if e.is_instance_of::<PyNotImplementedError>(py)
                || e.is_instance_of::<PyAttributeError>(py) =>
        {
            Wake::CallSoon {
                event_loop: loop_ref.clone_ref(py),
                drain,
            }
        }
        Err(e) => return Err(e),
    };
    let watched_fd = matches!(wake, Wake::Bell);
    let _ = port.wake.set(wake);
    Ok(Entry {
        event_loop: loop_ref,
        port,
        watched_fd,
    })
}

/// How many loops currently have a port, and how many of those watch their
/// bell with `add_reader` (the rest use the `call_soon_threadsafe` fallback).
pub fn port_counts() -> (usize, usize) {
    let ports = registry().locked();
    let watched = ports.values().filter(|e| e.watched_fd).count();
    (ports.len(), watched)
}
