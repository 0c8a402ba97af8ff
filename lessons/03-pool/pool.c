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
#include "legacy.h"

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

/* The two records: fixed size, far below PIPE_BUF (4096 bytes on Linux). */
struct task {
    int32_t id, sleep_ms;   /* sleep_ms stands for real work (the notes' sleep) */
    int64_t x, count;       /* job(x); count > 1: a chunk, job(x) .. job(x + count - 1) */
    int32_t say, unused;    /* say: the worker prints its answer */
};
struct result { int32_t id, pid; int64_t value; };   /* pid: who ran it */
_Static_assert(sizeof(struct task) <= PIPE_BUF && sizeof(struct result) <= PIPE_BUF,
               "a record must fit in one atomic pipe write");
#define BATCH (PIPE_BUF / sizeof(struct task))      /* records per write() by the parent */

struct outcome { int64_t value; pid_t pid; bool done, lost; };
struct pool {
    int n, alive;
    pid_t pid[MAX_WORKERS];
    int life[MAX_WORKERS];      /* read end of each worker's life pipe; -1 once it died */
    int status[MAX_WORKERS];    /* wait status, once reaped */
    int tasks_wr, results_rd;   /* the parent's ends */
    int tasks_rd, results_wr;   /* the workers' ends, kept to fork replacements */
    _Atomic long *slot;         /* shared: the task each worker is running, or IDLE */
    int64_t *area;              /* shared: where chunks put their results */
    struct task *task;          /* the parent's queue of tasks, by id, */
    struct outcome *out;        /* and what became of each */
    size_t cap, queued, sent, arrived;
    long pending, lost;
    bool closing;               /* close() or terminate(): deaths are expected */
    bool echo, in_order;        /* imap_unordered: print results as they arrive */
};

static int64_t job(int64_t x) { return x * x; }   /* the notes' job(x) */

/* Ctrl-C: the parent blocks SIGINT and lets it in only inside ppoll(), so
 * it can never slip in between "check the flag" and "wait" (see pump). */
static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }
static sigset_t unblocked;      /* the mask ppoll() waits with: SIGINT let in */

/* ---- the worker: read a task, run it, write the result, until end of file */
static noreturn void worker_main(struct pool *p, int k)
{
    kit_set_role("worker %d", k + 1);
    pid_t me = getpid();    /* once: since glibc 2.25 each getpid() is a system call */
    struct task t;
    for (;;) {
        /* Several workers read one pipe. Each read() gets one whole record:
         * every write() put whole records in, atomically, and every read()
         * takes whole ones out. (No handlers here, so no EINTR.) */
        ssize_t got = read(p->tasks_rd, &t, sizeof t);
        if (got == 0)       /* end of file: the parent called close() */
            _exit(EXIT_SUCCESS);
        if (got != sizeof t)
            kit_die("read");
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
        /* One record, one write(): atomic, so it never mixes with another
         * worker's, even when both write at the same moment. */
        if (write(p->results_wr, &r, sizeof r) != sizeof r)
            kit_die("write");
        atomic_store_explicit(&p->slot[k], IDLE, memory_order_relaxed);
    }
}

static void start_worker(struct pool *p, int k)
{
    int life[2];
    if (pipe(life) == -1)
        kit_die("pipe");
    atomic_store(&p->slot[k], IDLE);
    switch (p->pid[k] = fork()) {
    case -1:
        kit_die("fork");
    case 0:                 /* a worker dies of Ctrl-C at once: default action, unblocked */
        if (sigaction(SIGINT, &(struct sigaction){.sa_handler = SIG_DFL}, NULL) == -1 ||
            sigprocmask(SIG_SETMASK, &unblocked, NULL) == -1)
            kit_die("sigaction");
        /* Close every end this worker does not use. The task pipe's write
         * end matters most: while any worker held it, no worker would ever
         * read end of file, and close() + join() would wait for ever. */
        if (close(p->tasks_wr) == -1 || close(p->results_rd) == -1 || close(life[READ_END]) == -1)
            kit_die("close");
        for (int i = 0; i < p->n; i++)
            if (p->life[i] != -1 && close(p->life[i]) == -1)
                kit_die("close");
        worker_main(p, k);  /* life[WRITE_END] stays open, unused, until we die */
    default:                /* if the parent kept the write end, it would never hang up */
        if (close(life[WRITE_END]) == -1)
            kit_die("close");
        p->life[k] = life[READ_END];
        p->alive++;
    }
}

static void pool_open(struct pool *p, int n, int64_t *area)
{
    *p = (struct pool){.n = n, .area = area, .in_order = true};
    int tasks[2], results[2];
    if (pipe(tasks) == -1 || pipe(results) == -1)
        kit_die("pipe");
    p->tasks_rd = tasks[READ_END], p->tasks_wr = tasks[WRITE_END];
    p->results_rd = results[READ_END], p->results_wr = results[WRITE_END];
    /* The parent waits only in ppoll(), never in read() or write(): a full
     * task pipe or an empty result pipe gives EAGAIN. A write of at most
     * PIPE_BUF bytes stays all-or-nothing with O_NONBLOCK. (The flag is on
     * the parent's ends only; the workers' ends still block.) */
    if (fcntl(p->tasks_wr, F_SETFL, O_NONBLOCK) == -1 ||
        fcntl(p->results_rd, F_SETFL, O_NONBLOCK) == -1)
        kit_die("fcntl");
    p->slot = kit_shared_alloc(MAX_WORKERS * sizeof *p->slot);
    for (int k = 0; k < n; k++)
        p->life[k] = -1;
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
        if (p->task == NULL || p->out == NULL)
            kit_die("realloc");
    }
    int id = (int)p->queued++;
    p->task[id] = (struct task){.id = id, .sleep_ms = sleep_ms, .x = x, .count = count, .say = say};
    p->out[id] = (struct outcome){0};
    p->pending++;
    return id;
}

static void forget(struct pool *p)  /* ids start from 0 again */
{
    if (p->pending != 0)
        kit_fail("forget() with %ld tasks pending", p->pending);
    p->queued = p->sent = p->arrived = 0;
    p->in_order = true;
}

/* Reads every result waiting in the pipe, up to 256 records per read().
 * Only the parent reads it, always whole records: none arrives in pieces.
 * (SIGINT is blocked outside ppoll(), so no EINTR here either.) */
static void drain(struct pool *p)
{
    struct result buf[PIPE_BUF / sizeof(struct result)];
    for (ssize_t got; (got = read(p->results_rd, buf, sizeof buf)) != -1 || errno != EAGAIN;) {
        if (got <= 0 || got % sizeof *buf != 0)
            kit_die("read");
        for (size_t i = 0; i < (size_t)got / sizeof *buf; i++) {
            struct result r = buf[i];
            if (r.id < 0 || (size_t)r.id >= p->queued || p->out[r.id].done)
                kit_fail("a result for task %d, which is not waiting for one", r.id);
            p->out[r.id] = (struct outcome){.value = r.value, .pid = r.pid, .done = true};
            p->in_order &= (size_t)r.id == p->arrived++;
            p->pending--;
            if (p->echo)
                kit_say("next() = %lld: job(%d), from pid %d", (long long)r.value, r.id, r.pid);
        }
    }
}

static void worker_died(struct pool *p, int k)
{
    drain(p);               /* a result it wrote just before it died is in the pipe */
    if (close(p->life[k]) == -1)
        kit_die("close");
    p->life[k] = -1;
    p->alive--;
    while (waitpid(p->pid[k], &p->status[k], 0) == -1)  /* the life pipe hangs up as it exits */
        if (errno != EINTR)
            kit_die("waitpid");
    if (p->closing)         /* close() or terminate(): the caller reports */
        return;
    char text[64];
    kit_warn("worker %d (pid %ld) %s", k + 1, (long)p->pid[k],
             kit_status_str(p->status[k], text, sizeof text));
    long id = atomic_load(&p->slot[k]);
    if (id != IDLE && !p->out[id].done) {
        p->out[id].lost = true;
        p->pending--;
        p->lost++;
        kit_warn("task %ld, job(%lld), died with it: reported lost", id, (long long)p->task[id].x);
    }
    start_worker(p, k);
    kit_say("started worker %d (pid %ld) in its place", k + 1, (long)p->pid[k]);
}

/* After Ctrl-C: end and reap every worker (none is left to the shell as
 * an orphan), then die of SIGINT as if we had not caught it. */
static noreturn void interrupt(struct pool *p)
{
    kit_warn("Ctrl-C: ending %d workers and reaping them", p->alive);
    for (int k = 0; k < p->n; k++)
        if (p->life[k] != -1 && kill(p->pid[k], SIGTERM) == -1)
            kit_die("kill");
    for (int k = 0; k < p->n; k++)
        while (p->life[k] != -1 && waitpid(p->pid[k], NULL, 0) == -1)
            if (errno != EINTR)
                kit_die("waitpid");
    if (sigaction(SIGINT, &(struct sigaction){.sa_handler = SIG_DFL}, NULL) == -1)
        kit_die("sigaction");
    raise(SIGINT);          /* pending; delivered the moment it is unblocked */
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    kit_fail("still alive after SIGINT");
}

/* One turn of the parent's loop: ppoll() for room in the task pipe, for
 * results, and for life pipes hanging up, then deal with each. false: the
 * deadline (kit_now() seconds; < 0: none) passed with nothing to do. */
static bool pump(struct pool *p, double deadline)
{
    struct pollfd fd[2 + MAX_WORKERS];
    fd[0] = (struct pollfd){.fd = p->results_rd, .events = POLLIN};
    fd[1] = (struct pollfd){.fd = p->sent < p->queued && !p->closing ? p->tasks_wr : -1,
                            .events = POLLOUT};
    for (int k = 0; k < p->n; k++)  /* POLLHUP needs no asking; fd -1 is skipped */
        fd[2 + k] = (struct pollfd){.fd = p->life[k], .events = POLLIN};
    double left = deadline - kit_now();
    if (deadline >= 0 && left <= 0)
        return false;
    struct timespec wait = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - (time_t)left) * 1e9)};
    int ready = ppoll(fd, (nfds_t)(2 + p->n), deadline < 0 ? NULL : &wait, &unblocked);
    if (ready == -1 && errno != EINTR)
        kit_die("ppoll");
    if (interrupted)
        interrupt(p);
    if (ready == 0)
        return false;
    if (ready > 0 && fd[1].revents) {   /* as many tasks as one atomic write() takes */
        size_t k = p->queued - p->sent < BATCH ? p->queued - p->sent : BATCH;
        ssize_t put = write(p->tasks_wr, &p->task[p->sent], k * sizeof(struct task));
        if (put == (ssize_t)(k * sizeof(struct task)))
            p->sent += k;
        else if (put != -1 || errno != EAGAIN)
            kit_die("write");       /* EAGAIN: no room for them all yet, nothing written */
    }
    if (ready > 0 && fd[0].revents)
        drain(p);
    for (int k = 0; ready > 0 && k < p->n; k++)
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
    for (double deadline = kit_now() + seconds; kit_now() < deadline;) {
        for (int k = 0; k < p->n; k++)
            if (p->life[k] != -1 && atomic_load(&p->slot[k]) == id)
                return k;
        pump(p, kit_now() + 0.002);
    }
    return -1;
}

/* close() + join() (sig 0): end of file ends the workers once the pipe is
 * empty. terminate() (sig SIGTERM): ended at once. Then wait for every life
 * pipe to hang up, SIGKILL any worker left after the watchdog, print how
 * each ended, close every end. true: each exited 0 / was killed by sig. */
static bool pool_end(struct pool *p, int sig, double watchdog)
{
    bool as_told = sig || wait_for(p, -1, watchdog);  /* join() finishes the queue first */
    p->closing = true;
    for (int k = 0; k < p->n && sig; k++)   /* first, or an idle one could exit 0 on EOF */
        if (kill(p->pid[k], sig) == -1)
            kit_die("kill");
    if (close(p->tasks_wr) == -1)   /* the last write end: workers read end of file */
        kit_die("close");
    for (double deadline = kit_now() + watchdog; p->alive > 0 && pump(p, deadline);)
        ;
    for (int k = 0; k < p->n; k++)
        if (p->life[k] != -1) {
            kit_warn("watchdog: worker %d still there after %.1f s: SIGKILL", k + 1, watchdog);
            if (kill(p->pid[k], SIGKILL) == -1)
                kit_die("kill");
            worker_died(p, k);
        }
    char text[64];
    for (int k = 0; k < p->n; k++) {
        int s = p->status[k];
        as_told &= sig ? WIFSIGNALED(s) && WTERMSIG(s) == sig : WIFEXITED(s) && !WEXITSTATUS(s);
        kit_say("%s: worker %d (pid %ld) %s", sig ? "terminate" : "join", k + 1,
                (long)p->pid[k], kit_status_str(s, text, sizeof text));
    }
    if (close(p->tasks_rd) == -1 || close(p->results_rd) == -1 || close(p->results_wr) == -1)
        kit_die("close");
    kit_shared_free(p->slot, MAX_WORKERS * sizeof *p->slot);
    free(p->task), free(p->out);
    return as_told;
}

static bool pool_join(struct pool *p) { return pool_end(p, 0, 5.0); }

/* ---- the lessons ------------------------------------------------------------ */
static int pace_ms(int ms) { return kit_quick() ? 0 : ms; }

static void api_tour(int w, int n)
{
    struct pool p;
    pool_open(&p, w, NULL);
    kit_section("Pool(processes=%d): %d workers, forked once and reused", w, w);
    for (int k = 0; k < w; k++)
        kit_say("worker %d is pid %ld", k + 1, (long)p.pid[k]);

    kit_section("pool.map(job, range(%d)): results in input order", n);
    for (int i = 0; i < n; i++)
        submit(&p, i, 1, pace_ms(200), true);   /* the notes' job sleeps 1 s */
    wait_for(&p, -1, -1);
    char list[200] = "";
    bool right = true;
    int users = 0, ran[MAX_WORKERS] = {0};
    for (int i = 0, len = 0; i < n; i++) {
        right &= p.out[i].done && p.out[i].value == job(i);
        if (i < 12)
            len += snprintf(list + len, sizeof list - (size_t)len, i ? ", %lld" : "%lld",
                            (long long)p.out[i].value);
        for (int k = 0; k < w; k++)
            users += p.out[i].pid == p.pid[k] && ran[k]++ == 0;
    }
    kit_say("map() = [%s%s]", list, n > 12 ? ", ..." : "");
    kit_expect(right, "all %d results in input order: job(i) = i * i", n);
    for (int k = 0; k < w; k++)
        kit_say("os.getpid() %ld ran %d of the %d tasks", (long)p.pid[k], ran[k], n);
    kit_expect(users >= 1 && users <= w, "%d tasks served by %d of the pool's %d processes: "
               "reused, not one process per task", n, users, w);
    forget(&p);

    kit_section("pool.apply(job, (20,)): blocks until the answer is back");
    int id = submit(&p, 20, 1, 0, false);
    wait_for(&p, id, -1);
    kit_expect(p.out[id].value == 400, "apply() = %lld, from pid %ld",
               (long long)p.out[id].value, (long)p.out[id].pid);

    kit_section("pool.apply_async(): a handle at once, res.get(timeout) later");
    id = submit(&p, 20, 1, 0, false);
    kit_say("res = apply_async(job, (20,)) returned handle %d at once", id);
    bool got = wait_for(&p, id, 1.0);
    kit_expect(got && p.out[id].value == 400, "res.get(timeout=1) = %lld",
               (long long)p.out[id].value);
    double nap = kit_quick() ? 0.15 : 1.5, patience = kit_quick() ? 0.05 : 0.5, t0 = kit_now();
    int sleeper = submit(&p, 7, 1, (int)(nap * 1000), false);
    kit_say("res = apply_async(sleep %.2f s, then job(7)): the notes' time.sleep(10)", nap);
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
    p.echo = true;
    right = wait_for(&p, -1, 60.0);
    for (int i = 0; i < n; i++)
        right &= p.out[i].done && p.out[i].value == job(i);
    kit_expect(right, "all %d results arrived, each once, %s", n,
               p.in_order ? "this time in input order" : "not in input order");

    kit_section("pool.close(); pool.join(): end of file on the task pipe ends the workers");
    kit_expect(pool_join(&p), "every worker exited with status 0");
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
    bool ended = pool_end(&p, SIGTERM, 5.0);   /* SIGTERM: what Python's terminate() sends */
    kit_expect(busy && ended && p.pending == w, "all %d stopped by SIGTERM in %.3f s, not 10 s; "
               "%ld unfinished tasks discarded", w, kit_now() - t0, p.pending);
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
    pid_t old = k >= 0 ? p.pid[k] : 0;
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
    kit_expect(k >= 0 && p.pid[k] != old, "worker %d replaced: pid %ld -> %ld", k + 1,
               (long)old, k >= 0 ? (long)p.pid[k] : 0L);
    kit_expect(pool_join(&p), "close() + join(): every worker exited with status 0");
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
    long size[2] = {quick ? 20000 : 100000, quick ? 1000000 : 4000000}, chunk = 10000;
    int64_t *area = kit_shared_alloc((size_t)size[1] * sizeof *area);  /* before the fork */
    struct pool p;
    pool_open(&p, w, area);
    double median[2];
    for (int c = 0; c < 2; c++) {
        kit_section("--bench: map(job, range(%ld)), %s, %d workers", size[c],
                    c ? "chunks of 10000 tasks" : "one task per message", w);
        double rate[REPS];
        bool right = true;
        for (int r = 0; r < REPS; r++) {
            rate[r] = bench_run(&p, size[c], c ? chunk : 1, &right);
            kit_say("run %d: %.0f tasks/s", r + 1, rate[r]);
        }
        median[c] = kit_median(rate, REPS);
        kit_say("median of %d: %.0f tasks/s", REPS, median[c]);
        kit_expect(right, "every run: all %ld results right", size[c]);
    }
    kit_expect(pool_join(&p), "close() + join() after the benchmark");
    kit_shared_free(area, (size_t)size[1] * sizeof *area);
    kit_section("tasks/s, median of %d (Python's figures: a 2-core machine, see README)", REPS);
    kit_say("one per message: %11.0f  target >= 350000: %s; Python Pool(2), chunksize=1: "
            "about 20000", median[0], median[0] >= 350000 ? "met" : "NOT met");
    kit_say("chunked:         %11.0f  target >= 50000000: %s; Python chunksize=1000: "
            "about 2200000", median[1], median[1] >= 50e6 ? "met" : "NOT met");
}

enum { API = 1, TERMINATE = 2, KILL = 4, BENCH = 8 };

int main(int argc, char *argv[])
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct kit_old_args args = {.workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : cpus,
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
    struct sigaction sa = {.sa_handler = on_sigint};
    sigset_t block;
    if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGINT, &sa, NULL) == -1 ||
        sigemptyset(&block) == -1 || sigaddset(&block, SIGINT) == -1 ||
        sigprocmask(SIG_BLOCK, &block, &unblocked) == -1)
        kit_die("sigaction");
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
