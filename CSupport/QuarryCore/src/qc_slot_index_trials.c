/* A randomized check of the slot index against a model, for tests
 * (quarry_core_testing.h): what the index must keep through growth and a
 * provisional drop is easy to state and hard to get right at the edges
 * (runs that wrap past the end of the array). */
#include "qc_internal.h"

#include <stdlib.h>

static uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Whether entry e, whose hash is h, is reachable from its home. */
static bool reachable(const qc_slot_index *x, uint64_t h, uint64_t e) {
    for (uint64_t pos = qc_slot_home(x, h), n = 0; n <= x->mask; pos = (pos + 1) & x->mask, n++) {
        uint64_t s = x->slots[pos];
        if (s == 0) return false;
        if (qc_slot_entry(s) == e) return true;
    }
    return false;
}

/* One trial: `held` entries, then `extra` provisional ones (with growths
 * on the way, as the partitioned insert makes them), then the drop. False
 * when a held entry became unreachable, a dropped one stayed, or the count
 * of occupied slots is off. */
static bool trial(uint64_t *rng, qc_status *status) {
    qc_slot_index x = {0};
    if ((*status = qc_slot_index_resize(&x, NULL, 0, QC_SLOT_MIN_CAPACITY)) != QC_OK) return true;
    uint64_t held = splitmix(rng) % 40, extra = 1 + splitmix(rng) % 40, total = held + extra;
    uint64_t *hashes = malloc(total * sizeof *hashes);
    if (!hashes) {
        qc_slot_index_free(&x, NULL, 0);
        *status = QC_ERR_NOMEM;
        return true;
    }
    /* Homes crowd the last slots half the time, so that runs wrap. */
    bool crowd = splitmix(rng) & 1;
    for (uint64_t e = 0; e < total; e++) {
        uint64_t h = splitmix(rng);
        if (crowd && (splitmix(rng) & 3)) h |= 0xF000000000000000ull;
        hashes[e] = h;
        if (e >= x.grow_at && (*status = qc_slot_index_grow(&x, NULL, 0, e + 1)) != QC_OK) break;
        qc_slot_place(&x, qc_slot_make(h, e));
    }
    bool ok = true;
    if (*status == QC_OK) {
        qc_slot_index_drop_from(&x, held);
        uint64_t occupied = 0;
        for (uint64_t j = 0; j <= x.mask; j++) {
            if (!x.slots[j]) continue;
            occupied++;
            if (qc_slot_entry(x.slots[j]) >= held) ok = false;
        }
        if (occupied != held) ok = false;
        for (uint64_t e = 0; e < held; e++)
            if (!reachable(&x, hashes[e], e)) ok = false;
    }
    free(hashes);
    qc_slot_index_free(&x, NULL, 0);
    return ok;
}

uint64_t qc_testing_slot_index_trials(uint64_t seed, uint64_t trials) {
    uint64_t rng = seed, failed = 0;
    for (uint64_t i = 0; i < trials; i++) {
        qc_status status = QC_OK;
        if (!trial(&rng, &status)) failed++;
        if (status != QC_OK) return UINT64_MAX;
    }
    return failed;
}
