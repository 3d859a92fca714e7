/* The open-addressing index shared by dedup tables and interners. */
#include "qc_internal.h"

uint64_t qc_slot_index_capacity_for(uint64_t entries) {
    uint64_t capacity = QC_SLOT_MIN_CAPACITY;
    while (capacity / 4 * 3 < entries) capacity <<= 1;
    return capacity;
}

qc_status qc_slot_index_resize(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t capacity) {
    if (capacity > QC_SLOT_MAX_CAPACITY) return QC_ERR_CAPACITY;
    qc_status status = QC_OK;
    size_t slots_usable;
    uint64_t *slots = qc_calloc(account, (size_t)capacity * 8u, flags, &slots_usable, &status);
    if (!slots) return status;
    uint64_t mask = capacity - 1;
    uint32_t shift = 64u - (uint32_t)__builtin_ctzll(capacity);
    /* Old slots in order have non-decreasing homes (but for a run that
     * wrapped past the end), so the writes move forward through memory. */
    const uint64_t *old = x->slots;
    for (uint64_t j = 0, n = old ? x->mask + 1 : 0; j < n; j++) {
        uint64_t s = old[j];
        if (!s) continue;
        uint64_t pos = s >> shift;
        while (slots[pos]) pos = (pos + 1) & mask;
        slots[pos] = s;
    }
    qc_slot_index_free(x, account, flags);
    x->slots = slots;
    x->slots_usable = slots_usable;
    x->mask = mask;
    x->shift = shift;
    x->grow_at = capacity / 4 * 3;
    x->generation++;
    return QC_OK;
}

qc_status qc_slot_index_grow(qc_slot_index *x, qc_account *account, uint32_t flags, uint64_t entries) {
    if (entries > QC_SLOT_MAX_ENTRIES) return QC_ERR_CAPACITY;
    uint64_t capacity = qc_slot_index_capacity_for(entries);
    if (capacity <= x->mask + 1) capacity = (x->mask + 1) << 1;
    return qc_slot_index_resize(x, account, flags, capacity);
}

void qc_slot_index_drop_from(qc_slot_index *x, uint64_t first) {
    uint64_t *slots = x->slots, mask = x->mask;
    /* The walk below starts from a slot that is empty before any entry is
     * dropped (the index is at most 3/4 full, so one exists). No probe run
     * crosses such a slot, so every entry's home lies between it and the
     * entry, and a re-placed entry lands at or before where it was. A slot
     * emptied by the drop gives no such promise: a run may go on past it,
     * and past the end of the array, and an entry re-placed from there can
     * end up where its search never looks. */
    uint64_t start = 0;
    while (slots[start]) start++;
    for (uint64_t j = 0; j <= mask; j++)
        if (slots[j] && qc_slot_entry(slots[j]) >= first) slots[j] = 0;
    /* The holes break the probe runs of entries behind them: re-placing
     * every entry, in order from `start`, mends them. */
    for (uint64_t i = 1; i <= mask; i++) {
        uint64_t j = (start + i) & mask, s = slots[j];
        if (!s) continue;
        slots[j] = 0;
        qc_slot_place(x, s);
    }
}

void qc_slot_index_free(qc_slot_index *x, qc_account *account, uint32_t flags) {
    qc_free(account, x->slots, x->slots_usable, flags);
    x->slots = NULL;
    x->slots_usable = 0;
}
