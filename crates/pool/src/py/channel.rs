//! `Channel`: a framed socket link seen from Python.
//!
//! `send` / `send_many` queue frames without blocking the event loop.
//! `recv()` returns a bridge `Completion` that resolves to every frame that
//! has arrived (a list of `(kind, id, payload)`), so a reader task costs one
//! loop wake-up per batch, not per frame. When the peer goes away, `recv()`
//! raises `EOFError` once the frames that did arrive have been handed out.
//!
//! A channel made with `polled=True` has no reader thread: its owner's event
//! loop watches `fileno` and calls `read_ready()` when it turns readable
//! (`loop.add_reader`), which saves the two thread hand-offs of the reader
//! thread per message.

use aioxide_sync::Unpoisoned;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aioxide_bridge::{outcome, pending, Completer, Completion};
use pyo3::exceptions::{
    PyBrokenPipeError, PyConnectionError, PyEOFError, PyOSError, PyRuntimeError, PyTypeError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyList, PyTuple, PyTypeMethods};

use super::bytes_sink::BytesSink;
use crate::frame::{
    encode_header_into, encode_into, Frame, PayloadSink, TooLarge, HEADER_LEN, MAX_PAYLOAD,
};
use crate::link::{End, Event, Incoming, Link, SendError};
use crate::outbox::Outbox;

#[derive(Default)]
struct Inbox {
    frames: Vec<Frame>,
    /// The completer of the one outstanding `recv()`, if it is waiting.
    waiter: Option<Completer>,
    /// Set once the reader thread stopped.
    ended: Option<String>,
}

type SharedInbox = Arc<Mutex<Inbox>>;

fn lock(inbox: &SharedInbox) -> MutexGuard<'_, Inbox> {
    inbox.locked()
}

/// One end of a framed socket link (pool ↔ child).
#[pyclass(module = "aioxide._core", frozen)]
pub struct Channel {
    link: Link,
    inbox: SharedInbox,
}

/// One frame's payload as given to `send_many`: a `bytes`, or a list of
/// `bytes` pieces.
enum Pieces<'py> {
    One(Bound<'py, PyBytes>),
    Many(Vec<Bound<'py, PyBytes>>, usize),
}

impl<'py> Pieces<'py> {
    fn of(payload: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = payload.cast::<PyBytes>() {
            return Ok(Self::One(bytes.clone()));
        }
        let Ok(list) = payload.cast::<PyList>() else {
            return Err(PyTypeError::new_err(format!(
                "a frame's payload is bytes or a list of bytes, not {}",
                payload.get_type().name()?
            )));
        };
        let mut pieces = Vec::with_capacity(list.len());
        let mut len: usize = 0;
        for piece in list.iter() {
            let piece = piece.cast_into::<PyBytes>().map_err(|err| {
                PyTypeError::new_err(format!("a payload piece must be bytes: {err}"))
            })?;
            // Saturates instead of wrapping: a total past MAX_PAYLOAD is
            // refused by the caller either way.
            len = len.saturating_add(piece.as_bytes().len());
            pieces.push(piece);
        }
        Ok(Self::Many(pieces, len))
    }

    fn len(&self) -> usize {
        match self {
            Self::One(bytes) => bytes.as_bytes().len(),
            Self::Many(_, len) => *len,
        }
    }

    /// Queues the pieces after their frame's header: small ones copied,
    /// large ones lent to the link (kept alive, written from where they
    /// are: `bytes` never change).
    fn queue_into(self, out: &mut Outbox) {
        let pieces = match self {
            Self::One(bytes) => vec![bytes],
            Self::Many(pieces, _) => pieces,
        };
        for piece in pieces {
            if piece.as_bytes().len() < COPY_BELOW {
                out.copied().extend_from_slice(piece.as_bytes());
            } else {
                out.lend(Box::new(PyBackedBytes::from(piece)));
            }
        }
    }
}

/// Payloads this large are received into their `bytes` directly; smaller
/// ones are copied out of the receive buffer, which costs less than a
/// separate read per frame.
const RECEIVE_INTO_BYTES_FROM: usize = 256 * 1024;

/// Pieces shorter than this are copied into the link's buffer; longer
/// ones are lent to it. A copy of a few KB costs less than one more slice
/// to write and the reference kept for it.
const COPY_BELOW: usize = 32 * 1024;

fn frames_list(py: Python<'_>, frames: Vec<Frame>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for frame in frames {
        let item = PyTuple::new(
            py,
            [
                frame.kind.into_pyobject(py)?.into_any(),
                frame.id.into_pyobject(py)?.into_any(),
                PyBytes::new(py, &frame.payload).into_any(),
            ],
        )?;
        list.append(item)?;
    }
    Ok(list)
}

fn frames_outcome(frames: Vec<Frame>) -> outcome::Outcome {
    Box::new(move |py| Ok(frames_list(py, frames)?.into_any().unbind()))
}

fn ended_error(reason: &str) -> PyErr {
    if reason.is_empty() {
        PyEOFError::new_err("the other end of the channel closed it")
    } else {
        PyConnectionError::new_err(format!("the channel failed: {reason}"))
    }
}

fn deliver(inbox: &SharedInbox, event: Event) {
    let mut state = lock(inbox);
    match event {
        Event::Frames(frames) => state.frames.extend(frames),
        Event::Ended(End::Closed) => state.ended = Some(String::new()),
        Event::Ended(End::Failed(err)) => state.ended = Some(err.to_string()),
    }
    // A waiter cancelled by its task must not swallow frames: keep them for
    // the next recv().
    let Some(waiter) = state.waiter.take_if(|w| !w.ticket().is_cancelled()) else {
        return;
    };
    let outcome = if !state.frames.is_empty() {
        frames_outcome(std::mem::take(&mut state.frames))
    } else {
        let reason = state.ended.clone().unwrap_or_default();
        outcome::error(ended_error(&reason))
    };
    drop(state);
    waiter.complete(outcome);
}

fn end_reason(end: End) -> String {
    match end {
        End::Closed => String::new(),
        End::Failed(err) => err.to_string(),
    }
}

fn send_error(err: SendError) -> PyErr {
    match err {
        SendError::Closed => PyBrokenPipeError::new_err("the channel is closed"),
        SendError::Broken(_, message) => {
            PyBrokenPipeError::new_err(format!("the other end of the channel is gone ({message})"))
        }
        SendError::TooLarge(err) => PyValueError::new_err(err.to_string()),
    }
}

#[pymethods]
impl Channel {
    /// Wraps a duplicate of the connected stream socket `fd`; the caller may
    /// close its own descriptor afterwards.
    #[new]
    #[pyo3(signature = (fd, name = "aioxide-channel", polled = false))]
    fn new(fd: i32, name: &str, polled: bool) -> PyResult<Self> {
        if fd < 0 {
            return Err(PyValueError::new_err(format!(
                "invalid file descriptor {fd}"
            )));
        }
        // SAFETY: the caller passes the descriptor of a socket object it keeps
        // alive for the duration of this call; we only borrow it long enough
        // to duplicate it into a descriptor we own.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned: OwnedFd = borrowed.try_clone_to_owned().map_err(PyOSError::new_err)?;
        let inbox = SharedInbox::default();
        let link = if polled {
            Link::polled(owned, name)
        } else {
            let for_reader = inbox.clone();
            Link::new(owned, name, move |event| deliver(&for_reader, event))
        }
        .map_err(PyOSError::new_err)?;
        Ok(Self { link, inbox })
    }

    /// Queues one frame. Never blocks; raises `BrokenPipeError` once the
    /// other end is gone.
    fn send(&self, kind: u8, id: u64, payload: &[u8]) -> PyResult<()> {
        self.link
            .send(|out| encode_into(out.copied(), kind, id, payload))
            .map_err(send_error)
    }

    /// Queues several `(kind, id, payload)` frames with one write. A
    /// payload is a `bytes`, or a list of `bytes` pieces sent back to back
    /// as one payload (what `pickle.Pickler` wrote to a file, which spares
    /// the sender growing one big `bytes` for a large pickle).
    fn send_many(&self, frames: &Bound<'_, PyList>) -> PyResult<()> {
        // Every item is checked first, then all are encoded straight into
        // the link's buffer (one copy of each payload, one reservation).
        let mut items = Vec::with_capacity(frames.len());
        let mut size = 0;
        for item in frames.iter() {
            let (kind, id, payload): (u8, u64, Bound<'_, PyAny>) = item.extract()?;
            let pieces = Pieces::of(&payload)?;
            let len = pieces.len();
            if len > MAX_PAYLOAD {
                return Err(PyValueError::new_err(TooLarge(len).to_string()));
            }
            size += HEADER_LEN + len;
            items.push((kind, id, pieces));
        }
        self.link
            .send(|out| {
                out.copied()
                    .reserve(size.min(COPY_BELOW.saturating_mul(items.len())));
                for (kind, id, pieces) in items {
                    encode_header_into(out.copied(), kind, id, pieces.len())?;
                    pieces.queue_into(out);
                }
                Ok(())
            })
            .map_err(send_error)
    }

    /// Awaitable: the frames received since the last call, at least one.
    /// Raises `EOFError` when the other end closed and nothing is left.
    fn recv(&self, py: Python<'_>) -> PyResult<Py<Completion>> {
        if self.link.is_polled() {
            return Err(PyRuntimeError::new_err(
                "this channel is polled: its owner calls read_ready() when fileno is readable",
            ));
        }
        let mut state = lock(&self.inbox);
        if !state.frames.is_empty() {
            let frames = std::mem::take(&mut state.frames);
            drop(state);
            return aioxide_bridge::completion::ready(py, frames_outcome(frames));
        }
        if let Some(reason) = state.ended.clone() {
            drop(state);
            return aioxide_bridge::completion::ready(py, outcome::error(ended_error(&reason)));
        }
        if state
            .waiter
            .as_ref()
            .is_some_and(|w| !w.ticket().is_cancelled())
        {
            return Err(PyRuntimeError::new_err(
                "recv() is already being awaited on this channel",
            ));
        }
        let (completion, completer) = pending(py)?;
        state.waiter = Some(completer);
        Ok(completion)
    }

    /// Polled channels: the frames that arrived, read now without waiting
    /// (an empty list when none is complete yet). Raises `EOFError` once
    /// the other end closed and every frame before that was returned
    /// (`ConnectionError` if the link failed).
    fn read_ready<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if let Some(reason) = lock(&self.inbox).ended.clone() {
            return Err(ended_error(&reason));
        }
        let list = PyList::empty(py);
        let append = |kind: u8, id: u64, payload: Bound<'py, PyAny>| {
            let kind = kind.into_pyobject(py)?.into_any();
            let id = id.into_pyobject(py)?.into_any();
            list.append(PyTuple::new(py, [kind, id, payload])?)
        };
        // A small payload becomes a `bytes` straight from the receive
        // buffer; a large one is received into its `bytes` directly.
        let read = self.link.read_ready_into_sinks(
            RECEIVE_INTO_BYTES_FROM,
            |len| BytesSink::new(py, len).map(|sink| Box::new(sink) as Box<dyn PayloadSink>),
            |incoming| match incoming {
                Incoming::InPlace(frame) => append(
                    frame.kind,
                    frame.id,
                    PyBytes::new(py, frame.payload).into_any(),
                ),
                Incoming::Whole(whole) => {
                    let payload = match whole.payload.into_any().downcast::<BytesSink>() {
                        Ok(sink) => sink.into_bytes().into_bound(py).into_any(),
                        Err(_) => {
                            return Err(PyRuntimeError::new_err(
                                "a received payload is not in the bytes made for it",
                            ))
                        }
                    };
                    append(whole.kind, whole.id, payload)
                }
            },
        );
        let Some(end) = read else {
            return Err(PyRuntimeError::new_err(
                "this channel has a reader thread: await recv() instead",
            ));
        };
        if let Some(end) = end? {
            let reason = end_reason(end);
            if list.is_empty() {
                return Err(ended_error(&reason));
            }
            // These frames first; the end at the next call.
            lock(&self.inbox).ended = Some(reason);
        }
        Ok(list)
    }

    /// The socket a polled channel's owner watches for readability.
    #[getter]
    fn fileno(&self) -> i32 {
        self.link.raw_fd()
    }

    /// Blocks (without the GIL) until queued frames are written, at most
    /// `timeout` seconds. Returns whether everything was written.
    #[pyo3(signature = (timeout = 10.0))]
    fn flush(&self, py: Python<'_>, timeout: f64) -> bool {
        let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
        py.detach(|| self.link.flush(timeout))
    }

    /// Shuts the link down in both directions (idempotent).
    fn close(&self) {
        self.link.shutdown();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.link.is_shut_down()
    }

    /// Bytes queued but not yet written to the socket.
    #[getter]
    fn unsent(&self) -> usize {
        self.link.unsent()
    }
}
