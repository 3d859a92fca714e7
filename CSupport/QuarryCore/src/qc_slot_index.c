/* The open-addressing index shared by dedup tables and interners. */
#include "qc_internal.h"

uint64_t qc_slot_index_capacity_for(uint64_t entries) {
    uint64_t capacity = QC_SLOT_MIN_CAPACITY;
    while (capacity / 4 * 3 < entries) capacity <<= 1;
    return capacity;
}

qc_status qc_slot_index_resize(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t capacity,
                               uint64_t count) {
    qc_status status = QC_OK;
    uint64_t grow_at = capacity / 4 * 3;
    if (grow_at > QC_SLOT_MAX_ENTRIES) grow_at = QC_SLOT_MAX_ENTRIES;
    size_t slots_usable, hashes_usable;
    uint64_t *slots = qc_calloc(account, (size_t)capacity * 8u, flags, &slots_usable, &status);
    if (!slots) return status;
    uint64_t *hashes = qc_alloc(account, (size_t)grow_at * 8u, flags, &hashes_usable, &status);
    if (!hashes) {
        qc_free(account, slots, slots_usable, flags);
        return status;
    }
    uint64_t mask = capacity - 1;
    if (count) {
        memcpy(hashes, x->hashes, (size_t)count * 8u);
        /* Walk the old slots in order: an entry in old slot j has its new
         * home near j or j + old capacity, so the writes form two
         * sequential streams. Only the hash reads are random; prefetch them
         * a few slots ahead. */
        const uint64_t *old = x->slots, old_capacity = x->mask + 1;
        for (uint64_t j = 0; j < old_capacity; j++) {
            if (j + 16 < old_capacity && old[j + 16]) __builtin_prefetch(&hashes[qc_slot_entry(old[j + 16])], 0, 0);
            uint64_t s = old[j];
            if (!s) continue;
            uint64_t h = hashes[qc_slot_entry(s)], pos = h & mask;
            while (slots[pos]) pos = (pos + 1) & mask;
            slots[pos] = s;
        }
    }
    qc_slot_index_free(x, account, flags);
    x->slots = slots;
    x->slots_usable = slots_usable;
    x->hashes = hashes;
    x->hashes_usable = hashes_usable;
    x->mask = mask;
    x->grow_at = grow_at;
    return QC_OK;
}

qc_status qc_slot_index_grow(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t count, uint64_t entries) {
    if (count >= QC_SLOT_MAX_ENTRIES || entries > QC_SLOT_MAX_ENTRIES) return QC_ERR_CAPACITY;
    uint64_t capacity = qc_slot_index_capacity_for(entries);
    if (capacity <= x->mask + 1) capacity = (x->mask + 1) << 1;
    return qc_slot_index_resize(x, account, flags, capacity, count);
}

void qc_slot_index_free(qc_slot_index *x, qc_account *account, uint32_t flags) {
    qc_free(account, x->slots, x->slots_usable, flags);
    qc_free(account, x->hashes, x->hashes_usable, flags);
    x->slots = x->hashes = NULL;
    x->slots_usable = x->hashes_usable = 0;
}
