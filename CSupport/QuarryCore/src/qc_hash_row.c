/* Row keys: XXH3 over a packed row, inlined per arity. */
#include "qc_hash_inline.h"

uint64_t qc_hash_row(const void *row, uint32_t arity, uint64_t seed) { return qc_hash_row_inline(row, arity, seed); }

void qc_hash_rows(const void *rows, size_t n, uint32_t arity, uint64_t seed, uint64_t *out) {
    size_t stride = qc_row_stride(arity);
    const unsigned char *r = rows;
    for (size_t i = 0; i < n; i++, r += stride) out[i] = qc_hash_row_inline(r, arity, seed);
}
