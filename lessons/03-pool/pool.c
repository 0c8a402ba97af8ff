/* pool.c - a process pool built from fork and pipes
 * Python (note 003; Pool also in notes 001, 002, 004):
 *     with Pool(processes=4) as pool: print(pool.map(f, range(10)))   # [0, 1, 4, ..., 81]
 *         res = pool.apply_async(f, (20,)); print(res.get(timeout=1))   # 400
 * C: the workers are forked once and reused (进程池). Each has two pipes: tasks in,
 *    results out. The parent hands a task only to an idle worker and notes "worker k
 *    holds task t" as it writes it, so it always knows who holds what; poll() waits on
 *    every result pipe. A dead worker's pipe reads end of file: never a silent hang.
 * Usage: ./lesson03 [-q] [-w N] [-n N] [--map] [--apply]
 * Watch for: the same few pids serving every task; note 002's ten times coming 4 at a
 * time; get(timeout) giving up while the pool works on; map(job) = [None] * 10.
 * Try next: --apply -w 1, -w 3. Speed: bench/granularity.c. Compare: lessons 19, 17, 02.
 */
#include "kit.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WORKERS = 64, MAX_TASKS = 512, READ_END = 0, WRITE_END = 1, IDLE = -1 };
enum job { SQUARE, HELLO, NOTHING };   /* f(x); note 002's worker(msg); note 004's job(a) */

/* The two records: fixed size, far below PIPE_BUF (4096), so each write() is atomic. */
struct task { int32_t id, job, x, sleep_us; };      /* sleep_us stands for real work */
struct result { int32_t id, pid, none, pad; int64_t value; };   /* none: Python's None */
struct outcome { int64_t value; pid_t pid; int times; bool none; };

/* At file scope: each worker, forked, starts with its own copy of it all. */
static struct pool {
    int n, queued, next, settled, to[MAX_WORKERS], from[MAX_WORKERS];  /* to, from: our ends */
    pid_t pid[MAX_WORKERS];     /* held: the task each worker holds, the parent's record */
    int held[MAX_WORKERS];
    bool echo;                  /* print each result as it comes (imap_unordered) */
    struct task task[MAX_TASKS];
    struct outcome out[MAX_TASKS];
} pool;
static int task_in, result_out;  /* the new worker's own ends, set just before its fork */

static int64_t f(int64_t x) { return x * x; }     /* the notes' f(x) */
static void worker(int k)
{
    /* Copies of the parent's ends: holding a task pipe's write end, a worker never reads EOF. */
    for (int i = 0; i <= k; i++)    /* workers 1..k have pipes so far, its own included */
        if (close(pool.to[i]) == -1 || close(pool.from[i]) == -1)
            kit_die("close");
    for (;;) {
        struct task t;
        ssize_t got = read(task_in, &t, sizeof t);
        if (got == 0)           /* end of file: the parent called close() */
            return;
        if (got != sizeof t)
            kit_die("read");
        kit_span_begin("task %d", t.id);   /* --trace: which worker ran which task */
        kit_sleep(t.sleep_us / 1e6);
        /* note 002's worker: print(msg); return ctime(). note 004's job: print(a), None */
        struct result r = {t.id, getpid(), t.job == NOTHING, 0,
                           t.job == HELLO ? (int64_t)kit_elapsed_ms() : f(t.x)};
        if (t.job == SQUARE)
            kit_say("f(%d) = %lld", t.x, (long long)r.value);
        else
            kit_say("%s%d", t.job == HELLO ? "hello " : "", t.x);
        if (write(result_out, &r, sizeof r) != sizeof r)   /* one whole record */
            kit_die("write");
        kit_span_end("task %d", t.id);
    }
}
static void start_worker(int k)
{
    int tasks[2], results[2];
    if (pipe(tasks) == -1 || pipe(results) == -1)
        kit_die("pipe");
    pool.to[k] = tasks[WRITE_END];
    pool.from[k] = results[READ_END];
    task_in = tasks[READ_END];
    result_out = results[WRITE_END];
    pool.held[k] = IDLE;
    pool.pid[k] = kit_start(worker, k, "worker %d", k + 1);
    /* Kept here, the task pipe would still have a reader and the result pipe a writer
     * after the worker died: the death would never show as end of file. */
    if (close(task_in) == -1 || close(result_out) == -1)
        kit_die("close");
}

static void pool_open(int n)
{
    pool = (struct pool){.n = n};
    /* A write() to a dead worker's task pipe then fails with EPIPE instead of killing us. */
    if (sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, NULL) == -1)
        kit_die("sigaction");
    for (int k = 0; k < n; k++)
        start_worker(k);
}

/* apply_async(): queue a task, return its handle (the id) at once. */
static int submit(enum job job, int x, int sleep_us)
{
    pool.task[pool.queued] = (struct task){pool.queued, job, x, sleep_us};
    return pool.queued++;
}

/* Each idle worker gets the next task. "held" is set as the task is written: the
 * parent's own record, so a worker that dies at any moment after this holds it. */
static void dispatch(void)
{
    for (int k = 0; k < pool.n; k++) {
        if (pool.held[k] != IDLE)
            continue;
        if (pool.next == pool.queued)
            return;
        pool.held[k] = pool.next++;
        ssize_t put = write(pool.to[k], &pool.task[pool.held[k]], sizeof(struct task));
        if (put != sizeof(struct task) && !(put == -1 && errno == EPIPE))
            kit_die("write");   /* EPIPE: it died already; its end of file will say so */
    }
}

/* Result pipe k is readable: a result, or end of file: worker k is gone, and every
 * result it wrote has been read. Python's Pool would wait for ever; we stop and say. */
static void from_worker(int k)
{
    struct result r;
    ssize_t got = read(pool.from[k], &r, sizeof r);
    if (got == sizeof r) {
        struct outcome *o = &pool.out[r.id];
        *o = (struct outcome){r.value, r.pid, o->times + 1, r.none};
        pool.held[k] = IDLE;
        pool.settled++;
        if (pool.echo)
            kit_say("next() = %lld, from pid %d", (long long)r.value, r.pid);
        return;
    }
    if (got != 0)
        kit_die("read");
    int status;
    kit_join(pool.pid[k], &status, -1);     /* no limit: its files are closed, it is exiting */
    char text[64], task[32] = "no task";
    if (pool.held[k] != IDLE)
        snprintf(task, sizeof task, "task %d", pool.held[k]);
    kit_fail("worker %d (pid %ld) %s, holding %s (lesson 20's pool goes on)", k + 1,
             (long)pool.pid[k], kit_status_str(status, text, sizeof text), task);
}

/* res.get(timeout): until task `id` (-1: every task) is back, send tasks and poll() the
 * result pipes. false: the timeout (seconds; < 0: none) came first. */
static bool wait_for(int id, double seconds)
{
    double deadline = kit_now() + seconds;
    while (id >= 0 ? pool.out[id].times == 0 : pool.settled < pool.queued) {
        dispatch();
        double left = deadline - kit_now();
        if (seconds >= 0 && left <= 0)
            return false;
        struct pollfd fd[MAX_WORKERS];
        for (int k = 0; k < pool.n; k++)    /* end of file shows as POLLHUP: needs no asking */
            fd[k] = (struct pollfd){.fd = pool.from[k], .events = POLLIN};
        int ms = seconds < 0 ? -1 : (int)(left * 1000) + 1;   /* rounded up: never early */
        if (poll(fd, (nfds_t)pool.n, ms) == -1 && errno != EINTR)
            kit_die("poll");
        for (int k = 0; k < pool.n; k++)
            if (fd[k].revents)
                from_worker(k);
    }
    return true;
}

/* close() + join() (sig 0): each task pipe's write end closes, so each worker reads end
 * of file and exits 0. terminate() (sig SIGTERM): each is killed first, busy or not. */
static void pool_end(int sig)
{
    bool as_told = true;
    for (int k = 0; k < pool.n; k++) {   /* killed first, or an idle one could exit 0 on EOF */
        if (sig && kill(pool.pid[k], sig) == -1)
            kit_die("kill");
        if (close(pool.to[k]) == -1)
            kit_die("close");
    }
    for (int k = 0; k < pool.n; k++) {
        int s;
        if (!kit_join(pool.pid[k], &s, 5.0))  /* the watchdog: then the claim fails */
            kit_kill_join(pool.pid[k], &s);
        as_told &= sig ? WIFSIGNALED(s) && WTERMSIG(s) == sig : WIFEXITED(s) && !WEXITSTATUS(s);
        if (close(pool.from[k]) == -1)
            kit_die("close");
    }
    kit_expect(as_told, "%s: all %d workers %s", sig ? "terminate()" : "close(); join()", pool.n,
               sig ? "killed by SIGTERM" : "exited with status 0");
}

static void map_part(const struct kit_args *a)
{
    int w = (int)a->workers, n = (int)a->count, by_pool = 0, right = 0, none = 0;
    pool_open(w);
    for (int i = 0; i < n; i++)     /* note 002's map: fun(n) sleeps 1 s */
        submit(SQUARE, i, kit_quick() ? 0 : 200000);
    wait_for(-1, -1);       /* map() returns when every task is back */
    char list[80] = "";
    for (int i = 0; i < n && i < 10; i++)   /* out[] is indexed by task: input order */
        snprintf(list + strlen(list), sizeof list - strlen(list), ", %lld",
                 (long long)pool.out[i].value);
    kit_say("map() = [%s%s]", list + 2, n > 10 ? ", ..." : "");
    for (int k = 0; k < w; k++) {
        int ran = 0;
        for (int i = 0; i < n; i++)
            ran += pool.out[i].pid == pool.pid[k];
        kit_say("os.getpid() %ld ran %d of the %d tasks", (long)pool.pid[k], ran, n);
        by_pool += ran;
    }
    kit_expect(by_pool == n, "%d of %d tasks ran in the pool's %d processes: not one per task",
               by_pool, n, w);
    pool.echo = true;       /* imap_unordered: each result printed as it arrives */
    for (int i = 0; i < n; i++)     /* note 000: random.random() * 3 s; fixed, shorter */
        submit(SQUARE, i, kit_quick() ? 0 : 100000 * (i * 7 % 10 + 1));
    wait_for(-1, -1);
    for (int i = 0; i < 2 * n; i++)     /* times: how often its result came */
        right += pool.out[i].times == 1 && pool.out[i].value == f(i % n);
    kit_expect(right == 2 * n, "map() and imap_unordered(): %d of %d results right, each once",
               right, 2 * n);
    pool.echo = false;
    for (int i = 0; i < 10; i++)    /* note 004: a job that returns nothing */
        submit(NOTHING, i, 0);
    wait_for(-1, -1);
    list[0] = '\0';
    for (int i = 2 * n; i < 2 * n + 10; i++) {
        none += pool.out[i].none && pool.out[i].times == 1;
        strcat(list, pool.out[i].none ? ", None" : ", ?");
    }
    kit_say("res = [%s]", list + 2);
    kit_expect(none == 10, "res = pool.map(job, range(10)): %d of 10 back, each None", none);
    pool_end(0);
}

static int by_time(const void *a, const void *b)    /* for qsort: earlier first */
{
    return (int)(*(const int64_t *)a - *(const int64_t *)b);
}

/* Note 002: Pool(processes = 4), ten apply_async(worker, (msg,)) that sleep, print, return
 * ctime(); then note 003's apply_async, get(timeout), apply, the with-block's terminate(). */
static void apply_part(const struct kit_args *a)
{
    int w = (int)a->workers, sleep_ms = a->quick ? 20 : 300, spaced = 0, batches = 1;
    pool_open(w);
    for (int i = 0; i < 10; i++)
        submit(HELLO, i, sleep_ms * 1000);
    wait_for(-1, -1);       /* pool.close(); pool.join() -- the pool stays open here */
    int64_t t[10];
    for (int i = 0; i < 10; i++) {
        t[i] = pool.out[i].value;
        kit_say("i.get() = ctime() at %.2f s", t[i] / 1000.0);
    }
    qsort(t, 10, sizeof t[0], by_time);
    for (int i = 1; i < 10; i++)    /* a new batch: a gap of more than half a sleep */
        batches += t[i] - t[i - 1] > sleep_ms / 2;
    for (int i = w; i < 10; i++)    /* w + 1 tasks on w workers: two shared one worker */
        spaced += t[i] - t[i - w] >= sleep_ms;
    kit_say("the ten times fall in %d batches", batches);
    kit_expect(spaced == (w < 10 ? 10 - w : 0), "each time >= %d ms after the time %d before "
               "it: at most %d tasks at once", sleep_ms, w, w);
    int id = submit(SQUARE, 20, 0);
    bool got = wait_for(id, 1.0);
    kit_expect(got && pool.out[id].value == 400, "res = pool.apply_async(f, (20,)): handle %d;"
               " res.get(timeout=1) = %lld", id, (long long)pool.out[id].value);
    double patience = a->quick ? 0.05 : 1.0, t0 = kit_now();
    int sleeper = submit(SQUARE, 10, 10000000);
    kit_say("res = pool.apply_async(time.sleep, (10,))");
    got = wait_for(sleeper, patience);
    double waited = kit_now() - t0;
    kit_expect(!got && waited >= patience, "res.get(timeout=%.2f) gave up after %.2f s: "
               "TimeoutError", patience, waited);
    id = submit(SQUARE, 6, 0);
    wait_for(id, -1);       /* apply() = apply_async() + get() */
    kit_expect(pool.out[id].value == 36, "the pool remains available: apply(f, (6,)) = %lld",
               (long long)pool.out[id].value);
    kit_say("the with-block ends: terminate(), one worker still in time.sleep(10)");
    pool_end(SIGTERM);      /* SIGTERM: what Python's terminate() sends */
}

static const struct kit_part parts[] = {
    {"map", "pool.map(), imap_unordered(), a job that returns None", map_part, true},
    {"apply", "note 002's ten apply_async(), get(timeout), apply, terminate", apply_part, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson03", .title = "Pool 进程池",
        .idea = "a few worker processes, forked once, serve many tasks (进程的复用)",
        .python = "with Pool(processes=4) as pool: pool.map(f, range(10))   (note 003)",
        .mechanism = "fork() the workers once; a task pipe and a result pipe each; the parent\n"
                     "hands tasks to idle workers and poll()s every result pipe",
        .watch = "the same pids serve every task; note 002's times come 4 at a time;\n"
                 "get(timeout) gives up while the pool works on; map(job) = [None] * 10",
        .parts = parts, .show_ms = true,
        .workers = {"worker processes, the notes' Pool(processes=4)", 4, 1, MAX_WORKERS, 0},
        .count = {"tasks for map and imap_unordered", 10, 1, 128, 0}};
    return kit_main(&lesson, argc, argv);
}
