/* Flat tuple arenas: fixed-stride rows in chunks that double in size. */
#include "qc_internal.h"

/* Chunk 0 is about this many bytes; later chunks double. Small enough that
 * a one-row result costs little, large enough that a big one allocates
 * a few dozen times in all. */
#define QC_ARENA_FIRST_CHUNK_BYTES 4096u

size_t qc_row_stride(uint32_t arity) {
    if (arity == 0 || arity > QC_MAX_ARITY) return 0;
    return (size_t)arity * 8u + (((size_t)arity + 7u) & ~(size_t)7u);
}

void qc_row_pack(void *row, uint32_t arity, const uint64_t *words, const uint8_t *tags) {
    size_t stride = qc_row_stride(arity);
    unsigned char *r = row;
    memcpy(r, words, (size_t)arity * 8u);
    memset(r + (size_t)arity * 8u, 0, stride - (size_t)arity * 8u);
    memcpy(r + (size_t)arity * 8u, tags, arity);
}

qc_status qc_arena_create(uint32_t arity, qc_account *account, uint32_t flags, qc_arena **out) {
    size_t stride = qc_row_stride(arity);
    if (stride == 0) return QC_ERR_ARITY;
    qc_status status = QC_OK;
    size_t usable;
    qc_arena *a = qc_calloc(account, sizeof(*a), 0, &usable, &status);
    if (!a) return status;
    a->self_usable = usable;
    a->arity = arity;
    a->stride = (uint32_t)stride;
    a->flags = flags;
    a->account = account;
    uint32_t log2 = 0;
    while (((size_t)2 << log2) * stride <= QC_ARENA_FIRST_CHUNK_BYTES) log2++;
    a->base_log2 = log2;
    *out = a;
    return QC_OK;
}

static void release_chunks(qc_arena *a, uint32_t from) {
    for (uint32_t c = from; c < QC_ARENA_CHUNKS && a->chunks[c]; c++) {
        qc_free(a->account, a->chunks[c], a->chunk_usable[c], a->flags);
        a->bytes -= a->chunk_usable[c];
        a->chunks[c] = NULL;
        a->chunk_usable[c] = 0;
    }
}

void qc_arena_destroy(qc_arena *arena) {
    if (!arena) return;
    release_chunks(arena, 0);
    qc_free(arena->account, arena, arena->self_usable, 0);
}

uint32_t qc_arena_arity(const qc_arena *arena) { return arena->arity; }
size_t qc_arena_stride(const qc_arena *arena) { return arena->stride; }
uint64_t qc_arena_count(const qc_arena *arena) { return arena->count; }
uint64_t qc_arena_bytes(const qc_arena *arena) { return arena->bytes; }

static uint64_t chunk_rows(const qc_arena *a, uint32_t c) {
    return c == 0 ? (uint64_t)1 << a->base_log2 : (uint64_t)1 << (a->base_log2 + c - 1);
}

static qc_status open_chunk(qc_arena *a, uint32_t c) {
    qc_status status = QC_OK;
    size_t usable;
    unsigned char *chunk = qc_alloc(a->account, (size_t)(chunk_rows(a, c) * a->stride), a->flags, &usable, &status);
    if (!chunk) return status;
    a->chunks[c] = chunk;
    a->chunk_usable[c] = usable;
    a->bytes += usable;
    return QC_OK;
}

unsigned char *qc_arena_push(qc_arena *a, qc_status *status) {
    uint64_t offset;
    uint32_t c = qc_arena_chunk_of(a, a->count, &offset);
    if (QC_UNLIKELY(c >= QC_ARENA_CHUNKS)) {
        *status = QC_ERR_CAPACITY;
        return NULL;
    }
    if (QC_UNLIKELY(!a->chunks[c]) && (*status = open_chunk(a, c)) != QC_OK) return NULL;
    a->count++;
    return a->chunks[c] + offset * a->stride;
}

qc_status qc_arena_reserve(qc_arena *a, uint64_t rows) {
    if (rows == 0) return QC_OK;
    uint64_t offset;
    uint32_t last = qc_arena_chunk_of(a, rows - 1, &offset);
    if (last >= QC_ARENA_CHUNKS) return QC_ERR_CAPACITY;
    uint32_t first = 0;
    while (first <= last && a->chunks[first]) first++;
    for (uint32_t c = first; c <= last; c++) {
        qc_status status = open_chunk(a, c);
        if (status != QC_OK) {
            release_chunks(a, first);
            return status;
        }
    }
    return QC_OK;
}

qc_status qc_arena_append(qc_arena *arena, const void *row, uint64_t *index_out) {
    qc_status status = QC_OK;
    uint64_t index = arena->count;
    unsigned char *slot = qc_arena_push(arena, &status);
    if (!slot) return status;
    memcpy(slot, row, arena->stride);
    if (index_out) *index_out = index;
    return QC_OK;
}

qc_status qc_arena_append_values(qc_arena *arena, const uint64_t *words, const uint8_t *tags,
                                 uint64_t *index_out) {
    qc_status status = QC_OK;
    uint64_t index = arena->count;
    unsigned char *slot = qc_arena_push(arena, &status);
    if (!slot) return status;
    qc_row_pack(slot, arena->arity, words, tags);
    if (index_out) *index_out = index;
    return QC_OK;
}

const void *qc_arena_row(const qc_arena *arena, uint64_t index) { return qc_arena_row_ptr(arena, index); }

qc_status qc_arena_copy_rows(const qc_arena *arena, uint64_t first, uint64_t n, void *dst) {
    if (first > arena->count || n > arena->count - first) return QC_ERR_RANGE;
    unsigned char *out = dst;
    while (n > 0) {
        uint64_t offset;
        uint32_t c = qc_arena_chunk_of(arena, first, &offset);
        uint64_t take = chunk_rows(arena, c) - offset;
        if (take > n) take = n;
        memcpy(out, arena->chunks[c] + offset * arena->stride, (size_t)(take * arena->stride));
        out += take * arena->stride;
        first += take;
        n -= take;
    }
    return QC_OK;
}

void qc_arena_reset(qc_arena *arena, bool keep_memory) {
    arena->count = 0;
    if (!keep_memory) release_chunks(arena, 0);
}
