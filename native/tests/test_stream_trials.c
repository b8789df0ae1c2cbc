/*
 * test_stream_trials.c — the stream trials, rule by rule.
 *
 * The trials (native/src/kernels/stream_trials.h) are pure bookkeeping over
 * the times the plan read, so this program books made-up calls and checks
 * which way the next call runs: no clock, no kernels, the same result on
 * any machine.  test_kernel_choice runs real calls of sizes in the trial
 * range (the bits are the same every way).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/stream_trials.h"
#include "test_util.h"

#define US 1000LL
#define KEY 42
#define TWO_WAYS (1u << PG_WAY_NORMAL | 1u << PG_WAY_STREAMING)

static const char *const way_names[PG_TRIAL_WAYS] = {"normal", "prefetched", "streaming"};

/* What a call takes each way. */
typedef struct way_times {
    int64_t ns[PG_TRIAL_WAYS];
} way_times;

static way_times times(int64_t normal_ns, int64_t prefetched_ns, int64_t streaming_ns)
{
    return (way_times){{normal_ns, prefetched_ns, streaming_ns}};
}

/* The made-up clock: every call starts where the previous one finished. */
static int64_t clock_ns = 1000000000LL;

/* Runs one call of `trial`'s size the way the trials say, taking what
 * `took` gives for that way.  Returns the way it ran. */
static pg_trial_way call(pg_stream_trial *trial, way_times took)
{
    pg_trial_way way = pg_stream_trial_way(trial, clock_ns);
    clock_ns += took.ns[way];
    pg_stream_trial_book(trial, way, took.ns[way], clock_ns);
    return way;
}

static int ways_tried(const pg_stream_trial *trial)
{
    int count = 0;
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        count += (int)(trial->ways >> way & 1u);
    }
    return count;
}

/* Checks that the turns are over and every tried way but the chosen one
 * has all its ratios. */
static void check_decided(const pg_stream_trial *trial, const char *what)
{
    bool complete = trial->decided;
    for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
        const bool needs_ratios = (trial->ways >> way & 1u) && way != (int)trial->chosen;
        complete = complete && trial->num_ratios[way] == (needs_ratios ? PG_STREAM_TRIAL_SAMPLES : 0);
    }
    CHECK_EXPLAINED(complete, "%s: decided %d, chose %s, ratios %d/%d/%d", what, trial->decided,
                    way_names[trial->chosen], trial->num_ratios[0], trial->num_ratios[1], trial->num_ratios[2]);
}

/* Runs the trial of a new size to its choice: the unbooked first call and
 * the rounds of turns, each call taking `took` scaled by `speed` of its
 * round (NULL: 1). */
static void run_trial_at(pg_stream_trial *trial, way_times took, const double *speed)
{
    const int tried = ways_tried(trial);
    call(trial, took);
    for (int round = 0; round < PG_STREAM_TRIAL_SAMPLES; ++round) {
        way_times scaled = took;
        for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
            scaled.ns[way] = (int64_t)((double)took.ns[way] * (speed != NULL ? speed[round] : 1.0));
        }
        for (int turn = 0; turn < tried; ++turn) {
            call(trial, scaled);
        }
    }
    check_decided(trial, "after the turns");
}

static void run_trial(pg_stream_trial *trial, way_times took)
{
    run_trial_at(trial, took, NULL);
}

/* The first call stores normally and is not booked (a fresh buffer's page
 * faults); then the ways take turns in their order until each other way
 * has its ratios, and the fastest wins, whichever it is.  A way left out
 * of the trial never runs; normal stores are always in it. */
static void test_the_ways_take_turns_and_the_fastest_wins(void)
{
    const unsigned way_sets[2] = {PG_WAYS_ALL, TWO_WAYS};
    for (int set = 0; set < 2; ++set) {
        for (int fastest = 0; fastest < PG_TRIAL_WAYS; ++fastest) {
            if (!(way_sets[set] >> fastest & 1u)) {
                continue;
            }
            pg_stream_trials trials = {0};
            pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, way_sets[set]);
            way_times took = times(150 * US, 150 * US, 150 * US);
            took.ns[fastest] = 100 * US;
            CHECK(call(trial, times(5000 * US, 5000 * US, 5000 * US)) == PG_WAY_NORMAL);
            CHECK_EXPLAINED(trial->num_ratios[0] == 0 && trial->num_ratios[1] == 0 && trial->num_ratios[2] == 0 &&
                                trial->chosen_ns == 0,
                            "the first call was booked");
            int order[PG_TRIAL_WAYS], tried = 0;
            for (int way = 0; way < PG_TRIAL_WAYS; ++way) {
                if (way_sets[set] >> way & 1u) {
                    order[tried++] = way;
                }
            }
            for (int turn = 0; turn < tried * PG_STREAM_TRIAL_SAMPLES; ++turn) {
                const pg_trial_way way = call(trial, took);
                CHECK_EXPLAINED(way == order[turn % tried], "ways %#x: turn %d ran the %s way", way_sets[set], turn,
                                way_names[way]);
            }
            check_decided(trial, "after the turns");
            CHECK_EXPLAINED(trial->chosen == (pg_trial_way)fastest, "ways %#x: chose %s, the %s way was fastest",
                            way_sets[set], way_names[trial->chosen], way_names[fastest]);
            for (int i = 0; i < PG_STREAM_TRIAL_FIRST_RECHECK_CALLS; ++i) {
                CHECK(call(trial, took) == (pg_trial_way)fastest);
            }
        }
    }
    pg_stream_trials trials = {0};
    const pg_stream_trial *streaming_only = pg_stream_trials_find_or_add(&trials, KEY, 1u << PG_WAY_STREAMING);
    CHECK_EXPLAINED(streaming_only->ways == TWO_WAYS, "normal stores were left out of a trial");
}

/* The machine's speed moves from one moment to the next by more than the
 * ways differ; pairs of calls close in time cancel it.  In the turns,
 * rounds at a third of the speed do not decide (a check of the turns, which
 * judging each way by its own times would pass too).  After them, a slow
 * spell of the chosen way's calls, which moved the choice when each way was
 * judged by its own latest times, does not, nor does a recheck in it. */
static void test_a_slow_spell_does_not_decide(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, PG_WAYS_ALL);
    const double speed[PG_STREAM_TRIAL_SAMPLES] = {1.0, 3.0, 1.0, 3.0, 3.0};
    run_trial_at(trial, times(100 * US, 120 * US, 110 * US), speed);
    CHECK_EXPLAINED(trial->chosen == PG_WAY_NORMAL, "rounds of another speed decided for %s",
                    way_names[trial->chosen]);

    const way_times usual = times(100 * US, 120 * US, 110 * US), slow = times(300 * US, 360 * US, 330 * US);
    /* The first recheck's count of calls of the chosen way, the last four
     * in a slow spell, then the recheck in it. */
    for (int i = 0; i < PG_STREAM_TRIAL_FIRST_RECHECK_CALLS; ++i) {
        CHECK(call(trial, i < PG_STREAM_TRIAL_FIRST_RECHECK_CALLS - 4 ? usual : slow) == PG_WAY_NORMAL);
    }
    CHECK(trial->chosen == PG_WAY_NORMAL);
    clock_ns += PG_STREAM_TRIAL_RECHECK_NS;
    CHECK(call(trial, slow) == PG_WAY_PREFETCHED);
    CHECK_EXPLAINED(trial->chosen == PG_WAY_NORMAL, "a slow spell moved the choice to %s", way_names[trial->chosen]);
}

/* The median of five pairs decides: two outlier pairs (a call that lost
 * its CPU) do not; a tie keeps the chosen way, and between two others goes
 * to the earlier one. */
static void test_outliers_do_not_decide_and_ties_go_to_the_earlier_way(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, TWO_WAYS);
    call(trial, times(1, 1, 1)); /* the unbooked first call */
    const int64_t streaming_ns[PG_STREAM_TRIAL_SAMPLES] = {90 * US, 5000 * US, 90 * US, 8000 * US, 90 * US};
    for (int i = 0; i < PG_STREAM_TRIAL_SAMPLES; ++i) {
        CHECK(call(trial, times(100 * US, 0, streaming_ns[i])) == PG_WAY_NORMAL);
        CHECK(call(trial, times(100 * US, 0, streaming_ns[i])) == PG_WAY_STREAMING);
    }
    CHECK_EXPLAINED(trial->chosen == PG_WAY_STREAMING, "two outliers of five decided");

    pg_stream_trial *all_tied = pg_stream_trials_find_or_add(&trials, KEY + 1, PG_WAYS_ALL);
    run_trial(all_tied, times(100 * US, 100 * US, 100 * US));
    CHECK_EXPLAINED(all_tied->chosen == PG_WAY_NORMAL, "a tie of all three went to the %s way",
                    way_names[all_tied->chosen]);
    pg_stream_trial *two_tied = pg_stream_trials_find_or_add(&trials, KEY + 2, PG_WAYS_ALL);
    run_trial(two_tied, times(150 * US, 100 * US, 100 * US));
    CHECK_EXPLAINED(two_tied->chosen == PG_WAY_PREFETCHED, "a tie of prefetch and streaming went to the %s way",
                    way_names[two_tied->chosen]);
}

/* When the choice moves, the others' ratios are re-expressed against the
 * new chosen way: the way left behind takes the new one's ratios
 * inverted, a third way's are divided by the new one's median. */
static void test_the_ratios_follow_the_chosen_way(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, PG_WAYS_ALL);
    run_trial(trial, times(100 * US, 80 * US, 50 * US));
    REQUIRE(trial->chosen == PG_WAY_STREAMING);
    for (int i = 0; i < PG_STREAM_TRIAL_SAMPLES; ++i) {
        CHECK_EXPLAINED(fabs(trial->ratios[PG_WAY_NORMAL][i] - 2.0) < 1e-12 &&
                            fabs(trial->ratios[PG_WAY_PREFETCHED][i] - 1.6) < 1e-12,
                        "ratio %d against streaming: normal %g (expected 2), prefetched %g (expected 1.6)", i,
                        trial->ratios[PG_WAY_NORMAL][i], trial->ratios[PG_WAY_PREFETCHED][i]);
    }
    CHECK(trial->chosen_ns == 50 * US); /* the last turn was streaming's */

    /* Chosen after a turn of another way: no pair until its own call. */
    pg_stream_trial *prefetched = pg_stream_trials_find_or_add(&trials, KEY + 1, PG_WAYS_ALL);
    run_trial(prefetched, times(100 * US, 50 * US, 80 * US));
    REQUIRE(prefetched->chosen == PG_WAY_PREFETCHED);
    CHECK(prefetched->chosen_ns == 0);
    const pg_stream_trial before = *prefetched;
    pg_stream_trial_book(prefetched, PG_WAY_NORMAL, 300 * US, clock_ns); /* a call that began before the choice */
    CHECK_EXPLAINED(memcmp(prefetched->ratios, before.ratios, sizeof before.ratios) == 0 &&
                        memcmp(prefetched->num_ratios, before.num_ratios, sizeof before.num_ratios) == 0 &&
                        memcmp(prefetched->oldest, before.oldest, sizeof before.oldest) == 0,
                    "a call was paired with another way's");
}

/* Calls of the chosen way until the next recheck (at most `limit`),
 * advancing the clock `gap_ns` between calls; returns how many, and the
 * recheck's way in *way. */
static int calls_before_recheck(pg_stream_trial *trial, way_times took, int64_t gap_ns, int limit,
                                pg_trial_way *way)
{
    const pg_trial_way chosen = trial->chosen;
    for (int calls = 0; calls <= limit; ++calls) {
        *way = call(trial, took);
        if (*way != chosen) {
            return calls;
        }
        clock_ns += gap_ns;
    }
    return -1;
}

/* After the turns, rechecks come every PG_STREAM_TRIAL_FIRST_RECHECK_CALLS
 * calls of the chosen way until each other way has all its ratios afresh,
 * then every PG_STREAM_TRIAL_RECHECK_CALLS; and never sooner than
 * PG_STREAM_TRIAL_RECHECK_NS in proportion after the previous one. */
static void test_rechecks_come_after_enough_calls_and_time(void)
{
    const unsigned way_sets[2] = {TWO_WAYS, PG_WAYS_ALL};
    for (int set = 0; set < 2; ++set) {
        pg_stream_trials trials = {0};
        pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, way_sets[set]);
        const way_times slow = times(1000 * US, 1500 * US, 1500 * US); /* the count rules */
        run_trial(trial, slow);
        REQUIRE(trial->chosen == PG_WAY_NORMAL);
        const int early = (ways_tried(trial) - 1) * PG_STREAM_TRIAL_SAMPLES;
        for (int recheck = 0; recheck < early + 3; ++recheck) {
            const int expected =
                recheck < early ? PG_STREAM_TRIAL_FIRST_RECHECK_CALLS : PG_STREAM_TRIAL_RECHECK_CALLS;
            pg_trial_way way = PG_WAY_NORMAL;
            const int calls = calls_before_recheck(trial, slow, 0, 2 * PG_STREAM_TRIAL_RECHECK_CALLS, &way);
            CHECK_EXPLAINED(calls == expected, "ways %#x: recheck %d after %d calls (expected %d)", way_sets[set],
                            recheck, calls, expected);
            CHECK_EXPLAINED(trial->since_recheck == 0 && trial->rechecked_at == clock_ns,
                            "the recheck was not booked");
        }
        CHECK(trial->chosen == PG_WAY_NORMAL);
    }

    /* Fast calls: the count is reached long before the time, which rules,
     * in proportion to the count. */
    pg_stream_trials trials = {0};
    pg_stream_trial *fast = pg_stream_trials_find_or_add(&trials, KEY, TWO_WAYS);
    const way_times fast_times = times(10 * US, 0, 15 * US);
    run_trial(fast, fast_times);
    REQUIRE(fast->chosen == PG_WAY_NORMAL);
    for (int recheck = 0; recheck < PG_STREAM_TRIAL_SAMPLES + 2; ++recheck) {
        const int64_t previous = clock_ns;
        const uint32_t count = pg_stream_trial_recheck_calls(fast);
        const int64_t interval = (int64_t)count * (PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS);
        for (uint32_t i = 0; i < count; ++i) {
            CHECK_EXPLAINED(call(fast, fast_times) == PG_WAY_NORMAL, "rechecked after %u calls", i);
        }
        CHECK_EXPLAINED(pg_stream_trial_way(fast, previous + interval - 1) == PG_WAY_NORMAL,
                        "rechecked before %lld ns", (long long)interval);
        clock_ns = previous + interval;
        CHECK_EXPLAINED(call(fast, fast_times) == PG_WAY_STREAMING, "no recheck after %u calls and %lld ns", count,
                        (long long)interval);
    }
}

/* With three ways the rechecks take the two the trial did not choose in
 * turn, in their order from the chosen one, and never the chosen one. */
static void test_rechecks_take_the_other_ways_in_turn(void)
{
    static const pg_trial_way expected[PG_TRIAL_WAYS][4] = {
        {PG_WAY_PREFETCHED, PG_WAY_STREAMING, PG_WAY_PREFETCHED, PG_WAY_STREAMING}, /* normal chosen */
        {PG_WAY_STREAMING, PG_WAY_NORMAL, PG_WAY_STREAMING, PG_WAY_NORMAL},         /* prefetched chosen */
        {PG_WAY_NORMAL, PG_WAY_PREFETCHED, PG_WAY_NORMAL, PG_WAY_PREFETCHED},       /* streaming chosen */
    };
    for (int fastest = 0; fastest < PG_TRIAL_WAYS; ++fastest) {
        pg_stream_trials trials = {0};
        pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, PG_WAYS_ALL);
        way_times took = times(1000 * US, 1000 * US, 1000 * US);
        took.ns[fastest] = 600 * US;
        run_trial(trial, took);
        REQUIRE(trial->chosen == (pg_trial_way)fastest);
        for (int recheck = 0; recheck < 4; ++recheck) {
            pg_trial_way way = (pg_trial_way)fastest;
            calls_before_recheck(trial, took, 0, 2 * PG_STREAM_TRIAL_RECHECK_CALLS, &way);
            CHECK_EXPLAINED(way == expected[fastest][recheck], "%s chosen: recheck %d ran the %s way",
                            way_names[fastest], recheck, way_names[way]);
        }
    }
}

/* When the machine changes (a neighbour takes the L3, or leaves it), the
 * choice follows: each recheck replaces the way's oldest ratio, so the
 * third recheck of a way that became fastest turns its median.  With three
 * ways, the rechecks of the third way come in between.  The new choice is
 * rechecked soon again, and the way left behind does not come straight
 * back. */
static void test_the_choice_follows_a_changed_machine(void)
{
    const unsigned way_sets[2] = {TWO_WAYS, PG_WAYS_ALL};
    for (int set = 0; set < 2; ++set) {
        pg_stream_trials trials = {0};
        pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY, way_sets[set]);
        const way_times before = times(100 * US, 300 * US, 200 * US);
        run_trial(trial, before);
        REQUIRE(trial->chosen == PG_WAY_NORMAL);
        /* Past the early rechecks. */
        for (int i = 0; i < 20 * PG_STREAM_TRIAL_FIRST_RECHECK_CALLS &&
                        pg_stream_trial_recheck_calls(trial) != PG_STREAM_TRIAL_RECHECK_CALLS;
             ++i) {
            call(trial, before);
            clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
        }
        REQUIRE(pg_stream_trial_recheck_calls(trial) == PG_STREAM_TRIAL_RECHECK_CALLS);
        /* From now on normal stores take 160 us and streaming ones 100
         * (prefetch stays slow). */
        const way_times changed = times(160 * US, 300 * US, 100 * US);
        int rechecks[PG_TRIAL_WAYS] = {0};
        for (int i = 0; i < 20 * (PG_STREAM_TRIAL_RECHECK_CALLS + 1) && trial->chosen == PG_WAY_NORMAL; ++i) {
            const pg_trial_way way = call(trial, changed);
            rechecks[way] += way != PG_WAY_NORMAL;
            clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
        }
        const int streaming = PG_STREAM_TRIAL_SAMPLES / 2 + 1;
        const int prefetched = set == 0 ? 0 : streaming; /* one before each of streaming */
        CHECK_EXPLAINED(trial->chosen == PG_WAY_STREAMING && rechecks[PG_WAY_STREAMING] == streaming &&
                            rechecks[PG_WAY_PREFETCHED] == prefetched,
                        "ways %#x: chose %s after %d rechecks of streaming and %d of prefetch (expected %d and %d)",
                        way_sets[set], way_names[trial->chosen], rechecks[PG_WAY_STREAMING],
                        rechecks[PG_WAY_PREFETCHED], streaming, prefetched);
        CHECK_EXPLAINED(pg_stream_trial_recheck_calls(trial) == PG_STREAM_TRIAL_FIRST_RECHECK_CALLS,
                        "the next recheck after %u calls, not %d, when the choice moved",
                        pg_stream_trial_recheck_calls(trial), PG_STREAM_TRIAL_FIRST_RECHECK_CALLS);
        /* Every other way's ratios renewed, the third way's too. */
        int early = 0;
        for (int i = 0; i < 20 * PG_STREAM_TRIAL_FIRST_RECHECK_CALLS &&
                        pg_stream_trial_recheck_calls(trial) == PG_STREAM_TRIAL_FIRST_RECHECK_CALLS;
             ++i) {
            early += call(trial, changed) != PG_WAY_STREAMING;
            clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
        }
        CHECK_EXPLAINED(early == (ways_tried(trial) - 1) * PG_STREAM_TRIAL_SAMPLES,
                        "ways %#x: %d early rechecks after the choice moved (expected %d)", way_sets[set], early,
                        (ways_tried(trial) - 1) * PG_STREAM_TRIAL_SAMPLES);
        for (int i = 0; i < 4 * (PG_STREAM_TRIAL_RECHECK_CALLS + 1); ++i) {
            call(trial, changed);
            clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
        }
        CHECK_EXPLAINED(trial->chosen == PG_WAY_STREAMING, "ways %#x: went back to %s", way_sets[set],
                        way_names[trial->chosen]);
        /* And back again: streaming stores, left behind, are rechecked
         * soon, their ratios all new. */
        REQUIRE(pg_stream_trial_recheck_calls(trial) == PG_STREAM_TRIAL_RECHECK_CALLS);
        for (int i = 0; i < 20 * (PG_STREAM_TRIAL_RECHECK_CALLS + 1) && trial->chosen == PG_WAY_STREAMING; ++i) {
            call(trial, before);
            clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
        }
        CHECK(trial->chosen == PG_WAY_NORMAL);
        CHECK_EXPLAINED(pg_stream_trial_recheck_calls(trial) == PG_STREAM_TRIAL_FIRST_RECHECK_CALLS,
                        "ways %#x: the next recheck after %u calls, not %d, when the choice moved back",
                        way_sets[set], pg_stream_trial_recheck_calls(trial), PG_STREAM_TRIAL_FIRST_RECHECK_CALLS);
    }
}

/* PG_STREAM_TRIAL_SIZES sizes are kept; a new one replaces the least
 * recently used, and the others keep their trials. */
static void test_the_least_recently_used_size_gives_way(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *kept[PG_STREAM_TRIAL_SIZES + 1];
    for (uint64_t key = 1; key <= PG_STREAM_TRIAL_SIZES; ++key) {
        kept[key] = pg_stream_trials_find_or_add(&trials, key, PG_WAYS_ALL);
        run_trial(kept[key], times(150 * US, 120 * US, 100 * US)); /* every size decided for streaming */
    }
    CHECK(pg_stream_trials_find_or_add(&trials, 1, PG_WAYS_ALL) == kept[1]); /* 1 is now the most recently used */
    pg_stream_trial *newcomer = pg_stream_trials_find_or_add(&trials, PG_STREAM_TRIAL_SIZES + 1, TWO_WAYS);
    CHECK_EXPLAINED(newcomer == kept[2], "the newcomer did not replace key 2, the least recently used");
    CHECK(newcomer->key == PG_STREAM_TRIAL_SIZES + 1 && newcomer->ways == TWO_WAYS && !newcomer->seen &&
          !newcomer->decided && newcomer->turns == 0 && newcomer->chosen == PG_WAY_NORMAL &&
          newcomer->num_ratios[0] == 0 && newcomer->num_ratios[1] == 0 && newcomer->num_ratios[2] == 0);
    for (uint64_t key = 1; key <= PG_STREAM_TRIAL_SIZES; ++key) {
        if (key == 2) {
            continue;
        }
        CHECK_EXPLAINED(kept[key]->key == key && kept[key]->decided && kept[key]->chosen == PG_WAY_STREAMING &&
                            kept[key]->num_ratios[PG_WAY_NORMAL] == PG_STREAM_TRIAL_SAMPLES,
                        "key %llu lost its trial", (unsigned long long)key);
    }
}

int main(void)
{
    test_the_ways_take_turns_and_the_fastest_wins();
    test_a_slow_spell_does_not_decide();
    test_outliers_do_not_decide_and_ties_go_to_the_earlier_way();
    test_the_ratios_follow_the_chosen_way();
    test_rechecks_come_after_enough_calls_and_time();
    test_rechecks_take_the_other_ways_in_turn();
    test_the_choice_follows_a_changed_machine();
    test_the_least_recently_used_size_gives_way();
    return tu_finish("test_stream_trials");
}
