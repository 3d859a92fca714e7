/* Hashing of arbitrary bytes through libxxhash's exported XXH3. */
#include "qc_internal.h"

#include <xxhash.h>

uint64_t qc_hash_bytes(const void *data, size_t len, uint64_t seed) { return XXH3_64bits_withSeed(data, len, seed); }
