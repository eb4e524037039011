//! What differs between the SQL dialects we render: quoting, placeholders,
//! column types, and the statements each one lacks.

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
            0 => Some(Dialect::Generic),
            1 => Some(Dialect::Sqlite),
            2 => Some(Dialect::Mysql),
            3 => Some(Dialect::Postgres),
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

    /// The SQL type of a column kind (see `aioxide.sql.column.KINDS`).
    pub fn type_name(self, kind: u8) -> Option<&'static str> {
        let pg = self == Dialect::Postgres;
        Some(match kind {
            1 => "BOOLEAN",
            2 => "BIGINT",
            3 if pg => "DOUBLE PRECISION",
            3 => "DOUBLE",
            4 => "VARCHAR(255)",
            5 if pg => "BYTEA",
            5 => "VARBINARY(255)",
            6 => "TEXT",
            7 if pg => "BYTEA",
            7 => "BLOB",
            8 => "DATE",
            9 if pg => "TIMESTAMP",
            9 if self == Dialect::Mysql => "DATETIME(6)",
            9 => "DATETIME",
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
