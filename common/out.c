/* out.c - tagged output, one write(2) per line.
 *
 * Why one write: stdout is shared by every process forked from the lesson.
 * printf() may hand a line to the kernel in pieces, and pieces from two
 * processes interleave. A single write() of a whole line to a pipe or a
 * terminal is not split, so every line arrives whole.
 * Why not stdio at all: a stdio buffer that holds unwritten text when fork()
 * runs is copied into the child, and the text comes out twice. With no
 * buffer there is nothing to copy.
 */
#include "kit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LINE_MAX_BYTES = 1024 };

static char role[64] = "parent";
static bool show_ms;
static int colour = -1;          /* -1: not decided yet */
static int checks, failures;

static bool use_colour(void)
{
    if (colour == -1) {
        const char *no = getenv("NO_COLOR");  /* https://no-color.org */
        colour = isatty(STDOUT_FILENO) && (no == NULL || no[0] == '\0');
    }
    return colour;
}

void kit_set_role(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(role, sizeof role, fmt, ap);
    va_end(ap);
}

void kit_show_ms(bool on) { show_ms = on; }

const char *kit_role(void) { return role; }

static void put(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            kit_die("write");   /* EPIPE when SIGPIPE is ignored, EBADF, ... */
        buf += n;
        len -= (size_t)n;
    }
}

/* Appends to buf at *len, never past LINE_MAX_BYTES - 2 (room for "\n"). */
static void add(char *buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void vadd(char *buf, size_t *len, const char *fmt, va_list ap)
{
    size_t room = LINE_MAX_BYTES - 1 - *len;
    int n = vsnprintf(buf + *len, room, fmt, ap);
    if (n > 0)
        *len += (size_t)n < room ? (size_t)n : room - 1;
}
static void add(char *buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(buf, len, fmt, ap);
    va_end(ap);
}

/* The colour of a role: the same role always gets the same colour. */
static int role_colour(void)
{
    if (strcmp(role, "parent") == 0)
        return 1;               /* bold */
    unsigned hash = 0;
    for (const char *p = role; *p; p++)
        hash = hash * 31 + (unsigned char)*p;
    return 31 + (int)(hash % 6); /* red .. cyan */
}

/* With --trace, the line is also a 'message' row: its text without the tag. */
static void trace_line(const char *mark, const char *fmt, va_list ap)
{
    char buf[LINE_MAX_BYTES];
    size_t len = 0;
    if (mark != NULL)
        add(buf, &len, "%s ", mark);
    vadd(buf, &len, fmt, ap);
    buf[len] = '\0';
    kit_trace("message", buf);
}

static void line(const char *mark, int mark_colour, const char *fmt, va_list ap)
{
    char buf[LINE_MAX_BYTES];
    size_t len = 0;
    bool c = use_colour();
    if (kit_tracing()) {
        va_list copy;
        va_copy(copy, ap);
        trace_line(mark, fmt, copy);
        va_end(copy);
    }
    if (show_ms)
        add(buf, &len, "%6.0fms ", kit_elapsed_ms());
    if (c)
        add(buf, &len, "\033[%dm[%s %ld]\033[0m ", role_colour(), role, (long)getpid());
    else
        add(buf, &len, "[%s %ld] ", role, (long)getpid());
    if (mark != NULL && c)
        add(buf, &len, "\033[1;%dm%s\033[0m ", mark_colour, mark);
    else if (mark != NULL)
        add(buf, &len, "%s ", mark);
    vadd(buf, &len, fmt, ap);
    buf[len++] = '\n';
    put(buf, len);
}

void kit_vsay(const char *fmt, va_list ap) { line(NULL, 0, fmt, ap); }

void kit_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(NULL, 0, fmt, ap);
    va_end(ap);
}

void kit_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("WARNING:", 31, fmt, ap);
    va_end(ap);
}

void kit_plain(const char *fmt, ...)
{
    char buf[LINE_MAX_BYTES];
    size_t len = 0;
    va_list ap;
    va_start(ap, fmt);
    vadd(buf, &len, fmt, ap);
    va_end(ap);
    buf[len++] = '\n';
    put(buf, len);
}

void kit_section(const char *fmt, ...)
{
    char buf[LINE_MAX_BYTES];
    size_t len = 0;
    bool c = use_colour();
    va_list ap;
    va_start(ap, fmt);
    add(buf, &len, c ? "\n\033[1m== " : "\n== ");
    vadd(buf, &len, fmt, ap);
    add(buf, &len, c ? " ==\033[0m" : " ==");
    va_end(ap);
    if (kit_tracing()) {
        va_start(ap, fmt);
        char text[LINE_MAX_BYTES];
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        kit_trace("section", text);
    }
    buf[len++] = '\n';
    put(buf, len);
}

bool kit_expect(bool ok, const char *fmt, ...)
{
    checks++;
    failures += !ok;
    va_list ap;
    va_start(ap, fmt);
    line(ok ? "ok  " : "FAIL", ok ? 32 : 31, fmt, ap);
    va_end(ap);
    return ok;
}

int kit_verdict(void)
{
    if (failures == 0 && checks == 1)
        kit_say("VERDICT: PASS - the 1 check held");
    else if (failures == 0)
        kit_say("VERDICT: PASS - all %d checks held", checks);
    else
        kit_say("VERDICT: FAIL - %d of %d check%s failed", failures, checks,
                checks == 1 ? "" : "s");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
