#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro over a function-pointer cast that Swift cannot
// import; SQLite copies bound text and blobs when given it.
static inline sqlite3_destructor_type nurture_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// sqlite3_config is variadic, which Swift cannot call. Memory statistics cost a global
// mutex on every allocation SQLite makes; nothing here reads them. Must run before the
// first connection opens (it returns SQLITE_MISUSE afterwards, harmlessly).
static inline int nurture_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

// sqlite3_db_config is variadic too. The last connection to close checkpoints the WAL
// into the database, which takes the write lock for a moment; a connection that must
// never hold it (a dry run's, on the real store) leaves that to the next writer.
static inline int nurture_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
