//! Building the user's objects from rows of field values (`RowShape`): used
//! by `aioxide.sql.mapping` for rows from every backend, and by this crate's
//! cells, which build them straight from SQLite's cells without a tuple per
//! row. It lives here, beside the cells, because only this crate builds
//! rows natively.

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyTuple};

/// How a row becomes an object (chosen in Python by `aioxide.sql.mapping`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Build {
    /// `factory(*row)`: any class.
    Call,
    /// `object.__new__(factory)` then each field set: classes whose generated
    /// `__init__` only stores its arguments.
    Fields,
    /// `tuple.__new__(factory, row)`: NamedTuples.
    Tuple,
}

/// What rows become: the class, its field names in column order, how to
/// build it, and `(column, callable)` conversions applied to non-None values.
pub struct Shape {
    factory: Py<PyAny>,
    names: Vec<Py<PyString>>,
    build: Build,
    converters: Vec<(usize, Py<PyAny>)>,
    /// The class allocates with `object.__new__` (no `__new__` of its own):
    /// `Fields` objects are then allocated directly.
    plain_new: bool,
    /// Where each field lives in an instance, when every one is a plain
    /// `__slots__` member of the class: `Fields` objects then have their
    /// values stored there directly, as the member descriptor would store
    /// them, without looking the name up on the type for every field of
    /// every row.
    slots: Option<Vec<ffi::Py_ssize_t>>,
}

/// `tp_members` type code of a `__slots__` entry (`Py_T_OBJECT_EX`).
const T_OBJECT_EX: std::os::raw::c_int = 16;

/// The byte offset of `name` in instances of `class`, when attribute
/// assignment on them resolves it to a writable `__slots__` member: the
/// first definition along the MRO (as the type's own lookup finds it) is a
/// `member_descriptor` of an object-typed, writable slot. None otherwise
/// (a property, a class attribute, a dict-backed field, a read-only member).
fn slot_offset(
    class: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
) -> PyResult<Option<ffi::Py_ssize_t>> {
    let py = class.py();
    let mro = class.getattr(pyo3::intern!(py, "__mro__"))?;
    for base in mro.try_iter()? {
        let namespace = base?.getattr(pyo3::intern!(py, "__dict__"))?;
        if !namespace.contains(name)? {
            continue;
        }
        let descriptor = namespace.get_item(name)?;
        // Only the address of the interpreter's static type object is taken.
        let member_type = std::ptr::addr_of_mut!(ffi::PyMemberDescr_Type);
        if descriptor.get_type().as_ptr() != member_type.cast::<ffi::PyObject>() {
            return Ok(None);
        }
        // SAFETY: `descriptor` is exactly a member_descriptor (checked
        // above), whose C layout is PyMemberDescrObject; its `d_member` points
        // into its type's member table, kept alive by the class (held by the
        // shape). The field is declared with the wrong pointee before 3.11 in
        // pyo3-ffi, hence the cast to what CPython stores there.
        let member = unsafe {
            let raw = descriptor.as_ptr().cast::<ffi::PyMemberDescrObject>();
            &*(*raw).d_member.cast::<ffi::PyMemberDef>()
        };
        let plain = member.type_code == T_OBJECT_EX && member.flags == 0 && member.offset > 0;
        return Ok(plain.then_some(member.offset));
    }
    Ok(None)
}

fn object_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let new = NEW.get_or_try_init(py, || {
        py.get_type::<pyo3::types::PyAny>()
            .getattr("__new__")
            .map(Bound::unbind)
    })?;
    Ok(new.bind(py))
}

fn tuple_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let new = NEW.get_or_try_init(py, || {
        py.get_type::<PyTuple>()
            .getattr("__new__")
            .map(Bound::unbind)
    })?;
    Ok(new.bind(py))
}

impl Shape {
    pub fn new(
        factory: Py<PyAny>,
        names: Vec<Py<PyString>>,
        build: Build,
        converters: Vec<(usize, Py<PyAny>)>,
    ) -> PyResult<Self> {
        if let Some((i, _)) = converters.iter().find(|(i, _)| *i >= names.len()) {
            return Err(PyValueError::new_err(format!(
                "converter index {i} is past the {} fields",
                names.len()
            )));
        }
        let (plain_new, slots) = Python::attach(|py| -> PyResult<_> {
            let factory = factory.bind(py);
            let plain_new = factory.cast::<pyo3::types::PyType>().is_ok()
                && factory.getattr("__new__")?.is(object_new(py)?);
            let mut slots = None;
            if plain_new && build == Build::Fields {
                let offsets: PyResult<Option<Vec<_>>> = names
                    .iter()
                    .map(|name| slot_offset(factory, name.bind(py)))
                    .collect();
                slots = offsets?;
            }
            Ok((plain_new, slots))
        })?;
        Ok(Shape {
            factory,
            names,
            build,
            converters,
            plain_new,
            slots,
        })
    }

    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// One object from one row's values (exactly `width()` of them); the
    /// vector is left empty for the next row.
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        values: &mut Vec<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if values.len() != self.names.len() {
            return Err(PyValueError::new_err(format!(
                "a row has {} values but the query selects {}",
                values.len(),
                self.names.len()
            )));
        }
        for (i, convert) in &self.converters {
            if !values[*i].is_none() {
                values[*i] = convert.bind(py).call1((&values[*i],))?;
            }
        }
        let factory = self.factory.bind(py);
        match self.build {
            Build::Call => factory.call1(PyTuple::new(py, values.drain(..))?),
            Build::Tuple => tuple_new(py)?.call1((factory, PyTuple::new(py, values.drain(..))?)),
            Build::Fields => {
                let obj = if self.plain_new {
                    // SAFETY: `factory` is a class whose `__new__` is
                    // object.__new__ (checked in `new`), which allocates with
                    // PyType_GenericAlloc exactly like this; the GIL is held
                    // and the new reference is owned by `Bound` at once.
                    unsafe {
                        let raw = ffi::PyType_GenericAlloc(
                            factory.as_ptr().cast::<ffi::PyTypeObject>(),
                            0,
                        );
                        Bound::from_owned_ptr_or_err(py, raw)?
                    }
                } else {
                    object_new(py)?.call1((factory,))?
                };
                if let Some(offsets) = &self.slots {
                    for (&offset, value) in offsets.iter().zip(values.drain(..)) {
                        // SAFETY: `obj` is an instance of the class just
                        // allocated, and `offset` is where that class's
                        // member descriptor for this field keeps its value
                        // (checked by `slot_offset`), inside the instance.
                        // This is the member descriptor's own store: the new
                        // reference goes in, a value already there (a field
                        // named twice) is released.
                        unsafe {
                            let at = obj
                                .as_ptr()
                                .cast::<u8>()
                                .offset(offset)
                                .cast::<*mut ffi::PyObject>();
                            let old = std::ptr::replace(at, value.into_ptr());
                            ffi::Py_XDECREF(old);
                        }
                    }
                    return Ok(obj);
                }
                for (name, value) in self.names.iter().zip(values.drain(..)) {
                    // SAFETY: the GIL is held and all three pointers are live
                    // references owned by this frame for the whole call.
                    // Generic setattr skips a frozen class's __setattr__ the
                    // way its own generated __init__ does.
                    let rc = unsafe {
                        ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr())
                    };
                    if rc < 0 {
                        return Err(PyErr::fetch(py));
                    }
                }
                Ok(obj)
            }
        }
    }

    /// Objects for rows given as sequences (tuples, asyncpg Records ...).
    pub fn build_all<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let _pause = GcPause::new();
        let mut values = Vec::with_capacity(self.width());
        for row in rows.try_iter()? {
            let row = row?;
            match row.cast::<PyTuple>() {
                Ok(t) => values.extend(t.iter()),
                Err(_) => {
                    for v in row.try_iter()? {
                        values.push(v?);
                    }
                }
            }
            let built = self.build(py, &mut values);
            values.clear();
            out.append(built?)?;
        }
        Ok(out)
    }
}

/// A `Shape` as a Python object, made once per query plan and handed to
/// every execution (`RowShape(factory, names, mode, converters)`).
#[pyclass(module = "aioxide._core", frozen)]
pub struct RowShape {
    pub shape: std::sync::Arc<Shape>,
}

#[pymethods]
impl RowShape {
    /// Build mode `factory(*row)` (the codes are declared only here;
    /// `aioxide.sql.mapping` reads them from the class).
    #[classattr]
    const CALL: u8 = 0;
    /// Build mode `object.__new__(factory)`, then each field set.
    #[classattr]
    const FIELDS: u8 = 1;
    /// Build mode `tuple.__new__(factory, row)`.
    #[classattr]
    const TUPLE: u8 = 2;

    #[new]
    fn new(
        factory: Py<PyAny>,
        names: Vec<Py<PyString>>,
        mode: u8,
        converters: Vec<(usize, Py<PyAny>)>,
    ) -> PyResult<Self> {
        let build = match mode {
            Self::CALL => Build::Call,
            Self::FIELDS => Build::Fields,
            Self::TUPLE => Build::Tuple,
            _ => return Err(PyValueError::new_err(format!("unknown build mode {mode}"))),
        };
        Ok(RowShape {
            shape: std::sync::Arc::new(Shape::new(factory, names, build, converters)?),
        })
    }

    /// Objects for already fetched rows (tuples, asyncpg Records ...).
    fn build_all<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.shape.build_all(py, rows)
    }
}

/// Pauses the cyclic garbage collector while a batch of objects is built.
///
/// Each new object counts towards the next collection, and with a large
/// result still alive every full collection walks all of it again; the
/// objects built here create no reference cycles of their own, so the
/// collector resumes (if it was running) once the batch is done.
pub struct GcPause {
    was_enabled: bool,
}

impl GcPause {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        // SAFETY: called with the GIL held (every caller has a `Python` token
        // in scope); PyGC_Disable only flips the collector's flag.
        let was_enabled = unsafe { ffi::PyGC_Disable() } != 0;
        GcPause { was_enabled }
    }
}

impl Drop for GcPause {
    fn drop(&mut self) {
        if self.was_enabled {
            // SAFETY: as in `new`: the guard lives inside a GIL-holding scope.
            unsafe { ffi::PyGC_Enable() };
        }
    }
}
