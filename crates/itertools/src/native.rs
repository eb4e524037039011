//! `NativeIter`: an async iterator combinator implemented in Rust.
//!
//! One state machine per combinator: it pulls items from its source
//! (advancing awaitables in place), applies its operation, and drives the
//! awaitable of an async user function in place too. A chain of native
//! combinators runs as nested Rust calls: per item there is one `Step`
//! object and one `StopIteration` at the outer end, however long the chain.

use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::gil_cell::{GilCell, GilRefMut};
use crate::source::Source;
use aioxide_bridge::drive::{classify, send, Called, Poll, Resume};

/// What a combinator does with each item.
pub enum Op {
    Map {
        func: Py<PyAny>,
    },
    FilterFalse {
        predicate: Py<PyAny>,
    },
    TakeWhile {
        predicate: Py<PyAny>,
    },
    DropWhile {
        predicate: Py<PyAny>,
        dropping: bool,
    },
    Enumerate {
        next: i64,
    },
    ISlice {
        index: u64,
        wanted: u64,
        stop: Option<u64>,
        step: u64,
    },
    Accumulate {
        func: Py<PyAny>,
        total: Option<Py<PyAny>>,
        initial: Option<Py<PyAny>>,
    },
    Batched {
        size: usize,
        strict: bool,
        batch: Vec<Py<PyAny>>,
    },
    Zip {
        sources: Vec<Source>,
        values: Vec<Py<PyAny>>,
    },
    Chain {
        outer: Source,
        current: Option<Source>,
    },
    /// `count(start, step)`: no source.
    Count {
        next: Py<PyAny>,
        step: Py<PyAny>,
    },
    /// `repeat(elem, n)`: `left` is None for forever.
    Repeat {
        elem: Py<PyAny>,
        left: Option<u64>,
    },
    /// `cycle(itr)`: the first pass is saved, then replayed.
    Cycle {
        saved: Vec<Py<PyAny>>,
        replay: Option<usize>,
    },
    /// `compress(itr, selectors)`.
    Compress {
        selectors: Source,
        item: Option<Py<PyAny>>,
    },
    /// `groupby(itr, key)`: `(key, [items])` per run of equal keys.
    GroupBy {
        key: Option<Py<PyAny>>,
        current: Option<(Py<PyAny>, Vec<Py<PyAny>>)>,
    },
    /// `zip_longest(*itrs, fillvalue)`.
    ZipLongest {
        sources: Vec<Source>,
        live: Vec<bool>,
        values: Vec<Py<PyAny>>,
        fill: Py<PyAny>,
    },
}

fn group_tuple(py: Python<'_>, key: Py<PyAny>, run: Vec<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    let items = pyo3::types::PyList::new(py, run)?;
    Ok(PyTuple::new(py, [key, items.into_any().unbind()])?
        .into_any()
        .unbind())
}

/// The value `compress` hands itself for an item its selector rejects.
fn skip_marker(py: Python<'_>) -> Py<PyAny> {
    static MARKER: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    MARKER
        .get_or_init(py, || {
            // A fresh `object()`: nothing a selector could hand back is it.
            pyo3::types::PyAnyMethods::call0(&py.get_type::<pyo3::types::PyAny>().into_any())
                .map(Bound::unbind)
                .unwrap_or_else(|_| py.None())
        })
        .clone_ref(py)
}

/// What to do after an item (and, for async user functions, its result).
enum Next {
    Emit(Py<PyAny>),
    Skip,
    Stop,
    Await(Py<PyAny>, Py<PyAny>),
}

/// A native async iterator (see the module docs).
///
/// Frozen: its state sits in a `GilCell`, whose borrow flag is a plain
/// bool (PyO3's is an atomic compare-and-swap, taken twice per item).
#[pyclass(module = "aioxide._core", frozen)]
pub struct NativeIter {
    state: GilCell<IterState>,
}

/// What a native iterator is doing: its source, operation and progress.
pub struct IterState {
    source: Option<Source>,
    op: Op,
    /// An async user function's awaitable in progress, and the item it is for.
    awaiting: Option<(Py<PyAny>, Py<PyAny>)>,
    finished: bool,
    /// The last `__anext__()` awaitable, reused once nobody else holds it.
    spare: Option<Py<Step>>,
    /// The awaitable (by address) whose step is suspended mid-item: no other
    /// may advance the iterator until it finishes.
    busy: Option<usize>,
}

fn already_running() -> PyErr {
    PyRuntimeError::new_err("anext(): asynchronous iterator is already running")
}

impl NativeIter {
    pub fn new(source: Option<Source>, op: Op) -> Self {
        Self {
            state: GilCell::new(IterState {
                source,
                op,
                awaiting: None,
                finished: false,
                spare: None,
                busy: None,
            }),
        }
    }

    /// The iterator's state, or "already running" while it is being stepped.
    pub fn state<'a>(&'a self, py: Python<'_>) -> PyResult<GilRefMut<'a, IterState>> {
        self.state.try_borrow_mut(py).ok_or_else(already_running)
    }

    /// The awaitable for the next item: the previous one, reused when
    /// nothing else holds it.
    pub fn next_step(slf: &Bound<'_, Self>) -> PyResult<Py<Step>> {
        let py = slf.py();
        let mut this = slf.get().state(py)?;
        if let Some(spare) = &this.spare {
            // Only this iterator holds it: the previous await is over.
            // SAFETY: reading the reference count of a live object.
            if unsafe { pyo3::ffi::Py_REFCNT(spare.as_ptr()) } == 1 {
                spare.get().done.store(false, Ordering::Relaxed);
                return Ok(spare.clone_ref(py));
            }
        }
        let step = Py::new(
            py,
            Step {
                node: slf.clone().unbind(),
                done: AtomicBool::new(false),
            },
        )?;
        this.spare = Some(step.clone_ref(py));
        Ok(step)
    }
}

impl IterState {
    /// Advances by one item (see `drive` for the protocol).
    pub fn poll(&mut self, py: Python<'_>, mut resume: Resume) -> Poll {
        // chain passes items through untouched: while an iterable is in
        // progress, its next item is the answer (nothing to check first,
        // nothing to apply after), so skip the general loop.
        if let (
            Op::Chain {
                current: Some(inner),
                ..
            },
            false,
        ) = (&mut self.op, self.finished)
        {
            match inner.poll(py, resume) {
                Poll::Done => resume = Resume::Start,
                Poll::Err(err) => return self.fail(err),
                ready_or_pending => return ready_or_pending,
            }
            if let Op::Chain { current, .. } = &mut self.op {
                *current = None;
            }
        }
        loop {
            if let Some((step, item)) = self.awaiting.take() {
                match send(py, step.bind(py), resume) {
                    Poll::Pending(yielded) => {
                        self.awaiting = Some((step, item));
                        return Poll::Pending(yielded);
                    }
                    Poll::Ready(result) => {
                        resume = Resume::Start;
                        match self.after_call(py, item, result) {
                            Ok(Next::Emit(value)) => return Poll::Ready(value),
                            Ok(Next::Skip) => continue,
                            Ok(Next::Stop) => return self.stop(),
                            Ok(Next::Await(..)) => {
                                return self.fail(internal_error("after_call asked to await"))
                            }
                            Err(err) => return self.fail(err),
                        }
                    }
                    Poll::Err(err) => return self.fail(err),
                    Poll::Done => return self.stop(),
                }
            }
            if self.finished {
                return Poll::Done;
            }
            if let Some(early) = self.before_item(py) {
                return early;
            }
            let item = match self.pull(py, resume) {
                Poll::Ready(item) => item,
                Poll::Done => return self.at_end(py),
                Poll::Err(err) => return self.fail(err),
                pending @ Poll::Pending(_) => return pending,
            };
            resume = Resume::Start;
            match self.on_item(py, item) {
                Ok(Next::Emit(value)) => return Poll::Ready(value),
                Ok(Next::Skip) => continue,
                Ok(Next::Stop) => return self.stop(),
                Ok(Next::Await(step, item)) => self.awaiting = Some((step, item)),
                Err(err) => return self.fail(err),
            }
        }
    }

    fn stop(&mut self) -> Poll {
        self.finished = true;
        Poll::Done
    }

    fn fail(&mut self, err: impl Into<Box<PyErr>>) -> Poll {
        self.finished = true;
        Poll::Err(err.into())
    }

    fn pull(&mut self, py: Python<'_>, resume: Resume) -> Poll {
        match &mut self.op {
            Op::Count { next, step } => {
                let current = next.clone_ref(py);
                return match current.bind(py).add(step.bind(py)) {
                    Ok(following) => {
                        *next = following.unbind();
                        Poll::Ready(current)
                    }
                    Err(err) => Poll::fail(err),
                };
            }
            Op::Repeat { elem, left } => {
                return match left {
                    Some(0) => Poll::Done,
                    Some(n) => {
                        *n -= 1;
                        Poll::Ready(elem.clone_ref(py))
                    }
                    None => Poll::Ready(elem.clone_ref(py)),
                };
            }
            Op::Cycle {
                saved,
                replay: Some(at),
            } => {
                if saved.is_empty() {
                    return Poll::Done;
                }
                let item = saved[*at].clone_ref(py);
                *at = (*at + 1) % saved.len();
                return Poll::Ready(item);
            }
            Op::ZipLongest {
                sources,
                live,
                values,
                fill,
            } => {
                let mut resume = Some(resume);
                while values.len() < sources.len() {
                    let i = values.len();
                    if !live[i] {
                        values.push(fill.clone_ref(py));
                        continue;
                    }
                    let next = resume.take().unwrap_or(Resume::Start);
                    match sources[i].poll(py, next) {
                        Poll::Ready(value) => values.push(value),
                        Poll::Done => {
                            live[i] = false;
                            values.push(fill.clone_ref(py));
                        }
                        other => return other,
                    }
                }
                if !live.iter().any(|l| *l) {
                    values.clear();
                    return Poll::Done;
                }
                return match PyTuple::new(py, values.drain(..)) {
                    Ok(tuple) => Poll::Ready(tuple.into_any().unbind()),
                    Err(err) => Poll::fail(err),
                };
            }
            Op::Compress { selectors, item } => {
                // The item first, then its selector; either may suspend.
                let mut resume = Some(resume);
                if item.is_none() {
                    let next = resume.take().unwrap_or(Resume::Start);
                    match self.source.as_mut().map(|s| s.poll(py, next)) {
                        Some(Poll::Ready(value)) => *item = Some(value),
                        Some(other) => return other,
                        None => return Poll::Done,
                    }
                }
                let next = resume.take().unwrap_or(Resume::Start);
                return match selectors.poll(py, next) {
                    Poll::Ready(selector) => {
                        let Some(value) = item.take() else {
                            return Poll::fail(internal_error("compress lost its item"));
                        };
                        match selector.bind(py).is_truthy() {
                            // Skip is signalled as Pending-free "not selected":
                            // hand back a marker the caller filters.
                            Ok(true) => Poll::Ready(value),
                            Ok(false) => Poll::Ready(skip_marker(py)),
                            Err(err) => Poll::fail(err),
                        }
                    }
                    Poll::Done => {
                        item.take();
                        Poll::Done
                    }
                    other => other,
                };
            }
            _ => {}
        }
        if let Op::Chain { outer, current } = &mut self.op {
            let mut resume = resume;
            loop {
                if let Some(inner) = current {
                    match inner.poll(py, resume) {
                        Poll::Done => {
                            *current = None;
                            resume = Resume::Start;
                        }
                        other => return other,
                    }
                }
                match outer.poll(py, resume) {
                    Poll::Ready(iterable) => match Source::new(iterable.bind(py)) {
                        Ok(inner) => {
                            *current = Some(inner);
                            resume = Resume::Start;
                        }
                        Err(err) => return Poll::fail(err),
                    },
                    other => return other,
                }
            }
        }
        if let Op::Zip { sources, values } = &mut self.op {
            let mut resume = Some(resume);
            while values.len() < sources.len() {
                let next = resume.take().unwrap_or(Resume::Start);
                match sources[values.len()].poll(py, next) {
                    Poll::Ready(value) => values.push(value),
                    other => return other,
                }
            }
            if values.is_empty() {
                return Poll::Done;
            }
            return match PyTuple::new(py, values.drain(..)) {
                Ok(tuple) => Poll::Ready(tuple.into_any().unbind()),
                Err(err) => Poll::fail(err),
            };
        }
        match &mut self.source {
            Some(source) => source.poll(py, resume),
            None => Poll::Done,
        }
    }

    /// Checks that come before pulling an item: a slice already complete,
    /// an `initial` value still to emit.
    fn before_item(&mut self, _py: Python<'_>) -> Option<Poll> {
        match &mut self.op {
            Op::ISlice {
                index,
                stop: Some(stop),
                ..
            } if *index >= *stop => Some(self.stop()),
            Op::Accumulate { initial, total, .. } => initial.take().map(|value| {
                *total = Some(value.clone_ref(_py));
                Poll::Ready(value)
            }),
            _ => None,
        }
    }

    /// Adds `item` (whose key is `key`) to the current run, or closes the run
    /// and starts a new one.
    fn group_item(&mut self, py: Python<'_>, item: Py<PyAny>, key: Py<PyAny>) -> PyResult<Next> {
        let Op::GroupBy { current, .. } = &mut self.op else {
            return Ok(Next::Emit(item));
        };
        match current {
            Some((run_key, run)) if !run_key.bind(py).ne(key.bind(py))? => {
                run.push(item);
                Ok(Next::Skip)
            }
            _ => {
                let finished = current.replace((key, vec![item]));
                match finished {
                    Some((run_key, run)) => Ok(Next::Emit(group_tuple(py, run_key, run)?)),
                    None => Ok(Next::Skip),
                }
            }
        }
    }

    /// The source ended.
    fn at_end(&mut self, py: Python<'_>) -> Poll {
        if let Op::GroupBy { current, .. } = &mut self.op {
            if let Some((run_key, run)) = current.take() {
                self.finished = true;
                return match group_tuple(py, run_key, run) {
                    Ok(tuple) => Poll::Ready(tuple),
                    Err(err) => Poll::fail(err),
                };
            }
        }
        if let Op::Cycle { saved, replay } = &mut self.op {
            if replay.is_none() && !saved.is_empty() {
                *replay = Some(0);
                return self.poll(py, Resume::Start);
            }
        }
        if let Op::Batched { batch, strict, .. } = &mut self.op {
            if !batch.is_empty() {
                if *strict {
                    return self.fail(PyValueError::new_err("batched: incomplete batch"));
                }
                let rest = std::mem::take(batch);
                self.finished = true;
                return match PyTuple::new(py, rest) {
                    Ok(tuple) => Poll::Ready(tuple.into_any().unbind()),
                    Err(err) => Poll::fail(err),
                };
            }
        }
        self.stop()
    }

    fn call(
        py: Python<'_>,
        func: &Py<PyAny>,
        args: &[&Py<PyAny>],
        item: &Py<PyAny>,
        then: impl FnOnce(Py<PyAny>) -> PyResult<Next>,
    ) -> PyResult<Next> {
        let result = match args {
            // SAFETY: calling a live callable with one live argument (vectorcall,
            // no argument tuple); a null result means a Python error is set.
            [one] => unsafe {
                let raw = pyo3::ffi::PyObject_CallOneArg(func.as_ptr(), one.as_ptr());
                Bound::from_owned_ptr_or_err(py, raw)?
            },
            _ => func
                .bind(py)
                .call1(PyTuple::new(py, args.iter().map(|a| a.clone_ref(py)))?)?,
        };
        match classify(result)? {
            Called::Value(value) => then(value),
            Called::Awaiting(step) => Ok(Next::Await(step, item.clone_ref(py))),
        }
    }

    fn on_item(&mut self, py: Python<'_>, item: Py<PyAny>) -> PyResult<Next> {
        match &mut self.op {
            Op::Map { func } => Self::call(py, func, &[&item], &item, |v| Ok(Next::Emit(v))),
            Op::FilterFalse { predicate } => {
                let keep = item.clone_ref(py);
                Self::call(py, predicate, &[&item], &item, |v| {
                    Ok(if v.bind(py).is_truthy()? {
                        Next::Skip
                    } else {
                        Next::Emit(keep)
                    })
                })
            }
            Op::TakeWhile { predicate } => {
                let keep = item.clone_ref(py);
                Self::call(py, predicate, &[&item], &item, |v| {
                    Ok(if v.bind(py).is_truthy()? {
                        Next::Emit(keep)
                    } else {
                        Next::Stop
                    })
                })
            }
            Op::DropWhile {
                predicate,
                dropping,
            } => {
                if !*dropping {
                    return Ok(Next::Emit(item));
                }
                let keep = item.clone_ref(py);
                let verdict = Self::call(py, predicate, &[&item], &item, |v| {
                    Ok(if v.bind(py).is_truthy()? {
                        Next::Skip
                    } else {
                        Next::Emit(keep)
                    })
                })?;
                if matches!(verdict, Next::Emit(_)) {
                    *dropping = false;
                }
                Ok(verdict)
            }
            Op::Enumerate { next } => {
                let index = *next;
                *next = next
                    .checked_add(1)
                    .ok_or_else(|| PyValueError::new_err("enumerate: count overflowed"))?;
                Ok(Next::Emit(
                    PyTuple::new(py, [index.into_pyobject(py)?.into_any().unbind(), item])?
                        .into_any()
                        .unbind(),
                ))
            }
            Op::ISlice {
                index,
                wanted,
                step,
                ..
            } => {
                let here = *index;
                *index += 1;
                if here == *wanted {
                    *wanted = wanted.saturating_add(*step);
                    Ok(Next::Emit(item))
                } else {
                    Ok(Next::Skip)
                }
            }
            Op::Accumulate { func, total, .. } => match total.take() {
                None => {
                    *total = Some(item.clone_ref(py));
                    Ok(Next::Emit(item))
                }
                Some(previous) => {
                    let next =
                        Self::call(py, func, &[&previous, &item], &item, |v| Ok(Next::Emit(v)))?;
                    if let Next::Emit(value) = &next {
                        *total = Some(value.clone_ref(py));
                    }
                    Ok(next)
                }
            },
            Op::Batched { size, batch, .. } => {
                batch.push(item);
                if batch.len() == *size {
                    let full = std::mem::take(batch);
                    Ok(Next::Emit(PyTuple::new(py, full)?.into_any().unbind()))
                } else {
                    Ok(Next::Skip)
                }
            }
            Op::GroupBy { key, .. } => match key {
                None => {
                    let k = item.clone_ref(py);
                    self.group_item(py, item, k)
                }
                Some(key) => {
                    let key = key.clone_ref(py);
                    let result = Self::call(py, &key, &[&item], &item, |k| Ok(Next::Emit(k)))?;
                    match result {
                        Next::Emit(k) => self.group_item(py, item, k),
                        other => Ok(other),
                    }
                }
            },
            Op::Compress { .. } => Ok(if item.is(skip_marker(py)) {
                Next::Skip
            } else {
                Next::Emit(item)
            }),
            Op::Cycle { saved, .. } => {
                saved.push(item.clone_ref(py));
                Ok(Next::Emit(item))
            }
            Op::Zip { .. }
            | Op::Chain { .. }
            | Op::Count { .. }
            | Op::Repeat { .. }
            | Op::ZipLongest { .. } => Ok(Next::Emit(item)),
        }
    }

    /// An async user function finished with `result` for `item`.
    fn after_call(&mut self, py: Python<'_>, item: Py<PyAny>, result: Py<PyAny>) -> PyResult<Next> {
        let truthy = || result.bind(py).is_truthy();
        match &mut self.op {
            Op::Map { .. } => Ok(Next::Emit(result)),
            Op::FilterFalse { .. } => Ok(if truthy()? {
                Next::Skip
            } else {
                Next::Emit(item)
            }),
            Op::TakeWhile { .. } => Ok(if truthy()? {
                Next::Emit(item)
            } else {
                Next::Stop
            }),
            Op::DropWhile { dropping, .. } => {
                if truthy()? {
                    Ok(Next::Skip)
                } else {
                    *dropping = false;
                    Ok(Next::Emit(item))
                }
            }
            Op::Accumulate { total, .. } => {
                *total = Some(result.clone_ref(py));
                Ok(Next::Emit(result))
            }
            Op::GroupBy { .. } => self.group_item(py, item, result),
            _ => Ok(Next::Emit(result)),
        }
    }

    /// Closes whatever is in progress and the source.
    pub fn close_source(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.finished = true;
        if let Some((step, _)) = self.awaiting.take() {
            let _ = step.bind(py).call_method0("close");
        }
        match &mut self.source {
            Some(source) => source.close(py),
            None => {
                if let Op::Chain { outer, current } = &mut self.op {
                    if let Some(mut inner) = current.take() {
                        drop(inner.close(py)?);
                    }
                    return outer.close(py);
                }
                if let Op::Zip { sources, .. } = &mut self.op {
                    for source in sources {
                        if let Some(closing) = source.close(py)? {
                            // Sources other than the first are closed without waiting.
                            drop(closing);
                        }
                    }
                }
                Ok(None)
            }
        }
    }
}

#[pymethods]
impl NativeIter {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(slf: Bound<'_, Self>) -> PyResult<Py<Step>> {
        Self::next_step(&slf)
    }

    /// Stops iterating and closes the source (awaiting an async source's `aclose()`).
    fn aclose(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let closing = self.state(py)?.close_source(py)?;
        match closing {
            Some(closing) => Ok(closing),
            None => Ok(Py::new(
                py,
                Ready {
                    value: Some(py.None()),
                },
            )?
            .into_any()),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Mid-step the state is in use (and holds its references anyway).
        match self.state.for_traverse() {
            Some(state) => state.traverse(&visit),
            None => Ok(()),
        }
    }

    fn __clear__(&self) {
        Python::attach(|py| {
            if let Some(mut state) = self.state.try_borrow_mut(py) {
                // Taken out first: dropping them may run code that reaches
                // this iterator, which must find it finished, not borrowed.
                let parts = state.clear();
                drop(state);
                drop(parts);
            }
        });
    }
}

impl IterState {
    fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(source) = &self.source {
            source.traverse(visit)?;
        }
        if let Some((step, item)) = &self.awaiting {
            visit.call(step)?;
            visit.call(item)?;
        }
        if let Some(spare) = &self.spare {
            visit.call(spare)?;
        }
        match &self.op {
            Op::Map { func }
            | Op::FilterFalse { predicate: func }
            | Op::TakeWhile { predicate: func } => visit.call(func),
            Op::DropWhile { predicate, .. } => visit.call(predicate),
            Op::Accumulate {
                func,
                total,
                initial,
            } => {
                visit.call(func)?;
                if let Some(t) = total {
                    visit.call(t)?;
                }
                if let Some(i) = initial {
                    visit.call(i)?;
                }
                Ok(())
            }
            Op::Batched { batch, .. } => batch.iter().try_for_each(|v| visit.call(v)),
            Op::Zip { sources, values } => {
                sources.iter().try_for_each(|s| s.traverse(visit))?;
                values.iter().try_for_each(|v| visit.call(v))
            }
            Op::Chain { outer, current } => {
                outer.traverse(visit)?;
                match current {
                    Some(inner) => inner.traverse(visit),
                    None => Ok(()),
                }
            }
            Op::Count { next, step } => {
                visit.call(next)?;
                visit.call(step)
            }
            Op::Repeat { elem, .. } => visit.call(elem),
            Op::GroupBy { key, current } => {
                if let Some(k) = key {
                    visit.call(k)?;
                }
                if let Some((run_key, run)) = current {
                    visit.call(run_key)?;
                    run.iter().try_for_each(|v| visit.call(v))?;
                }
                Ok(())
            }
            Op::Cycle { saved, .. } => saved.iter().try_for_each(|v| visit.call(v)),
            Op::Compress { selectors, item } => {
                selectors.traverse(visit)?;
                match item {
                    Some(i) => visit.call(i),
                    None => Ok(()),
                }
            }
            Op::ZipLongest {
                sources,
                values,
                fill,
                ..
            } => {
                sources.iter().try_for_each(|s| s.traverse(visit))?;
                values.iter().try_for_each(|v| visit.call(v))?;
                visit.call(fill)
            }
            Op::Enumerate { .. } | Op::ISlice { .. } => Ok(()),
        }
    }

    /// Empties the state for the garbage collector; returns what it held.
    fn clear(&mut self) -> impl Sized {
        self.finished = true;
        (
            self.source.take(),
            self.awaiting.take(),
            self.spare.take(),
            std::mem::replace(&mut self.op, Op::Enumerate { next: 0 }),
        )
    }
}

/// The awaitable of one `__anext__()`.
///
/// Frozen (no borrow flag): stepping it is the per-item hot path, and PyO3's
/// borrow flag is an atomic compare-and-swap. `done` is the only state it
/// changes; the iterator's own borrow still serialises the actual work.
#[pyclass(module = "aioxide._core", frozen)]
pub struct Step {
    node: Py<NativeIter>,
    done: AtomicBool,
}

impl Step {
    /// Advances the iterator; marks this awaitable finished unless it is suspended.
    #[inline]
    pub fn poll_step(&self, py: Python<'_>, resume: Resume) -> Poll {
        if self.done.load(Ordering::Relaxed) {
            return Poll::fail(PyRuntimeError::new_err(
                "cannot reuse already awaited __anext__()",
            ));
        }
        let me = self as *const Step as usize;
        let running = || {
            Poll::fail(PyRuntimeError::new_err(
                "anext(): asynchronous iterator is already running",
            ))
        };
        let polled = match self.node.get().state.try_borrow_mut(py) {
            Some(mut node) if node.busy.is_none_or(|owner| owner == me) => {
                let polled = node.poll(py, resume);
                node.busy = matches!(polled, Poll::Pending(_)).then_some(me);
                polled
            }
            _ => running(),
        };
        if !matches!(polled, Poll::Pending(_)) {
            self.done.store(true, Ordering::Relaxed);
        }
        match polled {
            Poll::Err(err) => Poll::Err(escaped_stop(py, err)),
            other => other,
        }
    }

    /// Gives up a suspended step (closed or dropped): the iterator is free
    /// for the next `__anext__()`.
    fn release(&self, py: Python<'_>) {
        let me = self as *const Step as usize;
        if let Some(mut node) = self.node.get().state.try_borrow_mut(py) {
            if node.busy == Some(me) {
                node.busy = None;
            }
        }
    }

    fn advance(&self, py: Python<'_>, resume: Resume) -> PyResult<Py<PyAny>> {
        match self.poll_step(py, resume) {
            Poll::Pending(yielded) => Ok(yielded),
            Poll::Ready(value) => Err(stop_iteration(py, value)),
            Poll::Done => Err(PyStopAsyncIteration::new_err(())),
            Poll::Err(err) => Err(*err),
        }
    }
}

/// A `StopAsyncIteration` or `StopIteration` that a user function (or an
/// awaitable it returned) raised is an error, not the end of the stream:
/// leaving this `__anext__()` it would read as "exhausted" and silently cut
/// the stream short. Async generators turn it into `RuntimeError` (PEP 479),
/// and so does aioitertools; so does this, with the original as its cause.
/// (A source's own end never arrives here: it is `Poll::Done`.)
fn escaped_stop(py: Python<'_>, err: Box<PyErr>) -> Box<PyErr> {
    let name = if err.is_instance_of::<PyStopAsyncIteration>(py) {
        "StopAsyncIteration"
    } else if err.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) {
        "StopIteration"
    } else {
        return err;
    };
    let wrapped = PyRuntimeError::new_err(format!("async generator raised {name}"));
    wrapped.set_cause(py, Some(*err));
    Box::new(wrapped)
}

/// `StopIteration(value)`, raised the way CPython's own generators raise it:
/// for a non-tuple value the bare value is set, and the awaiting frame takes
/// it without building an exception object.
/// A broken invariant of this module: a `SystemError` (as CPython raises for
/// its own), never a panic.
fn internal_error(what: &str) -> PyErr {
    pyo3::exceptions::PySystemError::new_err(format!(
        "aioxide.itertools internal error: {what} (please report it)"
    ))
}

fn stop_iteration(py: Python<'_>, value: Py<PyAny>) -> PyErr {
    if value.bind(py).is_instance_of::<PyTuple>() {
        return PyStopIteration::new_err((value,));
    }
    // SAFETY: sets the error indicator from valid objects (StopIteration is a
    // static type; `value` is a live reference), then takes it straight back.
    unsafe { pyo3::ffi::PyErr_SetObject(pyo3::ffi::PyExc_StopIteration, value.as_ptr()) };
    PyErr::take(py).unwrap_or_else(|| PyStopIteration::new_err((value,)))
}

#[pymethods]
impl Step {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.advance(py, Resume::Start)
    }

    #[pyo3(signature = (value, /))]
    fn send(&self, py: Python<'_>, value: Py<PyAny>) -> PyResult<Py<PyAny>> {
        self.advance(py, Resume::Send(value))
    }

    #[pyo3(signature = (typ, val=None, tb=None, /))]
    fn throw(
        &self,
        py: Python<'_>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let err = aioxide_bridge::exception_from(py, typ, val, tb);
        self.advance(py, Resume::Throw(Box::new(err)))
    }

    fn close(&self, py: Python<'_>) {
        self.done.store(true, Ordering::Relaxed);
        self.release(py);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.node)
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if !self.done.load(Ordering::Relaxed) {
            // Dropped while suspended (its task went away): free the iterator.
            Python::attach(|py| self.release(py));
        }
    }
}

/// An awaitable that is already done.
#[pyclass(module = "aioxide._core")]
pub struct Ready {
    value: Option<Py<PyAny>>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self.value.take().unwrap_or_else(|| py.None());
        Err(PyStopIteration::new_err((value,)))
    }
}
