//! The connection thread's side: one rusqlite connection and the `sqlite3`
//! module semantics aiosqlite users rely on (implicit BEGIN, rowcount,
//! lastrowid, parameter binding rules, scripts).

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{ffi, Connection, OpenFlags, StatementStatus};

use crate::errors::{Kind, SqlError};
use crate::stream::{step_rows, Chunk, Engine};
use crate::value::{Param, Params, Value};

use crate::columns::ColumnCache;
pub use crate::columns::{Column, Columns};

/// Everything one execution produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    /// `None` when the statement returns no columns (DDL, DML).
    pub columns: Option<Columns>,
    /// Row-major cells, `columns.len()` per row.
    pub cells: Vec<Value>,
    pub rowcount: i64,
    /// `sqlite3_last_insert_rowid` after the statement; None when there was
    /// no statement (the cursor keeps its previous `lastrowid`).
    pub lastrowid: Option<i64>,
    /// `DeprecationWarning`s the Python face issues (see `NamedByPosition`).
    pub deprecations: Vec<String>,
    /// The query has more rows than this batch: the id to read them from
    /// (see `Database::fetch_stream`).
    pub stream: Option<u64>,
}

impl Batch {
    pub fn width(&self) -> usize {
        self.columns.as_ref().map_or(0, |c| c.len())
    }

    pub fn row_count(&self) -> usize {
        match self.width() {
            0 => 0,
            w => self.cells.len() / w,
        }
    }
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub path: String,
    pub uri: bool,
    pub timeout: Duration,
    pub isolation_level: Option<String>,
    pub statement_cache: usize,
    pub named_by_position: NamedByPosition,
}

/// What a sequence of parameters given to named placeholders (`:a`, `$a`,
/// `@a`) does, as the interpreter's `sqlite3` has it: bound in order up to
/// Python 3.11, bound with a `DeprecationWarning` in 3.12 and 3.13, and a
/// `ProgrammingError` from 3.14 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedByPosition {
    Allow,
    Warn,
    /// As `Warn`, and numbered placeholders (`?2`) count as named too: what
    /// CPython 3.12.0 to 3.12.3 did (fixed in 3.12.4, gh-117995).
    WarnAlsoNumbered,
    Refuse,
}

/// The VM-step allowance of a statement run inline on the event loop's
/// thread. SQLite calls the progress handler every `INLINE_STEPS` virtual
/// machine instructions; the first call during an inline run ends it.
pub const INLINE_STEPS: i32 = 1000;

/// A write whose last run took at most this many VM instructions may run
/// inline next time (unbudgeted: a write cannot be interrupted safely).
pub const CHEAP_WRITE_STEPS: i32 = 500;

/// How many distinct write statements the engine remembers as cheap.
const CHEAP_WRITES_REMEMBERED: usize = 512;

/// What SQLite's progress and busy handlers consult: whether the current run
/// is inline (on the caller's thread) and whether it may be interrupted.
#[derive(Default)]
pub struct Budget {
    /// Running on the caller's thread: never wait for another connection's lock.
    inline: AtomicBool,
    /// Interrupt when the VM-step allowance runs out (reads only).
    interruptible: AtomicBool,
    tripped: AtomicBool,
    /// How long runs on the connection thread wait for a lock (`timeout=`).
    busy_timeout_ms: AtomicU64,
}

/// SQLite's own back-off schedule for busy waits, in milliseconds.
const BUSY_DELAYS_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

impl Budget {
    /// Called by SQLite's progress handler: interrupt only budgeted inline reads.
    pub fn exhausted(&self) -> bool {
        if self.interruptible.load(Ordering::Relaxed) {
            self.tripped.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    pub fn start(&self, interruptible: bool) {
        self.tripped.store(false, Ordering::Relaxed);
        self.inline.store(true, Ordering::Relaxed);
        self.interruptible.store(interruptible, Ordering::Relaxed);
    }

    /// Ends the run; returns whether the budget ran out during it.
    pub fn stop(&self) -> bool {
        self.inline.store(false, Ordering::Relaxed);
        self.interruptible.store(false, Ordering::Relaxed);
        self.tripped.load(Ordering::Relaxed)
    }

    /// Called by SQLite's busy handler after `attempt` failed tries to get a
    /// lock: whether to try again (after sleeping). An inline run gives up at
    /// once (it is then queued to the connection thread, which waits); the
    /// connection thread waits up to the busy timeout, as SQLite itself would.
    pub fn retry_after_busy(&self, attempt: usize) -> bool {
        if self.inline.load(Ordering::Relaxed) {
            return false;
        }
        let timeout = self.busy_timeout_ms.load(Ordering::Relaxed);
        let waited: u64 = (0..attempt)
            .map(|i| BUSY_DELAYS_MS[i.min(BUSY_DELAYS_MS.len() - 1)])
            .sum();
        let delay = BUSY_DELAYS_MS[attempt.min(BUSY_DELAYS_MS.len() - 1)]
            .min(timeout.saturating_sub(waited));
        if delay == 0 {
            return false;
        }
        std::thread::sleep(Duration::from_millis(delay));
        true
    }
}

unsafe extern "C" fn busy_trampoline(ctx: *mut c_void, attempt: c_int) -> c_int {
    // SAFETY: `ctx` is `Arc::as_ptr` of the engine's budget, registered in
    // `Database::open`; the engine keeps that Arc and closes the connection
    // (its first field, dropped first) before the budget can go.
    let budget = unsafe { &*(ctx as *const Budget) };
    c_int::from(budget.retry_after_busy(usize::try_from(attempt).unwrap_or(0)))
}

/// Python 3.12's `Connection.autocommit`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Autocommit {
    /// `LEGACY_TRANSACTION_CONTROL`: `isolation_level` decides (implicit
    /// BEGIN before DML).
    #[default]
    Legacy,
    /// `True`: SQLite's own autocommit; `commit()`/`rollback()` do nothing.
    On,
    /// `False` (PEP 249): a transaction is always open; `commit()` and
    /// `rollback()` open the next one.
    Off,
}

impl Autocommit {
    pub fn from_python(value: i64) -> Option<Self> {
        match value {
            -1 => Some(Autocommit::Legacy),
            1 => Some(Autocommit::On),
            0 => Some(Autocommit::Off),
            _ => None,
        }
    }
}

/// One open connection and its transaction mode.
/// How `execute_many` treats a statement that is not DML and rows that a
/// run returns, as the interpreter's `sqlite3` does (both changed twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManyRules {
    /// Python 3.10: a statement that is not DML is noticed only when a run
    /// returns a row (that run's effects stay); text without a statement
    /// is bound like one without placeholders.
    Python310,
    /// Python 3.11: refused before running when SQLite calls it read-only
    /// (SELECT, VALUES, BEGIN); rows a write returns (RETURNING) are dropped.
    Python311,
    /// Python 3.12+: as 3.11, but the last run's rows stay fetchable.
    Python312,
}

pub struct Database {
    /// The connection and the queries still reading from it. First, so
    /// that it is dropped (the connection closed) before anything SQLite
    /// holds a pointer to.
    engine: Engine,
    /// `None`: autocommit (no implicit BEGIN). Otherwise "", "DEFERRED", ...
    pub isolation_level: Option<String>,
    pub autocommit: Autocommit,
    pub budget: Arc<Budget>,
    /// In-memory databases never wait on the disk, even when they commit.
    in_memory: bool,
    /// Write statements (by SQL text) whose last run stayed under
    /// `CHEAP_WRITE_STEPS`: the only writes allowed to run inline.
    cheap_writes: foldhash::HashSet<String>,
    /// The result columns of the last statements (see `columns.rs`).
    columns: ColumnCache,
    named_by_position: NamedByPosition,
    /// The statement-trace callback SQLite holds a pointer to; declared
    /// after `conn` so it outlives the connection that calls it.
    trace: Option<Box<TraceFn>>,
    /// The progress handler SQLite holds a pointer to (likewise after `conn`).
    progress: Option<Box<ProgressFn>>,
}

/// A progress handler: true interrupts the running statement.
pub type ProgressFn = Box<dyn FnMut() -> bool + Send>;

/// SQLite's progress callback: asks the engine's `ProgressFn`. Installed
/// directly for the same reason as the trace (rusqlite's wrapper needs
/// SQLite 3.44).
unsafe extern "C" fn progress_trampoline(context: *mut c_void) -> c_int {
    if context.is_null() {
        return 0;
    }
    // SAFETY: the context is the engine's boxed ProgressFn, kept alive while
    // installed (see `trace_trampoline`).
    let callback = unsafe { &mut *context.cast::<ProgressFn>() };
    // A panic interrupts the statement rather than unwinding into SQLite.
    let interrupt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(callback));
    c_int::from(interrupt.unwrap_or(true))
}

/// A callback receiving the SQL of each statement as it starts (expanded
/// with its parameters where SQLite can).
pub type TraceFn = Box<dyn FnMut(&str) + Send>;

/// SQLite's `sqlite3_trace_v2` callback: hands the statement's SQL to the
/// engine's `TraceFn`. Called directly rather than through rusqlite, whose
/// wrapper needs `sqlite3_set_clientdata` (SQLite 3.44): the interpreter's
/// library is often older.
unsafe extern "C" fn trace_trampoline(
    kind: std::ffi::c_uint,
    context: *mut c_void,
    statement: *mut c_void,
    text: *mut c_void,
) -> c_int {
    if kind != ffi::SQLITE_TRACE_STMT as std::ffi::c_uint || context.is_null() {
        return 0;
    }
    // SAFETY: for SQLITE_TRACE_STMT, `statement` is the statement starting
    // and `text` its unexpanded SQL (NUL-terminated); expanded SQL is
    // SQLite's allocation, freed here.
    let sql = unsafe {
        let expanded = ffi::sqlite3_expanded_sql(statement.cast());
        if expanded.is_null() {
            if text.is_null() {
                return 0;
            }
            std::ffi::CStr::from_ptr(text.cast())
                .to_string_lossy()
                .into_owned()
        } else {
            let owned = std::ffi::CStr::from_ptr(expanded)
                .to_string_lossy()
                .into_owned();
            ffi::sqlite3_free(expanded.cast());
            owned
        }
    };
    // SAFETY: the context is the engine's boxed TraceFn, which lives until
    // the trace is replaced (after SQLite stops using it) or the connection
    // is closed; SQLite calls back on the thread running the statement, which
    // holds the engine.
    let callback = unsafe { &mut *context.cast::<TraceFn>() };
    // A panic must not unwind into SQLite's C frames.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(&sql)));
    0
}

fn skip_space_and_comments(sql: &str) -> &str {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
        } else if let Some(after) = trimmed.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail);
        } else {
            return trimmed;
        }
    }
}

/// Whether the statement is INSERT, UPDATE, DELETE or REPLACE: the
/// statements before which the `sqlite3` module opens a transaction, and
/// whose row changes count towards `rowcount`.
pub fn is_dml(sql: &str) -> bool {
    let word = first_word(sql);
    ["insert", "update", "delete", "replace"]
        .iter()
        .any(|keyword| word.eq_ignore_ascii_case(keyword.as_bytes()))
}

/// The statement's first word (after space and comments): the letters up to
/// the first byte that is not an ASCII letter. No allocation, and one scan
/// whatever the keywords compared: this runs for every statement.
fn first_word(sql: &str) -> &[u8] {
    let head = skip_space_and_comments(sql).as_bytes();
    let len = head.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    &head[..len]
}

/// What SQLite would prepare from `sql`, checked before it is handed over:
/// text with a NUL is refused as the stdlib refuses it (SQLite would stop
/// reading at the NUL and run only what comes before it: "delete from t\0
/// where id = 1" deleted every row), and text with no statement in it —
/// only white space, comments and semicolons — is `Ok(false)`: SQLite
/// prepares nothing, and the stdlib returns an empty cursor.
pub fn has_statement(sql: &str) -> Result<bool, SqlError> {
    if sql.contains('\0') {
        return Err(SqlError::nul_in_query());
    }
    let mut rest = sql;
    loop {
        rest = skip_space_and_comments(rest);
        match rest.strip_prefix(';') {
            Some(after) => rest = after,
            None => return Ok(!rest.is_empty()),
        }
    }
}

/// Whether the statement is a plain query (SELECT or VALUES): what a pooled
/// connection may send to a reader. `WITH` is not, since it can lead a write.
pub fn is_query(sql: &str) -> bool {
    let word = first_word(sql);
    word.eq_ignore_ascii_case(b"select") || word.eq_ignore_ascii_case(b"values")
}

/// Validates an isolation level the way `sqlite3` does.
pub fn check_isolation_level(level: &str) -> Result<(), SqlError> {
    match level.to_ascii_uppercase().as_str() {
        "" | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE" => Ok(()),
        _ => Err(SqlError::new(
            Kind::Value,
            "isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or 'EXCLUSIVE'",
        )),
    }
}

/// The transaction rules a statement runs under: `Connection.autocommit`
/// and `isolation_level`, as the stdlib applies them.
#[derive(Clone, Copy)]
struct TxControl<'a> {
    autocommit: Autocommit,
    isolation_level: Option<&'a str>,
}

impl TxControl<'_> {
    /// Whether running a statement now would commit as soon as it finishes
    /// (`dml`: whether it is one, `is_dml`).
    fn commits_at_once(self, conn: &Connection, dml: bool) -> bool {
        conn.is_autocommit()
            && match self.autocommit {
                Autocommit::Legacy => self.isolation_level.is_none() || !dml,
                Autocommit::On => true,
                Autocommit::Off => false,
            }
    }

    /// The implicit BEGIN the stdlib issues before a statement (`dml`:
    /// whether it is INSERT, UPDATE, DELETE or REPLACE), if it would.
    fn begin_if_needed(self, conn: &Connection, dml: bool) -> Result<(), SqlError> {
        if !conn.is_autocommit() {
            return Ok(());
        }
        match (self.autocommit, self.isolation_level) {
            (Autocommit::Legacy, Some(level)) if dml => {
                conn.execute_batch(&format!("BEGIN {level}"))?
            }
            (Autocommit::Off, _) => conn.execute_batch("BEGIN")?,
            _ => {}
        }
        Ok(())
    }
}

impl Database {
    pub fn conn(&self) -> &Connection {
        self.engine.conn()
    }

    /// The transaction rules statements run under now.
    fn tx(&self) -> TxControl<'_> {
        TxControl {
            autocommit: self.autocommit,
            isolation_level: self.isolation_level.as_deref(),
        }
    }

    /// Closes the connection, ending every query still being read first.
    pub fn close(self) -> Result<(), SqlError> {
        let Database { engine, .. } = self;
        engine
            .into_owner()
            .close()
            .map_err(|(_, e)| SqlError::from(e))
    }

    /// Replaces database `name` with the contents of `image` (through
    /// SQLite's backup API, so a file database is really written). Queries
    /// still being read end first: their cursors then say their rows are gone.
    pub fn restore_from(&mut self, image: &Connection, name: &str) -> Result<(), SqlError> {
        // The backup needs the connection alone (`&mut`): take it out of the
        // engine, which drops the live statements, and put it back after.
        let placeholder = Engine::over(Connection::open_in_memory()?);
        let mut conn = std::mem::replace(&mut self.engine, placeholder).into_owner();
        let copied = rusqlite::backup::Backup::new_with_names(image, "main", &mut conn, name)
            .and_then(|backup| backup.run_to_completion(1 << 20, Duration::ZERO, None));
        self.engine = Engine::over(conn);
        Ok(copied?)
    }

    /// Database `name` as one image (`sqlite3_serialize`, copied out).
    /// rusqlite's wrapper needs the connection alone (`&mut`, for its
    /// zero-copy form); the copying form is safe beside live statements,
    /// so a backup does not end the queries being read.
    pub fn serialize(&self, name: &str) -> Result<Vec<u8>, SqlError> {
        let schema = std::ffi::CString::new(name)
            .map_err(|_| SqlError::new(Kind::Value, "embedded null character"))?;
        let mut size: ffi::sqlite3_int64 = 0;
        // SAFETY: the handle is this engine's open connection, `schema` a
        // NUL-terminated string that outlives the call, `size` a valid
        // out-pointer; flags 0 asks for a fresh copy the caller owns.
        let image = unsafe {
            ffi::sqlite3_serialize(self.conn().handle(), schema.as_ptr(), &raw mut size, 0)
        };
        if image.is_null() {
            return Err(SqlError::new(
                Kind::Operational,
                format!("could not serialize database {name:?} (unknown or out of memory)"),
            ));
        }
        let len = usize::try_from(size).unwrap_or(0);
        // SAFETY: SQLite returned `size` bytes at `image`, allocated with
        // sqlite3_malloc; they are copied out and then freed exactly once.
        let data = unsafe { std::slice::from_raw_parts(image, len) }.to_vec();
        // SAFETY: as above: `image` came from sqlite3_serialize, freed once.
        unsafe { ffi::sqlite3_free(image.cast()) };
        Ok(data)
    }

    /// The next `limit` rows (all that are left with `None`) of a query
    /// whose first batch said it had more (`Batch::stream`).
    pub fn fetch_stream(&mut self, id: u64, limit: Option<usize>) -> Result<Batch, SqlError> {
        let Chunk {
            cells,
            columns,
            more,
        } = self
            .engine
            .with_dependent_mut(|_, streams| streams.fetch(id, limit))?;
        Ok(Batch {
            columns,
            cells,
            rowcount: -1,
            lastrowid: Some(self.conn().last_insert_rowid()),
            deprecations: Vec::new(),
            stream: more,
        })
    }

    /// Lets go of a query's remaining rows (its cursor closed or went away).
    pub fn end_stream(&mut self, id: u64) {
        self.engine.with_dependent_mut(|_, streams| streams.end(id));
    }

    /// How many queries have rows still to read.
    pub fn open_streams(&self) -> usize {
        self.engine.open_streams()
    }

    pub fn open(options: &OpenOptions) -> Result<Self, SqlError> {
        crate::library::ensure().map_err(|why| SqlError::new(Kind::Operational, why))?;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if options.uri {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let conn =
            Connection::open_with_flags(&options.path, flags).map_err(
                |e| match SqlError::from(e) {
                    // The sqlite3 module reports every open failure this way.
                    err if err.kind == Kind::Operational || err.code.is_some() => SqlError {
                        kind: Kind::Operational,
                        message: "unable to open database file".into(),
                        code: err.code,
                    },
                    err => err,
                },
            )?;
        conn.set_prepared_statement_cache_capacity(options.statement_cache);
        let in_memory = conn.path().is_none_or(str::is_empty);
        let budget = Arc::new(Budget::default());
        let timeout_ms = u64::try_from(options.timeout.as_millis()).unwrap_or(u64::MAX);
        budget.busy_timeout_ms.store(timeout_ms, Ordering::Relaxed);
        // SAFETY: the handle is the connection just opened; the context is
        // the budget, which outlives the connection (see busy_trampoline).
        let rc = unsafe {
            ffi::sqlite3_busy_handler(
                conn.handle(),
                Some(busy_trampoline),
                Arc::as_ptr(&budget) as *mut c_void,
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(SqlError::new(
                Kind::Operational,
                "could not install the busy handler",
            ));
        }
        let mut db = Self {
            engine: Engine::over(conn),
            isolation_level: options.isolation_level.clone(),
            autocommit: Autocommit::Legacy,
            budget,
            in_memory,
            cheap_writes: foldhash::HashSet::default(),
            columns: ColumnCache::default(),
            named_by_position: options.named_by_position,
            trace: None,
            progress: None,
        };
        db.install_budget()?;
        Ok(db)
    }

    /// Installs (or with None, removes) the statement-trace callback.
    pub fn set_trace(&mut self, callback: Option<TraceFn>) {
        let mut boxed = callback.map(Box::new);
        let (mask, hook, context) = match boxed.as_mut() {
            Some(callback) => (
                ffi::SQLITE_TRACE_STMT as std::ffi::c_uint,
                Some(trace_trampoline as unsafe extern "C" fn(_, _, _, _) -> _),
                std::ptr::from_mut::<TraceFn>(&mut **callback).cast::<c_void>(),
            ),
            None => (0, None, std::ptr::null_mut()),
        };
        // SAFETY: the handle is this engine's open connection; the context
        // stays valid while installed (it is kept in `self.trace`, replaced
        // only after SQLite has been given the new one).
        unsafe { ffi::sqlite3_trace_v2(self.conn().handle(), mask, hook, context) };
        self.trace = boxed;
    }

    /// `sqlite3_enable_load_extension`, as the stdlib calls it.
    pub fn enable_load_extension(&mut self, enabled: bool) -> Result<(), SqlError> {
        // SAFETY: the handle is this engine's open connection. Loading
        // extensions is what the caller asked for; which code it loads is
        // the caller's choice.
        let enable = crate::library::enable_load_extension().ok_or_else(|| {
            SqlError::new(
                Kind::NotSupported,
                "this SQLite library cannot load extensions",
            )
        })?;
        let rc = unsafe { enable(self.conn().handle(), c_int::from(enabled)) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(SqlError::new(
                Kind::Operational,
                "Error enabling load extension",
            ))
        }
    }

    /// `sqlite3_load_extension` with the default entry point.
    pub fn load_extension(&mut self, path: &str) -> Result<(), SqlError> {
        let path = std::ffi::CString::new(path)
            .map_err(|_| SqlError::new(Kind::Value, "embedded null character in path"))?;
        let mut message: *mut std::ffi::c_char = std::ptr::null_mut();
        // SAFETY: the handle is this engine's open connection, the path a
        // NUL-terminated string; SQLite allocates the error message, freed here.
        let rc = unsafe {
            ffi::sqlite3_load_extension(
                self.conn().handle(),
                path.as_ptr(),
                std::ptr::null(),
                &mut message,
            )
        };
        if rc == ffi::SQLITE_OK {
            return Ok(());
        }
        let text = if message.is_null() {
            "error loading extension".to_owned()
        } else {
            // SAFETY: a NUL-terminated string from sqlite3_malloc.
            let text = unsafe { std::ffi::CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned();
            unsafe { ffi::sqlite3_free(message.cast()) };
            text
        };
        Err(SqlError::new(Kind::Operational, text))
    }

    /// (Re)installs the progress handler that bounds inline runs.
    pub fn install_budget(&mut self) -> Result<(), SqlError> {
        let budget = self.budget.clone();
        self.set_progress(INLINE_STEPS, Some(Box::new(move || budget.exhausted())));
        Ok(())
    }

    /// Installs (or with None, removes) the progress handler, called every
    /// `steps` VM steps.
    pub fn set_progress(&mut self, steps: c_int, callback: Option<ProgressFn>) {
        let mut boxed = callback.map(Box::new);
        let (hook, context) = match boxed.as_mut() {
            Some(callback) => (
                Some(progress_trampoline as unsafe extern "C" fn(_) -> _),
                std::ptr::from_mut::<ProgressFn>(&mut **callback).cast::<c_void>(),
            ),
            None => (None, std::ptr::null_mut()),
        };
        // SAFETY: as in `set_trace`.
        unsafe { ffi::sqlite3_progress_handler(self.conn().handle(), steps, hook, context) };
        self.progress = boxed;
    }

    /// Runs a statement on the caller's thread, if it is known to be short
    /// and needs no lock another connection holds.
    /// `Ok(None)`: not run here; the caller queues it to the connection thread.
    ///
    /// - Reads run under the VM-step budget and are interrupted (harmlessly:
    ///   an interrupted read changes nothing) when they exceed it.
    /// - Writes cannot be interrupted safely (SQLite rolls back the whole
    ///   transaction), so a write runs inline only when the same SQL last
    ///   finished within `CHEAP_WRITE_STEPS`, and never when it would commit
    ///   (and so wait on the disk) on a file database.
    pub fn execute_inline(
        &mut self,
        sql: &str,
        params: &Params,
        first: Option<usize>,
    ) -> Result<Option<Batch>, SqlError> {
        // Inline from the first step: preparing reads the schema, which can
        // need a lock too.
        self.budget.start(false);
        let result = self.inline_attempt(sql, params, first);
        let tripped = self.budget.stop();
        match result {
            // Out of budget (a read: nothing changed), or another connection
            // holds a lock this run may not wait for: the thread takes over.
            Err(err) if (tripped && err.is_interrupt()) || err.is_busy() => Ok(None),
            Err(err) => Err(err),
            Ok(None) => Ok(None),
            Ok(Some((batch, write_steps))) => {
                // A write runs inline only when already known cheap: only
                // a run that turned out expensive changes anything.
                if write_steps.is_some_and(|steps| steps > CHEAP_WRITE_STEPS) {
                    self.cheap_writes.remove(sql);
                }
                Ok(Some(batch))
            }
        }
    }

    fn inline_attempt(
        &mut self,
        sql: &str,
        params: &Params,
        first: Option<usize>,
    ) -> Result<Option<(Batch, Option<i32>)>, SqlError> {
        if !has_statement(sql)? {
            return Ok(Some((self.no_statement(), None)));
        }
        let tx = TxControl {
            autocommit: self.autocommit,
            isolation_level: self.isolation_level.as_deref(),
        };
        let (budget, cheap_writes, in_memory) = (&self.budget, &self.cheap_writes, self.in_memory);
        let named_by_position = self.named_by_position;
        let columns = &mut self.columns;
        // Read once: the transaction rules and the row count both need it.
        let dml = is_dml(sql);
        self.engine.with_dependent_mut(|conn, streams| {
            let mut stmt = conn.prepare_cached(sql)?;
            if stmt.readonly() {
                budget.interruptible.store(true, Ordering::Relaxed);
            } else {
                if (tx.commits_at_once(conn, dml) && !in_memory) || !cheap_writes.contains(sql) {
                    return Ok(None);
                }
                tx.begin_if_needed(conn, dml)?;
            }
            let run = run_prepared(
                conn,
                &mut stmt,
                sql,
                dml,
                params,
                named_by_position,
                first,
                columns,
            )?;
            Ok(Some(run.keep_rest(stmt, streams)))
        })
    }

    /// Remembers whether a write statement is cheap enough to run inline.
    fn learn_write_cost(&mut self, sql: &str, steps: i32) {
        if steps <= CHEAP_WRITE_STEPS {
            if !self.cheap_writes.contains(sql) {
                if self.cheap_writes.len() >= CHEAP_WRITES_REMEMBERED {
                    self.cheap_writes.clear();
                }
                // Only on the first cheap run: later ones find it above.
                self.cheap_writes.insert(sql.to_owned());
            }
        } else {
            self.cheap_writes.remove(sql);
        }
    }

    /// Switches transaction control, as assigning `Connection.autocommit`
    /// does: to `On` commits a pending transaction, to `Off` opens one.
    pub fn set_autocommit(&mut self, mode: Autocommit) -> Result<(), SqlError> {
        self.autocommit = mode;
        match mode {
            Autocommit::On if !self.conn().is_autocommit() => {
                self.conn().execute_batch("COMMIT")?
            }
            Autocommit::Off if self.conn().is_autocommit() => self.conn().execute_batch("BEGIN")?,
            _ => {}
        }
        Ok(())
    }

    /// Runs one statement with one set of parameters and collects all its rows.
    pub fn execute(&mut self, sql: &str, params: &Params) -> Result<Batch, SqlError> {
        self.execute_chunked(sql, params, None)
    }

    /// Runs one statement with one set of parameters and collects its rows:
    /// all of them, or for a query with `first`, up to that many (the batch
    /// then names the stream the rest are read from, if there are more).
    pub fn execute_chunked(
        &mut self,
        sql: &str,
        params: &Params,
        first: Option<usize>,
    ) -> Result<Batch, SqlError> {
        if !has_statement(sql)? {
            return Ok(self.no_statement());
        }
        let tx = TxControl {
            autocommit: self.autocommit,
            isolation_level: self.isolation_level.as_deref(),
        };
        let named_by_position = self.named_by_position;
        let columns = &mut self.columns;
        let dml = is_dml(sql);
        let (batch, write_steps) = self.engine.with_dependent_mut(|conn, streams| {
            // Prepared first, as the stdlib does: a statement that fails to
            // prepare must not leave an implicit transaction open.
            let mut stmt = conn.prepare_cached(sql)?;
            tx.begin_if_needed(conn, dml)?;
            let run = run_prepared(
                conn,
                &mut stmt,
                sql,
                dml,
                params,
                named_by_position,
                first,
                columns,
            )?;
            Ok::<_, SqlError>(run.keep_rest(stmt, streams))
        })?;
        if let Some(steps) = write_steps {
            self.learn_write_cost(sql, steps);
        }
        Ok(batch)
    }

    /// Runs one statement once per parameter set; `rowcount` is the sum.
    pub fn execute_many(
        &mut self,
        sql: &str,
        sets: &[Params],
        rules: ManyRules,
    ) -> Result<Batch, SqlError> {
        let not_dml = || SqlError::programming("executemany() can only execute DML statements.");
        if !has_statement(sql)? {
            if rules != ManyRules::Python310 {
                return Err(not_dml());
            }
            // 3.10 binds each set to the empty statement: only an empty
            // sequence (or a mapping, which names nothing) fits.
            for params in sets {
                if let Params::Positional(given) = params {
                    if !given.is_empty() {
                        return Err(rusqlite::Error::InvalidParameterCount(given.len(), 0).into());
                    }
                }
            }
            return Ok(self.no_statement());
        }
        let dml = is_dml(sql);
        let mut stmt = self.conn().prepare_cached(sql)?;
        if rules != ManyRules::Python310 && stmt.readonly() {
            return Err(not_dml());
        }
        self.tx().begin_if_needed(self.conn(), dml)?;
        let mut rowcount = 0i64;
        let mut deprecations = Vec::new();
        let mut cells = Vec::new();
        let last = sets.len().checked_sub(1);
        for (index, params) in sets.iter().enumerate() {
            bind(&mut stmt, params, self.named_by_position, &mut deprecations)?;
            let keep = rules == ManyRules::Python312 && Some(index) == last;
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next()? {
                match rules {
                    ManyRules::Python310 => return Err(not_dml()),
                    _ if keep => {
                        for i in 0..row.as_ref().column_count() {
                            cells.push(Value::from_ref(row.get_ref(i)?));
                        }
                    }
                    _ => {}
                }
            }
            drop(rows);
            if dml {
                rowcount = rowcount.saturating_add(changes(self.conn()));
            }
        }
        let columns = if rules == ManyRules::Python312 && last.is_some() {
            columns_of(&stmt)
        } else {
            None
        };
        drop(stmt);
        Ok(Batch {
            columns,
            cells,
            rowcount: if dml { rowcount } else { -1 },
            lastrowid: Some(self.conn().last_insert_rowid()),
            deprecations,
            stream: None,
        })
    }

    /// Whether `sql` prepares (an error if not), without running it.
    pub fn check_prepares(&mut self, sql: &str) -> Result<(), SqlError> {
        if has_statement(sql)? {
            self.conn().prepare_cached(sql)?;
        }
        Ok(())
    }

    /// The result of text with no statement in it: no columns, no rows.
    fn no_statement(&self) -> Batch {
        Batch {
            columns: None,
            cells: Vec::new(),
            rowcount: -1,
            lastrowid: None,
            deprecations: Vec::new(),
            stream: None,
        }
    }

    /// Runs a script: commits a pending transaction first, then every
    /// statement in autocommit mode, as `sqlite3.Connection.executescript`.
    pub fn execute_script(&mut self, sql: &str) -> Result<(), SqlError> {
        if sql.contains('\0') {
            return Err(SqlError::new(Kind::Value, "embedded null character"));
        }
        if self.autocommit == Autocommit::Legacy && !self.conn().is_autocommit() {
            self.conn().execute_batch("COMMIT")?;
        }
        self.conn().execute_batch(sql)?;
        Ok(())
    }

    pub fn commit(&mut self) -> Result<(), SqlError> {
        self.end_transaction("COMMIT")
    }

    pub fn rollback(&mut self) -> Result<(), SqlError> {
        self.end_transaction("ROLLBACK")
    }

    fn end_transaction(&mut self, how: &str) -> Result<(), SqlError> {
        if self.autocommit == Autocommit::On {
            return Ok(());
        }
        if !self.conn().is_autocommit() {
            self.conn().execute_batch(how)?;
        }
        if self.autocommit == Autocommit::Off {
            self.conn().execute_batch("BEGIN")?;
        }
        Ok(())
    }
}

/// One run of a prepared statement: its batch, and what the engine needs
/// to remember after it.
struct Run {
    batch: Batch,
    /// For a write, the VM steps this run took (the cost estimate behind
    /// inline writes).
    write_steps: Option<i32>,
    /// For a query stopped at its first chunk, the row read ahead: the
    /// statement stays positioned after it for the rest.
    carry: Option<Vec<Value>>,
}

impl Run {
    /// The batch, after keeping `stmt` live when rows remain to be read.
    fn keep_rest<'conn>(
        mut self,
        stmt: rusqlite::CachedStatement<'conn>,
        streams: &mut crate::stream::Streams<'conn>,
    ) -> (Batch, Option<i32>) {
        if let Some(carry) = self.carry {
            let width = self.batch.width();
            self.batch.stream = Some(streams.keep(stmt, width, self.batch.columns.clone(), carry));
        }
        (self.batch, self.write_steps)
    }
}

/// Binds, steps and collects rows: to the end, or for a query given
/// `first`, that many rows (see `Run::carry`).
#[allow(clippy::too_many_arguments)] // one call's facts, each read once by the caller
fn run_prepared(
    conn: &Connection,
    stmt: &mut rusqlite::Statement<'_>,
    sql: &str,
    dml: bool,
    params: &Params,
    named_by_position: NamedByPosition,
    first: Option<usize>,
    column_cache: &mut ColumnCache,
) -> Result<Run, SqlError> {
    // SQLite counts VM steps per statement across executions: count this run
    // alone (for the inline budget and the write-cost estimate).
    stmt.reset_status(StatementStatus::VmStep);
    let mut deprecations = Vec::new();
    bind(stmt, params, named_by_position, &mut deprecations)?;
    // Only a query's rows may be left for later: a write finishes its work
    // (and an autocommit its transaction) before execute() returns.
    let limit = first.filter(|_| stmt.readonly());
    let mut width = None;
    let mut cells = Vec::new();
    let carry = step_rows(stmt, &mut width, &mut cells, limit)?;
    let width = width.unwrap_or_else(|| stmt.column_count());
    let columns = if width > 0 {
        column_cache.columns_of(sql, stmt)
    } else {
        None
    };
    let write_steps = (!stmt.readonly()).then(|| stmt.get_status(StatementStatus::VmStep));
    let rowcount = if dml { changes(conn) } else { -1 };
    let batch = Batch {
        columns,
        cells,
        rowcount,
        lastrowid: Some(conn.last_insert_rowid()),
        deprecations,
        stream: None,
    };
    Ok(Run {
        batch,
        write_steps,
        carry,
    })
}

/// The statement's result columns (`None` when it has none), uncached.
fn columns_of(stmt: &rusqlite::Statement<'_>) -> Option<Columns> {
    let columns = crate::columns::read(stmt);
    (!columns.is_empty()).then_some(columns)
}

/// Binds one parameter set; deprecation messages go to `deprecations`.
fn bind(
    stmt: &mut rusqlite::Statement<'_>,
    params: &Params,
    named_by_position: NamedByPosition,
    deprecations: &mut Vec<String>,
) -> Result<(), SqlError> {
    let expected = stmt.parameter_count();
    match params {
        Params::Positional(values) => {
            if values.len() != expected {
                return Err(SqlError::programming(format!(
                    "Incorrect number of bindings supplied. The current statement uses {expected}, and there are {} supplied.",
                    values.len()
                )));
            }
            for (i, param) in values.iter().enumerate() {
                let index = i + 1;
                if named_by_position != NamedByPosition::Allow {
                    // `?NNN` is numbered, not named; `?` has no name at all.
                    let numbered_too = named_by_position == NamedByPosition::WarnAlsoNumbered;
                    let named = stmt
                        .parameter_name(index)
                        .filter(|n| numbered_too || !n.starts_with('?'));
                    if let Some(name) = named {
                        let problem = format!(
                            "Binding {index} ('{name}') is a named parameter, but you supplied a \
                             sequence which requires nameless (qmark) placeholders."
                        );
                        if named_by_position == NamedByPosition::Refuse {
                            return Err(SqlError::programming(problem));
                        }
                        deprecations.push(format!(
                            "{problem} Starting with Python 3.14 an sqlite3.ProgrammingError will be raised."
                        ));
                    }
                }
                stmt.raw_bind_parameter(index, bindable(param)?)?;
            }
        }
        Params::Named(values) => {
            for i in 1..=expected {
                let Some(name) = stmt.parameter_name(i).map(str::to_owned) else {
                    return Err(SqlError::programming(format!(
                        "Binding {i} has no name, but you supplied a dictionary (which has only names)."
                    )));
                };
                let key = &name[1..];
                let Some((_, param)) = values.iter().find(|(k, _)| k == key) else {
                    return Err(SqlError::programming(format!(
                        "You did not supply a value for binding parameter {name}."
                    )));
                };
                stmt.raw_bind_parameter(i, bindable(param)?)?;
            }
        }
    }
    Ok(())
}

fn bindable(param: &Param) -> Result<&Value, SqlError> {
    match param {
        Param::Value(v) => Ok(v),
        Param::Unsupported(error) => Err(error.clone()),
    }
}

/// Rows the last statement changed, as `rowcount` reports it (SQLite counts
/// in 64 bits; past `i64::MAX` is not reachable, but is not wrapped either).
fn changes(conn: &Connection) -> i64 {
    i64::try_from(conn.changes()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Database {
        Database::open(&OpenOptions {
            path: ":memory:".into(),
            uri: false,
            timeout: Duration::from_secs(5),
            isolation_level: Some(String::new()),
            statement_cache: 16,
            named_by_position: NamedByPosition::Allow,
        })
        .unwrap()
    }

    fn ints(values: &[i64]) -> Params {
        Params::Positional(
            values
                .iter()
                .map(|v| Param::Value(Value::Integer(*v)))
                .collect(),
        )
    }

    #[test]
    fn dml_detection_skips_comments_and_space() {
        assert!(is_dml("  insert into t values (1)"));
        assert!(is_dml("-- note\n/* more */ UPDATE t SET a = 1"));
        assert!(is_dml("Replace into t values (1)"));
        assert!(!is_dml("select 1"));
        assert!(!is_dml(
            "with x as (select 1) insert into t select * from x"
        ));
        assert!(!is_dml("-- only a comment"));
        assert!(!is_dml("insertion"));
    }

    #[test]
    fn query_detection() {
        assert!(is_query(" SELECT 1"));
        assert!(is_query("/* c */ values (1)"));
        assert!(!is_query("with x as (select 1) delete from t"));
        assert!(!is_query("insert into t values (1)"));
        assert!(!is_query("selectx"));
    }

    #[test]
    fn implicit_begin_before_dml_only() {
        let mut e = memory();
        e.execute("create table t (a integer)", &Params::empty())
            .unwrap();
        assert!(e.conn().is_autocommit(), "DDL opens no transaction");
        let b = e.execute("insert into t values (?)", &ints(&[1])).unwrap();
        assert_eq!(b.rowcount, 1);
        assert_eq!(b.lastrowid, Some(1));
        assert!(!e.conn().is_autocommit());
        e.commit().unwrap();
        assert!(e.conn().is_autocommit());
        e.isolation_level = None;
        e.execute("insert into t values (2)", &Params::empty())
            .unwrap();
        assert!(e.conn().is_autocommit(), "autocommit mode never begins");
    }

    #[test]
    fn a_cached_select_sees_its_table_change_shape() {
        let mut e = memory();
        let none = Params::empty();
        e.execute("create table t (a integer)", &none).unwrap();
        e.execute("insert into t values (1)", &none).unwrap();
        assert_eq!(e.execute("select * from t", &none).unwrap().width(), 1);
        e.execute("drop table t", &none).unwrap();
        e.execute("create table t (a integer, b text)", &none)
            .unwrap();
        // No rows yet: the columns still come from the new table.
        let empty = e.execute("select * from t", &none).unwrap();
        assert_eq!(empty.width(), 2);
        e.execute("insert into t values (2, 'x')", &none).unwrap();
        let b = e.execute("select * from t", &none).unwrap();
        assert_eq!(b.width(), 2);
        assert_eq!(b.cells, vec![Value::Integer(2), Value::Text("x".into())]);
        assert_eq!(b.columns.as_ref().unwrap()[1].name, "b");
    }

    #[test]
    fn select_collects_rows_and_columns() {
        let mut e = memory();
        let b = e
            .execute(
                "select 1 as a, 'x' as b, null, 2.5, x'00ff'",
                &Params::empty(),
            )
            .unwrap();
        assert_eq!(b.width(), 5);
        assert_eq!(b.row_count(), 1);
        assert_eq!(b.rowcount, -1);
        assert_eq!(b.columns.as_ref().unwrap()[0].name, "a");
        assert_eq!(
            b.cells,
            vec![
                Value::Integer(1),
                Value::Text("x".into()),
                Value::Null,
                Value::Real(2.5),
                Value::Blob(vec![0, 255])
            ]
        );
    }

    #[test]
    fn binding_errors_name_the_problem() {
        let mut e = memory();
        let err = e.execute("select ?", &ints(&[1, 2])).unwrap_err();
        assert_eq!(err.kind, Kind::Programming);
        assert!(err.message.contains("uses 1, and there are 2 supplied"));
        let err = e.execute("select :a", &Params::Named(vec![])).unwrap_err();
        assert!(err.message.contains("binding parameter :a"));
        let err = e
            .execute("select 1; select 2", &Params::empty())
            .unwrap_err();
        assert!(err.message.contains("one statement at a time"));
        let err = e.execute("selec 1", &Params::empty()).unwrap_err();
        assert_eq!(err.kind, Kind::Operational);
        assert!(err.message.contains("syntax error"));
    }

    #[test]
    fn constraint_violation_is_an_integrity_error() {
        let mut e = memory();
        e.execute("create table t (a integer primary key)", &Params::empty())
            .unwrap();
        e.execute("insert into t values (1)", &Params::empty())
            .unwrap();
        let err = e
            .execute("insert into t values (1)", &Params::empty())
            .unwrap_err();
        assert_eq!(err.kind, Kind::Integrity);
        assert_eq!(err.code, Some(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY));
    }

    #[test]
    fn executemany_sums_rowcount() {
        let mut e = memory();
        e.execute("create table t (a integer)", &Params::empty())
            .unwrap();
        let sets: Vec<Params> = (0..10).map(|i| ints(&[i])).collect();
        let b = e
            .execute_many("insert into t values (?)", &sets, ManyRules::Python311)
            .unwrap();
        assert_eq!(b.rowcount, 10);
        let err = e
            .execute_many("select ?", &sets, ManyRules::Python311)
            .unwrap_err();
        assert!(err.message.contains("DML"));
    }

    #[test]
    fn executemany_checks_dml_as_each_python_did() {
        let count = |e: &mut Database| {
            e.execute("select count(*) from t", &Params::empty())
                .unwrap()
                .cells
        };
        for check in [
            ManyRules::Python310,
            ManyRules::Python311,
            ManyRules::Python312,
        ] {
            let mut e = memory();
            e.execute("create table t (a integer)", &Params::empty())
                .unwrap();
            let one = [ints(&[1])];
            // 3.11+ refuses text without a statement; 3.10 binds to it.
            let err = e.execute_many("-- x", &one, check).unwrap_err();
            let expected = match check {
                ManyRules::Python310 => "uses 0, and there are 1 supplied",
                _ => "can only execute DML",
            };
            assert!(err.message.contains(expected), "{check:?}: {}", err.message);
            // A write that returns rows: 3.10 stops at its first row, after
            // the first run took effect; 3.11 drops the rows; 3.12+ keeps
            // the last run's.
            let two = [ints(&[1]), ints(&[2])];
            let returning = e.execute_many("insert into t values (?) returning a", &two, check);
            match check {
                ManyRules::Python310 => assert!(returning.is_err()),
                ManyRules::Python311 => assert!(returning.unwrap().cells.is_empty()),
                ManyRules::Python312 => {
                    let batch = returning.unwrap();
                    assert_eq!(batch.cells, vec![Value::Integer(2)]);
                    assert_eq!(batch.columns.map(|c| c.len()), Some(1));
                }
            }
            let inserted = if check == ManyRules::Python310 { 1 } else { 2 };
            assert_eq!(count(&mut e), vec![Value::Integer(inserted)]);
            let begin = e.execute_many("begin", &one, check).unwrap_err();
            assert!(
                begin.message.contains(expected),
                "{check:?}: {}",
                begin.message
            );
        }
        let mut e = memory();
        let nul = e.execute("select 1\0", &Params::empty()).unwrap_err();
        assert_eq!(nul.kind, Kind::NulInQuery);
        let two = e
            .execute("select 1; select 2", &Params::empty())
            .unwrap_err();
        assert_eq!(two.kind, Kind::MultipleStatements);
    }

    #[test]
    fn named_placeholders_given_a_sequence_follow_the_rule() {
        let sql = "select :a, ?2, $b";
        for rule in [
            NamedByPosition::Allow,
            NamedByPosition::Warn,
            NamedByPosition::WarnAlsoNumbered,
            NamedByPosition::Refuse,
        ] {
            let mut e = memory();
            e.named_by_position = rule;
            let got = e.execute(sql, &ints(&[1, 2, 3]));
            match rule {
                NamedByPosition::Allow => assert!(got.unwrap().deprecations.is_empty()),
                NamedByPosition::Warn => {
                    let warned = got.unwrap().deprecations;
                    // `?2` is numbered, not named: two warnings, not three.
                    assert_eq!(warned.len(), 2, "{warned:?}");
                    assert!(warned[0].starts_with("Binding 1 (':a') is a named parameter"));
                    assert!(warned[1].starts_with("Binding 3 ('$b')"));
                }
                NamedByPosition::WarnAlsoNumbered => {
                    let warned = got.unwrap().deprecations;
                    assert_eq!(warned.len(), 3, "{warned:?}");
                    assert!(warned[1].starts_with("Binding 2 ('?2')"));
                }
                NamedByPosition::Refuse => {
                    let err = got.unwrap_err();
                    assert_eq!(err.kind, Kind::Programming);
                    assert!(err
                        .message
                        .ends_with("requires nameless (qmark) placeholders."));
                }
            }
            // A mapping binds named placeholders under every rule.
            let named = Params::Named(vec![
                ("a".into(), Param::Value(Value::Integer(1))),
                ("b".into(), Param::Value(Value::Integer(2))),
            ]);
            assert!(e.execute("select :a, $b", &named).is_ok());
        }
    }

    #[test]
    fn script_commits_first_and_runs_every_statement() {
        let mut e = memory();
        e.execute("create table t (a integer)", &Params::empty())
            .unwrap();
        e.execute("insert into t values (1)", &Params::empty())
            .unwrap();
        e.execute_script("insert into t values (2); insert into t values (3);")
            .unwrap();
        assert!(e.conn().is_autocommit());
        let b = e
            .execute("select count(*) from t", &Params::empty())
            .unwrap();
        assert_eq!(b.cells, vec![Value::Integer(3)]);
    }

    #[test]
    fn inline_runs_short_reads_and_gives_back_long_ones_and_writes() {
        let mut e = memory();
        e.execute("create table t (a integer)", &Params::empty())
            .unwrap();
        assert!(e
            .execute_inline("insert into t values (1)", &Params::empty(), None)
            .unwrap()
            .is_none());
        e.execute("insert into t values (1)", &Params::empty())
            .unwrap();
        let b = e
            .execute_inline("select a from t", &Params::empty(), None)
            .unwrap();
        assert_eq!(b.map(|b| b.cells), Some(vec![Value::Integer(1)]));
        let long = "with recursive c(x) as (select 1 union all select x + 1 from c limit 100000) select count(*) from c";
        assert!(e
            .execute_inline(long, &Params::empty(), None)
            .unwrap()
            .is_none());
        // The same statement runs to completion outside the budget, and the
        // transaction the insert opened survived the interrupted read.
        let b = e.execute(long, &Params::empty()).unwrap();
        assert_eq!(b.cells, vec![Value::Integer(100_000)]);
        assert!(!e.conn().is_autocommit());
    }

    #[test]
    fn an_expensive_write_is_forgotten_as_cheap() {
        let mut e = memory();
        e.execute("create table t (a integer)", &Params::empty())
            .unwrap();
        let fill = "insert into t with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) select x from c";
        e.execute(fill, &ints(&[1])).unwrap();
        assert!(e.execute_inline(fill, &ints(&[1]), None).unwrap().is_some());
        // Run with parameters that make it expensive: it runs here (a write is
        // never interrupted), and is sent to the thread from then on.
        let b = e.execute_inline(fill, &ints(&[10_000]), None).unwrap();
        assert_eq!(b.map(|b| b.rowcount), Some(10_000));
        assert!(e.execute_inline(fill, &ints(&[1]), None).unwrap().is_none());
    }

    #[test]
    fn file_writes_that_commit_at_once_never_run_inline() {
        let dir = std::env::temp_dir().join(format!("aioxide-inline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut e = Database::open(&OpenOptions {
            path: dir.join("t.db").to_string_lossy().into_owned(),
            uri: false,
            timeout: Duration::from_secs(5),
            isolation_level: None,
            statement_cache: 16,
            named_by_position: NamedByPosition::Allow,
        })
        .unwrap();
        e.execute("create table t (a)", &Params::empty()).unwrap();
        e.execute("insert into t values (1)", &Params::empty())
            .unwrap();
        // Cheap, but in autocommit mode on a file it would wait for fsync.
        assert!(e
            .execute_inline("insert into t values (1)", &Params::empty(), None)
            .unwrap()
            .is_none());
        e.isolation_level = Some(String::new());
        assert!(e
            .execute_inline("insert into t values (1)", &Params::empty(), None)
            .unwrap()
            .is_some());
        drop(e);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inline_runs_never_wait_for_another_connections_lock() {
        let dir = std::env::temp_dir().join(format!("aioxide-busy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let open = |timeout: Duration| {
            Database::open(&OpenOptions {
                path: dir.join("t.db").to_string_lossy().into_owned(),
                uri: false,
                timeout,
                isolation_level: Some(String::new()),
                statement_cache: 16,
                named_by_position: NamedByPosition::Allow,
            })
            .unwrap()
        };
        let mut holder = open(Duration::from_secs(1));
        holder
            .execute("create table t (a)", &Params::empty())
            .unwrap();
        holder.conn().execute_batch("begin exclusive").unwrap();
        let mut waiter = open(Duration::from_secs(30));
        let start = std::time::Instant::now();
        assert!(waiter
            .execute_inline("select * from t", &Params::empty(), None)
            .unwrap()
            .is_none());
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "an inline run waited for the lock"
        );
        // The connection thread does wait, up to its busy timeout.
        let mut patient = open(Duration::from_millis(200));
        let start = std::time::Instant::now();
        let err = patient
            .execute("select * from t", &Params::empty())
            .unwrap_err();
        assert!(err.is_busy());
        assert!(start.elapsed() >= Duration::from_millis(150));
        holder.conn().execute_batch("commit").unwrap();
        assert!(waiter
            .execute_inline("select * from t", &Params::empty(), None)
            .unwrap()
            .is_some());
        drop((holder, waiter, patient));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_budget_is_per_execution_not_cumulative() {
        let mut e = memory();
        // Thousands of short runs of one cached statement never trip the budget.
        for i in 0..5_000 {
            let b = e.execute_inline("select ?", &ints(&[i]), None).unwrap();
            assert_eq!(b.map(|b| b.cells), Some(vec![Value::Integer(i)]));
        }
    }

    #[test]
    fn autocommit_false_keeps_a_transaction_open_and_true_never_opens_one() {
        let mut e = memory();
        e.execute("create table t (a)", &Params::empty()).unwrap();
        e.set_autocommit(Autocommit::Off).unwrap();
        assert!(!e.conn().is_autocommit());
        e.execute("insert into t values (1)", &Params::empty())
            .unwrap();
        e.commit().unwrap();
        assert!(
            !e.conn().is_autocommit(),
            "commit opens the next transaction"
        );
        e.execute("insert into t values (2)", &Params::empty())
            .unwrap();
        e.rollback().unwrap();
        assert!(!e.conn().is_autocommit());
        e.set_autocommit(Autocommit::On).unwrap();
        assert!(e.conn().is_autocommit());
        e.execute("insert into t values (3)", &Params::empty())
            .unwrap();
        assert!(e.conn().is_autocommit());
        let b = e.execute("select a from t", &Params::empty()).unwrap();
        assert_eq!(b.cells, vec![Value::Integer(1), Value::Integer(3)]);
        assert_eq!(Autocommit::from_python(-1), Some(Autocommit::Legacy));
        assert_eq!(Autocommit::from_python(7), None);
    }

    #[test]
    fn bad_isolation_level_is_refused() {
        assert!(check_isolation_level("immediate").is_ok());
        assert!(check_isolation_level("SOMETIMES").is_err());
    }
}
