//! Which SQLite library the engine calls.
//!
//! By default the interpreter's own: the library its `_sqlite3` module is
//! linked with, so that aioxide and the stdlib `sqlite3` share one copy of
//! SQLite in the process — one table of POSIX locks, one shared cache, the
//! same compile options, defaults and version. Two copies in one process
//! break SQLite's locking (each keeps its own lock table, so one copy's
//! `close()` drops locks the other relies on: SQLite lists this as a way to
//! corrupt a database) and cannot see each other's shared-cache databases.
//!
//! rusqlite is built in its loadable-extension mode, in which every SQLite
//! call goes through a table of function pointers. This module fills that
//! table once per process: from the interpreter's library, each function
//! looked up by name in the `_sqlite3` module's own dependency tree, or,
//! where that cannot be done, from the fallback copy compiled into the
//! extension (`build.rs`), through the same kind of table.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use rusqlite::ffi;

use crate::api_names::{COUNT, NAMES};

/// The oldest SQLite the engine accepts from the interpreter: rusqlite's own
/// minimum. An older library is left alone and the fallback used.
pub const MINIMUM_VERSION: i32 = 3_034_001;

/// Where the engine's SQLite came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The library the interpreter's `_sqlite3` module uses: shared with the
    /// stdlib `sqlite3` module.
    Interpreter,
    /// The copy compiled into aioxide: a second SQLite in the process.
    Bundled,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Interpreter => "interpreter",
            Origin::Bundled => "bundled",
        }
    }
}

/// The library in use, as `aioxide.sqlite.sqlite_library` reports it.
#[derive(Clone, Debug)]
pub struct Library {
    pub origin: Origin,
    /// The file its functions were looked up in (the `_sqlite3` module), or
    /// None for the interpreter's global scope or the fallback.
    pub location: Option<String>,
    /// `sqlite3_libversion()`, e.g. "3.40.1".
    pub version: String,
    /// `sqlite3_libversion_number()`, e.g. 3040001.
    pub version_number: i32,
    /// Why the interpreter's library is not the one in use (fallback only).
    pub reason: Option<String>,
    /// Functions of the bindings' table this library does not export (a
    /// library older than the bindings lacks the newest ones).
    pub missing: Vec<&'static str>,
}

/// What to install.
pub enum Request<'a> {
    /// The interpreter's library, found through its `_sqlite3` module: the
    /// module's file, or None when the module is built into the interpreter
    /// (then the interpreter's global scope is searched). It must report
    /// `expected_version` (the `sqlite3` module's `sqlite_version`), or the
    /// fallback is used.
    Interpreter {
        module: Option<&'a Path>,
        expected_version: &'a str,
    },
    /// The fallback copy, whatever the interpreter has, for this reason.
    Bundled { reason: String },
}

static ACTIVE: OnceLock<Result<Library, String>> = OnceLock::new();

/// `sqlite3_enable_load_extension`'s type.
pub type EnableLoadExtension = unsafe extern "C" fn(*mut ffi::sqlite3, c_int) -> c_int;

static ENABLE_LOAD_EXTENSION: OnceLock<Option<EnableLoadExtension>> = OnceLock::new();

/// `sqlite3_enable_load_extension` of the library in use: the one function
/// the engine needs that SQLite leaves out of its extension table (None
/// where the library was built without extension loading).
pub fn enable_load_extension() -> Option<EnableLoadExtension> {
    ENABLE_LOAD_EXTENSION.get().copied().flatten()
}

/// The library in use, if one was installed.
pub fn active() -> Option<&'static Library> {
    ACTIVE.get().and_then(|r| r.as_ref().ok())
}

/// Installs the library the request names (or the fallback, where the
/// interpreter's cannot be used), once per process; later calls return what
/// the first one installed, whatever they ask for.
pub fn install(request: Request<'_>) -> Result<&'static Library, String> {
    ACTIVE
        .get_or_init(|| install_once(request))
        .as_ref()
        .map_err(Clone::clone)
}

/// The library in use, installing the fallback if none was requested yet
/// (engine users without an interpreter, such as the Rust tests).
pub fn ensure() -> Result<&'static Library, String> {
    match ACTIVE.get() {
        Some(result) => result.as_ref().map_err(Clone::clone),
        None => install(Request::Bundled {
            reason: "no interpreter library was requested".into(),
        }),
    }
}

fn install_once(request: Request<'_>) -> Result<Library, String> {
    let bundled = || -> (Slots, Option<EnableLoadExtension>) {
        (bundled_table(), Some(aioxide_bundled_enable_load_extension))
    };
    let ((slots, enable), origin, location, reason) = match request {
        Request::Interpreter {
            module,
            expected_version,
        } => match interpreter_table(module, expected_version) {
            Ok(found) => (
                found,
                Origin::Interpreter,
                module.map(|p| p.display().to_string()),
                None,
            ),
            Err(why) => (bundled(), Origin::Bundled, None, Some(why)),
        },
        Request::Bundled { reason } => (bundled(), Origin::Bundled, None, Some(reason)),
    };
    let missing = NAMES
        .iter()
        .zip(slots.iter())
        .filter(|(_, slot)| slot.is_null())
        .map(|(name, _)| symbol_text(name))
        .collect();
    // SAFETY: every slot is null or the address of the SQLite function the
    // field names (looked up by its exported name, or taken from SQLite's
    // own table); `sqlite3_api_routines` is a `repr(C)` struct of exactly
    // COUNT nullable function pointers (the transmute checks the size), and
    // a null pointer is `None`.
    let mut api: ffi::sqlite3_api_routines = unsafe { std::mem::transmute(slots) };
    let (version, version_number) = describe(&api)?;
    REAL_VERSION_NUMBER.store(version_number, Ordering::Relaxed);
    // rusqlite refuses a library older than the header its bindings were
    // generated from (3.45.3), although it calls nothing newer than its
    // minimum unconditionally; it sees at least that number, everything
    // aioxide reports uses the true one.
    api.libversion_number = Some(reported_version_number);
    if api.error_offset.is_none() {
        // Added in 3.38; rusqlite asks for it on every syntax error.
        api.error_offset = Some(no_error_offset);
    }
    let api: &'static mut ffi::sqlite3_api_routines = Box::leak(Box::new(api));
    // SAFETY: called once per process (inside the OnceLock), before any
    // other SQLite call of this crate, with a table that lives for ever.
    unsafe { ffi::rusqlite_extension_init2(std::ptr::from_mut(api)) }
        .map_err(|e| format!("the SQLite library could not be installed: {e}"))?;
    let _ = ENABLE_LOAD_EXTENSION.set(enable);
    Ok(Library {
        origin,
        location,
        version,
        version_number,
        reason,
        missing,
    })
}

static REAL_VERSION_NUMBER: AtomicI32 = AtomicI32::new(0);

unsafe extern "C" fn reported_version_number() -> c_int {
    REAL_VERSION_NUMBER
        .load(Ordering::Relaxed)
        .max(ffi::SQLITE_VERSION_NUMBER)
}

unsafe extern "C" fn no_error_offset(_db: *mut ffi::sqlite3) -> c_int {
    -1
}

fn symbol_text(name: &'static [u8]) -> &'static str {
    std::str::from_utf8(&name[..name.len() - 1]).unwrap_or("?")
}

/// The version text and number the table's library reports.
fn describe(api: &ffi::sqlite3_api_routines) -> Result<(String, i32), String> {
    let (Some(text), Some(number)) = (api.libversion, api.libversion_number) else {
        return Err("the SQLite library does not report its version".into());
    };
    // SAFETY: both are SQLite's own version functions (no arguments, a
    // static string and an int).
    let (text, number) = unsafe { (text(), number()) };
    if text.is_null() {
        return Err("the SQLite library does not report its version".into());
    }
    // SAFETY: sqlite3_libversion returns a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned();
    Ok((text, number))
}

type Slots = [*mut c_void; COUNT];

/// The table filled from the interpreter's library (with its
/// `sqlite3_enable_load_extension`), or why it cannot be.
fn interpreter_table(
    module: Option<&Path>,
    expected_version: &str,
) -> Result<(Slots, Option<EnableLoadExtension>), String> {
    use libloading::os::unix::{Library as Handle, RTLD_LAZY};
    // Attach to the module the interpreter already loaded; never load a
    // library of our own here (that would be another copy).
    let handle = match module {
        Some(path) => unsafe {
            // SAFETY: RTLD_NOLOAD only looks the object up; nothing is
            // loaded and no initialiser runs.
            Handle::open(Some(path), RTLD_LAZY | libc_rtld_noload())
        }
        .map_err(|e| format!("the sqlite3 module's file could not be reached: {e}"))?,
        None => Handle::this(),
    };
    let mut slots: Slots = [std::ptr::null_mut(); COUNT];
    for (slot, name) in slots.iter_mut().zip(NAMES.iter()) {
        // SAFETY: only the address is read (as a data pointer); it is turned
        // into a function pointer of the right type by the table's layout.
        if let Ok(symbol) = unsafe { handle.get::<*mut c_void>(name) } {
            *slot = *symbol;
        }
    }
    // SAFETY: the symbol of that name is SQLite's function of that type.
    let enable = unsafe { handle.get::<EnableLoadExtension>(b"sqlite3_enable_load_extension\0") }
        .ok()
        .map(|symbol| *symbol);
    // The handle only pins a module the interpreter keeps loaded anyway;
    // keep it open so the addresses stay valid whatever happens to imports.
    std::mem::forget(handle);
    // SAFETY: as in install_once.
    let api: ffi::sqlite3_api_routines = unsafe { std::mem::transmute(slots) };
    let (version, number) = describe(&api).map_err(|_| {
        "the sqlite3 module's SQLite functions are not exported (linked in statically)".to_string()
    })?;
    if version != expected_version {
        return Err(format!(
            "the SQLite found ({version}) is not the one the sqlite3 module reports ({expected_version})"
        ));
    }
    if number < MINIMUM_VERSION {
        return Err(format!(
            "the interpreter's SQLite {version} is older than {}.{}.{}, the oldest aioxide supports",
            MINIMUM_VERSION / 1_000_000,
            MINIMUM_VERSION / 1000 % 1000,
            MINIMUM_VERSION % 1000
        ));
    }
    Ok((slots, enable))
}

/// `RTLD_NOLOAD` (glibc and musl agree on the value; libloading does not
/// export it).
fn libc_rtld_noload() -> c_int {
    4
}

extern "C" {
    /// `&sqlite3Apis` of the fallback copy (csrc/bundled.c).
    fn aioxide_bundled_sqlite_api() -> *const c_void;
    /// `sqlite3_enable_load_extension` of the fallback copy.
    fn aioxide_bundled_enable_load_extension(db: *mut ffi::sqlite3, on: c_int) -> c_int;
}

/// The table of the fallback copy.
fn bundled_table() -> Slots {
    // SAFETY: the fallback is the amalgamation libsqlite3-sys ships, at
    // least as new as its bindings, and SQLite's table only grows at its end,
    // so its first COUNT entries are the fields the bindings know, in order.
    unsafe { *aioxide_bundled_sqlite_api().cast::<Slots>() }
}

/// `sqlite3_compileoption_get` over the library in use: its compile options.
pub fn compile_options() -> Vec<String> {
    let mut options = Vec::new();
    for index in 0.. {
        // SAFETY: SQLite returns NULL past the last option, and static
        // strings before it.
        let option: *const c_char = unsafe { ffi::sqlite3_compileoption_get(index) };
        if option.is_null() {
            break;
        }
        // SAFETY: see above.
        options.push(
            unsafe { CStr::from_ptr(option) }
                .to_string_lossy()
                .into_owned(),
        );
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_reports_the_bundled_version() {
        let slots = bundled_table();
        // SAFETY: as in install_once.
        let api: ffi::sqlite3_api_routines = unsafe { std::mem::transmute(slots) };
        let (version, number) = describe(&api).expect("a version");
        assert!(number >= ffi::SQLITE_VERSION_NUMBER, "{version}");
        for core in [
            api.open_v2.is_some(),
            api.prepare_v2.is_some(),
            api.step.is_some(),
        ] {
            assert!(core);
        }
    }

    #[test]
    fn a_module_that_is_not_loaded_is_refused_not_loaded() {
        let err = interpreter_table(Some(Path::new("/nonexistent/_sqlite3.so")), "3.0.0")
            .expect_err("nothing to attach to");
        assert!(err.contains("could not be reached"), "{err}");
    }

    #[test]
    fn the_engine_installs_the_fallback_without_an_interpreter() {
        let library = ensure().expect("installed");
        assert!(library.version_number >= MINIMUM_VERSION);
        let options = compile_options();
        assert!(
            options.iter().any(|o| o == "ENABLE_MATH_FUNCTIONS"),
            "{options:?}"
        );
        assert!(!options
            .iter()
            .any(|o| o.starts_with("DEFAULT_FOREIGN_KEYS=1")));
    }
}
