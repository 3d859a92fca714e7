/* The partitioned batch insert: a long batch probed one slice of the slot
 * array at a time, each slice in cache.
 *
 * A row's home slot is the top bits of its hash, so rows sorted by their
 * top hash bits visit the slot array in order: partition p of the batch
 * only touches slice p of the slots (and the start of slice p + 1, where a
 * run spills over). One pass hashes the batch and copies each row into
 * its partition, and then each partition is probed while its slice and
 * its rows stay in cache (L2 up to a few million rows, the last-level
 * cache beyond). That turns the one or two random misses per row of the
 * plain pipeline (slot, then candidate row) into sequential passes.
 *
 * The table keeps insertion order (row i is the i-th distinct row of the
 * batch, which indices_out and every caller rely on), but partitions meet
 * the new rows out of that order. So while probing, a new row's slot holds
 * a provisional entry (count-before + its place in the partitions, where
 * its copy lies for later compares), a bit marks its batch position as
 * new, and a list records (slot, batch position). Once every partition is
 * done, the new rows are appended in batch order; a row's final index is
 * count-before + the number of new rows before it (the rank of its bit),
 * and the list turns each provisional slot into a final one. Equal rows
 * have equal hashes, so every copy of a row is in one partition, and
 * partitions keep batch order: the first copy probed is the first in the
 * batch. */
#include "qc_dedup_internal.h"

#include <stddef.h>
#include <stdint.h>

/* Partitions: enough that a slice of slots (at the batch's largest
 * possible capacity, all rows new) stays under 512 KiB and a partition's
 * row copies under 2 MiB, so that at 50% duplicates both about fit L2
 * (2 MiB a core on this machine kind). Measured in one process at 50%
 * duplicates, 2 MiB of rows against 1 MiB: 1M rows 29.4 against 31.2 ns
 * a row (fewer streams to scatter into), 10M 38.8 against 39.5; 512 KiB:
 * 37.6 against 32.5 at 1M. */
#define QC_PART_SLICE_SLOTS (1u << 16)
#define QC_PART_BYTES (2u << 20)
/* But never more than 64 partitions: the scatter writes one stream per
 * partition, and past 64 streams it falls off a cliff, likely where the
 * hardware's stream prefetcher stops tracking them and every line of the
 * copies waits for memory. A bare scatter of 40-byte entries over 400 MiB
 * measured 9.6 ns a row into 64 streams, 25.9 into 128 and 26.4 into 256
 * (huge pages alike); the real scatter at 10M rows: 7.2 ns into 64, 13.0
 * into 128, 13.6 into 256. Fewer, larger partitions spill from L2 into the
 * last-level cache while probing (17.3 ns a row at 256 partitions, 19.5 at
 * 64), which costs far less: at 10M rows and 50% duplicates, measured in
 * one process, 34.8 against 39.2 ns a row (33.1 against 37.3 with huge
 * pages; 0% duplicates 39.6 against 43.1; 90% 38.5 against 51.9; 30M rows
 * 38.9 against 41.0). */
#define QC_PART_MAX 64u
/* Batches this long take the partitions (the plain batch sizes the table
 * from this length too). Measured against the pipeline in one process,
 * 50% duplicates: 70,000 rows 23 against 27 ns a row, 200,000 rows 23
 * against 35 (sized from partition 0 instead of a pass of its own), 1M 27
 * against 32. */
#define QC_PART_MIN_ROWS 65536u
/* Entries ahead of the probe whose home slot is prefetched (2D), and whose
 * candidate row is prefetched when it is already in the table (D). */
#define QC_PART_DISTANCE 8u
/* Rows ahead that the passes reading the batch or the partitions in order
 * (scatter, probe, append) prefetch. The hardware's stream prefetcher
 * alone leaves those reads waiting on the last-level cache or memory:
 * measured in one process at 50% duplicates, 1M rows 27.1 against 31.8 ns
 * a row, 10M 31.4 against 34.8 (each pass's prefetch alone saved 2 to 3
 * ns at 1M; 128 rows ahead measured the same, 32 to 64 a little worse). */
#define QC_PART_AHEAD 256u

/* Prefetches `offset` bytes past `p`, which may lie past the end of the
 * buffer near its end: an address in integers, not a pointer out of
 * bounds, and a prefetch never faults. */
QC_INLINE void prefetch_ahead(const void *p, size_t offset) {
    __builtin_prefetch((const void *)((uintptr_t)p + offset), 0, 3);
}
/* New rows ahead whose slot the settling pass prefetches: the slice they
 * lie in left the cache long ago. */
#define QC_PART_SETTLE_DISTANCE 16u

/* A partition entry: the high half of the row's hash (all the probe needs:
 * home slot and fragment) over its batch position, then a copy of the row,
 * so that compares against rows new in this batch stay inside the
 * partition instead of reaching back into the batch. */
typedef struct part_entry {
    uint64_t key;
    unsigned char row[];
} part_entry;

QC_INLINE size_t entry_size(size_t stride) { return sizeof(part_entry) + stride; }
QC_INLINE uint64_t key_position(uint64_t key) { return key & 0xFFFFFFFFull; }

/* Scratch for one call, charged to the table's account like the table. */
typedef struct part_scratch {
    unsigned char *entries; /* part_entry after part_entry, partition after partition */
    uint64_t *starts;       /* P + 1: where each partition starts (and where the room of the last ends) */
    uint64_t *ends;         /* P + 1: where each partition ends */
    uint64_t room;          /* entries a partition has room for */
    uint64_t *bits;         /* bit k: batch row k is new */
    uint32_t *ranks;        /* new rows before each 64-row block */
    uint64_t *placed;       /* per new row, in probe order: slot << 32 | batch position */
    size_t usable[5];
    uint32_t parts, part_shift;
} part_scratch;

QC_INLINE part_entry *entry_at(const part_scratch *s, uint64_t i, size_t stride) {
    return (part_entry *)(s->entries + i * entry_size(stride));
}

/* Ranks count bits, once per new row when settling. The baseline x86-64
 * target has no POPCNT instruction, and the dozen instructions that stand
 * in for it cost about 1.4 ns a row at 1M rows (0.6 at 10M), so on x86-64
 * the insert comes in two clones, with POPCNT and without, and the loader
 * picks the one the processor runs. Not under ThreadSanitizer: the loader
 * runs the picker before the sanitizer's runtime is up, and its
 * instrumented entry crashes the process. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QC_UNDER_TSAN 1
#endif
#endif
#if defined(__x86_64__) && !defined(__POPCNT__) && defined(__ELF__) && !defined(QC_UNDER_TSAN)
#define QC_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define QC_POPCNT_CLONES
#endif

static inline uint64_t rank_of(const part_scratch *s, uint64_t k) {
    return s->ranks[k >> 6] + (uint64_t)__builtin_popcountll(s->bits[k >> 6] & ((1ull << (k & 63)) - 1));
}

static void scratch_close(qc_dedup *t, part_scratch *s) {
    qc_free(t->account, s->entries, s->usable[0], qc_dedup_alloc_flags(t));
    qc_free(t->account, s->starts, s->usable[1], 0);
    qc_free(t->account, s->bits, s->usable[2], 0);
    qc_free(t->account, s->ranks, s->usable[3], 0);
    qc_free(t->account, s->placed, s->usable[4], qc_dedup_alloc_flags(t));
}

static bool scratch_open(qc_dedup *t, size_t n, uint32_t parts, part_scratch *s) {
    qc_status status = QC_OK;
    size_t blocks = (n + 63) / 64;
    memset(s, 0, sizeof(*s));
    s->parts = parts;
    s->part_shift = 64u - (uint32_t)__builtin_ctz(parts);
    uint64_t mean = n / parts, spread = 1;
    while (spread * spread < mean) spread++;
    s->room = mean + 8 * spread + 16;
    s->entries = qc_alloc(t->account, parts * s->room * entry_size(t->stride), qc_dedup_alloc_flags(t), &s->usable[0], &status);
    if (s->entries) s->starts = qc_alloc(t->account, (2 * (size_t)parts + 2) * 8u, 0, &s->usable[1], &status);
    s->ends = s->starts ? s->starts + parts + 1 : NULL;
    if (s->starts) s->bits = qc_calloc(t->account, blocks * 8u, 0, &s->usable[2], &status);
    if (s->bits) s->ranks = qc_alloc(t->account, blocks * 4u, 0, &s->usable[3], &status);
    if (s->ranks) s->placed = qc_alloc(t->account, n * 8u, qc_dedup_alloc_flags(t), &s->usable[4], &status);
    if (s->placed) return true;
    scratch_close(t, s);
    return false;
}

static uint32_t partition_count(const qc_dedup *t, size_t n) {
    uint64_t by_slots = qc_slot_index_capacity_for(t->rows->count + n) / QC_PART_SLICE_SLOTS;
    uint64_t by_rows = (uint64_t)n * entry_size(t->stride) / QC_PART_BYTES;
    uint64_t want = by_slots > by_rows ? by_slots : by_rows, parts = 2;
    while (parts < want && parts < QC_PART_MAX) parts <<= 1;
    return (uint32_t)parts;
}

bool qc_dedup_partition_fits(const qc_dedup *t, size_t n) {
    uint64_t most = t->rows->count + (uint64_t)n;
    /* Without sizing up front, a slice would hold its whole partition at a
     * capacity meant for the rows probed so far: see presize_partitioned.
     * Provisional entries (count + a place in the partitions, whose room
     * adds under 1% at that size) must stay below 2^32 - 1: the entry
     * limit, 3 * 2^30, keeps them there. */
    if ((t->flags & (QC_DEDUP_NO_PRESIZE | QC_DEDUP_NO_PARTITION)) || n == 0 || most >= QC_SLOT_MAX_ENTRIES)
        return false;
    if (t->flags & QC_DEDUP_ALWAYS_PARTITION) return true;
    /* The slot sweep a growth calls for should stay small beside the batch. */
    return n >= QC_PART_MIN_ROWS && t->index.mask + 1 <= 8 * (uint64_t)n;
}

/* Copies row k into its partition; false if the partition is full. */
QC_INLINE bool place(const qc_dedup *t, const unsigned char *row, uint64_t k, part_scratch *s, const uint64_t *limits,
                     uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t h = qc_dedup_hash(t, row, arity), p = h >> s->part_shift, i = s->ends[p]++;
    if (QC_UNLIKELY(i >= limits[p])) return false;
    part_entry *e = entry_at(s, i, stride);
    e->key = (h >> 32 << 32) | k;
    memcpy(e->row, row, stride);
    return true;
}

/* Copies the batch into partitions by the top bits of the hash. Partition
 * sizes are binomial around n / P, so one pass into room for the mean plus
 * 8 standard deviations (6% more rows at 1M) nearly always fits; if one
 * partition overflows (skewed hashes), a pass that counts them first
 * places the batch exactly. */
QC_INLINE void scatter(const qc_dedup *t, const unsigned char *base, size_t n, part_scratch *s, uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t *starts = s->starts, *ends = s->ends;
    for (uint32_t p = 0; p <= s->parts; p++) starts[p] = ends[p] = p * s->room;
    bool fits = true;
    for (size_t k = 0; k < n && fits; k++) {
        prefetch_ahead(base + k * stride, QC_PART_AHEAD * stride);
        fits = place(t, base + k * stride, k, s, starts + 1, arity);
    }
    if (fits) return;
    memset(starts, 0, (size_t)(s->parts + 1) * 8u);
    for (size_t k = 0; k < n; k++) starts[(qc_dedup_hash(t, base + k * stride, arity) >> s->part_shift) + 1]++;
    for (uint32_t p = 0; p < s->parts; p++) starts[p + 1] += starts[p];
    for (uint32_t p = 0; p < s->parts; p++) ends[p] = starts[p];
    for (size_t k = 0; k < n; k++) place(t, base + k * stride, k, s, starts + 1, arity);
}

/* Sizes the table for the batch before any probing. Growth looks at the
 * whole table's load, which lags while partitions fill their slices one by
 * one: a slice only has room for its partition once the table has its
 * final size (grown as it fills, partition 0 alone would pile into a slice
 * of a table sized for it: measured 250 ns a row). The estimate samples on
 * hash values like the plain batch's (every copy of a row or none: the
 * rows whose top bits are 0), and those rows are all in partition 0, so it
 * reads only that. A short estimate costs a growth late in the probe. */
QC_INLINE void presize_partitioned(qc_dedup *t, const part_scratch *s, uint64_t before, size_t n, uint32_t arity) {
    if (qc_dedup_sized_for(t, n)) return;
    const size_t stride = qc_dedup_stride(t, arity);
    const unsigned part_bits = 64u - s->part_shift;
    uint64_t first = s->ends[0];
    unsigned bits = part_bits;
    while ((first >> (bits - part_bits)) > QC_SAMPLE_ROWS && bits < 48) bits++;
    qc_sample sample;
    if (!qc_sample_open(t, &sample)) return;
    uint64_t i = 0;
    for (; i < first && !qc_sample_full(&sample); i++) {
        const part_entry *e = entry_at(s, i, stride);
        if (e->key >> (64 - bits)) continue;
        if (qc_sample_note(&sample, e->key >> 32) && (before == 0 || qc_dedup_find(t, e->row) < 0)) sample.fresh++;
    }
    /* Some slack: the estimate is about 2.5% off at 1,500 sampled rows, and
     * falling short near a capacity step costs more here than in the plain
     * batch (a growth late in the probe: 46 against 34 ns a row measured at
     * 200,000 rows) while overshooting one only doubles the slots. */
    uint64_t expect = qc_sample_close(t, &sample, bits, i, first);
    expect += expect / 16;
    if (expect > n) expect = n;
    if (before + expect > t->index.grow_at) (void)qc_dedup_reserve(t, before + expect);
}

typedef struct part_probe {
    qc_provisional provisional; /* .before: rows in the table before the batch */
    uint64_t fresh;             /* new rows so far */
    uint64_t generation;        /* the slot index's generation before the probe: a later one moved slots */
    qc_probe_counts counts;
} part_probe;

/* Grows the table for a new entry and finds its empty slot in the new
 * slots: out of line and cold, like the plain insert's. */
__attribute__((noinline, cold)) static qc_status grow_for_entry(qc_dedup *t, const unsigned char *row, uint64_t key,
                                                               size_t stride, part_probe *pp, uint64_t *at) {
    qc_status status = qc_dedup_make_room(t, pp->provisional.before + pp->fresh);
    if (status == QC_OK) (void)qc_dedup_search(t, row, key, stride, &pp->provisional, &pp->counts, at);
    return status;
}

/* Probes entry i; a new row gets a provisional slot, its bit and its line
 * in the list. */
QC_INLINE qc_status probe_entry(qc_dedup *t, uint64_t i, part_scratch *s, uint64_t *indices_out, part_probe *pp,
                                uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity);
    const uint64_t before = pp->provisional.before;
    const part_entry *en = entry_at(s, i, stride);
    const uint64_t key = en->key, k = key_position(key);
    uint64_t at;
    if (qc_dedup_search(t, en->row, key, stride, &pp->provisional, &pp->counts, &at)) {
        if (indices_out)
            indices_out[k] = at < before ? at : before + key_position(entry_at(s, at - before, stride)->key);
        return QC_OK;
    }
    /* A row already held never grows the table; a new one may. */
    if (QC_UNLIKELY(before + pp->fresh >= t->index.grow_at)) {
        qc_status status = grow_for_entry(t, en->row, key, stride, pp, &at);
        if (status != QC_OK) return status;
    }
    t->index.slots[at] = qc_slot_make(key, before + i);
    s->bits[k >> 6] |= 1ull << (k & 63);
    s->placed[pp->fresh++] = at << 32 | k;
    return QC_OK;
}

/* Probes the entries [first, end) of one partition, prefetching the
 * entries themselves QC_PART_AHEAD ahead, home slots 2D entries ahead
 * (their first touch) and, for rows already in the table, candidate rows D
 * entries ahead. */
QC_INLINE qc_status probe_partition(qc_dedup *t, part_scratch *s, uint64_t first, uint64_t end,
                                    uint64_t *indices_out, part_probe *pp, uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity), d = QC_PART_DISTANCE;
    for (uint64_t i = first; i < end; i++) {
        prefetch_ahead(entry_at(s, i, stride), QC_PART_AHEAD * entry_size(stride));
        if (i + 2 * d < end)
            __builtin_prefetch(&t->index.slots[qc_slot_home(&t->index, entry_at(s, i + 2 * d, stride)->key)], 1, 3);
        if (pp->provisional.before && i + d < end) {
            uint64_t key = entry_at(s, i + d, stride)->key, slot = t->index.slots[qc_slot_home(&t->index, key)];
            if (slot != 0 && qc_slot_fragment_matches(slot, key) && qc_slot_entry(slot) < pp->provisional.before)
                __builtin_prefetch(qc_arena_row_ptr(t->rows, qc_slot_entry(slot)), 0, 3);
        }
        qc_status status = probe_entry(t, i, s, indices_out, pp, arity);
        if (status != QC_OK) return status;
    }
    return QC_OK;
}

/* Turns provisional slots into final ones. The list knows where each one
 * is, unless a growth moved them: then every slot is looked at. */
QC_INLINE void settle_slots(qc_dedup *t, const part_scratch *s, const part_probe *pp, uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity);
    uint64_t *slots = t->index.slots, before = pp->provisional.before;
    if (t->index.generation == pp->generation) {
        for (uint64_t j = 0; j < pp->fresh; j++) {
            if (j + QC_PART_SETTLE_DISTANCE < pp->fresh)
                __builtin_prefetch(&slots[s->placed[j + QC_PART_SETTLE_DISTANCE] >> 32], 1, 3);
            uint64_t line = s->placed[j], pos = line >> 32;
            slots[pos] = qc_slot_make(slots[pos], before + rank_of(s, key_position(line)));
        }
        return;
    }
    for (uint64_t j = 0, cap = t->index.mask + 1; j < cap; j++) {
        uint64_t slot = slots[j], e = qc_slot_entry(slot);
        if (slot != 0 && e >= before)
            slots[j] = qc_slot_make(slot, before + rank_of(s, key_position(entry_at(s, e - before, stride)->key)));
    }
}

/* Appends the new rows in batch order and settles every index. */
QC_INLINE void commit(qc_dedup *t, const unsigned char *base, size_t n, part_scratch *s, uint64_t *indices_out,
                      uint8_t *inserted_out, const part_probe *pp, uint32_t arity) {
    const size_t stride = qc_dedup_stride(t, arity), blocks = (n + 63) / 64;
    const uint64_t before = pp->provisional.before;
    uint64_t r = 0;
    for (size_t b = 0; b < blocks; b++) {
        s->ranks[b] = (uint32_t)r;
        r += (uint64_t)__builtin_popcountll(s->bits[b]);
    }
    qc_status ignored = QC_OK; /* the storage was reserved: pushes cannot fail */
    for (size_t b = 0; b < blocks; b++)
        for (uint64_t w = s->bits[b]; w; w &= w - 1) {
            unsigned char *dst = qc_arena_push_fast(t->rows, &ignored);
            const size_t k = b * 64 + (size_t)__builtin_ctzll(w);
            prefetch_ahead(base + k * stride, QC_PART_AHEAD * stride);
            memcpy(dst, base + k * stride, stride);
        }
    for (size_t k = 0; (indices_out || inserted_out) && k < n; k++) {
        bool fresh = (s->bits[k >> 6] >> (k & 63)) & 1;
        if (inserted_out) inserted_out[k] = fresh;
        if (!indices_out) continue;
        uint64_t e = fresh ? before + k : indices_out[k];
        indices_out[k] = e < before ? e : before + rank_of(s, e - before);
    }
    settle_slots(t, s, pp, arity);
}

QC_INLINE bool insert_partitioned(qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                  uint8_t *inserted_out, uint64_t *new_rows_out, uint32_t arity) {
    const unsigned char *base = rows;
    part_scratch s;
    if (!scratch_open(t, n, partition_count(t, n), &s)) return false;
    scatter(t, base, n, &s, arity);
    const uint64_t before = t->rows->count;
    presize_partitioned(t, &s, before, n, arity);
    part_probe pp = {.provisional = {before, s.entries + offsetof(part_entry, row), entry_size(qc_dedup_stride(t, arity))},
                     .generation = t->index.generation};
    qc_status status = QC_OK;
    for (uint32_t p = 0; p < s.parts && status == QC_OK; p++)
        status = probe_partition(t, &s, s.starts[p], s.ends[p], indices_out, &pp, arity);
    if (status == QC_OK) status = qc_arena_reserve(t->rows, before + pp.fresh);
    if (status != QC_OK) {
        qc_slot_index_drop_from(&t->index, before);
        scratch_close(t, &s);
        return false;
    }
    commit(t, base, n, &s, indices_out, inserted_out, &pp, arity);
    scratch_close(t, &s);
    qc_dedup_add_counts(t, &pp.counts);
    if (new_rows_out) *new_rows_out = pp.fresh;
    return true;
}

QC_POPCNT_CLONES
bool qc_dedup_insert_partitioned(qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                 uint8_t *inserted_out, uint64_t *new_rows_out) {
    QC_BY_ARITY(t, insert_partitioned, t, rows, n, indices_out, inserted_out, new_rows_out)
}
