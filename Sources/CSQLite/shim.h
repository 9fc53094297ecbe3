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
