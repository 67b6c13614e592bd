#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. Turning off SQLite's
   memory statistics spares every allocation a global mutex; it must run
   before SQLite starts (a later call is refused with SQLITE_MISUSE and
   changes nothing). */
static inline int llr_sqlite_without_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
