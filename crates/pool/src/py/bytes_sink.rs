//! `BytesSink`: a Python `bytes` that a large frame's payload is received
//! into directly, so the payload reaches Python with no copy after the
//! kernel's (through the receive buffer it cost a copy into a `bytes` of
//! megabytes per `map` chunk, about a tenth of the parent's time on a map
//! of 10 KB items).

use std::any::Any;
use std::ptr::NonNull;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::frame::PayloadSink;

/// A `bytes` of a payload's length, not yet handed to Python code.
pub struct BytesSink {
    bytes: Py<PyBytes>,
    /// The first byte of `bytes`' storage.
    data: NonNull<u8>,
    len: usize,
}

// SAFETY: `data` points into the storage of `bytes`, which this sink owns
// and which lives (and never moves: a bytes object's storage is inline) as
// long as the sink does. It is only dereferenced through `&mut self`, so by
// one thread at a time; `Py<PyBytes>` itself is `Send`.
unsafe impl Send for BytesSink {}

impl BytesSink {
    /// A new `bytes` of `len` bytes to fill, or None when Python cannot
    /// allocate it (the frame then goes through the receive buffer).
    pub fn new(py: Python<'_>, len: usize) -> Option<Self> {
        let size = ffi::Py_ssize_t::try_from(len).ok()?;
        // SAFETY: a NULL source asks CPython for a bytes object whose
        // contents are left for the caller to fill before anyone reads it
        // (documented for PyBytes_FromStringAndSize); the GIL is held.
        let raw = unsafe { ffi::PyBytes_FromStringAndSize(std::ptr::null(), size) };
        // SAFETY: `raw` is a new reference, or NULL with an exception set.
        let bytes = match unsafe { Bound::from_owned_ptr_or_err(py, raw) } {
            Ok(ob) => ob.cast_into::<PyBytes>().ok()?.unbind(),
            Err(_memory_error) => return None,
        };
        // SAFETY: `bytes` is a live bytes object; PyBytes_AsString returns
        // its inline storage (len + 1 bytes, the last a NUL CPython wrote).
        let data = NonNull::new(unsafe { ffi::PyBytes_AsString(bytes.as_ptr()) }.cast::<u8>())?;
        Some(BytesSink { bytes, data, len })
    }

    /// The filled `bytes`.
    pub fn into_bytes(self) -> Py<PyBytes> {
        self.bytes
    }
}

impl PayloadSink for BytesSink {
    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `data` is the start of `len` bytes of storage owned by
        // `self.bytes` (see `new`). No Python code has seen the object yet
        // (it is handed out by `into_bytes` only when full), so nothing
        // reads or hashes it while it is written, and `&mut self` makes
        // this the only slice over it.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
