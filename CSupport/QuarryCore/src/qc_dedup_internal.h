/* The dedup table's layout, shared by its lifecycle and insertion files. */
#ifndef QC_DEDUP_INTERNAL_H
#define QC_DEDUP_INTERNAL_H

#include "qc_hash_inline.h"

struct qc_dedup {
    qc_arena *rows;          /* the distinct rows, in insertion order */
    qc_slot_index index;     /* entry i of the index is row i */
    uint64_t seed;
    uint64_t reserved;       /* rows the caller reserved storage for (qc_dedup_reserve_storage) */
    uint32_t arity;
    uint32_t stride;
    uint32_t flags;
    size_t self_usable;
    qc_account *account;
    qc_dedup_probe_stats stats;
};

/* Hash of a row; `arity` is passed apart so that, inlined with a constant,
 * only XXH3's path for that width remains. */
QC_INLINE uint64_t qc_dedup_hash(const struct qc_dedup *t, const void *row, uint32_t arity) {
    uint64_t h = qc_hash_row_inline(row, arity, t->seed);
    if (QC_UNLIKELY(t->flags & QC_DEDUP_WEAK_HASH)) h = (h & 0xF) * 0x0101010101010101ull;
    return h;
}

/* Row width for a body specialised on `arity`: a constant for arities 1..4
 * (the dispatch passes t->arity itself otherwise). */
QC_INLINE size_t qc_dedup_stride(const struct qc_dedup *t, uint32_t arity) {
    return arity <= 4 ? (size_t)arity * 8u + 8u : t->stride;
}

/* Calls BODY(args, arity) with a constant arity for 1..4, else t->arity. */
#define QC_BY_ARITY(t, BODY, ...)                            \
    switch ((t)->arity) {                                    \
    case 1: return BODY(__VA_ARGS__, 1);                     \
    case 2: return BODY(__VA_ARGS__, 2);                     \
    case 3: return BODY(__VA_ARGS__, 3);                     \
    case 4: return BODY(__VA_ARGS__, 4);                     \
    default: return BODY(__VA_ARGS__, (t)->arity);           \
    }

/* Rows the sizing estimate samples, about; its table of sampled values
 * (QC_SAMPLE_SLOTS words, zeroed) stays at most 1/2 full: 2x the expected
 * sample, then the estimate extrapolates. */
#define QC_SAMPLE_ROWS 4096u
#define QC_SAMPLE_SLOTS 16384u

/* A sizing estimate's sample: the distinct values sampled so far (in a
 * table of QC_SAMPLE_SLOTS words, charged to the table's account) and how
 * many of their rows were new to the table. Both estimates (the plain
 * batch's and the partitioned one's) fill one. */
typedef struct qc_sample {
    uint64_t *seen;
    size_t usable;
    uint64_t sampled, fresh;
} qc_sample;

static inline bool qc_sample_open(struct qc_dedup *t, qc_sample *s) {
    qc_status status = QC_OK;
    s->sampled = s->fresh = 0;
    s->seen = qc_calloc(t->account, QC_SAMPLE_SLOTS * 8u, 0, &s->usable, &status);
    return s->seen != NULL;
}

/* Whether the table holds all it should (then the estimate extrapolates). */
static inline bool qc_sample_full(const qc_sample *s) { return s->sampled >= QC_SAMPLE_SLOTS / 2; }

/* Notes a sampled value; false if it was there already. */
static inline bool qc_sample_note(qc_sample *s, uint64_t value) {
    uint64_t *seen = s->seen, pos = value & (QC_SAMPLE_SLOTS - 1), mark = value + 1; /* 0 marks an empty slot */
    while (seen[pos] && seen[pos] != mark) pos = (pos + 1) & (QC_SAMPLE_SLOTS - 1);
    if (seen[pos]) return false;
    seen[pos] = mark;
    s->sampled++;
    return true;
}

/* Frees the sample and returns its estimate of the new distinct rows: the
 * fresh ones sampled, 1 in 2^bits of the values, scaled up by 2^bits and
 * by `total` / `read` when it filled before reading all `total` rows. */
static inline uint64_t qc_sample_close(struct qc_dedup *t, qc_sample *s, unsigned bits, uint64_t read,
                                       uint64_t total) {
    qc_free(t->account, s->seen, s->usable, 0);
    return (uint64_t)((double)(s->fresh << bits) * ((double)total / (double)(read ? read : 1)));
}

/* Whether a batch of n rows needs no sizing up front (either estimate's
 * guard): the caller reserved storage for more rows than the table holds
 * (it knew the size), or all n could be new without a growth. */
static inline bool qc_dedup_sized_for(const struct qc_dedup *t, size_t n) {
    return t->reserved > t->rows->count || t->rows->count + n <= t->index.grow_at;
}

static inline uint32_t qc_dedup_alloc_flags(const struct qc_dedup *t) { return t->flags & QC_HUGEPAGES; }

/* Probe figures a call gathers in locals, which stay in registers through
 * its loop (the table's own figures may alias the rows it writes), and adds
 * to the table's once at the end. */
typedef struct qc_probe_counts {
    uint64_t probes, fragment_matches, false_matches;
} qc_probe_counts;

static inline void qc_dedup_add_counts(struct qc_dedup *t, const qc_probe_counts *c) {
    t->stats.probes += c->probes;
    t->stats.fragment_matches += c->fragment_matches;
    t->stats.false_matches += c->false_matches;
}

/* Grows the slot array if `held` entries are as many as it takes. */
QC_INLINE qc_status qc_dedup_make_room(struct qc_dedup *t, uint64_t held) {
    if (QC_LIKELY(held < t->index.grow_at)) return QC_OK;
    qc_status status = qc_slot_index_grow(&t->index, t->account, qc_dedup_alloc_flags(t), held + 1);
    if (status == QC_OK) t->stats.grows++;
    return status;
}

/* Entries the partitioned insert placed before their rows joined the table
 * (qc_dedup_partition.c): entry `before` + i stands for the row copy at
 * `rows` + i * `size`. */
typedef struct qc_provisional {
    uint64_t before;
    const unsigned char *rows;
    size_t size;
} qc_provisional;

/* Searches the slots for `row`, whose hash is h. True with *at = the entry
 * of the equal row; false with *at = the empty slot where the row goes.
 * `provisional` (NULL but in the partitioned insert) says where entries
 * from `before` on find their rows. */
QC_INLINE bool qc_dedup_search(const struct qc_dedup *t, const unsigned char *row, uint64_t h, size_t stride,
                               const qc_provisional *provisional, qc_probe_counts *counts, uint64_t *at) {
    const uint64_t *slots = t->index.slots;
    uint64_t mask = t->index.mask, pos = qc_slot_home(&t->index, h), probes = 1;
    for (;; probes++) {
        uint64_t slot = slots[pos];
        if (slot == 0) break;
        if (qc_slot_fragment_matches(slot, h)) {
            uint64_t e = qc_slot_entry(slot);
            const unsigned char *other = provisional && e >= provisional->before
                                             ? provisional->rows + (e - provisional->before) * provisional->size
                                             : qc_arena_row_ptr(t->rows, e);
            counts->fragment_matches++;
            if (qc_rows_equal(other, row, stride)) {
                counts->probes += probes;
                *at = e;
                return true;
            }
            counts->false_matches++;
        }
        pos = (pos + 1) & mask;
    }
    counts->probes += probes;
    *at = pos;
    return false;
}

/* Whether a batch of n rows should take the partitioned insert
 * (qc_dedup_partition.c): long, and not into a table many times its
 * length. */
bool qc_dedup_partition_fits(const struct qc_dedup *t, size_t n);

/* Inserts the whole batch partition by partition, with the results of
 * qc_dedup_insert_batch. False if it could not (scratch, growth or row
 * storage refused): the table is then as it was, and the caller inserts
 * the batch the plain way, which stops where the shortage really is. */
bool qc_dedup_insert_partitioned(struct qc_dedup *t, const void *rows, size_t n, uint64_t *indices_out,
                                 uint8_t *inserted_out, uint64_t *new_rows_out);

#endif /* QC_DEDUP_INTERNAL_H */
