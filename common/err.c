/* err.c - report a failed call and end the process.
 *
 * The message is formatted into a buffer on the stack and written with a
 * single write(2) to stderr: no stdio buffer is involved, so a child can end
 * with _exit() and never flush a copy of the parent's stdout buffer (which
 * would print the parent's pending output twice).
 *
 * Which process are we? The pid of the process that started the program is
 * noted before main() runs; any other pid is a forked child. So no caller
 * has to say "I am a child" - and none can say it wrongly.
 */
#include "kit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pid_t main_pid;

/* Runs before main(): every process forked later inherits this value. */
__attribute__((constructor)) static void remember_main(void) { main_pid = getpid(); }

bool kit_is_main(void) { return getpid() == main_pid; }

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

/* The one way out after a failure. The main process first ends and reaps
 * every child it started and removes its named objects (the stop path). */
static noreturn void leave(void)
{
    if (!kit_is_main())
        _exit(EXIT_FAILURE);
    kit_stop_children(SIGTERM);
    exit(EXIT_FAILURE);
}

noreturn void kit_die_at(const char *file, int line, const char *call, int errnum)
{
    const char *name = strerrorname_np(errnum);  /* "EAGAIN"; NULL if unknown */
    char buf[512];
    int len = snprintf(buf, sizeof buf, "%s: %s failed at %s:%d: %s (%s)\n",
                       program_invocation_short_name, call, file, line,
                       name ? name : "unknown errno", strerror(errnum));
    if (len < 0)
        len = 0;
    write_line(buf, (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1);
    leave();
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
    leave();
}
