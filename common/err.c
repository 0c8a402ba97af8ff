/* err.c - report a failed call and end the process.
 *
 * The message is formatted into a buffer on the stack and written with a
 * single write(2) to stderr: no stdio buffer is involved, so the child-safe
 * variant can end with _exit() and never flush a copy of the parent's
 * stdout buffer (which would print the parent's pending output twice).
 */
#include "kit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_line(const char *line, size_t len)
{
    /* Best effort: we are about to exit, and stderr is the last resort. */
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, line, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        line += n;
        len -= (size_t)n;
    }
}

noreturn void kit_die_at(const char *file, int line, const char *call, int errnum,
                         bool in_child)
{
    const char *name = strerrorname_np(errnum);  /* "EAGAIN"; NULL if unknown */
    char buf[512];
    int len = snprintf(buf, sizeof buf, "%s: %s failed at %s:%d: %s (%s)\n",
                       program_invocation_short_name, call, file, line,
                       name ? name : "unknown errno", strerror(errnum));
    if (len < 0)
        len = 0;
    write_line(buf, (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1);
    if (in_child)
        _exit(EXIT_FAILURE);
    exit(EXIT_FAILURE);
}

noreturn void kit_fail(const char *fmt, ...)
{
    char buf[512];
    int len = snprintf(buf, sizeof buf, "%s: ", program_invocation_short_name);
    va_list ap;
    va_start(ap, fmt);
    int more = vsnprintf(buf + len, sizeof buf - (size_t)len - 1, fmt, ap);
    va_end(ap);
    len += more < 0 ? 0 : more;
    if ((size_t)len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    write_line(buf, (size_t)len);
    exit(EXIT_FAILURE);
}
