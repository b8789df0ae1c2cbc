/*
 * stream_trials.c — see stream_trials.h for the rules and why.
 */
#include "kernels/stream_trials.h"

#include <stddef.h>

const pg_stream_trial *pg_stream_trials_find(const pg_stream_trials *trials, uint64_t key)
{
    for (int i = 0; i < PG_STREAM_TRIAL_SIZES; ++i) {
        if (trials->sizes[i].key == key) {
            return &trials->sizes[i];
        }
    }
    return NULL;
}

pg_stream_trial *pg_stream_trials_find_or_add(pg_stream_trials *trials, uint64_t key)
{
    trials->lookups += 1;
    pg_stream_trial *oldest = &trials->sizes[0];
    for (int i = 0; i < PG_STREAM_TRIAL_SIZES; ++i) {
        pg_stream_trial *trial = &trials->sizes[i];
        if (trial->key == key) {
            trial->last_use = trials->lookups;
            return trial;
        }
        if (trial->last_use < oldest->last_use) {
            oldest = trial; /* free slots have last_use 0 */
        }
    }
    *oldest = (pg_stream_trial){.key = key, .last_use = trials->lookups};
    return oldest;
}

static bool has_all_samples(const pg_stream_trial *trial)
{
    return trial->num_samples[PG_STORE_NORMAL] == PG_STREAM_TRIAL_SAMPLES &&
           trial->num_samples[PG_STORE_STREAMING] == PG_STREAM_TRIAL_SAMPLES;
}

static pg_store_way other_way(pg_store_way way)
{
    return way == PG_STORE_NORMAL ? PG_STORE_STREAMING : PG_STORE_NORMAL;
}

pg_store_way pg_stream_trial_way(const pg_stream_trial *trial, int64_t now)
{
    if (!has_all_samples(trial)) {
        /* Turns: the way with fewer samples, normal stores first (also
         * for the unbooked first call). */
        return trial->num_samples[PG_STORE_STREAMING] < trial->num_samples[PG_STORE_NORMAL] ? PG_STORE_STREAMING
                                                                                             : PG_STORE_NORMAL;
    }
    bool recheck_due = trial->since_recheck >= PG_STREAM_TRIAL_RECHECK_CALLS &&
                       now - trial->rechecked_at >= PG_STREAM_TRIAL_RECHECK_NS;
    return recheck_due ? other_way(trial->chosen) : trial->chosen;
}

/* The median of a way's samples (all PG_STREAM_TRIAL_SAMPLES of them, an
 * odd count). */
static int64_t median_ns(const pg_stream_trial *trial, pg_store_way way)
{
    int64_t sorted[PG_STREAM_TRIAL_SAMPLES];
    for (int i = 0; i < PG_STREAM_TRIAL_SAMPLES; ++i) {
        int64_t value = trial->samples_ns[way][i];
        int j = i;
        for (; j > 0 && sorted[j - 1] > value; --j) {
            sorted[j] = sorted[j - 1];
        }
        sorted[j] = value;
    }
    return sorted[PG_STREAM_TRIAL_SAMPLES / 2];
}

void pg_stream_trial_book(pg_stream_trial *trial, pg_store_way way, int64_t took_ns, int64_t now)
{
    if (!trial->seen) {
        trial->seen = true; /* a fresh buffer's page faults are no sample */
        return;
    }
    const bool was_decided = has_all_samples(trial);
    trial->samples_ns[way][trial->oldest[way]] = took_ns;
    trial->oldest[way] = (trial->oldest[way] + 1) % PG_STREAM_TRIAL_SAMPLES;
    if (trial->num_samples[way] < PG_STREAM_TRIAL_SAMPLES) {
        trial->num_samples[way] += 1;
    }
    if (!has_all_samples(trial)) {
        return;
    }
    if (was_decided && way == trial->chosen) {
        if (trial->since_recheck < UINT32_MAX) {
            trial->since_recheck += 1;
        }
    } else {
        /* The trial's last turn, or a recheck of the other way. */
        trial->since_recheck = 0;
        trial->rechecked_at = now;
    }
    trial->chosen = median_ns(trial, PG_STORE_STREAMING) < median_ns(trial, PG_STORE_NORMAL) ? PG_STORE_STREAMING
                                                                                              : PG_STORE_NORMAL;
}
