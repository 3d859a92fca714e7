// Debian's libsqlite3, for the benchmarks' SQLite comparison.
#if !__has_include(<sqlite3.h>)
#error "Quarry's benchmarks need libsqlite3 (sqlite3.h not found). Install it: sudo apt-get install libsqlite3-dev"
#endif
#include <sqlite3.h>
