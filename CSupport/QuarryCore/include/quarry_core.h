/*
 * quarry_core.h — the C performance core of Quarry.
 *
 * Four things live here, all allocated through one accounted allocator:
 *
 *   - memory accounting  (qc_mem_*, qc_account_*, qc_process_*, qc_stats_*)
 *   - flat tuple arenas  (qc_arena_*)
 *   - XXH3 tuple keys    (qc_hash_*)
 *   - dedup tables       (qc_dedup_*)
 *   - interning          (qc_interner_*)
 *
 * Rows. A row of arity N is N 64-bit payload words followed by N one-byte
 * type tags, padded with zero bytes to a multiple of 8:
 *
 *     | w0 | w1 | ... | wN-1 | t0 t1 ... tN-1 0 0 .. |
 *     '------ 8*N bytes -----'---- 8*ceil(N/8) -----'
 *
 * qc_row_stride(N) gives that size. Two rows are equal exactly when their
 * bytes are equal, so the padding must be zero; every function that writes
 * a row here zeroes it. The core gives tags no meaning beyond their bytes.
 *
 * Memory. Every buffer of the core is allocated by the backend chosen at
 * build time: with QUARRY_JEMALLOC, a dedicated jemalloc arena with the
 * thread cache off (mallocx/sdallocx), so the engine's bytes are exact and
 * separate from the rest of the process; without it, the system allocator,
 * counted through malloc_usable_size (the sanitizer build). Byte figures
 * are usable sizes: what the allocator really handed out.
 *
 * Accounts. An optional qc_account passed to a constructor is charged with
 * every byte that object allocates, on top of the global engine figures.
 * An account may carry a limit; an allocation that would pass it fails with
 * QC_ERR_BUDGET and changes nothing.
 *
 * Threads. The global figures and accounts are atomic and may be read from
 * any thread. Arenas, dedup tables and interners are not synchronised: one
 * thread at a time per object.
 *
 * Errors. Functions that can fail return a qc_status; their outputs are
 * written only on QC_OK. qc_status_message() names each status. The
 * buffer functions, which return the block, are the one exception: they
 * return NULL and write *status. Out-of-memory failures can be injected
 * for tests (quarry_core_testing.h); every function leaves its object as
 * it was before the call when an allocation fails, except where its
 * comment says what it kept.
 *
 * Pointers. Object and output pointers must not be NULL unless the
 * function's comment calls them optional; an account is always optional.
 * Rows passed in must hold qc_row_stride(arity) bytes each.
 */
#ifndef QUARRY_CORE_H
#define QUARRY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum qc_status {
    QC_OK = 0,
    /* The allocator returned no memory. */
    QC_ERR_NOMEM = 1,
    /* An arity outside 1...QC_MAX_ARITY. */
    QC_ERR_ARITY = 2,
    /* A table or interner would exceed its index range (3 * 2^30 entries). */
    QC_ERR_CAPACITY = 3,
    /* The allocation would pass the limit of the object's qc_account. */
    QC_ERR_BUDGET = 4,
    /* The allocator backend could not be set up (e.g. arenas.create failed). */
    QC_ERR_BACKEND = 5,
    /* A row index, id or argument out of range. */
    QC_ERR_RANGE = 6
} qc_status;

/* A static, human-readable name for a status ("out of memory", ...). */
const char *qc_status_message(qc_status status);

/* ------------------------------------------------------------ accounting */

/* Which allocator backs the core: "jemalloc" or "system". */
const char *qc_mem_backend(void);

/* The jemalloc arena index of the core, or UINT32_MAX on the system backend
 * or before the first allocation set the arena up. */
uint32_t qc_mem_arena_index(void);

/* Engine-wide figures, maintained by the core itself on every allocation. */
typedef struct qc_engine_memory {
    uint64_t bytes_now;       /* usable bytes the core holds now */
    uint64_t bytes_peak;      /* highest bytes_now since start or reset */
    uint64_t allocations;     /* allocation calls made by the core */
    uint64_t deallocations;   /* deallocation calls made by the core */
} qc_engine_memory;

/* Copies the engine-wide figures. Safe from any thread. */
void qc_mem_engine(qc_engine_memory *out);

/* Sets bytes_peak to bytes_now, so a following peak measures one phase. */
void qc_mem_reset_peak(void);

/* An accounting scope: a subset of the engine's bytes (one query, one
 * operator), with an optional limit. Objects created with an account charge
 * it until they are destroyed; destroy the account after them. */
typedef struct qc_account qc_account;

/* Creates an account. limit_bytes == 0 means no limit. */
qc_status qc_account_create(uint64_t limit_bytes, qc_account **out);

/* Frees the account. Objects still charging it must be destroyed first. */
void qc_account_destroy(qc_account *account);

/* Changes the limit (0: none). Bytes already held are not affected. */
void qc_account_set_limit(qc_account *account, uint64_t limit_bytes);

/* Snapshot of an account: bytes now, peak, and allocation calls. */
typedef struct qc_account_figures {
    uint64_t bytes_now;
    uint64_t bytes_peak;
    uint64_t allocations;
    uint64_t limit_bytes;
    uint64_t rejected;        /* allocations refused with QC_ERR_BUDGET */
} qc_account_figures;

void qc_account_read(const qc_account *account, qc_account_figures *out);

/* ------------------------------------------------------- process figures */

/* Process-wide allocator statistics. With jemalloc, the stats.* figures are
 * read after refreshing the stats epoch; thread_* are the calling thread's
 * cumulative bytes. On the system backend `available` is false and only
 * the engine figures mean anything. */
typedef struct qc_process_memory {
    bool available;
    uint64_t allocated;       /* stats.allocated */
    uint64_t active;          /* stats.active */
    uint64_t resident;        /* stats.resident */
    uint64_t mapped;          /* stats.mapped */
    uint64_t retained;        /* stats.retained */
    uint64_t metadata;        /* stats.metadata */
    uint64_t thread_allocated;    /* thread.allocated */
    uint64_t thread_deallocated;  /* thread.deallocated */
    uint64_t engine_arena_allocated; /* jemalloc's own view of the core's arena */
    uint64_t process_allocations;    /* nmalloc over all arenas (small+large) */
} qc_process_memory;

/* Fills *out. With jemalloc it first flushes the calling thread's cache so
 * that allocation counts include recent small allocations. */
qc_status qc_process_read(qc_process_memory *out);

/* The allocator's full statistics as JSON: jemalloc's malloc_stats_print
 * with the "J" option, or a small object naming the system backend. The
 * text is NUL-terminated, *len_out (optional) receives its length, and the
 * caller frees it with qc_stats_json_free. NULL when out of memory. */
char *qc_stats_json(size_t *len_out);
void qc_stats_json_free(char *json);

/* --------------------------------------------------------------- buffers */

/* Plain engine memory for what is not rows of one arity: sorted index
 * permutations, join chains, per-group aggregate state. A buffer is
 * charged to `account` (may be NULL) and to the engine like every core
 * allocation; *usable_out gets its usable size, which is what free and
 * grow must be given back. usable_out must not be NULL (else NULL is
 * returned with QC_ERR_RANGE); status may be NULL. Unlike the rest of the
 * core, these return the buffer and report the status through *status. */
void *qc_buffer_alloc(qc_account *account, size_t bytes, size_t *usable_out, qc_status *status);

/* Returns a buffer of at least `bytes` holding the first `keep` bytes of
 * `old` (which it frees; NULL allocates afresh, like qc_buffer_alloc); on
 * error, `old` is untouched and NULL returned. `old_usable` is what the
 * buffer's allocation or last growth reported; usable_out must not be
 * NULL, status may be. */
void *qc_buffer_grow(qc_account *account, void *old, size_t old_usable, size_t keep, size_t bytes,
                     size_t *usable_out, qc_status *status);

void qc_buffer_free(qc_account *account, void *buffer, size_t usable);

/* ------------------------------------------------------------------ rows */

/* The largest arity the core supports. */
#define QC_MAX_ARITY 64u

/* Bytes of one row of `arity` columns (see the layout above), or 0 for an
 * unsupported arity. */
size_t qc_row_stride(uint32_t arity);

/* Writes a row from separate words and tags into `row` (qc_row_stride
 * bytes), zeroing the padding. */
void qc_row_pack(void *row, uint32_t arity, const uint64_t *words, const uint8_t *tags);

/* ---------------------------------------------------------------- arenas */

/* A flat, append-only table of rows of one arity. Rows live in chunks that
 * double in size; a row never moves, so a pointer from qc_arena_row stays
 * valid until reset or destroy. No allocation per row. */
typedef struct qc_arena qc_arena;

/* Flags for arenas and dedup tables. */
#define QC_HUGEPAGES 1u       /* advise huge pages for buffers >= 2 MiB */

qc_status qc_arena_create(uint32_t arity, qc_account *account, uint32_t flags, qc_arena **out);
void qc_arena_destroy(qc_arena *arena);

uint32_t qc_arena_arity(const qc_arena *arena);
size_t qc_arena_stride(const qc_arena *arena);
uint64_t qc_arena_count(const qc_arena *arena);
/* Bytes of chunks the arena holds (usable sizes). */
uint64_t qc_arena_bytes(const qc_arena *arena);

/* Appends a copy of a packed row; *index_out (optional) gets its index. */
qc_status qc_arena_append(qc_arena *arena, const void *row, uint64_t *index_out);

/* Appends a row built from words and tags (arity of each). */
qc_status qc_arena_append_values(qc_arena *arena, const uint64_t *words, const uint8_t *tags,
                                 uint64_t *index_out);

/* The packed row at index; index must be < count. */
const void *qc_arena_row(const qc_arena *arena, uint64_t index);

/* Copies rows [first, first+n) into dst, packed back to back. */
qc_status qc_arena_copy_rows(const qc_arena *arena, uint64_t first, uint64_t n, void *dst);

/* Forgets every row. keep_memory: keep the chunks for reuse; otherwise
 * release all of them (bytes return to what an empty arena holds: 0). */
void qc_arena_reset(qc_arena *arena, bool keep_memory);

/* ---------------------------------------------------------------- hashing */

/* XXH3-64 of arbitrary bytes with a seed (libxxhash). */
uint64_t qc_hash_bytes(const void *data, size_t len, uint64_t seed);

/* XXH3-64 of one packed row (payload and tags, qc_row_stride bytes) with a
 * seed. Arity 1..8 take inlined fixed-width paths. */
uint64_t qc_hash_row(const void *row, uint32_t arity, uint64_t seed);

/* Hashes n packed rows into out[0..n). */
void qc_hash_rows(const void *rows, size_t n, uint32_t arity, uint64_t seed, uint64_t *out);

/* Hashes n keys of len bytes each, laid back to back, into out[0..n): a
 * column of fixed-width keys. Widths 8, 16, 24, 32, 40, 48 and 64 take
 * inlined paths; the result equals qc_hash_bytes on each key. */
void qc_hash_keys(const void *keys, size_t len, size_t n, uint64_t seed, uint64_t *out);

/* ------------------------------------------------------------ dedup table */

/* An open-addressing set of rows of one arity: the distinct rows live in
 * the table's own arena, in insertion order, indexed from 0. A slot holds
 * the high 32 bits of the row's hash beside the row index: they are the
 * fragment compared before a row is touched, so most mismatches never
 * touch one, and they fix the home slot at every capacity up to 2^32, so
 * growth re-places slots without reading or rehashing any row. Linear
 * probing; capacity is a power of two, at most 3/4 full. At most
 * 3 * 2^30 rows. */
typedef struct qc_dedup qc_dedup;

/* Benchmarks and tests switch the table's sizing, partitioning and
 * hashing off or on through flags of quarry_core_testing.h. A batch insert
 * of 65,536 rows and more that could outgrow the table sizes it once, up
 * front, from an estimate of the batch's new distinct rows (sampled on hash
 * values, about 2% off); a table whose storage the caller reserved
 * (qc_dedup_reserve_storage) skips the estimate until it holds that many
 * rows. A batch of 65,536 rows and more (into a table of at most 8 slots a
 * batch row) is probed partition by partition: rows are copied into
 * partitions by the top bits of their hash, so that each partition only
 * meets its own slice of the slots, in cache, and the new rows are then
 * appended in batch order. While it runs it holds a copy of the batch and
 * 16 bytes more a row, charged to the table's account; if that or the
 * table's own room is refused, the batch goes the plain way and fails
 * where that would. */

qc_status qc_dedup_create(uint32_t arity, uint64_t seed, qc_account *account, uint32_t flags,
                          qc_dedup **out);
void qc_dedup_destroy(qc_dedup *table);

/* Insert-if-absent of one packed row. *index_out gets the index of the
 * equal row already present or of the new one; *inserted_out whether it
 * was new. Either output may be NULL. */
qc_status qc_dedup_insert(qc_dedup *table, const void *row, uint64_t *index_out, bool *inserted_out);

/* Inserts n packed rows, back to back, in order. Hashes a block ahead and
 * prefetches the slots (and candidate rows) before probing. indices_out
 * and inserted_out (each optional) receive n results; *new_rows_out
 * (optional) the number of rows that were new. On an error, rows before
 * the failing one are inserted and *done_out (optional) says how many.
 * A long batch sizes the table first (see QC_DEDUP_NO_PRESIZE). */
qc_status qc_dedup_insert_batch(qc_dedup *table, const void *rows, size_t n, uint64_t *indices_out,
                                uint8_t *inserted_out, uint64_t *new_rows_out, size_t *done_out);

/* The same without prefetching: one qc_dedup_insert per row (the batch
 * is sized up front all the same). For benchmarks that measure what the
 * prefetch buys. */
qc_status qc_dedup_insert_each(qc_dedup *table, const void *rows, size_t n, uint64_t *new_rows_out);

/* Index of the row equal to `row`, or -1. */
int64_t qc_dedup_find(const qc_dedup *table, const void *row);

/* Lookups of n packed rows, back to back: indices_out[k] gets the index of
 * the row equal to row k, or -1. Prefetches slots ahead, like the batch
 * insert, once the table outgrows the cache. */
void qc_dedup_find_batch(const qc_dedup *table, const void *rows, size_t n, int64_t *indices_out);

uint64_t qc_dedup_count(const qc_dedup *table);
uint64_t qc_dedup_capacity(const qc_dedup *table);
uint32_t qc_dedup_arity(const qc_dedup *table);
/* Bytes held: slots, the row arena and the table itself. */
uint64_t qc_dedup_bytes(const qc_dedup *table);

/* The distinct rows, in insertion order. Owned by the table. */
const qc_arena *qc_dedup_rows(const qc_dedup *table);

/* Makes room for `rows` distinct rows without growing the slot array. */
qc_status qc_dedup_reserve(qc_dedup *table, uint64_t rows);

/* The same, and opens the row storage those rows need, so that inserting
 * them allocates nothing. On an error the table keeps its rows and the
 * storage it had. */
qc_status qc_dedup_reserve_storage(qc_dedup *table, uint64_t rows);

/* Forgets every row; keeps the slot array's capacity. */
void qc_dedup_clear(qc_dedup *table);

/* Probe figures since creation or the last clear, to check that fragments
 * do their job: slots visited, fragment matches, and full row compares
 * that found a different row. */
typedef struct qc_dedup_probe_stats {
    uint64_t probes;
    uint64_t fragment_matches;
    uint64_t false_matches;
    uint64_t grows;
} qc_dedup_probe_stats;

void qc_dedup_probe_stats_read(const qc_dedup *table, qc_dedup_probe_stats *out);

/* ------------------------------------------------------------- interning */

/* Interns byte strings: equal bytes get equal ids, dense from 0, stable
 * for the interner's life. The bytes are copied into chunks the interner
 * owns and stay NUL-terminated. */
typedef struct qc_interner qc_interner;

qc_status qc_interner_create(qc_account *account, qc_interner **out);
void qc_interner_destroy(qc_interner *interner);

/* Id of the bytes, adding them when new; *inserted_out (optional) says so. */
qc_status qc_intern(qc_interner *interner, const void *bytes, size_t len, uint64_t *id_out,
                    bool *inserted_out);

/* Id of the bytes if present, or -1; never adds. */
int64_t qc_interner_find(const qc_interner *interner, const void *bytes, size_t len);

/* The bytes of an id, NUL-terminated, and their length; NULL for an id
 * out of range. */
const char *qc_interner_bytes(const qc_interner *interner, uint64_t id, size_t *len_out);

uint64_t qc_interner_count(const qc_interner *interner);
uint64_t qc_interner_bytes_held(const qc_interner *interner);

/* ---- Group folds of a lookup ------------------------------------------------
 *
 * One group of a decorrelated aggregate's rows (LookupAggregate): each row's
 * entity is looked up in a run of 32-byte datoms in entity order and its
 * values folded, all in one loop. Only the common case is taken: every
 * entity rising within the window of datoms given (no search, no chunk
 * past it), every value a double. Otherwise nothing is changed and the
 * caller folds the group its general way.
 */

/* Where the fields lie: of the rows (a word per column, then a tag byte
 * per column) and of the datoms, and the tags that matter. */
typedef struct qc_lookup_layout {
    size_t row_stride;
    size_t entity_word; /* byte offset of the entity's word in a row */
    size_t entity_tag;  /* byte offset of its tag */
    size_t datom_stride;
    size_t datom_e, datom_v, datom_tag;
    uint8_t tag_int, tag_ref, tag_double;
} qc_lookup_layout;

/* The window: `count` datoms from `datoms`, the last entity of their chunk,
 * the walk's position in it and the last entity it was asked for. */
typedef struct qc_lookup_window {
    const void *datoms;
    int64_t count;
    int64_t last_entity;
    int64_t offset;
    int64_t last;
} qc_lookup_window;

/* What one group's values fold to: how many (each once when distinct),
 * their sum in the order they came, the least and the greatest as bit
 * patterns (NaN above every number; on ties the first least and the last
 * greatest). */
typedef struct qc_group_fold {
    int64_t count;
    double sum;
    uint64_t min;
    uint64_t max;
} qc_group_fold;

/* Folds the group of `n` rows from `rows` through `window`. With
 * `distinct`, each bit pattern counts once, through `table` and `stamps`
 * (1 << log2 slots; a slot is the group's when its stamp is `stamp`).
 * Returns 1 and updates window->offset and window->last; 0 when the group
 * is not the common case; -1 when the table is too small for it (at most
 * half full). Nothing is changed unless it returns 1. */
int qc_lookup_fold_doubles(const void *rows, size_t n, const qc_lookup_layout *layout,
                           qc_lookup_window *window, bool distinct, uint64_t *table,
                           uint32_t *stamps, uint32_t log2, uint32_t stamp, qc_group_fold *out);

/* Rows of a pattern looked up by entity (PatternJoin), the common case in
 * one loop: for each of `n` rows from `rows` whose entity rises within
 * `window`, one output row per datom of the entity, written at `out` (room
 * for `room` rows of `out_arity` columns, `out_stride` bytes each): the
 * input row's `in_arity` columns, then, unless `column` is negative, the
 * datom's entity (`position` 0) or value (2) in column `column`. A row
 * whose entity's tag is not an id's is taken and gives nothing. Stops
 * before a row that is not the common case (its entity outside the window
 * or falling, its datoms reaching the window's end, or no room for them).
 * Returns the rows taken; *written_out the rows written; the window's walk
 * is updated. */
size_t qc_lookup_extend(const void *rows, size_t n, const qc_lookup_layout *layout, size_t in_arity,
                        qc_lookup_window *window, void *out, size_t out_stride, size_t out_arity, size_t room,
                        int position, long column, size_t *written_out);

/* Hints that the memory at `p` will be read soon, for the executor's walks
 * over indexes bigger than the caches (a no-op where unsupported). */
static inline void qc_prefetch(const void *p) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, 3);
#else
    (void)p;
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* QUARRY_CORE_H */
