/* pool.c - a process pool built from fork and pipes, and a worker that dies
 *
 * Python (notes 001, 002, 003):
 *     pool = Pool(4); pool.map(job, range(10))        # [0, 1, 4, ..., 81]
 *     res = pool.apply_async(time.sleep, (10,)); res.get(timeout=1)   # TimeoutError
 *     for r in pool.imap_unordered(job, range(10)): print(r)
 *     pool.close(); pool.join()                        # or pool.terminate()
 * C: the parent forks the workers once (进程池: processes are reused, not made
 *    per task). Tasks go out through ONE pipe that every worker reads; results
 *    come back through ONE pipe that every worker writes. Each record is a
 *    small fixed-size struct, and a write of at most PIPE_BUF bytes to a pipe
 *    is atomic, so records from several writers never mix. Each worker also
 *    holds the write end of its own "life pipe": when it dies, however, the
 *    kernel closes it and poll() in the parent reports POLLHUP.
 *
 * Usage: ./lesson03 [-q] [-w N] [-n N] [--api] [--terminate] [--kill-worker] [--bench]
 *
 * Watch for: the same few pids serving every task; map's results in input
 * order, imap_unordered's in the order they finish; get(timeout) giving up
 * while the pool carries on; a SIGKILLed worker reported with its lost task
 * and replaced (Python's Pool hangs there); tasks/s, one per message vs chunks.
 * Try next: ./lesson03 --kill-worker -w 1; ./lesson03 --bench -w 1.
 * Compare with lesson 02 (the queue a pool is built on) and lesson 01 (fork).
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson03 [options]\n"
    "A pool of pre-forked worker processes fed through pipes (Python's Pool).\n"
    "With no mode option every part runs, in this order:\n"
    "      --api          map, apply, apply_async + get(timeout), imap_unordered, close + join\n"
    "      --terminate    terminate(): stop busy workers at once\n"
    "      --kill-worker  SIGKILL a worker mid-task: lost task reported, worker replaced\n"
    "      --bench        tasks/s: one task per message, then in chunks (median of 5)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, smaller benchmark: well under a second\n"
    "  -w, --workers N    worker processes (1..64, default: the number of online CPUs)\n"
    "  -n, --count N      tasks for map, imap_unordered and --kill-worker (1..1000, default 10)\n";

enum { MAX_WORKERS = 64, READ_END = 0, WRITE_END = 1, REPS = 5, IDLE = -1 };

/* The two records. Fixed size, and far below PIPE_BUF (4096 on Linux). */
struct task {
    int32_t id, sleep_ms;   /* sleep_ms: stands for real work (the notes' sleep) */
    int64_t x, count;       /* job(x); count > 1: a chunk, job(x) .. job(x + count - 1) */
    int32_t say, unused;    /* say: the worker prints its answer */
};
struct result {
    int32_t id, pid;        /* which task, and which worker ran it */
    int64_t value;
};
_Static_assert(sizeof(struct task) <= PIPE_BUF && sizeof(struct result) <= PIPE_BUF,
               "a record must fit in one atomic pipe write");
#define BATCH (PIPE_BUF / sizeof(struct task))   /* records per write() by the parent */

struct worker {
    pid_t pid;
    int life;               /* read end of its life pipe; -1 once it has died */
    int status;             /* its wait status, once reaped */
};
struct outcome {
    int64_t value;
    pid_t pid;
    bool done, lost;
};
struct pool {
    int n;
    struct worker w[MAX_WORKERS];
    int tasks_wr, results_rd;   /* the parent's ends */
    int tasks_rd, results_wr;   /* the workers' ends, kept to fork replacements */
    _Atomic long *slot;         /* shared: the task each worker is running, or IDLE */
    int64_t *area;              /* shared: where chunks put their results */
    struct task *task;          /* the parent's queue of tasks, by id */
    struct outcome *out;        /* and what became of each */
    int *order;                 /* ids in the order their results arrived */
    size_t cap, queued, sent, arrived;
    long pending, lost;
    bool closing;               /* close() or terminate(): deaths are expected */
    char buf[PIPE_BUF];         /* results read but not yet handled */
    size_t fill;
};

static int64_t job(int64_t x) { return x * x; }   /* the notes' job(x) */

/* ---- the worker: read a task, run it, write the result, forever ----------- */
static noreturn void worker_main(struct pool *p, int k)
{
    kit_set_role("worker %d", k + 1);
    pid_t me = getpid();    /* once: since glibc 2.25 every getpid() is a system call */
    struct task t;
    for (;;) {
        /* Several workers read the same pipe. Each read() takes one whole
         * record, because every write put whole records in atomically. */
        ssize_t got = read(p->tasks_rd, &t, sizeof t);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            kit_die_child("read");
        if (got == 0)       /* end of file: the parent called close() */
            _exit(EXIT_SUCCESS);
        if (got != sizeof t) {
            kit_warn("a torn task record (%zd bytes)", got);
            _exit(EXIT_FAILURE);
        }
        /* Tell the parent what we are doing, in shared memory (lesson 04):
         * one store, no system call. If we die now, it knows what was lost. */
        atomic_store_explicit(&p->slot[k], t.id, memory_order_relaxed);
        kit_sleep(t.sleep_ms / 1000.0);
        struct result r = {.id = t.id, .pid = me, .value = job(t.x)};
        if (t.count > 1) {  /* a chunk: results go straight into place */
            for (int64_t x = t.x; x < t.x + t.count; x++)
                p->area[x] = job(x);
            r.value = t.count;
        }
        if (t.say)
            kit_say("job(%lld) = %lld", (long long)t.x, (long long)r.value);
        /* One write of one record: atomic, so it never interleaves with
         * another worker's, even when both write at the same moment. */
        if (write(p->results_wr, &r, sizeof r) != sizeof r)
            kit_die_child("write");
        atomic_store_explicit(&p->slot[k], IDLE, memory_order_relaxed);
    }
}

static void start_worker(struct pool *p, int k)
{
    int life[2];
    if (pipe(life) == -1)
        kit_die("pipe");
    atomic_store(&p->slot[k], IDLE);
    switch (p->w[k].pid = fork()) {
    case -1:
        kit_die("fork");
    case 0:
        /* Close every end this worker does not use. The task pipe's write
         * end matters most: while any worker held it, no worker would ever
         * see end of file, and close() + join() would wait for ever. */
        if (close(p->tasks_wr) == -1 || close(p->results_rd) == -1 || close(life[READ_END]) == -1)
            kit_die_child("close");
        for (int i = 0; i < p->n; i++)
            if (p->w[i].life != -1 && close(p->w[i].life) == -1)
                kit_die_child("close");
        worker_main(p, k);  /* life[WRITE_END] stays open, unused, until we die */
    default:
        /* The parent must not hold the write end, or it would never hang up. */
        if (close(life[WRITE_END]) == -1)
            kit_die("close");
        p->w[k].life = life[READ_END];
    }
}

static void pool_open(struct pool *p, int n, int64_t *area)
{
    *p = (struct pool){.n = n, .area = area};
    int tasks[2], results[2];
    if (pipe(tasks) == -1 || pipe(results) == -1)
        kit_die("pipe");
    p->tasks_rd = tasks[READ_END], p->tasks_wr = tasks[WRITE_END];
    p->results_rd = results[READ_END], p->results_wr = results[WRITE_END];
    /* The parent never blocks in read() or write(), only in poll(): a full
     * task pipe or an empty result pipe gives EAGAIN. A write of at most
     * PIPE_BUF bytes stays all-or-nothing with O_NONBLOCK. (These flags
     * belong to the parent's ends; the workers' ends still block.) */
    if (fcntl(p->tasks_wr, F_SETFL, O_NONBLOCK) == -1 ||
        fcntl(p->results_rd, F_SETFL, O_NONBLOCK) == -1)
        kit_die("fcntl");
    p->slot = kit_shared_alloc(MAX_WORKERS * sizeof *p->slot);
    for (int k = 0; k < n; k++)
        p->w[k].life = -1;
    for (int k = 0; k < n; k++)
        start_worker(p, k);
}

/* apply_async(): queue a task, return its handle (the id) at once. */
static int submit(struct pool *p, int64_t x, int64_t count, int sleep_ms, bool say)
{
    if (p->queued == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->task = realloc(p->task, p->cap * sizeof *p->task);
        p->out = realloc(p->out, p->cap * sizeof *p->out);
        p->order = realloc(p->order, p->cap * sizeof *p->order);
        if (p->task == NULL || p->out == NULL || p->order == NULL)
            kit_die("realloc");
    }
    int id = (int)p->queued++;
    p->task[id] = (struct task){.id = id, .sleep_ms = sleep_ms, .x = x, .count = count, .say = say};
    p->out[id] = (struct outcome){0};
    p->pending++;
    return id;
}

/* Starts the ids from 0 again once everything queued is accounted for. */
static void forget(struct pool *p)
{
    if (p->pending != 0)
        kit_fail("forget() with %ld tasks pending", p->pending);
    p->queued = p->sent = p->arrived = 0;
}

static void send_some(struct pool *p)
{
    size_t k = p->queued - p->sent < BATCH ? p->queued - p->sent : BATCH;
    ssize_t put = write(p->tasks_wr, &p->task[p->sent], k * sizeof(struct task));
    if (put == -1 && (errno == EAGAIN || errno == EINTR))
        return;             /* no room for the batch yet: after the next poll() */
    if (put != (ssize_t)(k * sizeof(struct task)))
        kit_die("write");
    p->sent += k;
}

/* Reads every result waiting in the pipe. */
static void drain(struct pool *p)
{
    for (;;) {
        ssize_t got = read(p->results_rd, p->buf + p->fill, sizeof p->buf - p->fill);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1 && errno == EAGAIN)
            return;
        if (got <= 0)
            kit_die("read");
        p->fill += (size_t)got;
        size_t used = 0;
        for (; p->fill - used >= sizeof(struct result); used += sizeof(struct result)) {
            struct result r;
            memcpy(&r, p->buf + used, sizeof r);
            if (r.id < 0 || (size_t)r.id >= p->queued || p->out[r.id].done)
                kit_fail("a result for task %d, which is not waiting for one", r.id);
            p->out[r.id] = (struct outcome){.value = r.value, .pid = r.pid, .done = true};
            p->order[p->arrived++] = r.id;
            p->pending--;
        }
        memmove(p->buf, p->buf + used, p->fill - used);   /* a part record waits */
        p->fill -= used;
    }
}

static void worker_died(struct pool *p, int k)
{
    drain(p);               /* a result it wrote just before dying is in the pipe */
    struct worker *w = &p->w[k];
    if (close(w->life) == -1)
        kit_die("close");
    w->life = -1;
    /* The life pipe hangs up as the process exits; waitpid() reaps it. */
    while (waitpid(w->pid, &w->status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    if (p->closing)         /* close() or terminate(): the caller reports */
        return;
    char text[64];
    kit_warn("worker %d (pid %ld) %s", k + 1, (long)w->pid,
             kit_status_str(w->status, text, sizeof text));
    long id = atomic_load(&p->slot[k]);
    if (id != IDLE && !p->out[id].done) {
        p->out[id].lost = true;
        p->pending--;
        p->lost++;
        kit_warn("task %ld, job(%lld), died with it: reported lost", id,
                 (long long)p->task[id].x);
    }
    start_worker(p, k);
    kit_say("started worker %d (pid %ld) in its place", k + 1, (long)w->pid);
}

/* One turn of the parent's loop: wait in poll() for room in the task pipe,
 * results, or a dying worker, then deal with each. false: the deadline
 * (seconds on kit_now(); < 0: none) passed with nothing to do. */
static bool pump(struct pool *p, double deadline)
{
    struct pollfd fd[2 + MAX_WORKERS];
    fd[0] = (struct pollfd){.fd = p->results_rd, .events = POLLIN};
    fd[1] = (struct pollfd){.fd = p->sent < p->queued && !p->closing ? p->tasks_wr : -1,
                            .events = POLLOUT};
    for (int k = 0; k < p->n; k++)  /* POLLHUP needs no asking; -1 is skipped */
        fd[2 + k] = (struct pollfd){.fd = p->w[k].life, .events = POLLIN};
    int ms = -1;
    if (deadline >= 0) {
        double left = deadline - kit_now();
        if (left <= 0)
            return false;
        ms = (int)(left * 1000) + 1;
    }
    int ready = poll(fd, (nfds_t)(2 + p->n), ms);
    if (ready == -1 && errno == EINTR)
        return true;
    if (ready == -1)
        kit_die("poll");
    if (ready == 0)
        return false;
    if (fd[1].revents)
        send_some(p);
    if (fd[0].revents)
        drain(p);
    for (int k = 0; k < p->n; k++)
        if (fd[2 + k].revents)
            worker_died(p, k);
    return true;
}

/* res.get(timeout): until task `id` (id < 0: every task) is done or lost.
 * false: the timeout (seconds; < 0: none) came first. */
static bool wait_for(struct pool *p, long id, double seconds)
{
    double deadline = seconds < 0 ? -1 : kit_now() + seconds;
    while (id >= 0 ? !p->out[id].done && !p->out[id].lost : p->pending > 0)
        if (!pump(p, deadline))
            return false;
    return true;
}

/* The worker running task `id`, or -1 after `seconds`. Short turns of the
 * loop: a task that starts makes no event to wake poll(). */
static int running(struct pool *p, long id, double seconds)
{
    double deadline = kit_now() + seconds;
    while (kit_now() < deadline) {
        for (int k = 0; k < p->n; k++)
            if (p->w[k].life != -1 && atomic_load(&p->slot[k]) == id)
                return k;
        pump(p, kit_now() + 0.002);
    }
    return -1;
}

static int alive(const struct pool *p)
{
    int n = 0;
    for (int k = 0; k < p->n; k++)
        n += p->w[k].life != -1;
    return n;
}

/* The end of join() and terminate(): wait for every worker to go (they
 * hang up their life pipes), SIGKILL any still there after the watchdog,
 * count the tasks that never ran, close every end, free everything. */
static long pool_end(struct pool *p, double watchdog)
{
    double deadline = kit_now() + watchdog;
    while (alive(p) > 0 && pump(p, deadline))
        ;
    for (int k = 0; k < p->n; k++)
        if (p->w[k].life != -1) {
            kit_warn("watchdog: worker %d still there after %.1f s: SIGKILL", k + 1, watchdog);
            if (kill(p->w[k].pid, SIGKILL) == -1)
                kit_die("kill");
            worker_died(p, k);
        }
    long discarded = 0;
    for (size_t id = 0; id < p->queued; id++)
        discarded += !p->out[id].done && !p->out[id].lost;
    if ((p->tasks_wr != -1 && close(p->tasks_wr) == -1) || close(p->tasks_rd) == -1 ||
        close(p->results_rd) == -1 || close(p->results_wr) == -1)
        kit_die("close");
    kit_shared_free(p->slot, MAX_WORKERS * sizeof *p->slot);
    free(p->task), free(p->out), free(p->order);
    return discarded;
}

/* close() + join(): finish the queue, then end of file ends the workers. */
static bool pool_join(struct pool *p, double watchdog)
{
    bool finished = wait_for(p, -1, watchdog);
    p->closing = true;
    if (close(p->tasks_wr) == -1)   /* the last write end: workers read EOF */
        kit_die("close");
    p->tasks_wr = -1;
    bool clean = pool_end(p, watchdog) == 0;
    char text[64];
    for (int k = 0; k < p->n; k++) {
        clean &= WIFEXITED(p->w[k].status) && WEXITSTATUS(p->w[k].status) == 0;
        kit_say("join: worker %d (pid %ld) %s", k + 1, (long)p->w[k].pid,
                kit_status_str(p->w[k].status, text, sizeof text));
    }
    return finished && clean;
}

/* ---- the lessons ------------------------------------------------------------ */
static int pace_ms(int ms) { return kit_quick() ? 0 : ms; }

static void api_tour(int w, int n)
{
    struct pool p;
    pool_open(&p, w, NULL);
    kit_section("Pool(processes=%d): %d workers, forked once and reused", w, w);
    for (int k = 0; k < w; k++)
        kit_say("worker %d is pid %ld", k + 1, (long)p.w[k].pid);

    kit_section("pool.map(job, range(%d)): results in input order", n);
    for (int i = 0; i < n; i++)
        submit(&p, i, 1, pace_ms(200), true);   /* the notes' job sleeps 1 s */
    wait_for(&p, -1, -1);
    char list[256] = "";
    size_t len = 0;
    bool right = true;
    int pids = 0, ran[MAX_WORKERS] = {0};
    for (int i = 0; i < n; i++) {
        right &= p.out[i].done && p.out[i].value == job(i);
        if (len < sizeof list - 40)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%lld", i ? ", " : "",
                                    (long long)p.out[i].value);
        for (int k = 0; k < w; k++)
            if (p.out[i].pid == p.w[k].pid)
                pids += ran[k]++ == 0;
    }
    kit_say("map() = [%s%s]", list, len >= sizeof list - 40 ? ", ..." : "");
    kit_expect(right, "all %d results in input order: job(i) = i * i", n);
    for (int k = 0; k < w; k++)
        kit_say("pid %ld ran %d of the %d tasks", (long)p.w[k].pid, ran[k], n);
    kit_expect(pids >= 1 && pids <= w, "%d tasks, served by %d of the pool's %d processes: "
               "reused, not one process per task", n, pids, w);
    forget(&p);

    kit_section("pool.apply(job, (20,)): blocks until the answer is back");
    int id = submit(&p, 20, 1, 0, false);
    wait_for(&p, id, -1);
    kit_expect(p.out[id].value == 400, "apply() = %lld, from pid %ld",
               (long long)p.out[id].value, (long)p.out[id].pid);
    forget(&p);

    kit_section("pool.apply_async(): a handle at once, res.get(timeout) later");
    id = submit(&p, 20, 1, 0, false);
    kit_say("res = apply_async(job, (20,)) returned handle %d at once", id);
    bool got = wait_for(&p, id, 1.0);
    kit_expect(got && p.out[id].value == 400, "res.get(timeout=1) = %lld",
               (long long)p.out[id].value);
    double nap = kit_quick() ? 0.15 : 1.5, patience = kit_quick() ? 0.05 : 0.5;
    int sleeper = submit(&p, 7, 1, (int)(nap * 1000), false);
    kit_say("res = apply_async(sleep %.2f s, then job(7)): the notes' time.sleep(10)", nap);
    double t0 = kit_now();
    got = wait_for(&p, sleeper, patience);
    kit_expect(!got, "res.get(timeout=%.2f) gave up after %.2f s: TimeoutError "
               "(\"We lacked patience\")", patience, kit_now() - t0);
    kit_say("for the moment, the pool remains available for more work:");
    id = submit(&p, 6, 1, 0, false);
    wait_for(&p, id, -1);
    kit_expect(p.out[id].value == 36, "apply(job, (6,)) = %lld meanwhile", (long long)p.out[id].value);
    wait_for(&p, sleeper, -1);
    kit_expect(p.out[sleeper].value == 49, "res.get() with no timeout = %lld, %.2f s after "
               "apply_async", (long long)p.out[sleeper].value, kit_now() - t0);
    forget(&p);

    kit_section("pool.imap_unordered(job, range(%d)): each result as it arrives", n);
    for (int i = 0; i < n; i++)     /* the notes' random.random() * 3 s, fixed and shorter */
        submit(&p, i, 1, pace_ms(100 * (i * 7 % 10 + 1)), false);
    size_t seen = 0;
    bool in_order = true;
    double deadline = kit_now() + 60;
    while (seen < (size_t)n && pump(&p, deadline))
        for (; seen < p.arrived; seen++) {
            int i = p.order[seen];
            in_order &= i == (int)seen;
            kit_say("next() = %lld: job(%d), from pid %ld", (long long)p.out[i].value, i,
                    (long)p.out[i].pid);
        }
    right = seen == (size_t)n;
    for (int i = 0; i < n; i++)
        right &= p.out[i].done && p.out[i].value == job(i);
    kit_expect(right, "all %d results arrived, each once, %s", n,
               in_order ? "this time in input order" : "not in input order");
    forget(&p);

    kit_section("pool.close(); pool.join(): end of file on the task pipe ends the workers");
    kit_expect(pool_join(&p, 5.0), "every worker exited with status 0");
}

static void terminate_demo(int w)
{
    struct pool p;
    pool_open(&p, w, NULL);
    kit_section("pool.terminate(): %d workers busy with 10 s tasks, stopped now", w);
    bool busy = true;
    for (int i = 0; i < w; i++)
        submit(&p, i, 1, 10000, false);
    for (int i = 0; i < w; i++)     /* each worker takes one, and sleeps on it */
        busy &= running(&p, i, 10.0) != -1;
    double t0 = kit_now();
    p.closing = true;
    for (int k = 0; k < w; k++)     /* what Python's terminate() sends */
        if (kill(p.w[k].pid, SIGTERM) == -1)
            kit_die("kill");
    long discarded = pool_end(&p, 5.0);
    bool term = busy;
    char text[64];
    for (int k = 0; k < w; k++) {
        term &= WIFSIGNALED(p.w[k].status) && WTERMSIG(p.w[k].status) == SIGTERM;
        kit_say("worker %d (pid %ld) %s", k + 1, (long)p.w[k].pid,
                kit_status_str(p.w[k].status, text, sizeof text));
    }
    kit_expect(term && discarded == w, "all %d stopped by SIGTERM in %.3f s, %ld unfinished "
               "tasks discarded", w, kit_now() - t0, discarded);
}

static void kill_worker_demo(int w, int n)
{
    struct pool p;
    pool_open(&p, w, NULL);
    int victim = n / 2;
    kit_section("beyond Python (--kill-worker): %d workers, %d tasks, one worker SIGKILLed "
                "in task %d", w, n, victim);
    for (int i = 0; i < n; i++)     /* the victim's task would take 10 s */
        submit(&p, i, 1, i == victim ? 10000 : pace_ms(200), true);
    int k = running(&p, victim, 10.0);
    pid_t old = k >= 0 ? p.w[k].pid : 0;
    if (k >= 0) {
        kit_say("worker %d (pid %ld) is in task %d: kill -KILL %ld", k + 1, (long)old, victim,
                (long)old);
        if (kill(old, SIGKILL) == -1)
            kit_die("kill");
        kit_say("Python's Pool would now wait for ever (CPython issue #96062); ours:");
    }
    bool finished = wait_for(&p, -1, 30.0);
    int right = 0;
    for (int i = 0; i < n; i++)
        right += p.out[i].done && p.out[i].value == job(i);
    kit_expect(k >= 0 && finished, "every task accounted for; nothing hangs");
    kit_expect(p.lost == 1 && p.out[victim].lost, "task %d reported lost, %ld lost in all",
               victim, p.lost);
    kit_expect(right == n - 1, "the other %d tasks returned %d right results", n - 1, right);
    kit_expect(k >= 0 && p.w[k].pid != old, "worker %d replaced: pid %ld -> %ld", k + 1,
               (long)old, k >= 0 ? (long)p.w[k].pid : 0L);
    kit_expect(pool_join(&p, 5.0), "close() + join(): every worker exited with status 0");
}

/* One timed map over range(n), `chunk` tasks per message; tasks/s. */
static double bench_run(struct pool *p, long n, long chunk, bool *right)
{
    double t0 = kit_now();
    for (long x = 0; x < n; x += chunk)
        submit(p, x, n - x < chunk ? n - x : chunk, 0, false);
    *right &= wait_for(p, -1, 60.0);
    double seconds = kit_now() - t0;
    for (long x = 0; x < n; x++)
        *right &= chunk == 1 ? p->out[x].value == job(x) : p->area[x] == job(x);
    forget(p);
    return (double)n / seconds;
}

static void bench(int w, bool quick)
{
    long n1 = quick ? 20000 : 100000, n2 = quick ? 1000000 : 4000000, chunk = 10000;
    int64_t *area = kit_shared_alloc((size_t)n2 * sizeof *area);
    struct pool p;
    pool_open(&p, w, area);
    static const char *const what[] = {"one task per message", "chunks of 10000 tasks"};
    double median[2];
    for (int c = 0; c < 2; c++) {
        long n = c == 0 ? n1 : n2;
        kit_section("--bench: map(job, range(%ld)), %s, %d workers", n, what[c], w);
        double rate[REPS];
        bool right = true;
        for (int r = 0; r < REPS; r++) {
            rate[r] = bench_run(&p, n, c == 0 ? 1 : chunk, &right);
            kit_say("run %d: %.0f tasks/s", r + 1, rate[r]);
        }
        median[c] = kit_median(rate, REPS);
        kit_say("median of %d: %.0f tasks/s", REPS, median[c]);
        kit_expect(right, "every run: all %ld results right", n);
    }
    kit_expect(pool_join(&p, 5.0), "close() + join() after the benchmark");
    kit_shared_free(area, (size_t)n2 * sizeof *area);
    kit_section("tasks/s: this pool vs Python (2-core machine; notes' figures in README)");
    kit_say("one per message: %12.0f  (target >= 350000: %s; Python Pool(2) chunksize=1: "
            "about 20000)", median[0], median[0] >= 350000 ? "met" : "NOT met");
    kit_say("chunked:         %12.0f  (target >= 50000000: %s; Python chunksize=1000: "
            "about 2200000)", median[1], median[1] >= 50e6 ? "met" : "NOT met");
}

enum { API = 1, TERMINATE = 2, KILL = 4, BENCH = 8 };

int main(int argc, char *argv[])
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct kit_args args = {.workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : cpus,
                            .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 10, .count_min = 1, .count_max = 1000};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"api", no_argument, NULL, API}, {"terminate", no_argument, NULL, TERMINATE},
        {"kill-worker", no_argument, NULL, KILL}, {"bench", no_argument, NULL, BENCH}, {0}};
    kit_set_usage(usage);
    int modes = 0;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == API || opt == TERMINATE || opt == KILL || opt == BENCH)
            modes |= opt;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = API | TERMINATE | KILL | BENCH;
    kit_show_ms(true);
    int w = (int)args.workers, n = (int)args.count;
    if (modes & API)
        api_tour(w, n);
    if (modes & TERMINATE)
        terminate_demo(w);
    if (modes & KILL)
        kill_worker_demo(w, n);
    if (modes & BENCH)
        bench(w, args.quick);
    kit_section("verdict");
    return kit_verdict();
}
