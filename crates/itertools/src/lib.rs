//! Native async-iterator combinators for `aioxide.itertools`.
//!
//! - `depth`: the bound on native iterators stepping one another.
//! - [`source`]: sync, async and native item sources.
//! - [`native`]: the combinator state machine and its `__anext__` awaitable.
//! - `gil_cell`: the iterator state's GIL-guarded cell (a plain borrow flag).
//! - `send_slot`: the `am_send` slot that hands values over without `StopIteration`.

mod depth;
mod gil_cell;
pub mod native;
mod send_slot;
pub mod source;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use native::{NativeIter, Op};
use source::Source;

fn node(py: Python<'_>, iterable: &Bound<'_, PyAny>, op: Op) -> PyResult<Py<NativeIter>> {
    Py::new(py, NativeIter::new(Some(Source::new(iterable)?), op))
}

/// `map(func, iterable)` with a sync or async `func`.
#[pyfunction]
pub fn native_map(
    py: Python<'_>,
    func: Py<PyAny>,
    iterable: &Bound<'_, PyAny>,
) -> PyResult<Py<NativeIter>> {
    node(py, iterable, Op::Map { func })
}

/// Items for which the (sync or async) predicate is false.
#[pyfunction]
pub fn native_filterfalse(
    py: Python<'_>,
    predicate: Py<PyAny>,
    iterable: &Bound<'_, PyAny>,
) -> PyResult<Py<NativeIter>> {
    node(py, iterable, Op::FilterFalse { predicate })
}

/// Items while the predicate holds.
#[pyfunction]
pub fn native_takewhile(
    py: Python<'_>,
    predicate: Py<PyAny>,
    iterable: &Bound<'_, PyAny>,
) -> PyResult<Py<NativeIter>> {
    node(py, iterable, Op::TakeWhile { predicate })
}

/// Items after the predicate first fails.
#[pyfunction]
pub fn native_dropwhile(
    py: Python<'_>,
    predicate: Py<PyAny>,
    iterable: &Bound<'_, PyAny>,
) -> PyResult<Py<NativeIter>> {
    node(
        py,
        iterable,
        Op::DropWhile {
            predicate,
            dropping: true,
        },
    )
}

/// `(index, item)` pairs from `start`.
#[pyfunction]
#[pyo3(signature = (iterable, start=0))]
pub fn native_enumerate(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    start: i64,
) -> PyResult<Py<NativeIter>> {
    node(py, iterable, Op::Enumerate { next: start })
}

/// Items `start`, `start + step`, ... before `stop` (validated by the caller).
#[pyfunction]
#[pyo3(signature = (iterable, start, stop, step))]
pub fn native_islice(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    start: u64,
    stop: Option<u64>,
    step: u64,
) -> PyResult<Py<NativeIter>> {
    if step == 0 {
        return Err(PyValueError::new_err(
            "Step for islice() must be a positive integer or None.",
        ));
    }
    node(
        py,
        iterable,
        Op::ISlice {
            index: 0,
            wanted: start,
            stop,
            step,
        },
    )
}

/// Running results of `func` (sync or async), after `initial` if given.
#[pyfunction]
#[pyo3(signature = (iterable, func, initial=None))]
pub fn native_accumulate(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    func: Py<PyAny>,
    initial: Option<Py<PyAny>>,
) -> PyResult<Py<NativeIter>> {
    node(
        py,
        iterable,
        Op::Accumulate {
            func,
            total: None,
            initial,
        },
    )
}

/// Tuples of `size` items.
#[pyfunction]
#[pyo3(signature = (iterable, size, strict=false))]
pub fn native_batched(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    size: usize,
    strict: bool,
) -> PyResult<Py<NativeIter>> {
    if size == 0 {
        return Err(PyValueError::new_err("n must be at least one"));
    }
    node(
        py,
        iterable,
        Op::Batched {
            size,
            strict,
            // The size is the caller's: reserve a little, grow as items come
            // (`batched(it, 2**40)` asked for terabytes up front and panicked).
            batch: Vec::with_capacity(size.min(BATCH_RESERVE)),
        },
    )
}

/// Items reserved ahead in a batch, whatever size it is asked for.
const BATCH_RESERVE: usize = 1024;

/// Tuples across several iterables, until the shortest ends.
#[pyfunction]
#[pyo3(signature = (*iterables))]
pub fn native_zip(py: Python<'_>, iterables: Vec<Bound<'_, PyAny>>) -> PyResult<Py<NativeIter>> {
    let sources = iterables
        .iter()
        .map(Source::new)
        .collect::<PyResult<Vec<_>>>()?;
    let values = Vec::with_capacity(sources.len());
    Py::new(py, NativeIter::new(None, Op::Zip { sources, values }))
}

/// The items of each iterable in `iterables` (itself sync or async), in turn.
#[pyfunction]
pub fn native_chain(py: Python<'_>, iterables: &Bound<'_, PyAny>) -> PyResult<Py<NativeIter>> {
    let outer = Source::new(iterables)?;
    Py::new(
        py,
        NativeIter::new(
            None,
            Op::Chain {
                outer,
                current: None,
            },
        ),
    )
}

/// `start`, `start + step`, ... forever (any numbers Python can add).
#[pyfunction]
#[pyo3(signature = (start, step))]
pub fn native_count(py: Python<'_>, start: Py<PyAny>, step: Py<PyAny>) -> PyResult<Py<NativeIter>> {
    Py::new(py, NativeIter::new(None, Op::Count { next: start, step }))
}

/// `elem` `times` times, or forever when `times` is None.
#[pyfunction]
#[pyo3(signature = (elem, times))]
pub fn native_repeat(
    py: Python<'_>,
    elem: Py<PyAny>,
    times: Option<u64>,
) -> PyResult<Py<NativeIter>> {
    Py::new(py, NativeIter::new(None, Op::Repeat { elem, left: times }))
}

/// The items, then the same items again and again (nothing if there are none).
#[pyfunction]
pub fn native_cycle(py: Python<'_>, iterable: &Bound<'_, PyAny>) -> PyResult<Py<NativeIter>> {
    node(
        py,
        iterable,
        Op::Cycle {
            saved: Vec::new(),
            replay: None,
        },
    )
}

/// The items whose matching selector is true.
#[pyfunction]
pub fn native_compress(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    selectors: &Bound<'_, PyAny>,
) -> PyResult<Py<NativeIter>> {
    let selectors = Source::new(selectors)?;
    node(
        py,
        iterable,
        Op::Compress {
            selectors,
            item: None,
        },
    )
}

/// Tuples across several iterables until the longest ends, padded with `fillvalue`.
#[pyfunction]
#[pyo3(signature = (*iterables, fillvalue=None))]
pub fn native_zip_longest(
    py: Python<'_>,
    iterables: Vec<Bound<'_, PyAny>>,
    fillvalue: Option<Py<PyAny>>,
) -> PyResult<Py<NativeIter>> {
    let sources = iterables
        .iter()
        .map(Source::new)
        .collect::<PyResult<Vec<_>>>()?;
    let live = vec![true; sources.len()];
    let values = Vec::with_capacity(sources.len());
    let fill = fillvalue.unwrap_or_else(|| py.None());
    Py::new(
        py,
        NativeIter::new(
            None,
            Op::ZipLongest {
                sources,
                live,
                values,
                fill,
            },
        ),
    )
}

/// `(key, [items])` for each run of consecutive items with equal keys.
#[pyfunction]
#[pyo3(signature = (iterable, key=None))]
pub fn native_groupby(
    py: Python<'_>,
    iterable: &Bound<'_, PyAny>,
    key: Option<Py<PyAny>>,
) -> PyResult<Py<NativeIter>> {
    node(py, iterable, Op::GroupBy { key, current: None })
}

/// Registers the classes and constructors in a module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeIter>()?;
    send_slot::install_anext(&m.py().get_type::<NativeIter>());
    m.add_class::<native::Step>()?;
    send_slot::install(m.py())?;
    m.add_class::<native::Ready>()?;
    m.add_function(wrap_pyfunction!(native_map, m)?)?;
    m.add_function(wrap_pyfunction!(native_filterfalse, m)?)?;
    m.add_function(wrap_pyfunction!(native_takewhile, m)?)?;
    m.add_function(wrap_pyfunction!(native_dropwhile, m)?)?;
    m.add_function(wrap_pyfunction!(native_enumerate, m)?)?;
    m.add_function(wrap_pyfunction!(native_islice, m)?)?;
    m.add_function(wrap_pyfunction!(native_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(native_batched, m)?)?;
    m.add_function(wrap_pyfunction!(native_zip, m)?)?;
    m.add_function(wrap_pyfunction!(native_chain, m)?)?;
    m.add_function(wrap_pyfunction!(native_count, m)?)?;
    m.add_function(wrap_pyfunction!(native_repeat, m)?)?;
    m.add_function(wrap_pyfunction!(native_cycle, m)?)?;
    m.add_function(wrap_pyfunction!(native_compress, m)?)?;
    m.add_function(wrap_pyfunction!(native_zip_longest, m)?)?;
    m.add_function(wrap_pyfunction!(native_groupby, m)?)?;
    Ok(())
}
