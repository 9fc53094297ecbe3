#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro over a function-pointer cast that Swift cannot
// import; SQLite copies bound text and blobs when given it.
static inline sqlite3_destructor_type nurture_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
