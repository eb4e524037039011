//! Where a combinator's items come from: a sync iterator, an async
//! iterator (its `__anext__()` awaitables driven directly), or another
//! native combinator (called in Rust, with no Python protocol in between).

use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::{intern, PyTraverseError, PyVisit};

use crate::depth::Layer;
use crate::native::NativeIter;
use aioxide_bridge::drive::{awaitable_iter_or, send, Poll, Resume};

pub enum Source {
    Sync(Py<PyAny>),
    Async {
        iterator: Py<PyAny>,
        /// `iterator.__anext__`, looked up once.
        anext: Py<PyAny>,
        /// The awaitable of the `__anext__()` call in progress, if suspended.
        current: Option<Py<PyAny>>,
    },
    Native(Py<NativeIter>),
}

/// `iterator.__anext__()`: through the type's `am_anext` slot when it has
/// one (async generators, native iterators), else the looked-up method.
#[inline]
fn next_awaitable<'py>(
    py: Python<'py>,
    iterator: &Py<PyAny>,
    anext: &Py<PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: reading the type's slot table of a live object; calling the
    // slot with that object is what `type(it).__anext__(it)` does.
    unsafe {
        let ty = ffi::Py_TYPE(iterator.as_ptr());
        let methods = (*ty).tp_as_async;
        if !methods.is_null() {
            if let Some(slot) = (*methods).am_anext {
                let raw = slot(iterator.as_ptr());
                return Bound::from_owned_ptr_or_err(py, raw);
            }
        }
    }
    anext.bind(py).call0()
}

impl Source {
    /// Wraps any sync or async iterable.
    pub fn new(iterable: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = iterable.py();
        if let Ok(native) = iterable.cast::<NativeIter>() {
            return Ok(Source::Native(native.clone().unbind()));
        }
        let ty = iterable.get_type();
        // As `async for` does: step what `__aiter__()` returns, which is the
        // object itself for most iterators but not for all (aiobotocore's
        // paginators return an async generator).
        if ty.hasattr(intern!(py, "__aiter__"))? {
            let iterator = iterable.call_method0(intern!(py, "__aiter__"))?;
            if let Ok(native) = iterator.cast::<NativeIter>() {
                return Ok(Source::Native(native.clone().unbind()));
            }
            if !iterator.get_type().hasattr(intern!(py, "__anext__"))? {
                return Err(PyTypeError::new_err(format!(
                    "'async for' received an object from __aiter__ that does not implement __anext__: {}",
                    iterator.get_type().name()?
                )));
            }
            return Self::asynchronous(iterator);
        }
        match iterable.try_iter() {
            Ok(iter) => Ok(Source::Sync(iter.into_any().unbind())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "'{}' object is not iterable",
                ty.name()?
            ))),
        }
    }

    fn asynchronous(iterator: Bound<'_, PyAny>) -> PyResult<Self> {
        let anext = iterator
            .getattr(intern!(iterator.py(), "__anext__"))?
            .unbind();
        Ok(Source::Async {
            iterator: iterator.unbind(),
            anext,
            current: None,
        })
    }

    /// Advances to the next item.
    pub fn poll(&mut self, py: Python<'_>, resume: Resume) -> Poll {
        match self {
            Source::Sync(iter) => {
                if let Resume::Throw(err) = resume {
                    return Poll::Err(err);
                }
                // SAFETY: `iter` is an iterator object (from PyObject_GetIter).
                let next = unsafe { ffi::PyIter_Next(iter.as_ptr()) };
                if next.is_null() {
                    return match PyErr::take(py) {
                        Some(err) => Poll::fail(err),
                        None => Poll::Done,
                    };
                }
                // SAFETY: PyIter_Next returned a new reference.
                Poll::Ready(unsafe { Bound::from_owned_ptr(py, next) }.unbind())
            }
            Source::Async {
                iterator,
                anext,
                current,
            } => {
                // A Bound while in hand: dropping it is a plain decref.
                let (step, resume) = match current.take() {
                    Some(step) => (step.into_bound(py), resume),
                    None => {
                        if let Resume::Throw(err) = resume {
                            return Poll::Err(err);
                        }
                        let started = next_awaitable(py, iterator, anext).and_then(|next| {
                            awaitable_iter_or(next, |type_name| {
                                PyTypeError::new_err(format!(
                                    "'async for' received an invalid object from __anext__: {type_name}"
                                ))
                            })
                        });
                        match started {
                            Ok(step) => (step, Resume::Start),
                            Err(err) => return Poll::fail(err),
                        }
                    }
                };
                match send(py, &step, resume) {
                    Poll::Pending(yielded) => {
                        *current = Some(step.unbind());
                        Poll::Pending(yielded)
                    }
                    Poll::Err(err) if err.is_instance_of::<PyStopAsyncIteration>(py) => Poll::Done,
                    other => other,
                }
            }
            Source::Native(node) => {
                let _layer = match Layer::enter() {
                    Ok(layer) => layer,
                    Err(err) => return Poll::fail(err),
                };
                match node.get().state(py) {
                    Ok(mut node) => node.poll(py, resume),
                    Err(err) => Poll::fail(err),
                }
            }
        }
    }

    /// Ends an interrupted `__anext__()` and closes an async source (its
    /// `aclose()` awaitable, to be awaited by the caller, if it has one).
    pub fn close(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self {
            Source::Sync(_) => Ok(None),
            Source::Async {
                iterator, current, ..
            } => {
                if let Some(step) = current.take() {
                    let _ = step.bind(py).call_method0(intern!(py, "close"));
                }
                let iterator = iterator.bind(py);
                if iterator.hasattr(intern!(py, "aclose"))? {
                    return Ok(Some(iterator.call_method0(intern!(py, "aclose"))?.unbind()));
                }
                Ok(None)
            }
            Source::Native(node) => {
                let _layer = Layer::enter()?;
                node.get().state(py)?.close_source(py)
            }
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self {
            Source::Sync(iter) => visit.call(iter),
            Source::Async {
                iterator,
                anext,
                current,
            } => {
                visit.call(iterator)?;
                visit.call(anext)?;
                if let Some(step) = current {
                    visit.call(step)?;
                }
                Ok(())
            }
            Source::Native(node) => visit.call(node),
        }
    }
}
