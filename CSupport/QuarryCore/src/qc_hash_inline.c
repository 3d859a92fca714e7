/* Row keys and fixed-width keys: XXH3 inlined per width. */
#include "qc_hash_inline.h"

uint64_t qc_hash_row(const void *row, uint32_t arity, uint64_t seed) { return qc_hash_row_inline(row, arity, seed); }

void qc_hash_rows(const void *rows, size_t n, uint32_t arity, uint64_t seed, uint64_t *out) {
    size_t stride = qc_row_stride(arity);
    const unsigned char *r = rows;
    for (size_t i = 0; i < n; i++, r += stride) out[i] = qc_hash_row_inline(r, arity, seed);
}

/* One loop per constant width, so each inlines XXH3's path for it. */
#define QC_HASH_KEYS_AT(width)                                                                     \
    for (size_t i = 0; i < n; i++) out[i] = XXH3_64bits_withSeed(p + i * (width), (width), seed); \
    return

void qc_hash_keys(const void *keys, size_t len, size_t n, uint64_t seed, uint64_t *out) {
    const unsigned char *p = keys;
    switch (len) {
    case 8: QC_HASH_KEYS_AT(8);
    case 16: QC_HASH_KEYS_AT(16);
    case 24: QC_HASH_KEYS_AT(24);
    case 32: QC_HASH_KEYS_AT(32);
    case 40: QC_HASH_KEYS_AT(40);
    case 48: QC_HASH_KEYS_AT(48);
    case 64: QC_HASH_KEYS_AT(64);
    default:
        for (size_t i = 0; i < n; i++) out[i] = XXH3_64bits_withSeed(p + i * len, len, seed);
    }
}
