/*
 * pool_account.c — see pool_account.h for the rules and why.
 */
#include "kernels/pool_account.h"

/* Calls before the returned time run alone.  A back-off that a shape's
 * slowdown helped bring about makes that shape's next probe due on the
 * interval alone: calls run alone while backing off, so the pooled calls
 * that the count asks for would come only one per back-off, and a slowdown
 * the machine no longer has would keep the pool off for half a minute. */
static int64_t back_off(pg_pool_account *account, int64_t now, pg_shape_pace *pace)
{
    if (pg_shape_pace_slowdown(pace) > 1.0) {
        pace->pooled_since_probe = PG_PROBE_MIN_CALLS;
    }
    if (account->backoff_ns == 0 || account->recovered) {
        account->backoff_ns = PG_BACKOFF_MIN_NS;
    } else if (account->backoff_ns < PG_BACKOFF_MAX_NS) {
        account->backoff_ns *= 2;
    }
    account->recovered = false;
    account->credit_ns = 0;
    account->misses = 0;
    return now + account->backoff_ns;
}

pg_shape_pace *pg_pool_account_shape(pg_pool_account *account, uint64_t shape)
{
    account->lookups += 1;
    pg_shape_pace *oldest = &account->shapes[0];
    for (int i = 0; i < PG_PROBE_SHAPES; ++i) {
        pg_shape_pace *pace = &account->shapes[i];
        if (pace->shape == shape) {
            pace->last_use = account->lookups;
            return pace;
        }
        if (pace->last_use < oldest->last_use) {
            oldest = pace; /* free slots have last_use 0 */
        }
    }
    *oldest = (pg_shape_pace){.shape = shape, .last_use = account->lookups};
    return oldest;
}

pg_probe_step pg_pool_account_probe_step(const pg_shape_pace *pace, int64_t now)
{
    if (pace->warmed) {
        return PG_PROBE_TIMED;
    }
    bool due = pace->pooled_ns_per_chunk > 0 && pace->pooled_since_probe >= PG_PROBE_MIN_CALLS &&
               (pace->probed_at == 0 || now - pace->probed_at >= PG_PROBE_INTERVAL_NS);
    return due ? PG_PROBE_WARM : PG_PROBE_NONE;
}

void pg_pool_account_probe_warmed(pg_shape_pace *pace)
{
    pace->warmed = true;
}

void pg_pool_account_probed(pg_shape_pace *pace, int64_t started, int64_t finished, size_t num_chunks)
{
    double alone_ns_per_chunk = (double)(finished - started) / (double)num_chunks;
    if (alone_ns_per_chunk > 0) {
        pace->slowdowns[1] = pace->slowdowns[0];
        pace->slowdowns[0] = pace->pooled_ns_per_chunk / alone_ns_per_chunk;
        if (pace->num_slowdowns < 2) {
            pace->num_slowdowns += 1;
        }
    }
    pg_pool_account_probe_given_up(pace, finished);
}

void pg_pool_account_probe_given_up(pg_shape_pace *pace, int64_t now)
{
    pace->warmed = false;
    pace->pooled_since_probe = 0;
    pace->probed_at = now;
}

double pg_shape_pace_slowdown(const pg_shape_pace *pace)
{
    if (pace == NULL || pace->num_slowdowns < 2) {
        return 1.0;
    }
    double least = pace->slowdowns[0] < pace->slowdowns[1] ? pace->slowdowns[0] : pace->slowdowns[1];
    return least > 1.0 ? least : 1.0;
}

void pg_pool_account_woke(pg_pool_account *account, int64_t now)
{
    account->woken_ns = now;
}

int64_t pg_pool_account_settle(pg_pool_account *account, const pg_pooled_call *call)
{
    if (call->ran == call->num_chunks) {
        /* A wake-up inside the call (after `started`) is waking too. */
        const bool waking = account->woken_ns != 0 && call->started - account->woken_ns < PG_WAKING_NS;
        if (!waking && ++account->misses >= PG_MISSES_MAX) {
            return back_off(account, call->finished, call->pace);
        }
    } else {
        account->misses = 0;
    }
    if (call->ran == 0) {
        return 0; /* no chunk of the caller's, no pace to go by (pg_parallel_for's caller runs one at least) */
    }
    /* In double: a pace times ~2^32 chunks overflows int64 nanoseconds. */
    double own_ns_per_chunk = (double)(call->own_done - call->begun - call->not_running) / (double)call->ran;
    if (call->pace != NULL) {
        call->pace->pooled_ns_per_chunk = own_ns_per_chunk;
        if (call->pace->pooled_since_probe < UINT32_MAX) {
            call->pace->pooled_since_probe += 1;
        }
    }
    double alone_ns = own_ns_per_chunk * (double)call->num_chunks / pg_shape_pace_slowdown(call->pace);
    double credit = (double)account->credit_ns + alone_ns - (double)(call->finished - call->started);
    if (credit > (double)PG_CREDIT_MAX_NS) {
        credit = (double)PG_CREDIT_MAX_NS;
    }
    if (credit >= (double)PG_DEBT_MAX_NS) {
        account->recovered = true;
    }
    if (credit < -(double)PG_DEBT_MAX_NS) {
        return back_off(account, call->finished, call->pace);
    }
    account->credit_ns = (int64_t)credit;
    return 0;
}
