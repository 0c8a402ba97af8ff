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

#include <errno.h>
#include <getopt.h>
#include <signal.h>
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
 * then ends the process with EXIT_FAILURE. They know by themselves whether
 * they run in a forked child: a child ends with _exit() (no copy of the
 * parent's stdio buffers is flushed twice, no atexit handler runs twice);
 * the main process first stops and reaps every child it started and
 * removes its named objects (the stop path, proc.c), then exit()s.
 *   kit_die(call)             errno-setting calls
 *   kit_die_err(call, e)      calls that return an error number (pthreads);
 *                             kit_check(call) below is the short form
 *   kit_fail(fmt, ...)        a failure that is not a system call's
 */
#define kit_die(call) kit_die_at(__FILE__, __LINE__, (call), errno)
#define kit_die_err(call, e) kit_die_at(__FILE__, __LINE__, (call), (e))
/* For the calls that return an error number instead of setting errno (the
 * pthread_* functions): the call stays in view, and a non-zero result ends
 * the process with the call's own text in the message:
 *   kit_check(pthread_mutex_lock(&s->lock));                                */
noreturn void kit_die_at(const char *file, int line, const char *call, int errnum);
#define kit_check(call) kit_check_at(__FILE__, __LINE__, #call, (call))
static inline void kit_check_at(const char *file, int line, const char *call, int e)
{
    if (e != 0)
        kit_die_at(file, line, call, e);
}
noreturn void kit_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True in the process that started the program, false in a forked child. */
bool kit_is_main(void);

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
/* An untagged line (the intro, a table), also one write(2). */
void kit_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
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

/* ---- numbers and bad input (args.c) -------------------------------------
 * Whole numbers are parsed completely: no digits, white space, trailing
 * junk, overflow and out-of-range all get one line that names the option,
 * then the usage, on stderr, and exit status 2 ("you called me wrong").
 */
void kit_set_usage(const char *usage);   /* what kit_usage_error prints */
long kit_parse_long(const char *name, const char *text, long min, long max);
double kit_parse_double(const char *name, const char *text, double min, double max);
noreturn void kit_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* text with control and non-ASCII bytes shown as \xNN, cut at ~90 bytes:
 * what a one-line error message may quote of the user's input. */
const char *kit_visible(const char *text);

/* ---- a lesson's command line and its parts (lesson.c) ---------------------
 * A lesson is a table of parts. kit_main() parses the shared vocabulary
 *   -h/--help  -q/--quick  -w/--workers N  -n/--count N  --list  --part N
 * plus one long option per part (--no-lock) and the lesson's own options,
 * prints the usage from the table, prints the intro (the first screen),
 * runs the chosen parts in table order (by default: every part marked
 * by_default), and ends with the verdict. It also sets the signal state
 * every lesson relies on: an empty signal mask, SIGCHLD at its default,
 * and the stop policy for SIGINT, SIGTERM and SIGHUP (see kit_start).
 */
struct kit_args {
    bool quick;                 /* -q: no pacing */
    long workers, count;        /* -w and -n, or the lesson's defaults */
};

struct kit_part {
    const char *option;         /* "no-lock": --no-lock runs this part */
    const char *title;          /* the heading, in --list and in --help */
    void (*run)(const struct kit_args *args);
    bool by_default;            /* runs when no part is asked for */
};

struct kit_number {             /* -w/--workers N, -n/--count N */
    const char *help;           /* "processes adding to the counter" */
    long value, min, max;       /* the default and the range */
    long quick;                 /* the default under --quick; 0: the same */
};

struct kit_option {             /* a lesson's own option: --trials K, --interactive */
    const char *name, *arg;     /* arg NULL: a flag, and *value becomes 1 */
    const char *help;
    long *value, min, max;
};

struct kit_lesson {
    const char *name;           /* "lesson05" */
    const char *title;          /* "Lock race 进程锁" */
    /* The first screen, one or two lines each: */
    const char *idea;           /* what the lesson shows, in plain words */
    const char *python;         /* the Python it mirrors, as in the notes */
    const char *mechanism;      /* how C does it */
    const char *watch;          /* what to look for in the output */
    const struct kit_part *parts;        /* ends with {0} */
    struct kit_number workers, count;    /* help NULL: the lesson takes no such option */
    const struct kit_option *options;    /* ends with {0}; may be NULL */
    bool show_ms;               /* tag each line with the milliseconds since start */
};

int kit_main(const struct kit_lesson *lesson, int argc, char *argv[]);

/* ---- processes (proc.c) ---------------------------------------------------
 * kit_start forks a child that runs body(id) with its role set, then _exit(0)s.
 * The child cannot fall through into the parent's code, and:
 *  - it dies with its parent: PR_SET_PDEATHSIG is set, and a child whose
 *    parent died before that is noticed and ends (no orphan);
 *  - SIGINT, SIGTERM and SIGHUP are at their defaults in it;
 *  - the parent notes it down, with the stop signals blocked meanwhile, so
 *    the stop path always knows every child it has not joined yet.
 * The stop path (kit_main installs it for SIGINT, SIGTERM, SIGHUP; kit_die
 * and kit_fail run it too): pass the signal to every unjoined child, give
 * them a second, SIGKILL the rest, reap them all, unlink the guarded named
 * objects, then die of the signal (or exit 1). A failed fork() therefore
 * ends every child already started.
 * Lessons 01 and 07, whose idea is fork/waitpid and signals, call fork()
 * and waitpid() themselves.
 */
pid_t kit_start(void (*body)(int id), int id, const char *role_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* join: waitpid(pid) for at most `seconds` (< 0: no limit), EINTR handled.
 * True when the child has ended (its wait status in *status); false when it
 * is still running after the time limit (nothing is killed). */
bool kit_join(pid_t pid, int *status, double seconds);
/* The watchdog's end: SIGKILL the child and reap it. */
void kit_kill_join(pid_t pid, int *status);
/* Joins every child not joined yet, each within `seconds` (< 0: no limit);
 * one still running then is killed. A child that did not exit with status
 * 0 gets a FAIL line. True when all of them exited with status 0. */
bool kit_join_all(double seconds);
/* How many children are started and not joined yet. */
int kit_children(void);
/* "exited with status 3", "killed by signal 15 (SIGTERM)", "... (core dumped)" */
const char *kit_status_str(int status, char *buf, size_t size);
/* Runs the stop path now, in the main process: every unjoined child gets
 * `sig` (then SIGKILL after a second) and is reaped; guarded names are
 * unlinked. Nothing else happens; the caller goes on. */
void kit_stop_children(int sig);
/* What kit_main sets up (benchmarks call it themselves): an empty signal
 * mask, SIGCHLD at its default, and the stop path on SIGINT, SIGTERM and
 * SIGHUP. */
void kit_stop_policy(void);

/* Shared anonymous memory: one copy that parent and children all see
 * (fork copies ordinary memory). Zero-filled. Dies on failure. */
void *kit_shared_alloc(size_t size);
void kit_shared_free(void *addr, size_t size);

/* The starting gate: a pipe nobody writes to. Children block in
 * kit_gate_wait() (read() until end of file) until the parent calls
 * kit_gate_open(), which closes the last write end: read() then returns 0
 * in every child at once, however long each fork took. */
struct kit_gate { int fd[2]; };
void kit_gate_init(struct kit_gate *gate);
void kit_gate_wait(struct kit_gate *gate);   /* in the child */
void kit_gate_open(struct kit_gate *gate);   /* in the parent, after starting them all */

/* A name for a POSIX named object (shm_open, sem_open) that carries the pid,
 * "/mpkit-shm-4242", so parallel runs never collide and a leftover can be
 * traced. A leftover of that name (from a killed run whose pid we now have)
 * is removed. The name is guarded: until kit_object_unlinked(name), the
 * stop path removes it, so Ctrl-C or a fatal error leaves /dev/shm clean. */
const char *kit_object_name(char *buf, size_t size, const char *what);
void kit_object_unlinked(const char *name);

/* ---- the timeline (trace.c) ----------------------------------------------
 * --trace FILE (every lesson, kit_main) writes a tab-separated timeline of
 * the run: a "# key: value" header (lesson, machine, date), the column line
 *   time_ns  pid  role  kind  text
 * and one row per event, from every process, each row one write(2) to a
 * file opened with O_APPEND (so rows never tear). libkit writes the rows by
 * itself: fork, start, exit, join, message (kit_say/kit_warn/kit_expect),
 * section, and the span "gate" (kit_gate_wait). A lesson marks the spans its
 * picture needs with two calls (begin and end name the same span):
 *   kit_span_begin("lock");  ...  kit_span_end("lock");
 * Without --trace every call here returns at once. Never call them inside a
 * loop of millions: trace around the loop. kit_trace() is async-signal-safe.
 * make timelines draws the charts (plots/timeline.gp).
 */
void kit_trace_open(const char *path, const char *lesson, const char *title, int argc,
                    char *argv[]);
void kit_trace_close(void);
bool kit_tracing(void);
void kit_trace(const char *kind, const char *text);
void kit_span_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kit_span_end(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The role kit_set_role gave this process ("parent", "worker 2"). */
const char *kit_role(void);

#endif
