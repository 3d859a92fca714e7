/* XXH3 inlined where the row width is a compile-time constant. Included by
 * the translation units that hash rows in hot loops; the library's exported
 * functions (qc_hash_bytes) serve everything else. */
#ifndef QC_HASH_INLINE_H
#define QC_HASH_INLINE_H

#include "qc_internal.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Rows of arity 1..8 are 16, 24, 32, 40, 48, 56, 64 and 72 bytes wide
 * (payload plus one 8-byte tag word). Each case gives XXH3 a constant
 * length so the compiler keeps only the path for that length. */
QC_INLINE uint64_t qc_hash_row_inline(const void *row, uint32_t arity, uint64_t seed) {
    switch (arity) {
    case 1: return XXH3_64bits_withSeed(row, 16, seed);
    case 2: return XXH3_64bits_withSeed(row, 24, seed);
    case 3: return XXH3_64bits_withSeed(row, 32, seed);
    case 4: return XXH3_64bits_withSeed(row, 40, seed);
    case 5: return XXH3_64bits_withSeed(row, 48, seed);
    case 6: return XXH3_64bits_withSeed(row, 56, seed);
    case 7: return XXH3_64bits_withSeed(row, 64, seed);
    case 8: return XXH3_64bits_withSeed(row, 72, seed);
    default: return XXH3_64bits_withSeed(row, qc_row_stride(arity), seed);
    }
}

/* Row equality. Inlined where `stride` is a constant, it becomes a few
 * branch-free word compares; otherwise memcmp. */
QC_INLINE bool qc_rows_equal(const void *a, const void *b, size_t stride) {
    if (stride <= 80) {
        const unsigned char *x = a, *y = b;
        uint64_t diff = 0;
        for (size_t i = 0; i < stride; i += 8) {
            uint64_t u, v;
            memcpy(&u, x + i, 8);
            memcpy(&v, y + i, 8);
            diff |= u ^ v;
        }
        return diff == 0;
    }
    return memcmp(a, b, stride) == 0;
}

#endif /* QC_HASH_INLINE_H */
