/*
 * pool_account.c — see pool_account.h for the rules and why.
 */
#include "kernels/pool_account.h"

/* Calls before the returned time run alone. */
static int64_t back_off(pg_pool_account *account, int64_t now)
{
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

int64_t pg_pool_account_settle(pg_pool_account *account, const pg_pooled_call *call)
{
    if (call->ran == call->num_chunks) {
        if (++account->misses >= PG_MISSES_MAX) {
            return back_off(account, call->finished);
        }
    } else {
        account->misses = 0;
    }
    if (call->ran == 0) {
        return 0; /* the caller lost its CPU before its first chunk: no pace to go by */
    }
    /* In double: a pace times ~2^32 chunks overflows int64 nanoseconds. */
    double alone_ns = (double)(call->own_done - call->begun) * (double)call->num_chunks / (double)call->ran;
    double credit = (double)account->credit_ns + alone_ns - (double)(call->finished - call->started);
    if (credit > (double)PG_CREDIT_MAX_NS) {
        credit = (double)PG_CREDIT_MAX_NS;
    }
    if (credit >= (double)PG_DEBT_MAX_NS) {
        account->recovered = true;
    }
    if (credit < -(double)PG_DEBT_MAX_NS) {
        return back_off(account, call->finished);
    }
    account->credit_ns = (int64_t)credit;
    return 0;
}
