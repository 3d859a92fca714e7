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
static inline uint64_t qc_hash_row_inline(const void *row, uint32_t arity, uint64_t seed) {
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

/* Row equality at a constant width for the common arities. */
static inline bool qc_rows_equal(const void *a, const void *b, uint32_t arity, size_t stride) {
    switch (arity) {
    case 1: return memcmp(a, b, 16) == 0;
    case 2: return memcmp(a, b, 24) == 0;
    case 3: return memcmp(a, b, 32) == 0;
    case 4: return memcmp(a, b, 40) == 0;
    default: return memcmp(a, b, stride) == 0;
    }
}

#endif /* QC_HASH_INLINE_H */
