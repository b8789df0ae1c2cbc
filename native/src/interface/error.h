/*
 * error.h — status plus message: how every layer reports a failure.
 *
 * A public entry point calls pg_error_clear() on entry and returns
 * pg_error(status, fmt, ...) on failure; the formatted text becomes the
 * thread-local pygraph_last_error_message().  Messages name the op
 * (id, kind, name), the attribute or port, and expected vs got.
 */
#ifndef PYGRAPH_INTERFACE_ERROR_H
#define PYGRAPH_INTERFACE_ERROR_H

#include "pygraph/pygraph.h"

#if defined(__GNUC__)
#define PG_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define PG_PRINTF(fmt_index, first_arg)
#endif

/* Sets this thread's message (truncated to the buffer, never overflowing)
 * and returns `status`, so that failures read `return pg_error(...)`. */
pygraph_status pg_error(pygraph_status status, const char *fmt, ...) PG_PRINTF(2, 3);

/* Empties this thread's message (called on entry to every public function). */
void pg_error_clear(void);

#endif /* PYGRAPH_INTERFACE_ERROR_H */
