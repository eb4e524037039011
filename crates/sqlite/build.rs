//! Compiles the fallback SQLite (used only where the interpreter's own
//! library cannot be reached; see `src/library.rs`).
//!
//! The source is the amalgamation inside the libsqlite3-sys package that
//! rusqlite already depends on, so the fallback is the version its bindings
//! were written for and nothing is vendored here. Cargo has no way to hand a
//! dependency's source directory to a build script, so it is asked for it
//! with `cargo metadata`.

#![allow(
    clippy::expect_used,
    reason = "a build script reports what it cannot do by panicking: cargo prints it"
)]

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// Compile options of the fallback. They follow SQLite's own defaults where
/// those are what CPython's builds use (foreign keys off, no recursive
/// triggers: left undefined), and switch on what the stdlib's SQLite commonly has and
/// programs rely on: math functions, FTS, R-Tree, column metadata, a large
/// bind limit.
const OPTIONS: &[(&str, Option<&str>)] = &[
    ("SQLITE_THREADSAFE", Some("1")),
    ("SQLITE_ENABLE_MATH_FUNCTIONS", None),
    ("SQLITE_ENABLE_FTS3", None),
    ("SQLITE_ENABLE_FTS3_PARENTHESIS", None),
    ("SQLITE_ENABLE_FTS4", None),
    ("SQLITE_ENABLE_FTS5", None),
    ("SQLITE_ENABLE_RTREE", None),
    ("SQLITE_ENABLE_COLUMN_METADATA", None),
    ("SQLITE_ENABLE_DBSTAT_VTAB", None),
    ("SQLITE_ENABLE_LOAD_EXTENSION", Some("1")),
    ("SQLITE_MAX_VARIABLE_NUMBER", Some("250000")),
    ("SQLITE_DEFAULT_WAL_SYNCHRONOUS", Some("2")),
    ("HAVE_USLEEP", Some("1")),
    ("HAVE_ISNAN", None),
];

fn amalgamation_dir() -> PathBuf {
    if let Ok(dir) = env::var("AIOXIDE_SQLITE_AMALGAMATION") {
        return PathBuf::from(dir);
    }
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--filter-platform"])
        .arg(env::var("TARGET").expect("set by cargo"))
        .arg("--manifest-path")
        .arg(manifest.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "libsqlite3-sys")
        .expect("libsqlite3-sys is a dependency");
    let manifest_path = PathBuf::from(package["manifest_path"].as_str().expect("a path"));
    manifest_path.parent().expect("a directory").join("sqlite3")
}

fn main() {
    println!("cargo:rerun-if-changed=csrc/bundled.c");
    println!("cargo:rerun-if-env-changed=AIOXIDE_SQLITE_AMALGAMATION");
    let dir = amalgamation_dir();
    let mut build = cc::Build::new();
    build
        .file("csrc/bundled.c")
        .include(&dir)
        .flag("-fvisibility=hidden")
        .warnings(false)
        .opt_level(2);
    for (name, value) in OPTIONS {
        build.define(name, *value);
    }
    build.compile("aioxide_bundled_sqlite");
}
