/*
 * quarry_core_testing.h — switches for Quarry's own tests and benchmarks.
 *
 * Not part of the core's API: nothing here is needed to use the core, and
 * each switch either makes it slower on purpose or makes it fail. Swift
 * reaches them through `@_spi(Testing)` only.
 */
#ifndef QUARRY_CORE_TESTING_H
#define QUARRY_CORE_TESTING_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Dedup table flags (qc_dedup_create). */

/* Keep only 4 bits of each hash, forcing collisions of full hashes and
 * fragments alike. Correct, and slow on purpose. */
#define QC_DEDUP_WEAK_HASH 0x100u
/* Turn the up-front sizing of long batches off, so the table grows as it
 * fills; benchmarks use it to show what sizing buys. */
#define QC_DEDUP_NO_PRESIZE 0x200u
/* Keep every batch on the prefetching pipeline; benchmarks use it to show
 * what partitions buy. Tables without presizing never partition (a slice
 * needs the table's final size). */
#define QC_DEDUP_NO_PARTITION 0x400u
/* Partition every batch, whatever its length and the table's size, so
 * that tests reach the partitioned insert's rare paths (skewed partitions,
 * growth while probing) with few rows. */
#define QC_DEDUP_ALWAYS_PARTITION 0x800u

/* Fault injection. Makes the nth engine allocation from now on fail with
 * QC_ERR_NOMEM (1: the next one; 0: none), counting every allocation and
 * in-place growth of the whole process. Only one failure is armed at a
 * time; tests that use it must not run beside other users of the core. */
void qc_testing_fail_allocation(uint64_t nth);

/* Allocations counted since the last qc_testing_fail_allocation with a
 * non-zero nth: after a run that did not fail, how many points there were
 * to fail at. */
uint64_t qc_testing_allocations_seen(void);

/* Runs `trials` random trials of the slot index that dedup tables and
 * interners share, against a model: entries placed with random hashes
 * (half the trials crowd their homes at the end of the array so that runs
 * wrap), growing as they go, then a provisional drop of the later ones, as
 * a failed partitioned insert does. Returns how many trials lost a kept
 * entry or kept a dropped one (0 is right), or UINT64_MAX when memory ran
 * out. Deterministic for a seed. */
uint64_t qc_testing_slot_index_trials(uint64_t seed, uint64_t trials);

#ifdef __cplusplus
}
#endif

#endif /* QUARRY_CORE_TESTING_H */
