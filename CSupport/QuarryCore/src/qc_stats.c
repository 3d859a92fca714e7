/* Process-wide allocator figures and the full statistics dump. */
#include "qc_internal.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef QUARRY_JEMALLOC
#include <jemalloc/jemalloc.h>

static uint64_t read_size(const char *name) {
    size_t value = 0, sz = sizeof(value);
    if (mallctl(name, &value, &sz, NULL, 0) != 0) return 0;
    return (uint64_t)value;
}

static uint64_t read_u64(const char *name) {
    uint64_t value = 0;
    size_t sz = sizeof(value);
    if (mallctl(name, &value, &sz, NULL, 0) != 0) return 0;
    return value;
}

qc_status qc_process_read(qc_process_memory *out) {
    memset(out, 0, sizeof(*out));
    /* Small allocations sit in the thread cache until flushed; flush so the
     * arena counters include them. Fails harmlessly when tcache is off. */
    (void)mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    if (mallctl("epoch", &epoch, &sz, &epoch, sz) != 0) return QC_ERR_BACKEND;
    out->available = true;
    out->allocated = read_size("stats.allocated");
    out->active = read_size("stats.active");
    out->resident = read_size("stats.resident");
    out->mapped = read_size("stats.mapped");
    out->retained = read_size("stats.retained");
    out->metadata = read_size("stats.metadata");
    out->thread_allocated = read_u64("thread.allocated");
    out->thread_deallocated = read_u64("thread.deallocated");

    char name[96];
    uint32_t arena = qc_mem_arena_index();
    if (arena != UINT32_MAX) {
        snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", arena);
        out->engine_arena_allocated = read_size(name);
        snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", arena);
        out->engine_arena_allocated += read_size(name);
    }
    snprintf(name, sizeof(name), "stats.arenas.%u.small.nmalloc", (unsigned)MALLCTL_ARENAS_ALL);
    out->process_allocations = read_u64(name);
    snprintf(name, sizeof(name), "stats.arenas.%u.large.nmalloc", (unsigned)MALLCTL_ARENAS_ALL);
    out->process_allocations += read_u64(name);
    return QC_OK;
}

#else

qc_status qc_process_read(qc_process_memory *out) {
    memset(out, 0, sizeof(*out));
    return QC_OK;
}

#endif

/* A growable text buffer on the ordinary heap: the dump describes the
 * allocator, so it must not allocate through the core it reports on. */
typedef struct text {
    char *data;
    size_t len, cap;
    bool failed;
} text;

static void text_append(text *t, const char *s, size_t n) {
    if (t->failed) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1) cap *= 2;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = 0;
}

#ifdef QUARRY_JEMALLOC
static void write_cb(void *opaque, const char *s) { text_append((text *)opaque, s, strlen(s)); }
#endif

char *qc_stats_json(size_t *len_out) {
    text t = {0};
#ifdef QUARRY_JEMALLOC
    malloc_stats_print(write_cb, &t, "J");
#else
    static const char system_json[] = "{\"allocator\": \"system\", \"note\": \"built without the Jemalloc trait\"}";
    text_append(&t, system_json, sizeof(system_json) - 1);
#endif
    if (t.failed || !t.data) {
        free(t.data);
        return NULL;
    }
    if (len_out) *len_out = t.len;
    return t.data;
}

void qc_stats_json_free(char *json) { free(json); }
