/* Dedup table probing: insert-if-absent, lookup, and the prefetching batch.
 *
 * Every entry point dispatches once on the arity into an always-inlined
 * body (QC_BY_ARITY), so that for arities 1..4 the row width is a constant
 * inside the loop: one XXH3 path, word compares, a fixed-size copy. */
#include "qc_dedup_internal.h"

/* How many rows ahead the batch hashes and prefetches slots; candidate rows
 * are prefetched D rows later. Measured on the dedup benchmark. */
#define QC_PREFETCH_DISTANCE 8u
#define QC_RING 32u /* > 2 * QC_PREFETCH_DISTANCE, a power of two */
/* Rows per block of a batch, and the slot count up to which a block is
 * probed without prefetching (256 KiB of slots: well inside L2). */
#define QC_BATCH_BLOCK 4096u
#define QC_DIRECT_MAX_SLOTS (32u * 1024u)

/* The table is full to its threshold and could not grow (budget, memory):
 * a row it already holds is still found. Out of line and cold, so that the
 * insert loop keeps one inlined copy of the search. */
__attribute__((noinline, cold)) static bool find_when_full(qc_dedup *t, const unsigned char *row, uint64_t h,
                                                          size_t stride, qc_probe_counts *counts, uint64_t *at) {
    return qc_dedup_search(t, row, h, stride, NULL, counts, at);
}

/* Insert-if-absent of a row whose hash is known. The table grows first,
 * when it is full to its threshold, so that the search finds the empty slot
 * where a new row goes; if that growth is refused, a row already present is
 * still found and reported, and only a new row fails. */
QC_INLINE qc_status insert_hashed(qc_dedup *t, const unsigned char *row, uint64_t h, uint32_t arity,
                                  uint64_t *index_out, bool *inserted_out, qc_probe_counts *counts) {
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t at;
    qc_status status = qc_dedup_make_room(t, t->rows->count);
    if (QC_UNLIKELY(status != QC_OK)) {
        if (!find_when_full(t, row, h, stride, counts, &at)) return status;
        *index_out = at;
        *inserted_out = false;
        return QC_OK;
    }
    if (qc_dedup_search(t, row, h, stride, NULL, counts, &at)) {
        *index_out = at;
        *inserted_out = false;
        return QC_OK;
    }
    uint64_t i = t->rows->count;
    unsigned char *dst = qc_arena_push_fast(t->rows, &status);
    if (!dst) return status;
    memcpy(dst, row, stride);
    t->index.slots[at] = qc_slot_make(h, i);
    *index_out = i;
    *inserted_out = true;
    return QC_OK;
}

QC_INLINE qc_status insert_one(qc_dedup *t, const void *row, uint64_t *index_out, bool *inserted_out,
                               uint32_t arity) {
    uint64_t index;
    bool inserted;
    qc_probe_counts counts = {0};
    qc_status status = insert_hashed(t, row, qc_dedup_hash(t, row, arity), arity, &index, &inserted, &counts);
    qc_dedup_add_counts(t, &counts);
    if (status != QC_OK) return status;
    if (index_out) *index_out = index;
    if (inserted_out) *inserted_out = inserted;
    return QC_OK;
}

qc_status qc_dedup_insert(qc_dedup *t, const void *row, uint64_t *index_out, bool *inserted_out) {
    QC_BY_ARITY(t, insert_one, t, row, index_out, inserted_out)
}

/* A batch at least this long that could outgrow the table is sized once,
 * before insertion, from an estimate of its new distinct rows: growing
 * through every power of two on the way re-places slots over and over and
 * probes at high load (measured at 1M rows: 15-20 ns a row). */
#define QC_PRESIZE_MIN_ROWS 65536u

QC_INLINE int64_t find_hashed(const qc_dedup *t, const unsigned char *row, uint64_t h, uint32_t arity);

/* Estimates how many rows of the batch are distinct and not yet in the
 * table, by sampling on hash values: a row is sampled when the top s bits
 * of its hash are 0, so every copy of a row is sampled or none is, and the
 * distinct sampled rows, scaled by 2^s, estimate the distinct rows (about
 * 2% off at 4,096 sampled). */
QC_INLINE uint64_t estimate_new_rows(qc_dedup *t, const unsigned char *base, size_t n, uint32_t arity,
                                     bool *ok) {
    const size_t stride = qc_dedup_stride(t, arity);
    unsigned s = 0;
    while ((n >> s) > QC_SAMPLE_ROWS) s++;
    qc_sample sample;
    *ok = qc_sample_open(t, &sample);
    if (!*ok) return 0;
    size_t i = 0;
    for (; i < n && !qc_sample_full(&sample); i++) {
        const unsigned char *row = base + i * stride;
        uint64_t h = qc_dedup_hash(t, row, arity);
        if (h >> (64 - s)) continue;
        if (qc_sample_note(&sample, h) && (t->rows->count == 0 || find_hashed(t, row, h, arity) < 0)) sample.fresh++;
    }
    return qc_sample_close(t, &sample, s, i, n);
}

/* Sizes the table for a long batch (see QC_PRESIZE_MIN_ROWS). Only an
 * optimisation: if the room cannot be had (budget, memory), the table
 * grows as it fills and reports the error where it really runs out. */
QC_INLINE void presize(qc_dedup *t, const unsigned char *base, size_t n, uint32_t arity) {
    if ((t->flags & QC_DEDUP_NO_PRESIZE) || n < QC_PRESIZE_MIN_ROWS || qc_dedup_sized_for(t, n)) return;
    bool ok;
    uint64_t expect = t->rows->count + estimate_new_rows(t, base, n, arity, &ok);
    if (ok && expect > t->index.grow_at) (void)qc_dedup_reserve(t, expect);
}

QC_INLINE qc_status insert_each(qc_dedup *t, const void *rows, size_t n, uint64_t *new_rows_out, uint32_t arity) {
    const unsigned char *r = rows;
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t fresh = 0;
    qc_probe_counts counts = {0};
    qc_status status = QC_OK;
    presize(t, r, n, arity);
    for (size_t i = 0; i < n && status == QC_OK; i++, r += stride) {
        uint64_t index;
        bool inserted;
        status = insert_hashed(t, r, qc_dedup_hash(t, r, arity), arity, &index, &inserted, &counts);
        fresh += status == QC_OK && inserted;
    }
    qc_dedup_add_counts(t, &counts);
    if (status == QC_OK && new_rows_out) *new_rows_out = fresh;
    return status;
}

qc_status qc_dedup_insert_each(qc_dedup *t, const void *rows, size_t n, uint64_t *new_rows_out) {
    QC_BY_ARITY(t, insert_each, t, rows, n, new_rows_out)
}

/* Inserts row k of a batch and records its result in the optional outputs. */
QC_INLINE qc_status record(qc_dedup *t, const unsigned char *row, uint64_t h, uint32_t arity, size_t k,
                           uint64_t *indices_out, uint8_t *inserted_out, uint64_t *fresh, qc_probe_counts *counts) {
    uint64_t index;
    bool inserted;
    qc_status status = insert_hashed(t, row, h, arity, &index, &inserted, counts);
    if (status != QC_OK) return status;
    if (indices_out) indices_out[k] = index;
    if (inserted_out) inserted_out[k] = inserted;
    *fresh += inserted;
    return QC_OK;
}

/* A three-stage software pipeline over rows [first, end): row i is hashed
 * and its home slot prefetched; D rows later its home slot is read and, on
 * a fragment match, the candidate row is prefetched; 2D rows later it is
 * probed for real. The memory latency of the first two stages overlaps the
 * work on other rows. Prefetches are hints only: a growth in between makes
 * them stale, never wrong. */
QC_INLINE qc_status pipeline(qc_dedup *t, const unsigned char *base, size_t first, size_t end, uint32_t arity,
                             uint64_t *indices_out, uint8_t *inserted_out, uint64_t *fresh, size_t *done,
                             qc_probe_counts *counts) {
    const size_t stride = qc_dedup_stride(t, arity), d = QC_PREFETCH_DISTANCE;
    uint64_t ring[QC_RING];
    for (size_t i = first; i < end + 2 * d; i++) {
        if (i < end) {
            uint64_t h = qc_dedup_hash(t, base + i * stride, arity);
            ring[i & (QC_RING - 1)] = h;
            __builtin_prefetch(&t->index.slots[qc_slot_home(&t->index, h)], 0, 3);
        }
        if (i >= first + d && i - d < end) {
            uint64_t h = ring[(i - d) & (QC_RING - 1)];
            uint64_t s = t->index.slots[qc_slot_home(&t->index, h)];
            if (s != 0 && qc_slot_fragment_matches(s, h))
                __builtin_prefetch(qc_arena_row_ptr(t->rows, qc_slot_entry(s)), 0, 3);
        }
        if (i >= first + 2 * d) {
            size_t k = i - 2 * d;
            qc_status status = record(t, base + k * stride, ring[k & (QC_RING - 1)], arity, k, indices_out,
                                      inserted_out, fresh, counts);
            if (status != QC_OK) return status;
            *done = k + 1;
        }
    }
    return QC_OK;
}

/* Rows go in blocks. While the slot array is small enough to stay in
 * cache, prefetching only adds work, so a block is probed directly; once
 * the table outgrows that, blocks go through the pipeline. */
QC_INLINE qc_status insert_batch(qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                 uint8_t *inserted_out, uint64_t *new_rows_out, size_t *done_out, uint32_t arity) {
    const unsigned char *base = rows;
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t fresh = 0;
    size_t done = 0;
    if (qc_dedup_partition_fits(t, n) &&
        qc_dedup_insert_partitioned(t, rows, n, indices_out, inserted_out, new_rows_out)) {
        if (done_out) *done_out = n;
        return QC_OK;
    }
    qc_probe_counts counts = {0};
    qc_status status = QC_OK;
    presize(t, base, n, arity);
    for (size_t first = 0; first < n && status == QC_OK; first += QC_BATCH_BLOCK) {
        size_t end = n - first < QC_BATCH_BLOCK ? n : first + QC_BATCH_BLOCK;
        if (t->index.mask + 1 <= QC_DIRECT_MAX_SLOTS) {
            for (size_t k = first; k < end; k++) {
                const unsigned char *row = base + k * stride;
                status = record(t, row, qc_dedup_hash(t, row, arity), arity, k, indices_out, inserted_out, &fresh,
                                &counts);
                if (status != QC_OK) break;
                done = k + 1;
            }
        } else {
            status = pipeline(t, base, first, end, arity, indices_out, inserted_out, &fresh, &done, &counts);
        }
    }
    qc_dedup_add_counts(t, &counts);
    if (new_rows_out) *new_rows_out = fresh;
    if (done_out) *done_out = done;
    return status;
}

qc_status qc_dedup_insert_batch(qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                uint8_t *inserted_out, uint64_t *new_rows_out, size_t *done_out) {
    QC_BY_ARITY(t, insert_batch, t, rows, n, indices_out, inserted_out, new_rows_out, done_out)
}

QC_INLINE int64_t find_hashed(const qc_dedup *t, const unsigned char *row, uint64_t h, uint32_t arity) {
    qc_probe_counts unused = {0}; /* lookups keep no figures */
    uint64_t at;
    return qc_dedup_search(t, row, h, qc_dedup_stride(t, arity), NULL, &unused, &at) ? (int64_t)at : -1;
}

QC_INLINE int64_t find(const qc_dedup *t, const void *row, uint32_t arity) {
    return find_hashed(t, row, qc_dedup_hash(t, row, arity), arity);
}

int64_t qc_dedup_find(const qc_dedup *t, const void *row) { QC_BY_ARITY(t, find, t, row) }

/* Lookups of a batch: row i is hashed and its home slot prefetched while
 * row i - D is probed, so a table bigger than the cache costs one overlapped
 * miss per row instead of one serial miss. Small tables are probed directly. */
QC_INLINE void find_batch(const qc_dedup *t, const void *rows, size_t n, int64_t *indices_out, uint32_t arity) {
    const unsigned char *base = rows;
    const size_t stride = qc_dedup_stride(t, arity), d = QC_PREFETCH_DISTANCE;
    if (t->index.mask + 1 <= QC_DIRECT_MAX_SLOTS) {
        for (size_t k = 0; k < n; k++) indices_out[k] = find(t, base + k * stride, arity);
        return;
    }
    uint64_t ring[QC_RING];
    for (size_t i = 0; i < n + d; i++) {
        if (i < n) {
            uint64_t h = qc_dedup_hash(t, base + i * stride, arity);
            ring[i & (QC_RING - 1)] = h;
            __builtin_prefetch(&t->index.slots[qc_slot_home(&t->index, h)], 0, 3);
        }
        if (i >= d) {
            size_t k = i - d;
            indices_out[k] = find_hashed(t, base + k * stride, ring[k & (QC_RING - 1)], arity);
        }
    }
}

void qc_dedup_find_batch(const qc_dedup *t, const void *rows, size_t n, int64_t *indices_out) {
    switch (t->arity) {
    case 1: find_batch(t, rows, n, indices_out, 1); break;
    case 2: find_batch(t, rows, n, indices_out, 2); break;
    case 3: find_batch(t, rows, n, indices_out, 3); break;
    case 4: find_batch(t, rows, n, indices_out, 4); break;
    default: find_batch(t, rows, n, indices_out, t->arity); break;
    }
}
