/*
 * test_pool_account.c — the thread pool's account, rule by rule.
 *
 * The account (native/src/kernels/pool_account.h) is pure bookkeeping over
 * the times a pooled call read, so this program books made-up calls and
 * checks when it backs off and for how long: no threads, no clock, the
 * same result on any machine.  test_threadpool.c checks the pool that
 * uses it against a real stalling worker.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernels/pool_account.h"
#include "test_util.h"

#define NUM_CHUNKS 16
#define MS 1000000LL

/* The made-up clock: every call starts where the previous one finished. */
static int64_t clock_ns = 1000 * MS;

/* Books a call in which the caller ran `ran` of NUM_CHUNKS chunks at
 * 1 us each (alone, the call would take NUM_CHUNKS us) and everything
 * was done `total_ns` after the start; publishing took 0.5 us.  Returns
 * the account's answer. */
static int64_t book(pg_pool_account *account, size_t ran, int64_t total_ns);

/* The same for a call of `pace`'s shape whose caller ran its chunks at
 * `chunk_ns` each. */
static int64_t book_shaped(pg_pool_account *account, pg_shape_pace *pace, int64_t chunk_ns, size_t ran,
                           int64_t total_ns)
{
    const int64_t publish_ns = 500;
    pg_pooled_call call = {
        .started = clock_ns,
        .begun = clock_ns + publish_ns,
        .own_done = clock_ns + publish_ns + (int64_t)ran * chunk_ns,
        .finished = clock_ns + total_ns,
        .ran = ran,
        .num_chunks = NUM_CHUNKS,
        .pace = pace,
    };
    if (call.finished < call.own_done) {
        call.finished = call.own_done;
    }
    clock_ns = call.finished;
    return pg_pool_account_settle(account, &call);
}

static int64_t book(pg_pool_account *account, size_t ran, int64_t total_ns)
{
    return book_shaped(account, NULL, 1000, ran, total_ns);
}

/* How long the back-off that book() returned lasts from now (0: none). */
static long long backoff_length(int64_t until)
{
    return until == 0 ? 0 : (long long)(until - clock_ns);
}

/* A call the worker halved: 8.5 us instead of 16, a saving of 7.5 us;
 * of `pace`'s shape (NULL: none). */
static int64_t book_helped_shaped(pg_pool_account *account, pg_shape_pace *pace)
{
    return book_shaped(account, pace, 1000, NUM_CHUNKS / 2, 8500);
}

static int64_t book_helped(pg_pool_account *account)
{
    return book_helped_shaped(account, NULL);
}

/* A call no worker helped: the caller ran every chunk. */
static int64_t book_missed(pg_pool_account *account)
{
    return book(account, NUM_CHUNKS, 500 + NUM_CHUNKS * 1000);
}

/* A call that waited `stall_ns` for a chunk a worker claimed. */
static int64_t book_stalled(pg_pool_account *account, int64_t stall_ns)
{
    return book(account, NUM_CHUNKS - 1, 500 + (NUM_CHUNKS - 1) * 1000 + stall_ns);
}

static void test_calls_that_save_never_back_off(void)
{
    pg_pool_account account = {0};
    int backed_off_at = -1;
    for (int i = 0; i < 100000 && backed_off_at < 0; ++i) {
        if (book_helped(&account) != 0) {
            backed_off_at = i;
        }
    }
    CHECK_EXPLAINED(backed_off_at < 0, "call %d of a pool that saves 7.5 us per call backed off", backed_off_at);
    CHECK_EXPLAINED(account.credit_ns == PG_CREDIT_MAX_NS, "banked %lld ns, the cap is %d",
                    (long long)account.credit_ns, PG_CREDIT_MAX_NS);
}

/* Missed calls in a row back off at the PG_MISSES_MAX-th; one helped call
 * in between starts the count again. */
static void test_misses_in_a_row_back_off(void)
{
    pg_pool_account account = {0};
    for (int round = 0; round < 3; ++round) {
        for (int i = 1; i < PG_MISSES_MAX; ++i) {
            CHECK_EXPLAINED(book_missed(&account) == 0, "backed off after %d misses in round %d", i, round);
        }
        CHECK_EXPLAINED(book_helped(&account) == 0, "a helped call backed off");
    }
    for (int i = 1; i < PG_MISSES_MAX; ++i) {
        CHECK_EXPLAINED(book_missed(&account) == 0, "backed off after %d misses", i);
    }
    int64_t until = book_missed(&account);
    CHECK_EXPLAINED(until == clock_ns + PG_BACKOFF_MIN_NS, "the %dth miss in a row: back-off of %lld ns, wanted %d",
                    PG_MISSES_MAX, backoff_length(until), PG_BACKOFF_MIN_NS);
    CHECK_EXPLAINED(account.misses == 0, "the back-off left %d misses counted", account.misses);
}

/* Misses in the first PG_WAKING_NS after a wake-up of sleeping workers do
 * not count (the worker is on its way), whether the wake-up came before
 * the call or in it; from then on they count again. */
static void test_misses_while_workers_wake_do_not_count(void)
{
    pg_pool_account account = {0};
    const int64_t woken = clock_ns + 300; /* the first call wakes the workers, after it started */
    pg_pool_account_woke(&account, woken);
    int missed = 0;
    while (clock_ns - woken < PG_WAKING_NS) {
        CHECK_EXPLAINED(book_missed(&account) == 0, "backed off at miss %d, %lld ns after the wake-up", missed + 1,
                        (long long)(clock_ns - woken));
        missed += 1;
    }
    CHECK_EXPLAINED(missed > PG_MISSES_MAX && account.misses == 0, "%d misses while waking, %d counted", missed,
                    account.misses);
    for (int i = 1; i < PG_MISSES_MAX; ++i) {
        CHECK_EXPLAINED(book_missed(&account) == 0, "backed off after %d misses past the wake-up", i);
    }
    int64_t until = book_missed(&account);
    CHECK_EXPLAINED(until == clock_ns + PG_BACKOFF_MIN_NS, "the %dth miss past the wake-up: back-off of %lld ns",
                    PG_MISSES_MAX, backoff_length(until));

    /* Misses counted before a wake-up stay counted, and count on after its
     * window. */
    account = (pg_pool_account){0};
    for (int i = 1; i < PG_MISSES_MAX; ++i) {
        book_missed(&account);
    }
    pg_pool_account_woke(&account, clock_ns);
    CHECK_EXPLAINED(book_missed(&account) == 0 && account.misses == PG_MISSES_MAX - 1,
                    "a miss while waking: %d counted, wanted %d", account.misses, PG_MISSES_MAX - 1);
    clock_ns = account.woken_ns + PG_WAKING_NS;
    until = book_missed(&account);
    CHECK_EXPLAINED(until == clock_ns + PG_BACKOFF_MIN_NS, "a miss %d ns after the wake-up did not back off",
                    PG_WAKING_NS);
}

/* Where every call wakes a worker that never helps, every call opens a
 * window and no miss counts; the wake-ups' own cost (here 4.5 us each,
 * with the 0.5 us of publishing) is debt, which backs off once it exceeds
 * PG_DEBT_MAX_NS. */
static void test_wake_ups_that_never_help_back_off_on_their_debt(void)
{
    pg_pool_account account = {0};
    const int64_t wake_ns = 4500, publish_ns = 500;
    const int most = (int)(PG_DEBT_MAX_NS / (wake_ns + publish_ns)) + 1;
    int calls = 0;
    int64_t until = 0;
    while (until == 0 && calls < 10 * most) {
        pg_pool_account_woke(&account, clock_ns);
        until = book(&account, NUM_CHUNKS, publish_ns + wake_ns + NUM_CHUNKS * 1000);
        calls += 1;
        CHECK_EXPLAINED(account.misses == 0, "call %d: a miss counted in its own wake-up's window", calls);
    }
    CHECK_EXPLAINED(until != 0 && calls == most, "backed off after %d calls that woke a worker in vain, wanted %d",
                    until != 0 ? calls : -1, most);
}

/* Stalls are paid from the savings: a debt of PG_DEBT_MAX_NS is allowed,
 * one nanosecond more backs off. */
static void test_debt_beyond_the_limit_backs_off(void)
{
    pg_pool_account account = {0};
    /* Each stalled call ends 0.5 us (publishing) + stall - 1 us (the
     * chunk the worker took) after running alone would have. */
    int64_t loss = PG_DEBT_MAX_NS;
    CHECK_EXPLAINED(book_stalled(&account, loss + 500) == 0, "a debt of exactly %d ns backed off", PG_DEBT_MAX_NS);
    CHECK_EXPLAINED(account.credit_ns == -PG_DEBT_MAX_NS, "credit %lld, wanted %d", (long long)account.credit_ns,
                    -PG_DEBT_MAX_NS);
    int64_t until = book_stalled(&account, 1 + 500);
    CHECK_EXPLAINED(until == clock_ns + PG_BACKOFF_MIN_NS, "1 ns more debt: back-off of %lld ns, wanted %d",
                    backoff_length(until), PG_BACKOFF_MIN_NS);
    CHECK_EXPLAINED(account.credit_ns == 0, "a back-off clears the debt, left %lld", (long long)account.credit_ns);

    /* Banked savings pay for a stall of the same size. */
    account = (pg_pool_account){0};
    for (int i = 0; i < 1000; ++i) {
        book_helped(&account);
    }
    CHECK_EXPLAINED(book_stalled(&account, PG_CREDIT_MAX_NS + PG_DEBT_MAX_NS) == 0,
                    "a stall that the banked %d ns and the allowed debt cover backed off", PG_CREDIT_MAX_NS);
}

/* Back-offs that follow each other without a recovery in between double,
 * up to PG_BACKOFF_MAX_NS; a recovery starts again from PG_BACKOFF_MIN_NS. */
static void test_back_offs_double_until_the_pool_recovers(void)
{
    pg_pool_account account = {0};
    int64_t expected = PG_BACKOFF_MIN_NS;
    for (int i = 0; i < 12; ++i) {
        int64_t until = book_stalled(&account, 10 * MS);
        CHECK_EXPLAINED(until == clock_ns + expected, "back-off %d lasts %lld ns, wanted %lld", i,
                        backoff_length(until), (long long)expected);
        clock_ns = until;
        /* A few helped calls, far from the PG_DEBT_MAX_NS that recovers. */
        for (int k = 0; k < 3; ++k) {
            book_helped(&account);
        }
        CHECK_EXPLAINED(!account.recovered, "recovered after saving %lld ns", (long long)account.credit_ns);
        expected = expected * 2 > PG_BACKOFF_MAX_NS ? PG_BACKOFF_MAX_NS : expected * 2;
    }
    CHECK_EXPLAINED(account.backoff_ns == PG_BACKOFF_MAX_NS, "back-offs grew to %lld ns, the cap is %d",
                    (long long)account.backoff_ns, PG_BACKOFF_MAX_NS);

    /* Saving PG_DEBT_MAX_NS after a back-off is a recovery. */
    int helped = 0;
    while (!account.recovered && helped < 1000) {
        book_helped(&account);
        helped += 1;
    }
    CHECK_EXPLAINED(account.recovered, "%d calls saving 7.5 us each did not recover", helped);
    int64_t until = book_stalled(&account, 10 * MS);
    CHECK_EXPLAINED(until == clock_ns + PG_BACKOFF_MIN_NS, "after recovering, back-off lasts %lld ns, wanted %d",
                    backoff_length(until), PG_BACKOFF_MIN_NS);

    /* Misses back off along the same ladder. */
    clock_ns = until;
    for (int i = 1; i < PG_MISSES_MAX; ++i) {
        book_missed(&account);
    }
    until = book_missed(&account);
    CHECK_EXPLAINED(until == clock_ns + 2 * PG_BACKOFF_MIN_NS,
                    "misses after an unrecovered back-off: %lld ns, wanted %d", backoff_length(until),
                    2 * PG_BACKOFF_MIN_NS);
}

/* A caller that lost its CPU before its first chunk gives no pace: the
 * call is not booked, and it is no miss (the workers ran every chunk). */
static void test_a_call_without_the_callers_pace_is_not_booked(void)
{
    pg_pool_account account = {0};
    for (int i = 1; i < PG_MISSES_MAX; ++i) {
        book_missed(&account);
    }
    pg_pool_account before = account;
    CHECK_EXPLAINED(book(&account, 0, 100 * MS) == 0, "a call the workers ran alone backed off");
    CHECK_EXPLAINED(account.credit_ns == before.credit_ns && account.misses == 0,
                    "credit %lld -> %lld, misses %d (wanted 0)", (long long)before.credit_ns,
                    (long long)account.credit_ns, account.misses);
}

/* The estimate of running alone is a pace times the chunks: with 2^32 - 1
 * chunks it exceeds int64 nanoseconds, and must only hit the cap. */
static void test_huge_chunk_counts_do_not_overflow(void)
{
    pg_pool_account account = {0};
    pg_pooled_call call = {.started = 0, .begun = 0, .own_done = 1000 * MS, .finished = 1000 * MS,
                           .ran = 1, .num_chunks = 0xFFFFFFFFu};
    CHECK_EXPLAINED(pg_pool_account_settle(&account, &call) == 0, "backed off");
    CHECK_EXPLAINED(account.credit_ns == PG_CREDIT_MAX_NS, "credit %lld, wanted the cap %d",
                    (long long)account.credit_ns, PG_CREDIT_MAX_NS);
}

/* ---- probes: the caller's pace against its pace alone ----------------- */

#define SHAPE 42

/* The time the caller spent waiting for a worker behind it (its grace,
 * threadpool.c take_from_workers) is not the pace of its chunks: 10 chunks
 * at 1 us with 3 us of waiting among them keep a pace of 1 us, which the
 * grace of the next call and the estimate of running alone go by. */
static void test_waiting_is_not_the_callers_pace(void)
{
    pg_pool_account account = {0};
    pg_shape_pace *pace = pg_pool_account_shape(&account, SHAPE);
    const int64_t publish_ns = 500, waited_ns = 3000;
    pg_pooled_call call = {
        .started = clock_ns,
        .begun = clock_ns + publish_ns,
        .own_done = clock_ns + publish_ns + 10 * 1000 + waited_ns,
        .not_running = waited_ns,
        .finished = clock_ns + publish_ns + 10 * 1000 + waited_ns,
        .ran = 10,
        .num_chunks = NUM_CHUNKS,
        .pace = pace,
    };
    CHECK(pg_pool_account_settle(&account, &call) == 0);
    CHECK_EXPLAINED(pace->pooled_ns_per_chunk == 1000.0, "pace %.1f ns per chunk (wanted 1000)",
                    pace->pooled_ns_per_chunk);
    /* Alone: 16 chunks at 1 us against 13.5 us taken. */
    CHECK_EXPLAINED(account.credit_ns == NUM_CHUNKS * 1000 - (publish_ns + 10 * 1000 + waited_ns),
                    "credit %lld ns", (long long)account.credit_ns);
}

/* A call on a VM whose two vCPUs take turns on one core: the worker ran
 * half the chunks, and the caller's ran at 2 us each instead of 1, so the
 * call took 16.5 us, 0.5 us more than running alone.  The caller's pace
 * says alone would take 32. */
static int64_t book_taking_turns(pg_pool_account *account, pg_shape_pace *pace)
{
    return book_shaped(account, pace, 2000, NUM_CHUNKS / 2, 16500);
}

/* Runs a whole probe of `pace`'s shape, its timed call taking `alone_ns`,
 * starting when it is due; returns false if it never was. */
static bool probe(pg_shape_pace *pace, int64_t alone_ns)
{
    if (pg_pool_account_probe_step(pace, clock_ns) != PG_PROBE_WARM) {
        return false;
    }
    pg_pool_account_probe_warmed(pace);
    clock_ns += alone_ns;
    if (pg_pool_account_probe_step(pace, clock_ns) != PG_PROBE_TIMED) {
        return false;
    }
    pg_pool_account_probed(pace, clock_ns, clock_ns + alone_ns, NUM_CHUNKS);
    clock_ns += alone_ns;
    return true;
}

/* A probe is due after PG_PROBE_MIN_CALLS pooled calls of its shape and
 * PG_PROBE_INTERVAL_NS after the previous one; its first call warms, its
 * second is timed, whatever the clock says. */
static void test_probes_come_after_enough_calls_and_time(void)
{
    pg_pool_account account = {0};
    pg_shape_pace *pace = pg_pool_account_shape(&account, SHAPE);
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, clock_ns) == PG_PROBE_NONE, "a new shape is probed at once");
    for (int i = 1; i < PG_PROBE_MIN_CALLS; ++i) {
        book_helped_shaped(&account, pace);
        CHECK_EXPLAINED(pg_pool_account_probe_step(pace, clock_ns) == PG_PROBE_NONE, "probed after %d calls", i);
    }
    book_helped_shaped(&account, pace);
    CHECK_EXPLAINED(probe(pace, 16000), "no probe after %d calls", PG_PROBE_MIN_CALLS);
    CHECK_EXPLAINED(pace->num_slowdowns == 1 && pace->slowdowns[0] == 1.0, "%d probes, slowdown %g",
                    pace->num_slowdowns, pace->slowdowns[0]);

    /* The count again, then the interval. */
    for (int i = 0; i < PG_PROBE_MIN_CALLS; ++i) {
        book_helped_shaped(&account, pace);
    }
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, clock_ns) == PG_PROBE_NONE,
                    "probed again %lld ns after the last", (long long)(clock_ns - pace->probed_at));
    clock_ns = pace->probed_at + PG_PROBE_INTERVAL_NS;
    CHECK_EXPLAINED(probe(pace, 16000), "no probe %d ns after the last", PG_PROBE_INTERVAL_NS);

    /* A probe given up waits as long as one that ran: the count and the
     * interval again. */
    for (int i = 0; i < PG_PROBE_MIN_CALLS; ++i) {
        book_helped_shaped(&account, pace);
    }
    clock_ns += PG_PROBE_INTERVAL_NS;
    pg_pool_account_probe_given_up(pace, clock_ns);
    CHECK_EXPLAINED(!pace->warmed, "a given-up probe left its timed call pending");
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, clock_ns + PG_PROBE_INTERVAL_NS) == PG_PROBE_NONE,
                    "a given-up probe came back before %d more calls", PG_PROBE_MIN_CALLS);
    int64_t given_up_at = clock_ns;
    for (int i = 0; i < PG_PROBE_MIN_CALLS; ++i) {
        book_helped_shaped(&account, pace);
    }
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, given_up_at + PG_PROBE_INTERVAL_NS - 1) == PG_PROBE_NONE,
                    "a given-up probe came back before %d ns", PG_PROBE_INTERVAL_NS);
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, given_up_at + PG_PROBE_INTERVAL_NS) == PG_PROBE_WARM,
                    "no probe %d ns and %d calls after one was given up", PG_PROBE_INTERVAL_NS, PG_PROBE_MIN_CALLS);
}

/* Probes cost a pool that helps only their own calls: with the worker
 * halving every call and the probes finding no slowdown, the account never
 * backs off, and two calls in every PG_PROBE_MIN_CALLS + 2 at most run
 * alone. */
static void test_probes_leave_a_worker_that_helps_in_the_calls(void)
{
    pg_pool_account account = {0};
    pg_shape_pace *pace = pg_pool_account_shape(&account, SHAPE);
    int alone = 0, calls = 100000;
    for (int i = 0; i < calls; ++i) {
        if (pg_pool_account_probe_step(pace, clock_ns) != PG_PROBE_NONE) {
            CHECK(probe(pace, 16000));
            alone += 2;
            i += 1;
            continue;
        }
        CHECK_EXPLAINED(book_helped_shaped(&account, pace) == 0, "a helping pool backed off at call %d", i);
    }
    CHECK_EXPLAINED(alone <= 2 * calls / (PG_PROBE_MIN_CALLS + 2) + 2, "%d of %d calls ran alone", alone, calls);
    CHECK_EXPLAINED(pg_shape_pace_slowdown(pace) == 1.0, "slowdown %g", pg_shape_pace_slowdown(pace));
}

/* A back-off that a shape's slowdown brought about makes the shape's next
 * probe due on the interval alone: calls run alone while backing off, so
 * waiting for PG_PROBE_MIN_CALLS pooled calls would keep a slowdown the
 * machine no longer has for up to PG_PROBE_MIN_CALLS back-offs. */
static void test_a_back_off_brings_the_next_probe_forward(void)
{
    pg_pool_account account = {0};
    pg_shape_pace *pace = pg_pool_account_shape(&account, SHAPE);
    pace->pooled_ns_per_chunk = 2000;
    pg_pool_account_probed(pace, clock_ns, clock_ns + 16000, NUM_CHUNKS);
    pg_pool_account_probed(pace, clock_ns, clock_ns + 16000, NUM_CHUNKS);
    CHECK(pg_shape_pace_slowdown(pace) == 2.0);
    int64_t until = 0;
    for (int i = 0; i < 100000 && until == 0; ++i) {
        until = book_taking_turns(&account, pace);
    }
    CHECK_EXPLAINED(until != 0, "a slowdown of 2 never backed off");
    CHECK_EXPLAINED(pace->pooled_since_probe >= PG_PROBE_MIN_CALLS, "%u pooled calls counted after the back-off",
                    pace->pooled_since_probe);
    clock_ns = pace->probed_at + PG_PROBE_INTERVAL_NS;
    CHECK_EXPLAINED(pg_pool_account_probe_step(pace, clock_ns) == PG_PROBE_WARM,
                    "no probe due after a back-off and an interval");

    /* Without a slowdown a back-off leaves the count alone. */
    account = (pg_pool_account){0};
    pace = pg_pool_account_shape(&account, SHAPE);
    until = 0;
    for (int i = 0; i < 1000 && until == 0; ++i) {
        until = book_shaped(&account, pace, 1000, NUM_CHUNKS - 1, 500 + (NUM_CHUNKS - 1) * 1000 + 10 * MS);
    }
    CHECK_EXPLAINED(until != 0 && pace->pooled_since_probe == 1, "a stall: back-off %lld, %u calls counted",
                    (long long)until, pace->pooled_since_probe);
}

/* Where the worker slows the caller as much as it helps, the pool loses
 * the cost of pooling on every call; the caller's pace alone never shows
 * it, two probes do, and the account backs off. */
static void test_probes_reveal_a_worker_that_slows_the_caller(void)
{
    pg_pool_account account = {0};
    for (int i = 0; i < 10000; ++i) {
        CHECK_EXPLAINED(book_taking_turns(&account, NULL) == 0, "backed off without probes at call %d", i);
    }
    account = (pg_pool_account){0};
    pg_shape_pace *pace = pg_pool_account_shape(&account, SHAPE);
    int probes = 0;
    int64_t until = 0;
    for (int i = 0; i < 100000 && until == 0; ++i) {
        if (pg_pool_account_probe_step(pace, clock_ns) != PG_PROBE_NONE) {
            CHECK(probe(pace, 16000));
            probes += 1;
            continue;
        }
        until = book_taking_turns(&account, pace);
        if (probes < 2) {
            CHECK_EXPLAINED(until == 0, "backed off after %d probe(s)", probes);
        }
        if (pace->pooled_since_probe >= PG_PROBE_MIN_CALLS) {
            clock_ns += PG_PROBE_INTERVAL_NS; /* the next probe is due now, not thousands of calls later */
        }
    }
    CHECK_EXPLAINED(until != 0, "%d probes, and the pool never backed off", probes);
    CHECK_EXPLAINED(pg_shape_pace_slowdown(pace) == 2.0, "slowdown %g, wanted 2", pg_shape_pace_slowdown(pace));
}

/* The smaller of the latest two probes counts, and never less than 1: a
 * probe that met a stall while timing the caller alone cannot make the
 * pool look better than the caller's pace says. */
static void test_slowdown_is_the_smaller_of_two_probes_and_at_least_one(void)
{
    pg_shape_pace pace = {.shape = SHAPE, .pooled_ns_per_chunk = 2000};
    CHECK(pg_shape_pace_slowdown(NULL) == 1.0);
    pg_pool_account_probed(&pace, 0, 16000, NUM_CHUNKS); /* alone at 1000 per chunk: 2x */
    CHECK_EXPLAINED(pg_shape_pace_slowdown(&pace) == 1.0, "one probe made slowdown %g",
                    pg_shape_pace_slowdown(&pace));
    pg_pool_account_probed(&pace, 0, 500 * NUM_CHUNKS, NUM_CHUNKS); /* 4x */
    CHECK_EXPLAINED(pg_shape_pace_slowdown(&pace) == 2.0, "probes of 2x and 4x: %g", pg_shape_pace_slowdown(&pace));
    pg_pool_account_probed(&pace, 0, 4000 * NUM_CHUNKS, NUM_CHUNKS); /* alone slower: 0.5x */
    CHECK_EXPLAINED(pg_shape_pace_slowdown(&pace) == 1.0, "probes of 4x and 0.5x: %g",
                    pg_shape_pace_slowdown(&pace));
}

/* PG_PROBE_SHAPES shapes are kept; a new one replaces the least recently
 * used, afresh. */
static void test_the_least_recently_used_shape_gives_way(void)
{
    pg_pool_account account = {0};
    pg_shape_pace *first = pg_pool_account_shape(&account, 1);
    first->pooled_since_probe = 7;
    for (uint64_t shape = 2; shape <= PG_PROBE_SHAPES; ++shape) {
        pg_pool_account_shape(&account, shape);
    }
    CHECK(pg_pool_account_shape(&account, 1) == first && first->pooled_since_probe == 7);
    pg_shape_pace *newcomer = pg_pool_account_shape(&account, PG_PROBE_SHAPES + 1); /* replaces 2 */
    CHECK(newcomer != first && newcomer->shape == PG_PROBE_SHAPES + 1 && newcomer->pooled_since_probe == 0);
    for (uint64_t shape = 3; shape <= PG_PROBE_SHAPES; ++shape) {
        CHECK_EXPLAINED(pg_pool_account_shape(&account, shape)->shape == shape, "shape %llu lost",
                        (unsigned long long)shape);
    }
    CHECK(pg_pool_account_shape(&account, 1) == first && first->pooled_since_probe == 7);
}

int main(void)
{
    test_calls_that_save_never_back_off();
    test_misses_in_a_row_back_off();
    test_misses_while_workers_wake_do_not_count();
    test_wake_ups_that_never_help_back_off_on_their_debt();
    test_debt_beyond_the_limit_backs_off();
    test_back_offs_double_until_the_pool_recovers();
    test_a_call_without_the_callers_pace_is_not_booked();
    test_waiting_is_not_the_callers_pace();
    test_huge_chunk_counts_do_not_overflow();
    test_probes_come_after_enough_calls_and_time();
    test_probes_reveal_a_worker_that_slows_the_caller();
    test_slowdown_is_the_smaller_of_two_probes_and_at_least_one();
    test_the_least_recently_used_shape_gives_way();
    test_probes_leave_a_worker_that_helps_in_the_calls();
    test_a_back_off_brings_the_next_probe_forward();
    return tu_finish("test_pool_account");
}
