/* Interning of byte strings: text lives in large chunks, an entry per id
 * points at it, and a slot index finds the id from the bytes. */
#include "qc_internal.h"

#include <xxhash.h>

#define QC_INTERN_CHUNK 65536u
#define QC_INTERN_SEED 0x51A9C0DEu

typedef struct intern_entry {
    const char *bytes;
    uint64_t len;
} intern_entry;

/* Chunks form a list through this header; text follows it. */
typedef struct intern_chunk {
    struct intern_chunk *next;
    size_t usable;
} intern_chunk;

struct qc_interner {
    qc_slot_index index;
    intern_entry *entries;
    size_t entries_usable;
    uint64_t entries_cap;
    uint64_t count;
    intern_chunk *chunks;    /* newest first */
    char *cursor;            /* free space in the newest chunk */
    size_t space;
    uint64_t bytes_held;     /* usable bytes of chunks and arrays */
    size_t self_usable;
    qc_account *account;
};

qc_status qc_interner_create(qc_account *account, qc_interner **out) {
    qc_status status = QC_OK;
    size_t usable;
    qc_interner *x = qc_calloc(account, sizeof(*x), 0, &usable, &status);
    if (!x) return status;
    x->self_usable = usable;
    x->account = account;
    status = qc_slot_index_resize(&x->index, account, 0, QC_SLOT_MIN_CAPACITY);
    if (status != QC_OK) {
        qc_interner_destroy(x);
        return status;
    }
    *out = x;
    return QC_OK;
}

void qc_interner_destroy(qc_interner *x) {
    if (!x) return;
    for (intern_chunk *c = x->chunks; c;) {
        intern_chunk *next = c->next;
        qc_free(x->account, c, c->usable, 0);
        c = next;
    }
    qc_free(x->account, x->entries, x->entries_usable, 0);
    qc_slot_index_free(&x->index, x->account, 0);
    qc_free(x->account, x, x->self_usable, 0);
}

static uint64_t text_hash(const void *bytes, size_t len) { return XXH3_64bits_withSeed(bytes, len, QC_INTERN_SEED); }

static int64_t find_hashed(const qc_interner *x, const void *bytes, size_t len, uint64_t h, uint64_t *pos_out) {
    uint64_t mask = x->index.mask, pos = qc_slot_home(&x->index, h);
    for (;;) {
        uint64_t s = x->index.slots[pos];
        if (s == 0) {
            *pos_out = pos;
            return -1;
        }
        if (qc_slot_fragment_matches(s, h)) {
            const intern_entry *e = &x->entries[qc_slot_entry(s)];
            if (e->len == len && memcmp(e->bytes, bytes, len) == 0) return (int64_t)qc_slot_entry(s);
        }
        pos = (pos + 1) & mask;
    }
}

/* Copies the text (plus a NUL) into chunk space, opening a chunk if needed;
 * a text larger than a quarter chunk gets a chunk of its own. */
static const char *store_text(qc_interner *x, const void *bytes, size_t len, qc_status *status) {
    size_t need = len + 1;
    if (need > x->space) {
        size_t size = sizeof(intern_chunk) + (need > QC_INTERN_CHUNK / 4 ? need : QC_INTERN_CHUNK);
        size_t usable;
        intern_chunk *c = qc_alloc(x->account, size, 0, &usable, status);
        if (!c) return NULL;
        c->usable = usable;
        x->bytes_held += usable;
        char *text = (char *)(c + 1);
        size_t space = usable - sizeof(intern_chunk);
        if (need > QC_INTERN_CHUNK / 4 && x->chunks) {
            /* A private chunk goes behind the current one, which keeps its space. */
            c->next = x->chunks->next;
            x->chunks->next = c;
            memcpy(text, bytes, len);
            text[len] = 0;
            return text;
        }
        c->next = x->chunks;
        x->chunks = c;
        x->cursor = text;
        x->space = space;
    }
    char *text = x->cursor;
    memcpy(text, bytes, len);
    text[len] = 0;
    x->cursor += need;
    x->space -= need;
    return text;
}

static qc_status ensure_entry_room(qc_interner *x) {
    if (x->count < x->entries_cap) return QC_OK;
    qc_status status = QC_OK;
    uint64_t cap = x->entries_cap ? x->entries_cap * 2 : 64;
    size_t usable;
    intern_entry *grown = qc_alloc(x->account, (size_t)cap * sizeof(intern_entry), 0, &usable, &status);
    if (!grown) return status;
    if (x->count) memcpy(grown, x->entries, (size_t)x->count * sizeof(intern_entry));
    qc_free(x->account, x->entries, x->entries_usable, 0);
    x->bytes_held += usable;
    x->bytes_held -= x->entries_usable;
    x->entries = grown;
    x->entries_usable = usable;
    x->entries_cap = usable / sizeof(intern_entry);
    return QC_OK;
}

qc_status qc_intern(qc_interner *x, const void *bytes, size_t len, uint64_t *id_out, bool *inserted_out) {
    if (len == 0) bytes = ""; /* callers may pass NULL for empty text */
    uint64_t h = text_hash(bytes, len), pos;
    int64_t found = find_hashed(x, bytes, len, h, &pos);
    if (found >= 0) {
        *id_out = (uint64_t)found;
        if (inserted_out) *inserted_out = false;
        return QC_OK;
    }
    qc_status status = QC_OK;
    if (x->count >= x->index.grow_at) {
        status = qc_slot_index_grow(&x->index, x->account, 0, x->count + 1);
        if (status != QC_OK) return status;
        (void)find_hashed(x, bytes, len, h, &pos);
    }
    if ((status = ensure_entry_room(x)) != QC_OK) return status;
    const char *text = store_text(x, bytes, len, &status);
    if (!text) return status;
    uint64_t id = x->count++;
    x->entries[id] = (intern_entry){text, len};
    x->index.slots[pos] = qc_slot_make(h, id);
    *id_out = id;
    if (inserted_out) *inserted_out = true;
    return QC_OK;
}

int64_t qc_interner_find(const qc_interner *x, const void *bytes, size_t len) {
    if (len == 0) bytes = "";
    uint64_t pos;
    return find_hashed(x, bytes, len, text_hash(bytes, len), &pos);
}

const char *qc_interner_bytes(const qc_interner *x, uint64_t id, size_t *len_out) {
    if (id >= x->count) return NULL;
    if (len_out) *len_out = (size_t)x->entries[id].len;
    return x->entries[id].bytes;
}

uint64_t qc_interner_count(const qc_interner *x) { return x->count; }

uint64_t qc_interner_bytes_held(const qc_interner *x) {
    return x->bytes_held + x->index.slots_usable + x->self_usable;
}
