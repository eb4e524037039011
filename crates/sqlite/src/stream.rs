//! Statements whose rows are still being read: a query with more rows than
//! the first chunk stays positioned inside SQLite (as the stdlib cursor's
//! statement does) and later chunks are stepped from it, so a program that
//! iterates a big table holds one chunk at a time, never the whole result.
//!
//! A live statement borrows the connection it was prepared on, so the
//! connection and its live statements are kept together in one
//! self-referential [`Engine`] (the `self_cell` crate does the unsafe part:
//! the statements are dropped before the connection, and the pair never
//! moves apart).

use std::collections::HashMap;

use rusqlite::{CachedStatement, Connection, Statement};

use crate::columns::Columns;
use crate::errors::{Kind, SqlError};
use crate::value::Value;

/// A query's rows still to be read, by the id handed to the cursor.
enum Stream<'conn> {
    /// Stepped past `carry`, the row read ahead (so that "no more rows" is
    /// known without keeping an exhausted statement open).
    Live {
        stmt: CachedStatement<'conn>,
        width: usize,
        columns: Option<Columns>,
        carry: Vec<Value>,
    },
    /// Stopped by an error after the rows last fetched: the next fetch
    /// raises it (those rows came first, as SQLite produced them).
    Failed {
        err: SqlError,
        columns: Option<Columns>,
    },
    /// Stepped to the end, or stopped by an error already reported: further
    /// fetches return no rows, as the stdlib cursor's do. Kept until the
    /// cursor lets go, so a fetch queued before the end still finds it.
    Ended { columns: Option<Columns> },
}

/// Every live query of one connection.
#[derive(Default)]
pub struct Streams<'conn> {
    next_id: u64,
    open: HashMap<u64, Stream<'conn>>,
}

self_cell::self_cell!(
    /// A connection together with the statements still reading from it.
    pub struct Engine {
        owner: Connection,
        #[not_covariant]
        dependent: Streams,
    }
);

// SAFETY: `Connection` is `Send`; what keeps an `Engine` from being `Send`
// automatically is the live statements' `&Connection` (the connection is not
// `Sync`). Those references point only into this engine's own connection and
// are reachable only through the engine, so moving the engine moves the
// connection together with every reference to it: no other thread can hold
// one, and nothing is ever used from two threads at once.
unsafe impl Send for Engine {}

impl Engine {
    /// An engine over a freshly opened connection, with nothing live.
    pub fn over(conn: Connection) -> Self {
        Engine::new(conn, |_| Streams::default())
    }

    pub fn conn(&self) -> &Connection {
        self.borrow_owner()
    }

    /// How many queries have rows still to read (or not yet let go).
    pub fn open_streams(&self) -> usize {
        self.with_dependent(|_, streams| streams.open.len())
    }
}

/// The rows one chunk read: its cells, and the id to read the rest from
/// (`None`: the statement was stepped to its end).
pub struct Chunk {
    pub cells: Vec<Value>,
    pub columns: Option<Columns>,
    pub more: Option<u64>,
}

impl<'conn> Streams<'conn> {
    /// Keeps `stmt`, stepped past `carry`, for later chunks; returns its id.
    pub fn keep(
        &mut self,
        stmt: CachedStatement<'conn>,
        width: usize,
        columns: Option<Columns>,
        carry: Vec<Value>,
    ) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        self.open.insert(
            id,
            Stream::Live {
                stmt,
                width,
                columns,
                carry,
            },
        );
        id
    }

    /// The next `limit` rows (all that are left with `None`) of stream `id`.
    pub fn fetch(&mut self, id: u64, limit: Option<usize>) -> Result<Chunk, SqlError> {
        let gone = || {
            SqlError::new(
                Kind::Interface,
                "the cursor's remaining rows are gone: its connection was closed or its \
                 database replaced while it was being read",
            )
        };
        let stream = self.open.get_mut(&id).ok_or_else(gone)?;
        let (stmt, width, columns, carry) = match stream {
            Stream::Live {
                stmt,
                width,
                columns,
                carry,
            } => (stmt, width, columns, carry),
            Stream::Ended { columns } => {
                return Ok(Chunk {
                    cells: Vec::new(),
                    columns: columns.clone(),
                    more: None,
                })
            }
            Stream::Failed { columns, .. } => {
                let columns = columns.clone();
                let Stream::Failed { err, .. } =
                    std::mem::replace(stream, Stream::Ended { columns })
                else {
                    return Err(gone());
                };
                return Err(err);
            }
        };
        let mut cells = std::mem::take(carry);
        let mut known_width = Some(*width);
        // The carried row is the first of this chunk.
        let rest = limit.map(|n| n.saturating_sub(1));
        let outcome = step_rows(stmt, &mut known_width, &mut cells, rest);
        let columns = columns.clone();
        match outcome {
            Ok(Some(next_carry)) => {
                *carry = next_carry;
                Ok(Chunk {
                    cells,
                    columns,
                    more: Some(id),
                })
            }
            Ok(None) => {
                *stream = Stream::Ended {
                    columns: columns.clone(),
                };
                Ok(Chunk {
                    cells,
                    columns,
                    more: None,
                })
            }
            // The rows stepped before the error are handed over first.
            Err(err) if !cells.is_empty() => {
                *stream = Stream::Failed {
                    err,
                    columns: columns.clone(),
                };
                Ok(Chunk {
                    cells,
                    columns,
                    more: Some(id),
                })
            }
            Err(err) => {
                *stream = Stream::Ended { columns };
                Err(err)
            }
        }
    }

    /// Lets go of stream `id` (a cursor closed, re-executed or collected).
    pub fn end(&mut self, id: u64) {
        if let Some(Stream::Live { mut stmt, .. }) = self.open.remove(&id) {
            reset(&mut stmt);
        }
    }
}

impl Drop for Streams<'_> {
    /// The engine is closing or being replaced: every live statement goes
    /// back to its start before it returns to the statement cache (reset,
    /// it no longer counts as reading, so the connection can close or be
    /// written by a backup).
    fn drop(&mut self) {
        for stream in self.open.values_mut() {
            if let Stream::Live { stmt, .. } = stream {
                reset(stmt);
            }
        }
    }
}

/// Puts a statement back to its start (releasing what it reads), as the
/// statement cache expects statements handed back to it to be.
fn reset(stmt: &mut Statement<'_>) {
    // `Rows` resets its statement when dropped; the statement cache, which
    // the statement goes back to next, only clears the bindings.
    drop(stmt.raw_query());
}

/// Steps `stmt` for up to `limit` more rows (`None`: to the end) into
/// `cells`. Returns the row after them, read ahead, when the statement has
/// more (the statement then stays positioned there), `None` at its end.
///
/// `width` is the column count, learnt from the first row when `None`: a
/// cached statement whose table changed shape is prepared again by its first
/// step, and before it still reports the old columns.
pub fn step_rows(
    stmt: &mut Statement<'_>,
    width: &mut Option<usize>,
    cells: &mut Vec<Value>,
    limit: Option<usize>,
) -> Result<Option<Vec<Value>>, SqlError> {
    let mut rows = stmt.raw_query();
    let mut taken = 0usize;
    while let Some(row) = rows.next()? {
        let n = *width.get_or_insert_with(|| row.as_ref().column_count());
        if limit.is_some_and(|limit| taken >= limit) {
            let mut carry = Vec::with_capacity(n);
            for i in 0..n {
                carry.push(Value::from_ref(row.get_ref(i)?));
            }
            // Dropping `rows` would reset the statement; forgetting it keeps
            // the statement where it is (`Rows` owns nothing to leak).
            std::mem::forget(rows);
            return Ok(Some(carry));
        }
        for i in 0..n {
            cells.push(Value::from_ref(row.get_ref(i)?));
        }
        taken += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(n: i64) -> Engine {
        crate::library::ensure().unwrap();
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("create table t (x)").unwrap();
        for i in 0..n {
            conn.execute("insert into t values (?)", [i]).unwrap();
        }
        Engine::over(conn)
    }

    fn ints(cells: &[Value]) -> Vec<i64> {
        cells
            .iter()
            .map(|v| match v {
                Value::Integer(i) => *i,
                other => panic!("not an integer: {other:?}"),
            })
            .collect()
    }

    /// Runs `select x from t` with a first chunk of `first`; the stream id.
    fn start(engine: &mut Engine, first: usize) -> (Vec<i64>, Option<u64>) {
        engine.with_dependent_mut(|conn, streams| {
            let mut stmt = conn.prepare_cached("select x from t order by x").unwrap();
            let mut width = None;
            let mut cells = Vec::new();
            let carry = step_rows(&mut stmt, &mut width, &mut cells, Some(first)).unwrap();
            let id = carry.map(|carry| streams.keep(stmt, 1, None, carry));
            (ints(&cells), id)
        })
    }

    #[test]
    fn chunks_come_in_order_and_end_exactly() {
        let mut engine = counting(10);
        let (first, id) = start(&mut engine, 4);
        assert_eq!(first, vec![0, 1, 2, 3]);
        let id = id.unwrap();
        let fetch = |e: &mut Engine, n| e.with_dependent_mut(|_, s| s.fetch(id, n).unwrap());
        let second = fetch(&mut engine, Some(4));
        assert_eq!(
            (ints(&second.cells), second.more),
            (vec![4, 5, 6, 7], Some(id))
        );
        // Two left: asking for more ends the stream, which then reads empty.
        let third = fetch(&mut engine, Some(4));
        assert_eq!((ints(&third.cells), third.more), (vec![8, 9], None));
        let after = fetch(&mut engine, Some(4));
        assert!(after.cells.is_empty() && after.more.is_none());
        assert_eq!(engine.open_streams(), 1, "kept until the cursor lets go");
        engine.with_dependent_mut(|_, s| s.end(id));
        assert_eq!(engine.open_streams(), 0);
    }

    #[test]
    fn a_result_that_fits_keeps_nothing_live() {
        let mut engine = counting(4);
        // Exactly the chunk size: the read-ahead finds the end.
        assert_eq!(start(&mut engine, 4), (vec![0, 1, 2, 3], None));
        assert_eq!(engine.open_streams(), 0);
    }

    #[test]
    fn the_rest_comes_in_one_fetch() {
        let mut engine = counting(100);
        let (_, id) = start(&mut engine, 1);
        let rest = engine.with_dependent_mut(|_, s| s.fetch(id.unwrap(), None).unwrap());
        assert_eq!(ints(&rest.cells), (1..100).collect::<Vec<_>>());
        assert!(rest.more.is_none());
    }

    #[test]
    fn an_ended_stream_releases_its_table() {
        let mut engine = counting(10);
        let (_, id) = start(&mut engine, 2);
        // A live read keeps the table in use, as in SQLite itself.
        let busy = engine.conn().execute_batch("drop table t");
        assert!(busy.is_err(), "dropping a table being read must fail");
        engine.with_dependent_mut(|_, s| s.end(id.unwrap()));
        engine.conn().execute_batch("drop table t").unwrap();
    }

    #[test]
    fn an_unknown_stream_is_an_interface_error() {
        let mut engine = counting(1);
        let err = engine
            .with_dependent_mut(|_, s| s.fetch(99, Some(1)).err())
            .unwrap();
        assert_eq!(err.kind, Kind::Interface);
    }

    #[test]
    fn closing_with_live_statements_finalizes_them_first() {
        let mut engine = counting(10);
        let (_, id) = start(&mut engine, 2);
        assert!(id.is_some());
        // into_owner drops the statements, so the close itself succeeds.
        engine.into_owner().close().map_err(|(_, e)| e).unwrap();
    }
}
