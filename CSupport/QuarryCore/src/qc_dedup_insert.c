/* Dedup table probing: insert-if-absent, lookup, and the prefetching batch. */
#include "qc_dedup_internal.h"

/* How many rows ahead the batch hashes and prefetches slots; candidate rows
 * are prefetched half as far ahead. Measured on the dedup benchmark. */
#define QC_PREFETCH_DISTANCE 16u
#define QC_RING 64u /* > 2 * QC_PREFETCH_DISTANCE, a power of two */

/* Insert-if-absent of a row whose hash is known. */
static inline qc_status insert_hashed(qc_dedup *t, const unsigned char *row, uint64_t h, uint64_t *index_out,
                                      bool *inserted_out) {
    if (QC_UNLIKELY(t->rows->count >= t->index.grow_at)) {
        qc_status status = qc_slot_index_grow(&t->index, t->account, qc_dedup_alloc_flags(t), t->rows->count,
                                              t->rows->count + 1);
        if (status != QC_OK) return status;
        t->stats.grows++;
    }
    uint64_t *slots = t->index.slots;
    uint64_t mask = t->index.mask, pos = h & mask, probes = 1;
    for (;; probes++) {
        uint64_t s = slots[pos];
        if (s == 0) break;
        if (qc_slot_fragment_matches(s, h)) {
            uint64_t i = qc_slot_entry(s);
            t->stats.fragment_matches++;
            if (qc_rows_equal(qc_arena_row_ptr(t->rows, i), row, t->arity, t->stride)) {
                t->stats.probes += probes;
                *index_out = i;
                *inserted_out = false;
                return QC_OK;
            }
            t->stats.false_matches++;
        }
        pos = (pos + 1) & mask;
    }
    t->stats.probes += probes;
    qc_status status = QC_OK;
    uint64_t i = t->rows->count;
    unsigned char *dst = qc_arena_push(t->rows, &status);
    if (!dst) return status;
    memcpy(dst, row, t->stride);
    t->index.hashes[i] = h;
    slots[pos] = qc_slot_make(h, i);
    *index_out = i;
    *inserted_out = true;
    return QC_OK;
}

qc_status qc_dedup_insert(qc_dedup *t, const void *row, uint64_t *index_out, bool *inserted_out) {
    uint64_t index;
    bool inserted;
    qc_status status = insert_hashed(t, row, qc_dedup_hash(t, row), &index, &inserted);
    if (status != QC_OK) return status;
    if (index_out) *index_out = index;
    if (inserted_out) *inserted_out = inserted;
    return QC_OK;
}

qc_status qc_dedup_insert_each(qc_dedup *t, const void *rows, size_t n, uint64_t *new_rows_out) {
    const unsigned char *r = rows;
    uint64_t fresh = 0;
    for (size_t i = 0; i < n; i++, r += t->stride) {
        uint64_t index;
        bool inserted;
        qc_status status = insert_hashed(t, r, qc_dedup_hash(t, r), &index, &inserted);
        if (status != QC_OK) return status;
        fresh += inserted;
    }
    if (new_rows_out) *new_rows_out = fresh;
    return QC_OK;
}

/* A three-stage software pipeline over the input: row i is hashed and its
 * home slot prefetched; D rows later its home slot is read and, on a
 * fragment match, the candidate row is prefetched; 2D rows later it is
 * probed for real. The memory latency of the first two stages overlaps the
 * work on other rows. Prefetches are hints only: a growth in between makes
 * them stale, never wrong. */
qc_status qc_dedup_insert_batch(qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                uint8_t *inserted_out, uint64_t *new_rows_out, size_t *done_out) {
    const unsigned char *base = rows;
    const size_t stride = t->stride, d = QC_PREFETCH_DISTANCE;
    uint64_t ring[QC_RING];
    uint64_t fresh = 0;
    qc_status status = QC_OK;
    size_t done = 0;
    for (size_t i = 0; i < n + 2 * d; i++) {
        if (i < n) {
            uint64_t h = qc_dedup_hash(t, base + i * stride);
            ring[i & (QC_RING - 1)] = h;
            __builtin_prefetch(&t->index.slots[h & t->index.mask], 0, 1);
        }
        if (i >= d && i - d < n) {
            uint64_t h = ring[(i - d) & (QC_RING - 1)];
            uint64_t s = t->index.slots[h & t->index.mask];
            if (s != 0 && qc_slot_fragment_matches(s, h))
                __builtin_prefetch(qc_arena_row_ptr(t->rows, qc_slot_entry(s)), 0, 1);
        }
        if (i >= 2 * d) {
            size_t k = i - 2 * d;
            uint64_t index;
            bool inserted;
            status = insert_hashed(t, base + k * stride, ring[k & (QC_RING - 1)], &index, &inserted);
            if (status != QC_OK) break;
            if (indices_out) indices_out[k] = index;
            if (inserted_out) inserted_out[k] = inserted;
            fresh += inserted;
            done = k + 1;
        }
    }
    if (new_rows_out) *new_rows_out = fresh;
    if (done_out) *done_out = done;
    return status;
}

int64_t qc_dedup_find(const qc_dedup *t, const void *row) {
    uint64_t h = qc_dedup_hash(t, row);
    uint64_t mask = t->index.mask, pos = h & mask;
    for (;;) {
        uint64_t s = t->index.slots[pos];
        if (s == 0) return -1;
        if (qc_slot_fragment_matches(s, h) &&
            qc_rows_equal(qc_arena_row_ptr(t->rows, qc_slot_entry(s)), row, t->arity, t->stride))
            return (int64_t)qc_slot_entry(s);
        pos = (pos + 1) & mask;
    }
}
