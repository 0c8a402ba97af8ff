/* run.h - the test helper every lesson's test_*.c uses.
 *
 * run_lesson() starts ./lessonNN with posix_spawn in its own process group,
 * captures stdout and stderr, enforces a time limit, and then checks that the
 * run left nothing behind:
 *  - processes: the test process is a child subreaper, so any child the
 *    lesson failed to reap (a zombie) or left running (an orphan) is
 *    re-parented to us when the lesson exits, and counted here;
 *  - /dev/shm objects whose names carry the lesson's pid (kit_object_name).
 * Leftovers are counted, then killed, reaped and unlinked, so one bad run
 * cannot spoil the next test.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>

struct lesson_run {
    int status;            /* raw wait status of the lesson */
    int exit_code;         /* WEXITSTATUS, or -1 when it did not exit normally */
    bool timed_out;        /* killed by run_lesson after the time limit */
    double seconds;        /* wall time, start to exit */
    char *out, *err;       /* everything it printed, NUL-terminated */
    int leftovers;         /* processes left behind: zombies and orphans */
    int running;           /* of those, still running when the lesson ended */
    char shm_left[256];    /* /dev/shm names left behind, "" when none */
    pid_t pid;             /* the lesson's pid (and its process group) */
    bool sent;             /* a fault's signal went out (run_lesson_fault) */
    pid_t victim;          /* the child it went to, for RUN_TO_CHILD */
    double sent_at;        /* seconds from start to the signal */
    bool group_left;       /* a process of its group outlived the grace time */
};

/* Runs MPKIT_BIN/lesson (MPKIT_BIN defaults to ".") with the NULL-terminated
 * (RUN: RUN("lesson01", 10, "--quick"); no arguments: RUN("lesson01", 10, NULL))
 * argv (argv[0] excluded) and stdin from /dev/null. */
struct lesson_run run_lesson(const char *lesson, double limit, const char *const args[]);
#define RUN(lesson, limit, ...) run_lesson((lesson), (limit), (const char *const[]){__VA_ARGS__, NULL})
void run_free(struct lesson_run *r);

/* Like run_lesson, but once the lesson's stdout contains `when`, sends `sig`
 * to its whole process group, as Ctrl-C (SIGINT) does to a foreground job:
 *   RUN_SIGNAL("lesson04", 10, SIGINT, "waiting for Ctrl-C", "--quick");
 * or to the lesson's main process alone, as `kill PID` does:
 *   RUN_SIGNAL_MAIN("lesson09", 10, SIGTERM, "waiting", "--notes");
 * The run then goes on as usual: time limit, leftovers, /dev/shm. */
struct lesson_run run_lesson_signal(const char *lesson, double limit, int sig, bool group,
                                    const char *when, const char *const args[]);
#define RUN_SIGNAL(lesson, limit, sig, when, ...)                                     \
    run_lesson_signal((lesson), (limit), (sig), true, (when),                       \
                      (const char *const[]){__VA_ARGS__, NULL})
#define RUN_SIGNAL_MAIN(lesson, limit, sig, when, ...)                                \
    run_lesson_signal((lesson), (limit), (sig), false, (when),                      \
                      (const char *const[]){__VA_ARGS__, NULL})

/* A fault injected into a run (tests/test_faults.c). Once stdout contains
 * `when` (NULL: at once) and `delay_ms` more have passed, `sig` goes to
 * the lesson's process group, to its main process, or to one child of the
 * main process (RUN_TO_CHILD: the first one /proc lists; it waits until one
 * exists). `env` adds NAME=value strings to the lesson's environment (an
 * LD_PRELOAD shim); `mask` is the signal mask it starts with (exec keeps
 * it), NULL for an empty one. `grace` (0: half a second) is how long the
 * run's other processes get, after the main one ended, to end by
 * themselves (they keep their pipes: nothing dies of SIGPIPE meanwhile);
 * those still there after it count as `running`, and group_left says one
 * of the lesson's process group was among them. */
enum run_target { RUN_TO_GROUP, RUN_TO_MAIN, RUN_TO_CHILD };
struct run_fault {
    int sig;
    enum run_target target;
    const char *when;
    int delay_ms;
    const char *const *env;
    const sigset_t *mask;
    double grace;
    int then_main_ms;      /* RUN_TO_CHILD only: this long after the child's kill, SIGKILL the main process */
};
struct lesson_run run_lesson_fault(const char *lesson, double limit, const struct run_fault *f,
                                   const char *const args[]);
#define RUN_FAULT(lesson, limit, fault, ...) \
    run_lesson_fault((lesson), (limit), (fault), (const char *const[]){__VA_ARGS__, NULL})

/* fork() for a test: the child gets SIGKILL if the test process dies (a
 * Criterion time-out), so it can never be left behind as an orphan. The
 * child must end with _exit(): returning into the test body would run the
 * rest of the test, and the runner, twice. */
pid_t test_fork(void);

/* The lessons in lessons/NN-name/, as "lesson01", "lesson02", ..., sorted (run
 * from the top of the kit); MPKIT_ONLY="lesson05 lesson10" keeps just those.
 * Returns how many, at most max; no lesson at all ends the program. */
int find_lessons(char names[][16], int max);

/* How often needle occurs in text. */
size_t count_of(const char *text, const char *needle);
/* The number printed right after the first `key` in text; false if absent. */
bool number_after(const char *text, const char *key, double *value);

/* Asserts that the run finished in time with `code` and left nothing behind;
 * on failure the message carries the lesson's stderr. */
#define assert_run(r, code)                                                             \
    do {                                                                               \
        cr_assert(!(r).timed_out, "timed out after %.1f s\nstdout:\n%s\nstderr:\n%s",  \
                  (r).seconds, (r).out, (r).err);                                      \
        cr_assert_eq((r).exit_code, (code), "exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
                     (r).exit_code, (code), (r).out, (r).err);                         \
        cr_assert_eq((r).leftovers, 0, "%d process(es) left behind", (r).leftovers);   \
        cr_assert_str_empty((r).shm_left, "left in /dev/shm: %s", (r).shm_left);       \
    } while (0)

/* The lesson printed `text`; if not, the message shows all it printed. */
#define assert_says(r, text) \
    cr_assert(strstr((r).out, (text)) != NULL, "no '%s' in:\n%s", (text), (r).out)

/* The --quick run every lesson's tests start with: exit 0, nothing left
 * behind, under `limit` seconds (well under 1 s on a quiet machine; a
 * shared one needs room), "VERDICT: PASS - all <checks> checks held", no
 * FAIL line, nothing on stderr. */
#define assert_quick_pass(r, checks, limit)                                           \
    do {                                                                             \
        assert_run((r), 0);                                                          \
        cr_assert((r).seconds < (limit), "--quick took %.2f s", (r).seconds);        \
        char verdict_[64];                                                           \
        if ((checks) == 1)                                                           \
            snprintf(verdict_, sizeof verdict_, "VERDICT: PASS - the 1 check held");  \
        else                                                                         \
            snprintf(verdict_, sizeof verdict_, "VERDICT: PASS - all %d checks held", (checks)); \
        assert_says((r), verdict_);                                                  \
        cr_assert_eq(count_of((r).out, "FAIL"), 0, "%s", (r).out);                   \
        cr_assert_str_empty((r).err);                                                \
    } while (0)

/* The default run, paced for a class to watch: exit 0, nothing left
 * behind, more than 2 s and at most 10 s. */
#define assert_paced_run(r)                                                           \
    do {                                                                             \
        assert_run((r), 0);                                                          \
        cr_assert((r).seconds < 10.0, "default run took %.1f s", (r).seconds);       \
        cr_assert((r).seconds > 2.0, "the default run is paced for a class (%.1f s)", \
                  (r).seconds);                                                      \
    } while (0)

/* --help: exit 0, "usage: <lesson>" and every option of `opts` (an array
 * of strings) on stdout. */
#define assert_help_lists(lesson, opts)                                               \
    do {                                                                             \
        struct lesson_run h_ = RUN((lesson), 5, "--help");                           \
        assert_run(h_, 0);                                                           \
        assert_says(h_, "usage: " lesson);                                           \
        for (size_t i_ = 0; i_ < sizeof(opts) / sizeof((opts)[0]); i_++)            \
            cr_assert(strstr(h_.out, (opts)[i_]), "--help does not list %s", (opts)[i_]); \
        run_free(&h_);                                                               \
    } while (0)

/* A bad-input run: exit 2, nothing on stdout, and on stderr exactly one line
 * of complaint followed by the usage. */
#define assert_usage_error(r)                                                       \
    do {                                                                           \
        assert_run((r), 2);                                                        \
        cr_assert_str_empty((r).out, "stdout should be empty, got:\n%s", (r).out); \
        const char *usage_ = strstr((r).err, "usage");                             \
        if (usage_ == NULL)                                                        \
            usage_ = strstr((r).err, "Usage");                                     \
        cr_assert(usage_ != NULL, "no usage on stderr:\n%s", (r).err);              \
        cr_assert_eq(count_of((r).err, "\n") - count_of(usage_, "\n"), 1,           \
                     "not one line before the usage:\n%s", (r).err);               \
    } while (0)

/* Runs the lesson once per row of `bad` (argument lists, NULL-terminated
 * rows of at most 3 strings) and asserts each is a clean usage error. */
#define assert_bad_inputs(lesson, bad)                                              \
    for (size_t row_ = 0; row_ < sizeof(bad) / sizeof((bad)[0]); row_++) {         \
        struct lesson_run r_ = run_lesson((lesson), 5, (bad)[row_]);               \
        assert_usage_error(r_);                                                    \
        run_free(&r_);                                                             \
    }

#endif
