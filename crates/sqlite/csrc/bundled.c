/* The fallback SQLite: the amalgamation libsqlite3-sys ships, compiled into
 * the extension with hidden symbols (nothing else in the process can bind to
 * them, nor they to another copy), and reached only through its extension
 * API table, the same way the interpreter's library is reached. */
#include "sqlite3.c"

const sqlite3_api_routines *aioxide_bundled_sqlite_api(void) {
  return &sqlite3Apis;
}

/* Not in the extension API table (extensions may not enable loading). */
int aioxide_bundled_enable_load_extension(sqlite3 *db, int onoff) {
  return sqlite3_enable_load_extension(db, onoff);
}
