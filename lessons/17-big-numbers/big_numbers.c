/* big_numbers.c - note 001's pool job: numbers of 236,125 to 490,642 digits, in a pool
 *
 * Python (note 001, code2.py and code3.py):
 *     def job(x):
 *         for i in range(10): x = x+x**i
 *         return len(str(x))
 *     pool = multiprocessing.Pool(); results = pool.map(job, (1, 2, ..., 10))
 *     results = [pool.apply_async(job, (i,)) for i in [1, ..., 10]]; [r.get() for r in results]
 * C: Python's int grows without limit; C's do not, so GMP (libgmp) holds x: mpz_pow_ui,
 *    mpz_add, and mpz_get_str for str(x). The pool is lesson 03's kind, kept small:
 *    workers forked once (Pool() = one per CPU), one task pipe they all read, one result
 *    pipe they all write; every record is a few bytes, far below PIPE_BUF, so each read()
 *    and write() moves one whole record. A result carries the task's id: map() puts them
 *    back in input order, get() waits for its own.
 * Usage: ./lesson17 [-q] [-w N] [--map] [--apply]     (-q: x in (1, 2) only)
 * Watch for: the notes' exact list, [236125, 294538, ..., 490642]; the results come
 * back in any order, map()'s list is in input order; several pids share the ten jobs.
 * Try next: -w 1 and -w 4 (the time line); bench/bignum for the speed-up and Python.
 * Compare with lesson 03 (the pool in full) and bench/notes (note 001's other job).
 */
#include "kit.h"
#include <errno.h>
#include <gmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WORKERS = 64, MAX_TASKS = 32, READ_END = 0, WRITE_END = 1 };

/* The notes' output, for x = 1..10 (code2.py and code3.py print the same list). */
static const long notes_digits[10] = {236125, 294538, 337000, 370393, 397922,
                                      421345, 441729, 459774, 475963, 490642};

struct task { int32_t id, x; };
struct result { int32_t id, pid; int64_t digits; };

/* At file scope: each worker, forked, starts with its own copy. */
static struct pool {
    int n, tasks[2], results[2], queued;
    pid_t pid[MAX_WORKERS];
    struct result got[MAX_TASKS];   /* by task id; digits 0: not back yet */
} pool;

/* The notes' job: x = x + x**i for i in 0..9, then len(str(x)). */
static long job(long x0)
{
    mpz_t x, power;
    mpz_init_set_si(x, x0);
    mpz_init(power);
    for (unsigned long i = 0; i < 10; i++) {
        mpz_pow_ui(power, x, i);    /* x**i: 26,000 digits to the 9th for x0 = 1 */
        mpz_add(x, x, power);
    }
    /* str(x): mpz_sizeinbase may say one digit too many, so the buffer is big enough */
    char *text = malloc(mpz_sizeinbase(x, 10) + 2);
    if (text == NULL)
        kit_die("malloc");
    mpz_get_str(text, 10, x);
    long digits = (long)strlen(text);
    free(text);
    mpz_clear(x);
    mpz_clear(power);
    return digits;
}

static void worker(int k)
{
    (void)k;                /* its number is in its role, "worker k" */
    /* The parent's ends: a worker holding the task pipe's write end would never read EOF. */
    if (close(pool.tasks[WRITE_END]) == -1 || close(pool.results[READ_END]) == -1)
        kit_die("close");
    for (;;) {  /* several workers read one pipe; each read() takes one whole record */
        struct task t;
        ssize_t got = read(pool.tasks[READ_END], &t, sizeof t);
        if (got == 0)       /* end of file: the parent called pool.close() */
            return;
        if (got != sizeof t)
            kit_die("read");
        struct result r = {t.id, getpid(), job(t.x)};
        kit_say("job(%d) = %lld digits", t.x, (long long)r.digits);
        if (write(pool.results[WRITE_END], &r, sizeof r) != sizeof r)   /* atomic */
            kit_die("write");
    }
}

/* multiprocessing.Pool(processes=n) */
static void pool_open(int n)
{
    pool = (struct pool){.n = n};
    if (pipe(pool.tasks) == -1 || pipe(pool.results) == -1)
        kit_die("pipe");
    for (int k = 0; k < n; k++)
        pool.pid[k] = kit_start(worker, k, "worker %d", k + 1);
    /* The workers' ends, no longer needed here: with the result pipe's write end closed,
     * read() reports end of file if every worker dies, instead of waiting for ever. */
    if (close(pool.tasks[READ_END]) == -1 || close(pool.results[WRITE_END]) == -1)
        kit_die("close");
}

/* pool.apply_async(job, (x,)): the task goes into the pipe (a few bytes: this write
 * never blocks for the 11 tasks here), the handle is its id. */
static int apply_async(int x)
{
    struct task t = {pool.queued, x};
    if (write(pool.tasks[WRITE_END], &t, sizeof t) != sizeof t)
        kit_die("write");
    return pool.queued++;
}

/* A worker that died (killed from outside) holds a task whose result never comes, and
 * the other workers keep the result pipe open: no end of file. So get() looks every
 * 0.1 s. waitid(WNOWAIT) asks "has it ended?" and leaves it for pool_close() to reap. */
static void no_worker_died(void)
{
    for (int k = 0; k < pool.n; k++) {
        siginfo_t info = {0};
        if (waitid(P_PID, (id_t)pool.pid[k], &info, WEXITED | WNOHANG | WNOWAIT) == -1)
            kit_die("waitid");
        if (info.si_pid != 0)   /* Python's Pool would wait for ever; lesson 20 survives it */
            kit_fail("worker %d died: its task's result will never come", k + 1);
    }
}

/* res.get(): reads results, any task's, until task id's is in. */
static long get(int id)
{
    while (pool.got[id].digits == 0) {
        struct pollfd fd = {.fd = pool.results[READ_END], .events = POLLIN};
        int ready = poll(&fd, 1, 100);
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready == -1)
            kit_die("poll");
        if (ready == 0) {
            no_worker_died();
            continue;
        }
        struct result r;
        ssize_t got = read(pool.results[READ_END], &r, sizeof r);
        if (got == 0)
            kit_fail("every worker ended before task %d was done", id);
        if (got != sizeof r || r.id < 0 || r.id >= pool.queued)
            kit_die("read");
        pool.got[r.id] = r;
    }
    return (long)pool.got[id].digits;
}

/* pool.close(); pool.join(): end of file on the task pipe ends each worker. */
static void pool_close(void)
{
    if (close(pool.tasks[WRITE_END]) == -1)
        kit_die("close");
    bool all_zero = true;
    for (int k = 0; k < pool.n; k++) {
        int status;
        if (!kit_join(pool.pid[k], &status, 60.0))   /* the watchdog: then the claim fails */
            kit_kill_join(pool.pid[k], &status);
        all_zero &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (close(pool.results[READ_END]) == -1)
        kit_die("close");
    kit_expect(all_zero, "pool.close(); pool.join(): all %d workers exited with status 0",
               pool.n);
}

/* The results as the notes print them, checked digit for digit against the notes' list;
 * the time is information only (bench/bignum measures). */
static void check(const char *what, const long *digits, int n, double seconds)
{
    char list[2][80] = {"", ""};    /* two lines of five: 100 columns hold no more */
    int right = 0;
    for (int i = 0; i < n; i++) {
        char *l = list[i / 5];
        snprintf(l + strlen(l), sizeof list[0] - strlen(l), "%s%ld%s", i ? " " : "[",
                 digits[i], i == n - 1 ? "]" : ",");
        right += digits[i] == notes_digits[i];
    }
    kit_say("%s", list[0]);
    if (n > 5)
        kit_say("%s", list[1]);
    int pids = 0;           /* distinct workers that ran a task: tasks are spread out */
    for (int k = 0; k < pool.n; k++)
        for (int i = 0; i < pool.queued; i++)
            if (pool.got[i].pid == pool.pid[k]) {
                pids++;
                break;
            }
    kit_say("%d jobs on %d workers (%d of them used) in %.2f s", pool.queued, pool.n, pids,
            seconds);
    kit_expect(right == n, "%s: %d of %d digit counts exactly the notes'", what, right, n);
}

static int xs(bool quick) { return quick ? 2 : 10; }   /* --quick: x in (1, 2) */

/* code2.py: results = pool.map(job, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) */
static void map_part(const struct kit_args *a)
{
    int n = xs(a->quick);
    long digits[10];
    double t0 = kit_now();
    pool_open((int)a->workers);
    for (int i = 0; i < n; i++)     /* map: every task at once, */
        apply_async(i + 1);
    for (int i = 0; i < n; i++)     /* the results in input order, whatever order they came */
        digits[i] = get(i);
    double seconds = kit_now() - t0;
    kit_say("-- job(1)的结果是： %ld", digits[0]);
    kit_say("-- job(1-%d)的结果是：", n);
    check("pool.map()", digits, n, seconds);
    pool_close();
}

/* code3.py: one apply_async(job, (1,)).get(), then ten apply_async and a get() each */
static void apply_part(const struct kit_args *a)
{
    int n = xs(a->quick);
    long digits[10];
    double t0 = kit_now();
    pool_open((int)a->workers);
    long one = get(apply_async(1));
    kit_say("job(1)的结果是: %ld", one);
    kit_expect(one == notes_digits[0], "apply_async(job, (1,)).get() = %ld, the notes' %ld",
               one, notes_digits[0]);
    int handle[10];
    for (int i = 0; i < n; i++)
        handle[i] = apply_async(i + 1);
    for (int i = 0; i < n; i++)     /* [res.get() for res in results] */
        digits[i] = get(handle[i]);
    kit_say("job(1-%d)的结果是:", n);
    check("res.get() each", digits, n, kit_now() - t0);
    pool_close();
}

static const struct kit_part parts[] = {
    {"map", "code2.py: pool.map(job, (1, ..., 10))", map_part, true},
    {"apply", "code3.py: apply_async(job, (1,)).get(), then ten apply_async", apply_part, true},
    {0}};

int main(int argc, char *argv[])
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);  /* Pool(): 默认使用全部CPU */
    cpus = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : cpus;
    const struct kit_lesson lesson = {
        .name = "lesson17", .title = "Big numbers 多核CPU并行处理",
        .idea = "note 001's pool job: ten numbers of 236,125 to 490,642 digits each",
        .python = "def job(x): for i in range(10): x = x+x**i; return len(str(x))   (note 001)\n"
                  "pool.map(job, (1, ..., 10)) and [pool.apply_async(job, (i,)) ...]",
        .mechanism = "GMP's mpz_t for Python's int; a pool of forked workers, one task pipe,\n"
                     "one result pipe, records far below PIPE_BUF",
        .watch = "the notes' list exactly: [236125, 294538, ..., 490642], in input order",
        .parts = parts, .show_ms = true,
        .workers = {"worker processes; default: one per CPU, as Pool()", cpus, 1, MAX_WORKERS,
                    0}};
    return kit_main(&lesson, argc, argv);
}
