//! A statement's result columns (name and declared type), as each batch
//! carries them for `description` and `detect_types`.
//!
//! Building them costs three allocations per column per execution, more
//! than some statements' own work, so the last few statements' columns are
//! kept and shared (`Arc`). A hit is checked against what the statement
//! reports now: the same SQL can change shape when its table does.

use std::sync::Arc;

/// A result column: its name and declared type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub decltype: Option<String>,
}

/// A statement's columns, shared by every batch (and stream) of it.
pub type Columns = Arc<[Column]>;

/// `stmt`'s columns, read afresh.
pub fn read(stmt: &rusqlite::Statement<'_>) -> Columns {
    stmt.columns()
        .map(|c| Column {
            name: c.name().to_owned(),
            decltype: c.decl_type().map(str::to_owned),
        })
        .collect()
}

/// How many statements' columns are kept: enough for a loop over a few
/// statements; a scan of this many short entries costs less than a hash.
const KEPT: usize = 8;

/// The columns of the statements run last, by SQL text.
#[derive(Default)]
pub struct ColumnCache {
    entries: Vec<(Box<str>, Columns)>,
    /// The entry replaced next when the cache is full.
    next: usize,
}

impl ColumnCache {
    /// `stmt`'s columns (`None` when it has none), shared with earlier runs
    /// of `sql` when they still match.
    pub fn columns_of(&mut self, sql: &str, stmt: &rusqlite::Statement<'_>) -> Option<Columns> {
        let count = stmt.column_count();
        if count == 0 {
            return None;
        }
        let same = |kept: &Columns| {
            kept.len() == count
                && kept
                    .iter()
                    .zip(stmt.columns())
                    .all(|(k, c)| k.name == c.name() && k.decltype.as_deref() == c.decl_type())
        };
        if let Some((_, kept)) = self.entries.iter().find(|(s, _)| &**s == sql) {
            if same(kept) {
                return Some(kept.clone());
            }
        }
        let columns = read(stmt);
        self.keep(sql, columns.clone());
        Some(columns)
    }

    fn keep(&mut self, sql: &str, columns: Columns) {
        if let Some(entry) = self.entries.iter_mut().find(|(s, _)| &**s == sql) {
            entry.1 = columns;
        } else if self.entries.len() < KEPT {
            self.entries.push((sql.into(), columns));
        } else {
            self.entries[self.next] = (sql.into(), columns);
            self.next = (self.next + 1) % KEPT;
        }
    }
}
