//! Database errors, built without Python on the connection thread: which
//! `sqlite3` exception class each one becomes (`Kind`), its message and
//! SQLite's extended result code. `py::errors` raises them.

use rusqlite::ffi;

/// Which `sqlite3` exception class an error maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Database,
    Operational,
    Integrity,
    Internal,
    Programming,
    Interface,
    Data,
    NotSupported,
    Memory,
    Value,
    /// SQL text with a NUL in it. `ProgrammingError` from Python 3.11 on;
    /// the 3.10 stdlib raised `ValueError` (the Python face decides).
    NulInQuery,
    /// More than one statement given to `execute`. `ProgrammingError` from
    /// Python 3.11 on, `sqlite3.Warning` before (the Python face decides).
    MultipleStatements,
}

impl Kind {
    pub fn class_name(self) -> &'static str {
        match self {
            Kind::Database => "DatabaseError",
            Kind::Operational => "OperationalError",
            Kind::Integrity => "IntegrityError",
            Kind::Internal => "InternalError",
            Kind::Programming | Kind::NulInQuery | Kind::MultipleStatements => "ProgrammingError",
            Kind::Interface => "InterfaceError",
            Kind::Data => "DataError",
            Kind::NotSupported => "NotSupportedError",
            Kind::Memory | Kind::Value => "",
        }
    }
}

/// An error from the engine, raised later as a Python exception.
#[derive(Debug, Clone)]
pub struct SqlError {
    pub kind: Kind,
    pub message: String,
    /// The extended SQLite result code, exposed as `sqlite_errorcode`.
    pub code: Option<i32>,
}

impl SqlError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
        }
    }

    pub fn programming(message: impl Into<String>) -> Self {
        Self::new(Kind::Programming, message)
    }

    pub fn nul_in_query() -> Self {
        Self::new(Kind::NulInQuery, "the query contains a null character")
    }

    pub fn is_busy(&self) -> bool {
        self.code.map(|c| c & 0xff) == Some(ffi::SQLITE_BUSY)
    }

    pub fn is_interrupt(&self) -> bool {
        self.code.map(|c| c & 0xff) == Some(ffi::SQLITE_INTERRUPT)
    }
}

/// The exception class CPython's `_sqlite` picks for a primary result code.
fn kind_for_code(code: i32) -> Kind {
    match code & 0xff {
        ffi::SQLITE_INTERNAL | ffi::SQLITE_NOTFOUND => Kind::Internal,
        ffi::SQLITE_NOMEM => Kind::Memory,
        ffi::SQLITE_ERROR
        | ffi::SQLITE_PERM
        | ffi::SQLITE_ABORT
        | ffi::SQLITE_BUSY
        | ffi::SQLITE_LOCKED
        | ffi::SQLITE_READONLY
        | ffi::SQLITE_INTERRUPT
        | ffi::SQLITE_IOERR
        | ffi::SQLITE_FULL
        | ffi::SQLITE_CANTOPEN
        | ffi::SQLITE_PROTOCOL
        | ffi::SQLITE_EMPTY
        | ffi::SQLITE_SCHEMA => Kind::Operational,
        ffi::SQLITE_CORRUPT => Kind::Database,
        ffi::SQLITE_TOOBIG => Kind::Data,
        ffi::SQLITE_CONSTRAINT | ffi::SQLITE_MISMATCH => Kind::Integrity,
        ffi::SQLITE_MISUSE | ffi::SQLITE_RANGE => Kind::Interface,
        _ => Kind::Database,
    }
}

/// `(code, name)` for each of SQLite's extended result codes.
macro_rules! named_codes {
    ($($name:ident,)*) => { &[$((ffi::$name, stringify!($name)),)*] };
}

/// The extended result codes, whose names the stdlib reports in
/// `sqlite_errorname` (e.g. `SQLITE_CONSTRAINT_PRIMARYKEY` for 1555).
const EXTENDED_CODES: &[(i32, &str)] = named_codes!(
    SQLITE_ABORT_ROLLBACK,
    SQLITE_AUTH_USER,
    SQLITE_BUSY_RECOVERY,
    SQLITE_BUSY_SNAPSHOT,
    SQLITE_BUSY_TIMEOUT,
    SQLITE_CANTOPEN_CONVPATH,
    SQLITE_CANTOPEN_DIRTYWAL,
    SQLITE_CANTOPEN_FULLPATH,
    SQLITE_CANTOPEN_ISDIR,
    SQLITE_CANTOPEN_NOTEMPDIR,
    SQLITE_CANTOPEN_SYMLINK,
    SQLITE_CONSTRAINT_CHECK,
    SQLITE_CONSTRAINT_COMMITHOOK,
    SQLITE_CONSTRAINT_DATATYPE,
    SQLITE_CONSTRAINT_FOREIGNKEY,
    SQLITE_CONSTRAINT_FUNCTION,
    SQLITE_CONSTRAINT_NOTNULL,
    SQLITE_CONSTRAINT_PINNED,
    SQLITE_CONSTRAINT_PRIMARYKEY,
    SQLITE_CONSTRAINT_ROWID,
    SQLITE_CONSTRAINT_TRIGGER,
    SQLITE_CONSTRAINT_UNIQUE,
    SQLITE_CONSTRAINT_VTAB,
    SQLITE_CORRUPT_INDEX,
    SQLITE_CORRUPT_SEQUENCE,
    SQLITE_CORRUPT_VTAB,
    SQLITE_ERROR_MISSING_COLLSEQ,
    SQLITE_ERROR_RETRY,
    SQLITE_ERROR_SNAPSHOT,
    SQLITE_IOERR_ACCESS,
    SQLITE_IOERR_AUTH,
    SQLITE_IOERR_BEGIN_ATOMIC,
    SQLITE_IOERR_BLOCKED,
    SQLITE_IOERR_CHECKRESERVEDLOCK,
    SQLITE_IOERR_CLOSE,
    SQLITE_IOERR_COMMIT_ATOMIC,
    SQLITE_IOERR_CONVPATH,
    SQLITE_IOERR_CORRUPTFS,
    SQLITE_IOERR_DATA,
    SQLITE_IOERR_DELETE,
    SQLITE_IOERR_DELETE_NOENT,
    SQLITE_IOERR_DIR_CLOSE,
    SQLITE_IOERR_DIR_FSYNC,
    SQLITE_IOERR_FSTAT,
    SQLITE_IOERR_FSYNC,
    SQLITE_IOERR_GETTEMPPATH,
    SQLITE_IOERR_IN_PAGE,
    SQLITE_IOERR_LOCK,
    SQLITE_IOERR_MMAP,
    SQLITE_IOERR_NOMEM,
    SQLITE_IOERR_RDLOCK,
    SQLITE_IOERR_READ,
    SQLITE_IOERR_ROLLBACK_ATOMIC,
    SQLITE_IOERR_SEEK,
    SQLITE_IOERR_SHMLOCK,
    SQLITE_IOERR_SHMMAP,
    SQLITE_IOERR_SHMOPEN,
    SQLITE_IOERR_SHMSIZE,
    SQLITE_IOERR_SHORT_READ,
    SQLITE_IOERR_TRUNCATE,
    SQLITE_IOERR_UNLOCK,
    SQLITE_IOERR_VNODE,
    SQLITE_IOERR_WRITE,
    SQLITE_LOCKED_SHAREDCACHE,
    SQLITE_LOCKED_VTAB,
    SQLITE_NOTICE_RBU,
    SQLITE_NOTICE_RECOVER_ROLLBACK,
    SQLITE_NOTICE_RECOVER_WAL,
    SQLITE_READONLY_CANTINIT,
    SQLITE_READONLY_CANTLOCK,
    SQLITE_READONLY_DBMOVED,
    SQLITE_READONLY_DIRECTORY,
    SQLITE_READONLY_RECOVERY,
    SQLITE_READONLY_ROLLBACK,
    SQLITE_WARNING_AUTOINDEX,
);

/// The name the stdlib reports in `sqlite_errorname` for `code`.
pub fn error_name(code: i32) -> String {
    if let Some((_, name)) = EXTENDED_CODES.iter().find(|(c, _)| *c == code) {
        return (*name).to_owned();
    }
    // SAFETY: sqlite3_errstr takes any integer and returns a pointer to a
    // static, NUL-terminated English string (never null).
    let text = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errstr(code)) };
    let primary = match code & 0xff {
        ffi::SQLITE_ERROR => "SQLITE_ERROR",
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_NOTFOUND => "SQLITE_NOTFOUND",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_PROTOCOL => "SQLITE_PROTOCOL",
        ffi::SQLITE_EMPTY => "SQLITE_EMPTY",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_NOLFS => "SQLITE_NOLFS",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_FORMAT => "SQLITE_FORMAT",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        ffi::SQLITE_NOTADB => "SQLITE_NOTADB",
        _ => return text.to_string_lossy().into_owned(),
    };
    primary.to_owned()
}

impl From<rusqlite::Error> for SqlError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        match err {
            E::SqliteFailure(failure, message) => {
                let code = failure.extended_code;
                let message = message.unwrap_or_else(|| {
                    // SAFETY: as in error_name.
                    unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errstr(code)) }
                        .to_string_lossy()
                        .into_owned()
                });
                SqlError {
                    kind: kind_for_code(code),
                    message,
                    code: Some(code),
                }
            }
            E::SqlInputError { error, msg, .. } => SqlError {
                kind: kind_for_code(error.extended_code),
                message: msg,
                code: Some(error.extended_code),
            },
            E::MultipleStatement => SqlError::new(
                Kind::MultipleStatements,
                "You can only execute one statement at a time.",
            ),
            E::InvalidParameterCount(given, expected) => SqlError::programming(format!(
                "Incorrect number of bindings supplied. The current statement uses {expected}, and there are {given} supplied."
            )),
            E::NulError(_) => SqlError::nul_in_query(),
            E::ToSqlConversionFailure(e) => SqlError::new(Kind::Interface, e.to_string()),
            E::Utf8Error(..) => SqlError::new(Kind::Operational, "Could not decode to UTF-8"),
            other => SqlError::new(Kind::Database, other.to_string()),
        }
    }
}
