/* Dedup table lifecycle: creation, reservation, clearing, figures. */
#include "qc_dedup_internal.h"

qc_status qc_dedup_create(uint32_t arity, uint64_t seed, qc_account *account, uint32_t flags, qc_dedup **out) {
    if (qc_row_stride(arity) == 0) return QC_ERR_ARITY;
    qc_status status = QC_OK;
    size_t usable;
    qc_dedup *t = qc_calloc(account, sizeof(*t), 0, &usable, &status);
    if (!t) return status;
    t->self_usable = usable;
    t->account = account;
    t->arity = arity;
    t->stride = (uint32_t)qc_row_stride(arity);
    t->seed = seed;
    t->flags = flags;
    status = qc_arena_create(arity, account, qc_dedup_alloc_flags(t), &t->rows);
    if (status == QC_OK)
        status = qc_slot_index_resize(&t->index, account, qc_dedup_alloc_flags(t), QC_SLOT_MIN_CAPACITY);
    if (status != QC_OK) {
        qc_dedup_destroy(t);
        return status;
    }
    *out = t;
    return QC_OK;
}

void qc_dedup_destroy(qc_dedup *t) {
    if (!t) return;
    qc_slot_index_free(&t->index, t->account, qc_dedup_alloc_flags(t));
    qc_arena_destroy(t->rows);
    qc_free(t->account, t, t->self_usable, 0);
}

uint64_t qc_dedup_count(const qc_dedup *t) { return t->rows->count; }
uint64_t qc_dedup_capacity(const qc_dedup *t) { return t->index.mask + 1; }
uint32_t qc_dedup_arity(const qc_dedup *t) { return t->arity; }
const qc_arena *qc_dedup_rows(const qc_dedup *t) { return t->rows; }

uint64_t qc_dedup_bytes(const qc_dedup *t) {
    return t->index.slots_usable + t->rows->bytes + t->rows->self_usable + t->self_usable;
}

qc_status qc_dedup_reserve(qc_dedup *t, uint64_t rows) {
    if (rows > QC_SLOT_MAX_ENTRIES) return QC_ERR_CAPACITY;
    if (rows <= t->index.grow_at) return QC_OK;
    qc_status status =
        qc_slot_index_resize(&t->index, t->account, qc_dedup_alloc_flags(t), qc_slot_index_capacity_for(rows));
    if (status == QC_OK) t->stats.grows++;
    return status;
}

qc_status qc_dedup_reserve_storage(qc_dedup *t, uint64_t rows) {
    qc_status status = qc_dedup_reserve(t, rows);
    if (status == QC_OK) status = qc_arena_reserve(t->rows, rows);
    if (status == QC_OK && rows > t->reserved) t->reserved = rows;
    return status;
}

void qc_dedup_clear(qc_dedup *t) {
    memset(t->index.slots, 0, (size_t)(t->index.mask + 1) * 8u);
    qc_arena_reset(t->rows, true);
    memset(&t->stats, 0, sizeof(t->stats));
    /* A reservation spoke of the rows it was made for: an empty table has
     * none left, and keeping it would skip every later size estimate. */
    t->reserved = 0;
}

void qc_dedup_probe_stats_read(const qc_dedup *t, qc_dedup_probe_stats *out) { *out = t->stats; }
