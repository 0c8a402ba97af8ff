/* trace.c - the timeline of a run: --trace FILE writes one row per event.
 *
 * Every process of the lesson appends rows to the same file:
 *   time_ns  pid  role  kind  text
 * separated by tabs, after a header of "# key: value" lines (the lesson, the
 * machine, the date). The kinds are written by libkit itself, so a lesson
 * gets a timeline without a line of its own:
 *   fork      the first row of a forked child (any fork(): a pthread_atfork handler)
 *   start     kit_start's child, its role set, about to run its body
 *   exit      that body returned; _exit(0) follows
 *   join      the parent's kit_join found the child ended (text: pid and status)
 *   message   a kit_say/kit_warn/kit_expect line, as printed, without the tag
 *   section   a heading: "== 2. title =="
 *   begin/end a span, text its name: "gate" (kit_gate_wait), or a lesson's own
 *             kit_span_begin("lock") ... kit_span_end("lock")
 *
 * Why many writers are safe: the file is opened with O_APPEND and each row is
 * ONE write(2). For a regular file the kernel moves to the end and writes in
 * one step, so rows of different processes never tear or overwrite.
 * Why fork needs nothing: the descriptor is inherited, and so is the start
 * time (clock.c), so every process writes on the same clock.
 * kit_trace() is async-signal-safe: clock_gettime, getpid and write, and a
 * row built by hand (no snprintf, no malloc). The header (once, before any
 * child) and kit_span_begin's formatting are not, and run outside handlers.
 */
#include "kit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { ROW_BYTES = 1280, TEXT_BYTES = 1024, HEADER_BYTES = 4096 };

static int fd = -1;             /* the trace file; -1: no --trace */

bool kit_tracing(void) { return fd != -1; }

/* ---- rows: async-signal-safe --------------------------------------------- */
static size_t put_text(char *row, size_t at, size_t end, const char *text)
{
    /* A tab or a line break inside the text would start a new column or row. */
    for (; text != NULL && *text != '\0' && at < end; text++)
        row[at++] = (*text == '\t' || *text == '\n' || *text == '\r') ? ' ' : *text;
    return at;
}

static size_t put_number(char *row, size_t at, long long v)
{
    char digits[24];
    int n = 0;
    if (v < 0) {
        row[at++] = '-';
        v = -v;
    }
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        row[at++] = digits[--n];
    return at;
}

void kit_trace(const char *kind, const char *text)
{
    if (fd == -1)
        return;
    int saved = errno;          /* a handler must leave errno as it found it */
    char row[ROW_BYTES];
    size_t at = put_number(row, 0, (long long)(kit_elapsed_ms() * 1e6));
    row[at++] = '\t';
    at = put_number(row, at, getpid());
    row[at++] = '\t';
    at = put_text(row, at, 64 + at, kit_role());
    row[at++] = '\t';
    at = put_text(row, at, 16 + at, kind);
    row[at++] = '\t';
    at = put_text(row, at, sizeof row - 1, text);
    row[at++] = '\n';
    /* One write: whole or not at all. A trace that cannot be written (disk
     * full) must not end the lesson; this process stops tracing instead. */
    if (write(fd, row, at) != (ssize_t)at)
        fd = -1;
    errno = saved;
}

/* Runs in every child right after fork() returns 0 in it, the lesson's own
 * bare fork() calls too (lessons 01, 07, 12): its first row. */
static void forked(void)
{
    char text[40] = "fork() returned 0; parent ";
    size_t at = put_number(text, strlen(text), getppid());
    text[at] = '\0';
    kit_trace("fork", text);
}

/* ---- spans -------------------------------------------------------------- */
static void span(const char *kind, const char *fmt, va_list ap)
{
    if (fd == -1)
        return;
    char name[TEXT_BYTES];
    vsnprintf(name, sizeof name, fmt, ap);
    kit_trace(kind, name);
}

void kit_span_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    span("begin", fmt, ap);
    va_end(ap);
}

void kit_span_end(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    span("end", fmt, ap);
    va_end(ap);
}

/* ---- the file and its header --------------------------------------------- */
static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown cpu");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            snprintf(buf, size, "%s", colon + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

void kit_trace_open(const char *path, const char *lesson, const char *title, int argc,
                    char *argv[])
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (f == -1)
        kit_fail("--trace %s: cannot write it: %s", kit_visible(path), strerror(errno));
    char head[HEADER_BYTES], cpu[128], date[64];
    struct utsname u;
    if (uname(&u) == -1)
        kit_die("uname");
    double load[3] = {-1, -1, -1};
    getloadavg(load, 3);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    cpu_model(cpu, sizeof cpu);
    int len = snprintf(head, sizeof head,
                       "# mpkit trace: one row per event, every process of the run\n"
                       "# lesson: %s\n# title: %s\n# command:", lesson, title);
    for (int i = 0; i < argc && len < HEADER_BYTES - 200; i++)
        len += snprintf(head + len, sizeof head - (size_t)len, " %s", kit_visible(argv[i]));
    len += snprintf(head + len, sizeof head - (size_t)len,
                    "\n# host: %s\n# cores: %ld\n# cpu: %s\n# kernel: %s %s %s\n"
                    "# date: %s\n# load average: %.2f %.2f %.2f\n"
                    "# clock: CLOCK_MONOTONIC, time_ns since the program started\n"
                    "time_ns\tpid\trole\tkind\ttext\n",
                    u.nodename, sysconf(_SC_NPROCESSORS_ONLN), cpu, u.sysname, u.release,
                    u.machine, date, load[0], load[1], load[2]);
    if (len >= HEADER_BYTES)
        len = HEADER_BYTES - 1;
    if (write(f, head, (size_t)len) != len)
        kit_fail("--trace %s: cannot write it: %s", kit_visible(path), strerror(errno));
    fd = f;
    static bool registered;     /* the handler stays: it does nothing without a file */
    if (!registered && pthread_atfork(NULL, NULL, forked) != 0)
        kit_fail("pthread_atfork failed");
    registered = true;
    kit_trace("start", "main");
}

void kit_trace_close(void)
{
    if (fd == -1)
        return;
    kit_trace("exit", "the verdict is out");   /* kit_main calls it, in the main process */
    close(fd);
    fd = -1;
}
