//! What differs between the SQL dialects we render: quoting, placeholders,
//! column types, and the statements each one lacks.

use crate::codes::{dialect, kind};

/// A target dialect. `Generic` is aql's engine-neutral SQL (backticks, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Generic,
    Sqlite,
    Mysql,
    Postgres,
}

impl Dialect {
    pub fn from_code(code: u8) -> Option<Dialect> {
        match code {
            dialect::GENERIC => Some(Dialect::Generic),
            dialect::SQLITE => Some(Dialect::Sqlite),
            dialect::MYSQL => Some(Dialect::Mysql),
            dialect::POSTGRES => Some(Dialect::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic SQL",
            Dialect::Sqlite => "SQLite",
            Dialect::Mysql => "MySQL/MariaDB",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// The identifier quote character (doubled inside a name).
    pub fn quote(self) -> char {
        match self {
            Dialect::Postgres => '"',
            _ => '`',
        }
    }

    /// MySQL drivers format the statement with `%`, so a literal `%` is `%%`.
    pub fn doubles_percent(self) -> bool {
        self == Dialect::Mysql
    }

    /// MySQL reads backslashes in string literals as escapes.
    pub fn backslash_escapes(self) -> bool {
        self == Dialect::Mysql
    }

    /// The SQL type of a column kind (`crate::codes::kind`).
    pub fn type_name(self, kind: u8) -> Option<&'static str> {
        let pg = self == Dialect::Postgres;
        Some(match kind {
            kind::BOOL => "BOOLEAN",
            kind::INT => "BIGINT",
            kind::FLOAT if pg => "DOUBLE PRECISION",
            kind::FLOAT => "DOUBLE",
            kind::STR => "VARCHAR(255)",
            kind::BYTES if pg => "BYTEA",
            kind::BYTES => "VARBINARY(255)",
            kind::TEXT => "TEXT",
            kind::BLOB if pg => "BYTEA",
            kind::BLOB => "BLOB",
            kind::DATE => "DATE",
            kind::DATETIME if pg => "TIMESTAMP",
            kind::DATETIME if self == Dialect::Mysql => "DATETIME(6)",
            kind::DATETIME => "DATETIME",
            _ => return None,
        })
    }

    /// The largest LIMIT, for an OFFSET without a LIMIT where one is required.
    pub fn no_limit(self) -> Option<&'static str> {
        match self {
            Dialect::Generic | Dialect::Sqlite => Some("-1"),
            Dialect::Mysql => Some("18446744073709551615"),
            Dialect::Postgres => None,
        }
    }
}
