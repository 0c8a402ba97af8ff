/* kit.h - the one header every mpkit lesson includes.
 *
 * libkit removes noise so that a lesson shows its idea and nothing else:
 * error reporting, tagged single-write output, time and pacing, argument
 * parsing, shared anonymous mappings, and decoding a child's wait status.
 * Every name here starts with kit_ (or KIT_), so a reader always knows
 * what is ours and what is POSIX.
 *
 * The feature-test macro (_GNU_SOURCE) is defined once, in the Makefile,
 * so that every file sees the same declarations.
 */
#ifndef KIT_H
#define KIT_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>
#include <time.h>

/* ---- errors (err.c) ------------------------------------------------------
 * Each prints one line: the program, the failing call, file:line, the errno
 * name and its text, e.g.
 *   lesson01: fork failed at lessons/01-fork-join/fork_join.c:88: EAGAIN (Resource temporarily unavailable)
 * then ends the process with EXIT_FAILURE.
 *   kit_die(call)             errno-setting calls, in the original process: exit()
 *   kit_die_child(call)       the same in a forked child: _exit(), so stdio
 *                             buffers copied from the parent are not flushed twice
 *   kit_die_err(call, e)      calls that return an error number (pthreads)
 *   kit_die_err_child(call, e)
 *   kit_fail(fmt, ...)        a failure that is not a system call's (exit())
 */
#define kit_die(call) kit_die_at(__FILE__, __LINE__, (call), errno, false)
#define kit_die_child(call) kit_die_at(__FILE__, __LINE__, (call), errno, true)
#define kit_die_err(call, e) kit_die_at(__FILE__, __LINE__, (call), (e), false)
#define kit_die_err_child(call, e) kit_die_at(__FILE__, __LINE__, (call), (e), true)
noreturn void kit_die_at(const char *file, int line, const char *call, int errnum,
                         bool in_child);
noreturn void kit_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- output (out.c) ------------------------------------------------------
 * Every line is built in a buffer and written with one write(2), so lines
 * from different processes never tear into each other. Each line is tagged
 * with the role and pid of the process that printed it:
 *   [parent 4242] started 3 children
 *   [worker 2 4244] got 17
 * With kit_show_ms(true) each line starts with the milliseconds since the
 * program started (the start time is inherited across fork, so all
 * processes share one clock). Colour only when stdout is a terminal and
 * NO_COLOR is unset or empty.
 */
void kit_set_role(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kit_show_ms(bool on);
void kit_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kit_vsay(const char *fmt, va_list ap);
void kit_section(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kit_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A claim the lesson makes: prints "ok" or "FAIL" with the text, counts it,
 * and returns ok so the caller can react. */
bool kit_expect(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last line of every run: "VERDICT: PASS (n checks held)" or FAIL.
 * Returns the exit status for main: 0 only when every claim held. */
int kit_verdict(void);

/* ---- time (clock.c) ------------------------------------------------------ */
double kit_now(void);                       /* CLOCK_MONOTONIC, in seconds */
double kit_elapsed_ms(void);                /* since the program started */
void kit_sleep(double seconds);             /* a real sleep; restarts after EINTR */
void kit_set_quick(bool quick);             /* --quick turns pacing off */
bool kit_quick(void);
void kit_pace(double seconds);              /* a sleep that only paces the show */
/* An absolute deadline `seconds` from now on `clock`, for the calls that
 * take one (sem_timedwait: CLOCK_REALTIME; a condvar set to CLOCK_MONOTONIC). */
struct timespec kit_deadline(clockid_t clock, double seconds);
/* The median of n timings (sorts v in place; n > 0): what every benchmark
 * reports, because one slow run on a busy machine must not move it. */
double kit_median(double *v, size_t n);

/* ---- arguments (args.c) --------------------------------------------------
 * The vocabulary every lesson shares. A lesson lists KIT_LONGOPTS first in
 * its struct option table, starts its short options with KIT_SHORTOPTS, and
 * hands each option to kit_common_opt() before its own switch.
 */
#define KIT_SHORTOPTS "hqw:n:"
#define KIT_LONGOPTS                                                          \
    {"help", no_argument, NULL, 'h'}, {"quick", no_argument, NULL, 'q'},      \
        {"workers", required_argument, NULL, 'w'},                            \
        {"count", required_argument, NULL, 'n'}

struct kit_args {
    bool quick;
    long workers, workers_min, workers_max;  /* -w/--workers N */
    long count, count_min, count_max;        /* -n/--count N */
};

/* Remember the usage text (printed by -h and after every bad-input line). */
void kit_set_usage(const char *usage);
/* Handles -h, -q, -w, -n and getopt's '?' (bad option). Returns true when
 * it took the option; -h prints usage and exits 0, bad input exits 2. */
bool kit_common_opt(int opt, struct kit_args *args);
/* A whole number in [min, max], or: one line naming the option, the usage,
 * exit status 2. */
long kit_parse_long(const char *name, const char *text, long min, long max);
double kit_parse_double(const char *name, const char *text, double min, double max);
/* Rejects operands left after the options (exit 2). */
void kit_no_operands(int argc, char *const argv[]);
noreturn void kit_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- processes (proc.c) --------------------------------------------------- */
/* Shared anonymous memory: one copy that parent and children all see
 * (fork copies ordinary memory). Zero-filled. Dies on failure. */
void *kit_shared_alloc(size_t size);
void kit_shared_free(void *addr, size_t size);
/* "exited with status 3", "killed by signal 15 (SIGTERM)", "... (core dumped)" */
const char *kit_status_str(int status, char *buf, size_t size);
/* waitpid(pid) with a time limit: true when the child ended in time (its
 * status stored), false when it is still running (nothing is killed).
 * This is the watchdog every "this would hang forever" demo uses. */
bool kit_wait_timeout(pid_t pid, int *status, double seconds);
/* A name for a POSIX object that carries this program's pid, so that
 * parallel runs never collide and a leftover can be traced: "/mpkit-shm-4242". */
const char *kit_object_name(char *buf, size_t size, const char *what);

#endif
