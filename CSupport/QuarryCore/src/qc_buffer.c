/* Untyped engine buffers: the accounted allocator behind a public name. */
#include "qc_internal.h"

/* Without the usable size a buffer could not be freed or grown right. */
static bool has_usable_out(size_t *usable_out, qc_status *status) {
    if (usable_out) return true;
    if (status) *status = QC_ERR_RANGE;
    return false;
}

void *qc_buffer_alloc(qc_account *account, size_t bytes, size_t *usable_out, qc_status *status) {
    if (!has_usable_out(usable_out, status)) return NULL;
    return qc_alloc(account, bytes, 0, usable_out, status);
}

void *qc_buffer_grow(qc_account *account, void *old, size_t old_usable, size_t keep, size_t bytes,
                     size_t *usable_out, qc_status *status) {
    /* Where the allocator can extend the block, no copy and no second
     * block at the peak; else a new block, the rows copied over. */
    if (!has_usable_out(usable_out, status)) return NULL;
    qc_status refused = QC_OK;
    if (old && qc_grow_in_place(account, old, old_usable, bytes, usable_out, &refused)) return old;
    if (refused != QC_OK) {
        if (status) *status = refused;
        return NULL;
    }
    void *fresh = qc_alloc(account, bytes, 0, usable_out, status);
    if (!fresh) return NULL;
    if (old) {
        memcpy(fresh, old, keep < bytes ? keep : bytes);
        qc_free(account, old, old_usable, 0);
    }
    return fresh;
}

void qc_buffer_free(qc_account *account, void *buffer, size_t usable) { qc_free(account, buffer, usable, 0); }
