/* One group of a lookup's rows folded in one loop: see quarry_core.h. The
 * Swift loop it stands in for spent about 75 instructions a row (the
 * walk's state kept across calls, the tag switch per value, the set of
 * values in its own type); this keeps the walk's state in registers. */
#include "quarry_core.h"

#include <string.h>

static inline uint64_t load64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

static inline int is_nan(uint64_t bits) {
    return (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0x000fffffffffffffull) != 0;
}

static inline double as_double(uint64_t bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* ValueOrder.sortCompare of two doubles: NaN above every number. */
static inline int compare_doubles(uint64_t a, uint64_t b) {
    int an = is_nan(a), bn = is_nan(b);
    if (an || bn) return an ? (bn ? 0 : 1) : -1;
    double x = as_double(a), y = as_double(b);
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* The first of the window's datoms from `from` on whose entity is at
 * least `e`: the step of a walk over rising entities, shared by both loops. */
static inline int64_t first_at_least(const uint8_t *datoms, size_t ds, size_t de, int64_t count, int64_t from,
                                     int64_t e) {
    while (from < count && (int64_t)load64(datoms + (size_t)from * ds + de) < e) from++;
    return from;
}

int qc_lookup_fold_doubles(const void *rows, size_t n, const qc_lookup_layout *layout,
                           qc_lookup_window *window, bool distinct, uint64_t *table,
                           uint32_t *stamps, uint32_t log2, uint32_t stamp, qc_group_fold *out) {
    const uint8_t *row = rows;
    const uint8_t *datoms = window->datoms;
    const int64_t count = window->count, last_entity = window->last_entity;
    const size_t ds = layout->datom_stride, de = layout->datom_e, dv = layout->datom_v, dt = layout->datom_tag;
    int64_t offset = window->offset, last = window->last;
    const uint64_t mask = ((uint64_t)1 << log2) - 1;
    const uint64_t limit = ((uint64_t)1 << log2) / 2;
    qc_group_fold f = {0, 0.0, 0, 0};
    for (size_t r = 0; r < n; r++, row += layout->row_stride) {
        uint8_t tag = row[layout->entity_tag];
        if (tag != layout->tag_int && tag != layout->tag_ref) continue;
        int64_t e = (int64_t)load64(row + layout->entity_word);
        if (e < last || e > last_entity) return 0;
        last = e;
        offset = first_at_least(datoms, ds, de, count, offset, e);
        int64_t j = offset;
        for (; j < count; j++) {
            const uint8_t *d = datoms + (size_t)j * ds;
            if ((int64_t)load64(d + de) != e) break;
            if (d[dt] != layout->tag_double) return 0;
            uint64_t v = load64(d + dv);
            if (distinct) {
                uint64_t i = ((v + layout->tag_double) * 0x9E3779B97F4A7C15ull) >> (64 - log2);
                int seen = 0;
                while (stamps[i] == stamp) {
                    if (table[i] == v) {
                        seen = 1;
                        break;
                    }
                    i = (i + 1) & mask;
                }
                if (seen) continue;
                if ((uint64_t)f.count + 1 > limit) return -1;
                table[i] = v;
                stamps[i] = stamp;
            }
            if (f.count == 0) {
                f.min = f.max = v;
            } else {
                if (compare_doubles(v, f.min) < 0) f.min = v;
                if (compare_doubles(v, f.max) >= 0) f.max = v;
            }
            f.sum += as_double(v);
            f.count++;
        }
        /* The entity's datoms reach the window's end: they may go on past it. */
        if (j == count) return 0;
    }
    window->offset = offset;
    window->last = last;
    *out = f;
    return 1;
}

size_t qc_lookup_extend(const void *rows, size_t n, const qc_lookup_layout *layout, size_t in_arity,
                        qc_lookup_window *window, void *out, size_t out_stride, size_t out_arity, size_t room,
                        int position, long column, size_t *written_out) {
    const uint8_t *row = rows;
    uint8_t *to = out;
    const uint8_t *datoms = window->datoms;
    const int64_t count = window->count, last_entity = window->last_entity;
    const size_t ds = layout->datom_stride, de = layout->datom_e, dv = layout->datom_v, dt = layout->datom_tag;
    const size_t tags_bytes = out_stride - out_arity * 8;
    int64_t offset = window->offset, last = window->last;
    size_t taken = 0, written = 0;
    for (; taken < n; taken++, row += layout->row_stride) {
        uint8_t tag = row[layout->entity_tag];
        if (tag != layout->tag_int && tag != layout->tag_ref) continue;
        int64_t e = (int64_t)load64(row + layout->entity_word);
        if (e < last || e > last_entity) break;
        int64_t at = first_at_least(datoms, ds, de, count, offset, e);
        int64_t j = at;
        while (j < count && (int64_t)load64(datoms + (size_t)j * ds + de) == e) j++;
        /* Datoms up to the window's end may go on past it; and they must all fit. */
        if (j == count || (size_t)(j - at) > room - written) break;
        offset = at;
        last = e;
        for (int64_t k = at; k < j; k++) {
            const uint8_t *d = datoms + (size_t)k * ds;
            memset(to + out_arity * 8, 0, tags_bytes);
            memcpy(to, row, in_arity * 8);
            memcpy(to + out_arity * 8, row + in_arity * 8, in_arity);
            if (column >= 0) {
                uint64_t word = position == 0 ? load64(d + de) : load64(d + dv);
                uint8_t t = position == 0 ? layout->tag_int : d[dt];
                memcpy(to + (size_t)column * 8, &word, 8);
                to[out_arity * 8 + (size_t)column] = t;
            }
            to += out_stride;
            written++;
        }
    }
    window->offset = offset;
    window->last = last;
    *written_out = written;
    return taken;
}
