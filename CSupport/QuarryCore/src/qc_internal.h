/* Internal declarations shared by the core's translation units. */
#ifndef QC_INTERNAL_H
#define QC_INTERNAL_H

#include "quarry_core.h"
#include "quarry_core_testing.h"

#include <string.h>

/* A missing -dev package should read as a sentence, not as a linker wall. */
#if !__has_include(<xxhash.h>)
#error "Quarry needs libxxhash (xxhash.h not found). Install it: sudo apt-get install libxxhash-dev"
#endif
#if defined(QUARRY_JEMALLOC) && !__has_include(<jemalloc/jemalloc.h>)
#error "Quarry needs libjemalloc (jemalloc/jemalloc.h not found). Install it: sudo apt-get install libjemalloc-dev, or build without the Jemalloc trait (--disable-default-traits)"
#endif

#define QC_LIKELY(x) __builtin_expect(!!(x), 1)
#define QC_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For hot helpers whose arguments are constants at the call site. */
#define QC_INLINE static inline __attribute__((always_inline))
#define QC_HUGEPAGE_SIZE ((size_t)2 << 20)

/* ------------------------------------------------------------ allocator */

/* Allocates `size` bytes through the core's backend, charging `account`
 * (may be NULL) and the engine figures with the usable size. flags:
 * QC_HUGEPAGES aligns large blocks to 2 MiB and advises huge pages.
 * On success *usable_out (optional) gets the usable size. */
void *qc_alloc(qc_account *account, size_t size, uint32_t flags, size_t *usable_out, qc_status *status);

/* Whether the allocation being made is the one qc_testing_fail_allocation
 * asked to fail (quarry_core_testing.h); false, at one relaxed load, while
 * no failure is armed. */
bool qc_fault_fires(void);

/* Same, zero-filled. */
void *qc_calloc(qc_account *account, size_t size, uint32_t flags, size_t *usable_out, qc_status *status);

/* Grows a block from qc_alloc (flags 0) to at least `size` bytes where it
 * lies, if the allocator can; false leaves it as it was (and sets *status
 * only when the budget refused the growth). */
bool qc_grow_in_place(qc_account *account, void *p, size_t usable, size_t size, size_t *usable_out,
                      qc_status *status);

/* Frees a block from qc_alloc; `usable` is what qc_alloc reported. */
void qc_free(qc_account *account, void *p, size_t usable, uint32_t flags);

/* ---------------------------------------------------------------- arena */

/* Chunk c >= 1 holds rows [base << (c-1), base << c); chunk 0 holds
 * [0, base). 48 chunks cover more rows than memory can. */
#define QC_ARENA_CHUNKS 48

struct qc_arena {
    uint32_t arity;
    uint32_t stride;
    uint32_t base_log2;     /* rows in chunk 0 = 1 << base_log2 */
    uint32_t flags;
    uint64_t count;
    uint64_t bytes;         /* usable bytes of the chunks held */
    size_t self_usable;     /* usable bytes of this struct */
    qc_account *account;
    unsigned char *chunks[QC_ARENA_CHUNKS];
    size_t chunk_usable[QC_ARENA_CHUNKS];
};

static inline uint32_t qc_arena_chunk_of(const struct qc_arena *a, uint64_t index, uint64_t *offset) {
    uint64_t high = index >> a->base_log2;
    if (high == 0) {
        *offset = index;
        return 0;
    }
    uint32_t c = 64u - (uint32_t)__builtin_clzll(high); /* floor(log2(high)) + 1 */
    *offset = index - ((uint64_t)1 << (a->base_log2 + c - 1));
    return c;
}

static inline unsigned char *qc_arena_row_ptr(const struct qc_arena *a, uint64_t index) {
    uint64_t offset;
    uint32_t c = qc_arena_chunk_of(a, index, &offset);
    return a->chunks[c] + offset * a->stride;
}

/* Reserves the slot for the next row and returns it; NULL on error. */
unsigned char *qc_arena_push(struct qc_arena *a, qc_status *status);

/* Opens every chunk that rows [0, rows) need; on an error, closes the ones
 * it opened. Chunks are opened in order, so the ones already open are a
 * prefix. */
qc_status qc_arena_reserve(struct qc_arena *a, uint64_t rows);

/* qc_arena_push with the common case inlined: the row's chunk exists. */
static inline unsigned char *qc_arena_push_fast(struct qc_arena *a, qc_status *status) {
    uint64_t offset;
    uint32_t c = qc_arena_chunk_of(a, a->count, &offset);
    if (QC_LIKELY(c < QC_ARENA_CHUNKS && a->chunks[c])) {
        a->count++;
        return a->chunks[c] + offset * a->stride;
    }
    return qc_arena_push(a, status);
}

/* ----------------------------------------------------------- slot index */

/* Open addressing with linear probing over a power-of-two slot array, at
 * most 3/4 full. A slot is 0 when empty, else (hash >> 32) << 32 | (entry +
 * 1). The high half of the hash is both the fragment compared before an
 * entry is touched and the source of the home slot: home = hash >> (64 -
 * log2(capacity)). So the slot alone knows its home at every capacity up
 * to 2^32, and growth re-places entries from the old slots, in order,
 * without touching entries or rehashing anything. */
#define QC_SLOT_MAX_CAPACITY ((uint64_t)1 << 32)
#define QC_SLOT_MAX_ENTRIES (QC_SLOT_MAX_CAPACITY / 4 * 3)
#define QC_SLOT_MIN_CAPACITY 16u

typedef struct qc_slot_index {
    uint64_t *slots;
    size_t slots_usable;
    uint64_t mask;          /* capacity - 1 */
    uint32_t shift;         /* 64 - log2(capacity) */
    uint64_t grow_at;       /* entry count that calls for growth */
    uint64_t generation;    /* resizes so far: a change means every slot may have moved */
} qc_slot_index;

static inline uint64_t qc_slot_make(uint64_t hash, uint64_t entry) { return (hash >> 32 << 32) | (entry + 1); }
static inline uint64_t qc_slot_entry(uint64_t slot) { return (slot & 0xFFFFFFFFull) - 1; }
static inline bool qc_slot_fragment_matches(uint64_t slot, uint64_t hash) { return (slot >> 32) == (hash >> 32); }
/* The home slot of a hash (or of a slot: the same top bits). */
static inline uint64_t qc_slot_home(const qc_slot_index *x, uint64_t hash) { return hash >> x->shift; }
/* Stores `slot` in the first empty slot from its home on. */
static inline void qc_slot_place(qc_slot_index *x, uint64_t slot) {
    uint64_t pos = qc_slot_home(x, slot);
    while (x->slots[pos]) pos = (pos + 1) & x->mask;
    x->slots[pos] = slot;
}

uint64_t qc_slot_index_capacity_for(uint64_t entries);

/* Replaces the slot array with one of `capacity` slots, re-placing every
 * entry of the old one. */
qc_status qc_slot_index_resize(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t capacity);

/* Grows to at least double, and to hold `entries`. */
qc_status qc_slot_index_grow(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t entries);

/* Removes every entry numbered `first` or above, leaving the index as if
 * they had never been added (entries below it may move back toward their
 * home slots). */
void qc_slot_index_drop_from(qc_slot_index *x, uint64_t first);

void qc_slot_index_free(qc_slot_index *x, qc_account *account, uint32_t flags);

#endif /* QC_INTERNAL_H */
