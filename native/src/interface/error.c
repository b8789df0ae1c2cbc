/*
 * error.c — the thread-local message behind pygraph_last_error_message().
 */
#include "interface/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One buffer per thread: messages never race and need no allocation.  2 KiB
 * holds any message pygraph writes; a longer one is cut (see pg_error). */
static _Thread_local char error_message[2048];

pygraph_status pg_error(pygraph_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(error_message, sizeof error_message, fmt, args);
    va_end(args);
    if (length < 0) {
        snprintf(error_message, sizeof error_message, "%s (the message could not be formatted)",
                 pygraph_status_name(status));
    } else if ((size_t)length >= sizeof error_message) {
        /* Cut at a UTF-8 character boundary (names may be UTF-8; Python
         * decodes the message) and say that the text was cut. */
        size_t end = sizeof error_message - 4;
        while (end > 0 && ((unsigned char)error_message[end] & 0xC0) == 0x80) --end;
        memcpy(error_message + end, "...", 4);
    }
    return status;
}

void pg_error_clear(void) {
    error_message[0] = '\0';
}

const char *pygraph_last_error_message(void) {
    return error_message;
}
