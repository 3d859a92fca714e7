/* The accounted allocator: a dedicated jemalloc arena, or the system
 * allocator counted through malloc_usable_size. */
#include "qc_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef QUARRY_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

struct qc_account {
    _Atomic uint64_t bytes_now;
    _Atomic uint64_t bytes_peak;
    _Atomic uint64_t allocations;
    _Atomic uint64_t limit;
    _Atomic uint64_t rejected;
};

static _Atomic uint64_t g_bytes_now;
static _Atomic uint64_t g_bytes_peak;
static _Atomic uint64_t g_allocations;
static _Atomic uint64_t g_deallocations;

static void raise_peak(_Atomic uint64_t *peak, uint64_t now) {
    uint64_t seen = atomic_load_explicit(peak, memory_order_relaxed);
    while (now > seen &&
           !atomic_compare_exchange_weak_explicit(peak, &seen, now, memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* Charges `bytes` to the account, or refuses when it would pass the limit.
 * One compare-and-swap: the account never reads above its limit, and of
 * two racing charges that fit one at a time, one succeeds. */
static bool account_charge(qc_account *account, uint64_t bytes) {
    if (!account) return true;
    uint64_t limit = atomic_load_explicit(&account->limit, memory_order_relaxed);
    uint64_t now = atomic_load_explicit(&account->bytes_now, memory_order_relaxed), next;
    do {
        if (__builtin_add_overflow(now, bytes, &next) || (limit != 0 && next > limit)) {
            atomic_fetch_add_explicit(&account->rejected, 1, memory_order_relaxed);
            return false;
        }
    } while (!atomic_compare_exchange_weak_explicit(&account->bytes_now, &now, next, memory_order_relaxed,
                                                    memory_order_relaxed));
    atomic_fetch_add_explicit(&account->allocations, 1, memory_order_relaxed);
    raise_peak(&account->bytes_peak, next);
    return true;
}

/* Charges what a block really got beyond its charge (the system allocator
 * may hand out more than it was asked), under the same limit. */
static bool account_charge_extra(qc_account *account, uint64_t extra) {
    if (!account || extra == 0) return true;
    if (!account_charge(account, extra)) return false;
    atomic_fetch_sub_explicit(&account->allocations, 1, memory_order_relaxed); /* the same allocation */
    return true;
}

/* Takes back a charge whose allocation then failed. */
static void account_uncharge(qc_account *account, uint64_t bytes) {
    if (!account) return;
    atomic_fetch_sub_explicit(&account->bytes_now, bytes, memory_order_relaxed);
    atomic_fetch_sub_explicit(&account->allocations, 1, memory_order_relaxed);
}

static void engine_charge(uint64_t bytes) {
    uint64_t now = atomic_fetch_add_explicit(&g_bytes_now, bytes, memory_order_relaxed) + bytes;
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    raise_peak(&g_bytes_peak, now);
}

static void release(qc_account *account, uint64_t bytes) {
    if (account) atomic_fetch_sub_explicit(&account->bytes_now, bytes, memory_order_relaxed);
    atomic_fetch_sub_explicit(&g_bytes_now, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_deallocations, 1, memory_order_relaxed);
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

static bool wants_hugepages(size_t size, uint32_t flags) {
    return (flags & QC_HUGEPAGES) && size >= QC_HUGEPAGE_SIZE;
}

static void advise_hugepages(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE); /* a hint: failure only costs speed */
#else
    (void)p;
    (void)size;
#endif
}

/* Blocks at least this large are populated at allocation. */
#define QC_POPULATE_MIN ((size_t)256 * 1024)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels refuse it harmlessly */
#endif

/* Faults a large block's pages in with one call. Touching them one by one
 * costs a page fault each, and on a virtual machine those dominated the
 * dedup table's growth (measured: 1M-row dedup 10-20 ns/row faster). Every
 * byte of such a block is charged anyway, so resident memory then matches
 * the engine's count. */
static void populate(void *p, size_t size) {
    uintptr_t first = ((uintptr_t)p + 4095u) & ~(uintptr_t)4095u;
    uintptr_t end = ((uintptr_t)p + size) & ~(uintptr_t)4095u;
    if (end <= first) return;
    /* A block the arena hands out again (its pages kept since an earlier
     * query freed them) is resident already: the call would still walk
     * every page (OHLC 20,000x20: 7% of a query's time in it). Its first
     * and last pages stand for the rest. */
    unsigned char head = 0, tail = 0;
    if (mincore((void *)first, 4096, &head) == 0 && mincore((void *)(end - 4096), 4096, &tail) == 0 &&
        (head & 1) && (tail & 1))
        return;
    (void)madvise((void *)first, end - first, MADV_POPULATE_WRITE); /* a hint as well */
}

/* ------------------------------------------------------------- backends */

/* Each backend answers four calls: the usable size a request will get (exact
 * on jemalloc, a lower bound on the system allocator), the allocation, the
 * real usable size of a block, and the release. */

#ifdef QUARRY_JEMALLOC

static pthread_once_t g_arena_once = PTHREAD_ONCE_INIT;
static unsigned g_arena = 0;
static bool g_arena_ok = false;

static void arena_setup(void) {
    size_t sz = sizeof(g_arena);
    g_arena_ok = mallctl("arenas.create", &g_arena, &sz, NULL, 0) == 0;
    if (!g_arena_ok) return;
    /* Pages the arena stops holding dirty are given back lazily
     * (MADV_FREE): the kernel takes them when it needs memory, and until
     * then reusing one costs nothing. jemalloc's default purges them
     * outright soon after, and each query faulted its buffers in again
     * (OHLC 20,000x20: 2,746 page faults per query, 305 with this). */
    char name[64];
    snprintf(name, sizeof name, "arena.%u.muzzy_decay_ms", g_arena);
    ssize_t never = -1;
    (void)mallctl(name, NULL, NULL, &never, sizeof never);
}

const char *qc_mem_backend(void) { return "jemalloc"; }

uint32_t qc_mem_arena_index(void) {
    pthread_once(&g_arena_once, arena_setup);
    return g_arena_ok ? (uint32_t)g_arena : UINT32_MAX;
}

static int je_flags(size_t size, uint32_t flags) {
    int f = MALLOCX_ARENA(g_arena) | MALLOCX_TCACHE_NONE;
    if (wants_hugepages(size, flags)) f |= MALLOCX_ALIGN(QC_HUGEPAGE_SIZE);
    return f;
}

static size_t backend_usable(size_t size, uint32_t flags, qc_status *status) {
    if (qc_mem_arena_index() == UINT32_MAX) {
        *status = QC_ERR_BACKEND;
        return 0;
    }
    size_t usable = nallocx(size, je_flags(size, flags));
    if (usable == 0) *status = QC_ERR_NOMEM;
    return usable;
}

static void *backend_alloc(size_t size, uint32_t flags) {
    return mallocx(size, je_flags(size, flags));
}

static size_t backend_real_usable(void *p, size_t predicted) {
    (void)p;
    return predicted;
}

static void backend_free(void *p, size_t usable, uint32_t flags) { sdallocx(p, usable, je_flags(usable, flags)); }

/* The usable size `p` has after trying to grow it in place to `size`. */
static size_t backend_grow_in_place(void *p, size_t size) { return xallocx(p, size, 0, je_flags(size, 0)); }

#else /* system allocator, for sanitizer builds */

const char *qc_mem_backend(void) { return "system"; }

uint32_t qc_mem_arena_index(void) { return UINT32_MAX; }

static size_t backend_usable(size_t size, uint32_t flags, qc_status *status) {
    (void)flags;
    (void)status;
    return size;
}

static void *backend_alloc(size_t size, uint32_t flags) {
    return wants_hugepages(size, flags) ? aligned_alloc(QC_HUGEPAGE_SIZE, size) : malloc(size);
}

static size_t backend_real_usable(void *p, size_t predicted) {
    (void)predicted;
    return malloc_usable_size(p);
}

static void backend_free(void *p, size_t usable, uint32_t flags) {
    (void)usable;
    (void)flags;
    free(p);
}

static size_t backend_grow_in_place(void *p, size_t size) {
    (void)size;
    return malloc_usable_size(p); /* no in-place growth on this backend */
}

#endif

/* ------------------------------------------------------------ front end */

static void *alloc_common(qc_account *account, size_t size, uint32_t flags, size_t *usable_out,
                          qc_status *status) {
    qc_status ignored;
    if (!status) status = &ignored;
    if (size == 0) size = 1;
    if (wants_hugepages(size, flags)) size = round_up(size, QC_HUGEPAGE_SIZE);
    size_t usable = backend_usable(size, flags, status);
    if (usable == 0) return NULL;
    if (!account_charge(account, usable)) {
        *status = QC_ERR_BUDGET;
        return NULL;
    }
    void *p = qc_fault_fires() ? NULL : backend_alloc(size, flags);
    if (!p) {
        account_uncharge(account, usable);
        *status = QC_ERR_NOMEM;
        return NULL;
    }
    size_t real = backend_real_usable(p, usable);
    if (real > usable && !account_charge_extra(account, real - usable)) {
        backend_free(p, real, flags);
        account_uncharge(account, usable);
        *status = QC_ERR_BUDGET;
        return NULL;
    }
    if (wants_hugepages(size, flags)) advise_hugepages(p, size);
    if (size >= QC_POPULATE_MIN) populate(p, size);
    engine_charge(real);
    if (usable_out) *usable_out = real;
    return p;
}

void *qc_alloc(qc_account *account, size_t size, uint32_t flags, size_t *usable_out, qc_status *status) {
    return alloc_common(account, size, flags, usable_out, status);
}

/* Zeroed blocks are allocated uninitialised and cleared here. Asked for
 * zeroed memory, jemalloc purges reused pages (MADV_DONTNEED) and the
 * kernel faults them in zeroed again, which costs more than the clear:
 * 1M-row dedup, whose slot array is such a block, ran 1.5-3 ns a row
 * faster this way. Only a block fresh from the kernel is cleared twice. */
void *qc_calloc(qc_account *account, size_t size, uint32_t flags, size_t *usable_out, qc_status *status) {
    void *p = alloc_common(account, size, flags, usable_out, status);
    if (p) memset(p, 0, size);
    return p;
}

bool qc_grow_in_place(qc_account *account, void *p, size_t usable, size_t size, size_t *usable_out,
                      qc_status *status) {
    qc_status ignored;
    if (!status) status = &ignored;
    qc_status unusable = QC_OK; /* left to the allocation the caller falls back to */
    size_t wanted = backend_usable(size, 0, &unusable);
    if (wanted == 0) return false;
    if (wanted <= usable) return false; /* nothing to grow into */
    /* Charged first, as an allocation would be: the budget sees the growth. */
    if (!account_charge(account, wanted - usable)) {
        *status = QC_ERR_BUDGET;
        return false;
    }
    size_t real = qc_fault_fires() ? usable : backend_grow_in_place(p, size);
    if (real < size) {
        account_uncharge(account, wanted - usable);
        return false;
    }
    /* jemalloc grows in place exactly to `wanted`; the system backend never
     * does (its "growth" is the block's usable size, below `size`). */
    if (real > wanted) account_charge_extra(account, real - wanted);
    if (size >= QC_POPULATE_MIN) populate((char *)p + usable, real - usable);
    /* Counted as a new block for the old one, so live blocks stay allocations minus frees. */
    engine_charge(real - usable);
    atomic_fetch_add_explicit(&g_deallocations, 1, memory_order_relaxed);
    if (usable_out) *usable_out = real;
    return true;
}

void qc_free(qc_account *account, void *p, size_t usable, uint32_t flags) {
    if (!p) return;
    backend_free(p, usable, flags);
    release(account, usable);
}

/* ------------------------------------------------------ fault injection */

/* Allocations left before the injected failure: 0 is off, 1 fails the next. */
static _Atomic uint64_t g_fault_countdown;
static _Atomic uint64_t g_fault_seen;

void qc_testing_fail_allocation(uint64_t nth) {
    atomic_store_explicit(&g_fault_seen, 0, memory_order_relaxed);
    atomic_store_explicit(&g_fault_countdown, nth, memory_order_relaxed);
}

uint64_t qc_testing_allocations_seen(void) { return atomic_load_explicit(&g_fault_seen, memory_order_relaxed); }

bool qc_fault_fires(void) {
    uint64_t left = atomic_load_explicit(&g_fault_countdown, memory_order_relaxed);
    if (QC_LIKELY(left == 0)) return false;
    atomic_fetch_add_explicit(&g_fault_seen, 1, memory_order_relaxed);
    while (left != 0) {
        if (atomic_compare_exchange_weak_explicit(&g_fault_countdown, &left, left - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return left == 1;
    }
    return false;
}

/* -------------------------------------------------------------- figures */

void qc_mem_engine(qc_engine_memory *out) {
    out->bytes_now = atomic_load_explicit(&g_bytes_now, memory_order_relaxed);
    out->bytes_peak = atomic_load_explicit(&g_bytes_peak, memory_order_relaxed);
    out->allocations = atomic_load_explicit(&g_allocations, memory_order_relaxed);
    out->deallocations = atomic_load_explicit(&g_deallocations, memory_order_relaxed);
}

void qc_mem_reset_peak(void) {
    atomic_store_explicit(&g_bytes_peak, atomic_load_explicit(&g_bytes_now, memory_order_relaxed),
                          memory_order_relaxed);
}

qc_status qc_account_create(uint64_t limit_bytes, qc_account **out) {
    /* Accounts are bookkeeping, not engine data: they come from the
     * ordinary heap so that they do not charge themselves. */
    qc_account *a = calloc(1, sizeof(*a));
    if (!a) return QC_ERR_NOMEM;
    atomic_store(&a->limit, limit_bytes);
    *out = a;
    return QC_OK;
}

void qc_account_destroy(qc_account *account) { free(account); }

void qc_account_set_limit(qc_account *account, uint64_t limit_bytes) {
    atomic_store_explicit(&account->limit, limit_bytes, memory_order_relaxed);
}

void qc_account_read(const qc_account *account, qc_account_figures *out) {
    qc_account *a = (qc_account *)account;
    out->bytes_now = atomic_load_explicit(&a->bytes_now, memory_order_relaxed);
    out->bytes_peak = atomic_load_explicit(&a->bytes_peak, memory_order_relaxed);
    out->allocations = atomic_load_explicit(&a->allocations, memory_order_relaxed);
    out->limit_bytes = atomic_load_explicit(&a->limit, memory_order_relaxed);
    out->rejected = atomic_load_explicit(&a->rejected, memory_order_relaxed);
}

const char *qc_status_message(qc_status status) {
    switch (status) {
    case QC_OK: return "ok";
    case QC_ERR_NOMEM: return "out of memory";
    case QC_ERR_ARITY: return "unsupported arity";
    case QC_ERR_CAPACITY: return "capacity exceeded";
    case QC_ERR_BUDGET: return "memory budget exceeded";
    case QC_ERR_BACKEND: return "allocator backend unavailable";
    case QC_ERR_RANGE: return "index out of range";
    }
    return "unknown status";
}
