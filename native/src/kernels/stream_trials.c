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

pg_stream_trial *pg_stream_trials_find_or_add(pg_stream_trials *trials, uint64_t key, unsigned ways)
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
    *oldest = (pg_stream_trial){.key = key,
                                .last_use = trials->lookups,
                                .ways = (ways | 1u << PG_WAY_NORMAL) & PG_WAYS_ALL,
                                .chosen = PG_WAY_NORMAL,
                                .rechecked = PG_WAY_NORMAL};
    return oldest;
}

static bool tries(const pg_stream_trial *trial, int way)
{
    return (trial->ways >> way) & 1u;
}

/* The way after `way`, round the order, that the trial tries. */
static int next_tried(const pg_stream_trial *trial, int way)
{
    do {
        way = (way + 1) % PG_TRIAL_WAYS;
    } while (!tries(trial, way));
    return way;
}

/* The way the next recheck runs: the tried way after the latest
 * rechecked one, round the order, other than the chosen one (the chosen
 * one if there is no other). */
static pg_trial_way next_recheck(const pg_stream_trial *trial)
{
    int way = trial->rechecked;
    for (int step = 0; step < PG_TRIAL_WAYS; ++step) {
        way = next_tried(trial, way);
        if (way != (int)trial->chosen) {
            return (pg_trial_way)way;
        }
    }
    return trial->chosen;
}

uint32_t pg_stream_trial_recheck_calls(const pg_stream_trial *trial)
{
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        if (tries(trial, way) && way != (int)trial->chosen && trial->fresh_ratios[way] < PG_STREAM_TRIAL_SAMPLES) {
            return PG_STREAM_TRIAL_FIRST_RECHECK_CALLS;
        }
    }
    return PG_STREAM_TRIAL_RECHECK_CALLS;
}

pg_trial_way pg_stream_trial_way(const pg_stream_trial *trial, int64_t now)
{
    if (!trial->decided) {
        /* Rounds of turns, each in the order of the ways, normal first
         * (also for the unbooked first call). */
        uint32_t tried = 0;
        for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
            tried += tries(trial, way);
        }
        int way = PG_WAY_NORMAL;
        for (uint32_t turn = 0; turn < trial->turns % tried; ++turn) {
            way = next_tried(trial, way);
        }
        return (pg_trial_way)way;
    }
    const uint32_t calls = pg_stream_trial_recheck_calls(trial);
    const int64_t interval_ns = (int64_t)calls * (PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS);
    bool recheck_due = trial->since_recheck >= calls && now - trial->rechecked_at >= interval_ns;
    return recheck_due ? next_recheck(trial) : trial->chosen;
}

/* The median of a way's ratios (all PG_STREAM_TRIAL_SAMPLES of them, an
 * odd count). */
static double median_ratio(const pg_stream_trial *trial, int way)
{
    double sorted[PG_STREAM_TRIAL_SAMPLES];
    for (int i = 0; i < PG_STREAM_TRIAL_SAMPLES; ++i) {
        double value = trial->ratios[way][i];
        int j = i;
        for (; j > 0 && sorted[j - 1] > value; --j) {
            sorted[j] = sorted[j - 1];
        }
        sorted[j] = value;
    }
    return sorted[PG_STREAM_TRIAL_SAMPLES / 2];
}

static bool has_all_ratios(const pg_stream_trial *trial)
{
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        if (tries(trial, way) && way != (int)trial->chosen && trial->num_ratios[way] < PG_STREAM_TRIAL_SAMPLES) {
            return false;
        }
    }
    return true;
}

/* Makes `way`, whose median ratio is `median`, the chosen one: the ratios
 * of the others are re-expressed against it (stream_trials.h). */
static void choose(pg_stream_trial *trial, int way, double median)
{
    const int left = trial->chosen;
    for (int other = 0; other < PG_TRIAL_WAYS; ++other) {
        if (other == way || other == left) {
            continue;
        }
        for (int i = 0; i < trial->num_ratios[other]; ++i) {
            trial->ratios[other][i] /= median;
        }
    }
    for (int i = 0; i < trial->num_ratios[way]; ++i) {
        trial->ratios[left][i] = 1.0 / trial->ratios[way][i];
    }
    trial->num_ratios[left] = trial->num_ratios[way];
    trial->oldest[left] = trial->oldest[way];
    trial->num_ratios[way] = 0;
    trial->oldest[way] = 0;
    /* Every other way's ratios are now re-expressed, none of them a pair
     * with the new way: the early rechecks start again. */
    for (int other = 0; other < PG_TRIAL_WAYS; ++other) {
        trial->fresh_ratios[other] = 0;
    }
    trial->chosen = (pg_trial_way)way;
    trial->chosen_ns = 0;
}

/* Once every other way has its ratios: the way with the smallest median
 * ratio below 1, if any, becomes the chosen one. */
static void reconsider(pg_stream_trial *trial)
{
    if (!has_all_ratios(trial)) {
        return;
    }
    int fastest = trial->chosen;
    double fastest_median = 1.0;
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        if (tries(trial, way) && way != (int)trial->chosen) {
            const double median = median_ratio(trial, way);
            if (median < fastest_median) {
                fastest = way;
                fastest_median = median;
            }
        }
    }
    if (fastest != (int)trial->chosen) {
        choose(trial, fastest, fastest_median);
    }
}

void pg_stream_trial_book(pg_stream_trial *trial, pg_trial_way way, int64_t took_ns, int64_t now)
{
    if (!trial->seen) {
        trial->seen = true; /* a fresh buffer's page faults are no sample */
        return;
    }
    if (!tries(trial, way) || took_ns <= 0) {
        return;
    }
    const bool was_decided = trial->decided;
    const bool recheck = was_decided && way != trial->chosen;
    if (!was_decided) {
        trial->turns += 1;
    }
    if (way != trial->chosen && trial->chosen_ns > 0) {
        /* A pair with the chosen way's latest call. */
        trial->ratios[way][trial->oldest[way]] = (double)took_ns / (double)trial->chosen_ns;
        trial->oldest[way] = (trial->oldest[way] + 1) % PG_STREAM_TRIAL_SAMPLES;
        if (trial->num_ratios[way] < PG_STREAM_TRIAL_SAMPLES) {
            trial->num_ratios[way] += 1;
        }
        if (recheck && trial->fresh_ratios[way] < PG_STREAM_TRIAL_SAMPLES) {
            trial->fresh_ratios[way] += 1;
        }
        reconsider(trial);
    }
    if (way == trial->chosen) {
        trial->chosen_ns = took_ns; /* also when the call just made its way the chosen one */
    }
    if (!was_decided && has_all_ratios(trial)) {
        trial->decided = true; /* the end of the turns */
        trial->rechecked = trial->chosen;
    }
    if (recheck || (!was_decided && trial->decided)) {
        trial->since_recheck = 0;
        trial->rechecked_at = now;
    } else if (was_decided && trial->since_recheck < UINT32_MAX) {
        trial->since_recheck += 1;
    }
    if (recheck) {
        trial->rechecked = way;
    }
}
