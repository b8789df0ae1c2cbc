/*
 * test_stream_trials.c — the stream trials, rule by rule.
 *
 * The trials (native/src/kernels/stream_trials.h) are pure bookkeeping over
 * the times the plan read, so this program books made-up calls and checks
 * which way the next call stores: no clock, no kernels, the same result on
 * any machine.  test_execute runs real calls of sizes in the trial range
 * (the bits are the same either way).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernels/stream_trials.h"
#include "test_util.h"

#define US 1000LL
#define KEY 42

/* The made-up clock: every call starts where the previous one finished. */
static int64_t clock_ns = 1000000000LL;

/* Runs one call of `trial`'s size the way the trials say, taking
 * `normal_ns` with normal stores and `streaming_ns` with streaming ones.
 * Returns the way it stored. */
static pg_store_way call(pg_stream_trial *trial, int64_t normal_ns, int64_t streaming_ns)
{
    pg_store_way way = pg_stream_trial_way(trial, clock_ns);
    int64_t took = way == PG_STORE_STREAMING ? streaming_ns : normal_ns;
    clock_ns += took;
    pg_stream_trial_book(trial, way, took, clock_ns);
    return way;
}

/* Runs the trial of a new size to its choice: the unbooked first call and
 * the turns.  Returns how many calls that took. */
static int run_trial(pg_stream_trial *trial, int64_t normal_ns, int64_t streaming_ns)
{
    int calls = 0;
    while (trial->num_samples[PG_STORE_NORMAL] < PG_STREAM_TRIAL_SAMPLES ||
           trial->num_samples[PG_STORE_STREAMING] < PG_STREAM_TRIAL_SAMPLES) {
        call(trial, normal_ns, streaming_ns);
        if (!CHECK(++calls <= 2 * PG_STREAM_TRIAL_SAMPLES + 1)) {
            break;
        }
    }
    return calls;
}

/* The first call stores normally and is not booked (a fresh buffer's page
 * faults); then the ways take turns, normal first, until each has its
 * samples; the faster one wins, either way round. */
static void test_the_ways_take_turns_and_the_faster_wins(void)
{
    for (int streaming_faster = 0; streaming_faster <= 1; ++streaming_faster) {
        pg_stream_trials trials = {0};
        pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY);
        const int64_t normal_ns = streaming_faster ? 150 * US : 100 * US;
        const int64_t streaming_ns = streaming_faster ? 100 * US : 150 * US;
        CHECK(call(trial, 5000 * US, 5000 * US) == PG_STORE_NORMAL);
        CHECK_EXPLAINED(trial->num_samples[0] == 0 && trial->num_samples[1] == 0, "the first call was booked");
        for (int turn = 0; turn < 2 * PG_STREAM_TRIAL_SAMPLES; ++turn) {
            pg_store_way expected = turn % 2 == 0 ? PG_STORE_NORMAL : PG_STORE_STREAMING;
            CHECK_EXPLAINED(call(trial, normal_ns, streaming_ns) == expected, "turn %d stored the other way", turn);
        }
        pg_store_way faster = streaming_faster ? PG_STORE_STREAMING : PG_STORE_NORMAL;
        CHECK_EXPLAINED(trial->chosen == faster, "chose the slower way (streaming faster: %d)", streaming_faster);
        for (int i = 0; i < PG_STREAM_TRIAL_RECHECK_CALLS; ++i) {
            CHECK(call(trial, normal_ns, streaming_ns) == faster);
        }
    }
}

/* A median decides: two slow outliers among a way's five samples (a call
 * that lost its CPU) do not make it lose; equal medians keep normal
 * stores. */
static void test_outliers_do_not_decide(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY);
    call(trial, 1, 1); /* the unbooked first call */
    int64_t streaming_ns[PG_STREAM_TRIAL_SAMPLES] = {90 * US, 5000 * US, 90 * US, 8000 * US, 90 * US};
    for (int i = 0; i < PG_STREAM_TRIAL_SAMPLES; ++i) {
        call(trial, 100 * US, streaming_ns[i]);
        call(trial, 100 * US, streaming_ns[i]);
    }
    CHECK_EXPLAINED(trial->chosen == PG_STORE_STREAMING, "two outliers of five decided");

    pg_stream_trial *tied = pg_stream_trials_find_or_add(&trials, KEY + 1);
    run_trial(tied, 100 * US, 100 * US);
    CHECK_EXPLAINED(tied->chosen == PG_STORE_NORMAL, "a tie went to streaming stores");
}

/* After PG_STREAM_TRIAL_RECHECK_CALLS calls the chosen way, and no sooner
 * than PG_STREAM_TRIAL_RECHECK_NS after the previous recheck, one call
 * stores the other way; then the count starts again. */
static void test_rechecks_come_after_enough_calls_and_time(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY);
    run_trial(trial, 100 * US, 150 * US);
    REQUIRE(trial->chosen == PG_STORE_NORMAL);
    const int64_t decided_at = clock_ns;
    /* Fast calls: the count is reached long before the interval. */
    for (int i = 0; i < PG_STREAM_TRIAL_RECHECK_CALLS; ++i) {
        CHECK_EXPLAINED(call(trial, 10 * US, 15 * US) == PG_STORE_NORMAL, "rechecked after %d calls", i);
    }
    CHECK_EXPLAINED(pg_stream_trial_way(trial, decided_at + PG_STREAM_TRIAL_RECHECK_NS - 1) == PG_STORE_NORMAL,
                    "rechecked before %d ns", PG_STREAM_TRIAL_RECHECK_NS);
    clock_ns = decided_at + PG_STREAM_TRIAL_RECHECK_NS;
    CHECK_EXPLAINED(call(trial, 10 * US, 15 * US) == PG_STORE_STREAMING, "no recheck after %d calls and %d ns",
                    PG_STREAM_TRIAL_RECHECK_CALLS, PG_STREAM_TRIAL_RECHECK_NS);
    CHECK_EXPLAINED(trial->since_recheck == 0 && trial->rechecked_at == clock_ns, "the recheck was not booked");
    CHECK(trial->chosen == PG_STORE_NORMAL);

    /* Slow calls (another size): the interval is reached first, the count
     * rules. */
    pg_stream_trial *slow = pg_stream_trials_find_or_add(&trials, KEY + 1);
    run_trial(slow, 1000 * US, 1500 * US);
    for (int i = 0; i < PG_STREAM_TRIAL_RECHECK_CALLS; ++i) {
        CHECK_EXPLAINED(call(slow, 1000 * US, 1500 * US) == PG_STORE_NORMAL, "rechecked after %d calls", i);
    }
    CHECK(call(slow, 1000 * US, 1500 * US) == PG_STORE_STREAMING);
}

/* When the machine changes (a neighbour takes the L3, or leaves it), the
 * choice follows: each recheck replaces the other way's oldest sample, so
 * the third recheck that finds it faster turns the median. */
static void test_the_choice_follows_a_changed_machine(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *trial = pg_stream_trials_find_or_add(&trials, KEY);
    run_trial(trial, 100 * US, 200 * US);
    REQUIRE(trial->chosen == PG_STORE_NORMAL);
    /* From now on normal stores take 160 us and streaming ones 100: the
     * normal way's samples are all new after five calls, the streaming
     * way's three old ones keep the median at 200 until a third recheck. */
    int rechecks = 0;
    for (int i = 0; i < 10 * (PG_STREAM_TRIAL_RECHECK_CALLS + 1) && trial->chosen == PG_STORE_NORMAL; ++i) {
        if (call(trial, 160 * US, 100 * US) == PG_STORE_STREAMING) {
            rechecks += 1;
        }
        clock_ns += PG_STREAM_TRIAL_RECHECK_NS / PG_STREAM_TRIAL_RECHECK_CALLS;
    }
    CHECK_EXPLAINED(trial->chosen == PG_STORE_STREAMING && rechecks == PG_STREAM_TRIAL_SAMPLES / 2 + 1,
                    "chose %s after %d rechecks", trial->chosen == PG_STORE_STREAMING ? "streaming" : "normal",
                    rechecks);
}

/* PG_STREAM_TRIAL_SIZES sizes are kept; a new one replaces the least
 * recently used, and the others keep their trials. */
static void test_the_least_recently_used_size_gives_way(void)
{
    pg_stream_trials trials = {0};
    pg_stream_trial *kept[PG_STREAM_TRIAL_SIZES + 1];
    for (uint64_t key = 1; key <= PG_STREAM_TRIAL_SIZES; ++key) {
        kept[key] = pg_stream_trials_find_or_add(&trials, key);
        run_trial(kept[key], 150 * US, 100 * US); /* every size decided for streaming */
    }
    CHECK(pg_stream_trials_find_or_add(&trials, 1) == kept[1]); /* 1 is now the most recently used */
    pg_stream_trial *newcomer = pg_stream_trials_find_or_add(&trials, PG_STREAM_TRIAL_SIZES + 1);
    CHECK_EXPLAINED(newcomer == kept[2], "the newcomer did not replace key 2, the least recently used");
    CHECK(newcomer->key == PG_STREAM_TRIAL_SIZES + 1 && !newcomer->seen && newcomer->num_samples[0] == 0 &&
          newcomer->num_samples[1] == 0);
    for (uint64_t key = 1; key <= PG_STREAM_TRIAL_SIZES; ++key) {
        if (key == 2) {
            continue;
        }
        CHECK_EXPLAINED(kept[key]->key == key && kept[key]->chosen == PG_STORE_STREAMING &&
                            kept[key]->num_samples[PG_STORE_STREAMING] == PG_STREAM_TRIAL_SAMPLES,
                        "key %llu lost its trial", (unsigned long long)key);
    }
}

int main(void)
{
    test_the_ways_take_turns_and_the_faster_wins();
    test_outliers_do_not_decide();
    test_rechecks_come_after_enough_calls_and_time();
    test_the_choice_follows_a_changed_machine();
    test_the_least_recently_used_size_gives_way();
    return tu_finish("test_stream_trials");
}
