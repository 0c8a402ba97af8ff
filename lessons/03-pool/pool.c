/* pool.c - a process pool built from fork and pipes, and a worker that dies
 *
 * Python (note 003; Pool also in notes 001, 002):
 *     with Pool(processes=4) as pool: print(pool.map(f, range(10)))   # [0, 1, 4, ..., 81]
 *         res = pool.apply_async(f, (20,)); print(res.get(timeout=1))   # 400
 * C: the workers are forked once and reused (进程池). Tasks go out through ONE pipe
 *    that every worker reads, results come back through ONE pipe that every worker
 *    writes; a write of at most PIPE_BUF bytes is atomic, so records never mix. When a
 *    worker dies, however, the kernel closes its "life pipe" and poll() sees a hang-up.
 * Usage: ./lesson03 [-q] [-w N] [-n N] [--map] [--apply] [--kill-worker]
 * Watch for: the same few pids serving every task; get(timeout) giving up while
 * the pool works on; a SIGKILLed worker's task reported lost, the worker replaced.
 * Try next: --kill-worker -w 1. Speed: bench/granularity.c. Compare: lessons 02, 01.
 */
#include "kit.h"
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WORKERS = 64, MAX_TASKS = 256, WINDOW = 64, READ_END = 0, WRITE_END = 1, IDLE = -1 };

/* The two records: fixed size, far below PIPE_BUF (4096 bytes on Linux). */
struct task { int32_t id, x, sleep_ms; };           /* sleep_ms stands for real work */
struct result { int32_t id, pid; int64_t value; };  /* pid: the worker that ran it */
struct outcome { int64_t value; pid_t pid; bool done, lost; };

/* At file scope: each worker, forked, starts with its own copy of it all. */
static struct pool {
    int n, tasks[2], results[2];
    pid_t pid[MAX_WORKERS];     /* and the parent's read end of each one's life pipe: */
    int life[MAX_WORKERS];
    int queued, sent, settled, lost;
    bool echo;                  /* print each result as it arrives */
    struct task task[MAX_TASKS];
    struct outcome out[MAX_TASKS];
} pool;
static _Atomic int *slot;       /* shared memory (lesson 04): the task each worker runs */

static int64_t f(int64_t x) { return x * x; }     /* the notes' f(x) */
static void worker(int k)
{
    /* Close the parent's ends: holding the task pipe's write end, no worker would read EOF. */
    if (close(pool.tasks[WRITE_END]) == -1 || close(pool.results[READ_END]) == -1)
        kit_die("close");
    for (int i = 0; i < pool.n; i++)
        if (pool.life[i] != -1 && close(pool.life[i]) == -1)
            kit_die("close");
    for (;;) {  /* many workers read one pipe; each read() takes one whole record */
        struct task t;
        ssize_t got = read(pool.tasks[READ_END], &t, sizeof t);
        if (got == 0)           /* end of file: the parent called close() */
            return;
        if (got != sizeof t)
            kit_die("read");
        atomic_store(&slot[k], t.id);   /* if we die now, the parent knows what was lost */
        kit_span_begin("task %d", t.id);  /* --trace: which worker ran which task */
        kit_sleep(t.sleep_ms / 1000.0);
        struct result r = {.id = t.id, .pid = getpid(), .value = f(t.x)};
        kit_say("f(%d) = %lld", t.x, (long long)r.value);
        if (write(pool.results[WRITE_END], &r, sizeof r) != sizeof r)   /* atomic */
            kit_die("write");
        atomic_store(&slot[k], IDLE);
        kit_span_end("task %d", t.id);
    }
}
static void start_worker(int k)
{
    int life[2];
    if (pipe(life) == -1)
        kit_die("pipe");
    pool.life[k] = life[READ_END];
    atomic_store(&slot[k], IDLE);
    pool.pid[k] = kit_start(worker, k, "worker %d", k + 1);  /* keeps life[WRITE_END] */
    if (close(life[WRITE_END]) == -1)   /* kept here, the pipe would never hang up */
        kit_die("close");
}

static void pool_open(int n)
{
    pool = (struct pool){.n = n};
    if (pipe(pool.tasks) == -1 || pipe(pool.results) == -1)
        kit_die("pipe");
    slot = kit_shared_alloc(MAX_WORKERS * sizeof *slot);
    memset(pool.life, -1, sizeof pool.life);   /* -1: no pipe yet (every byte 0xff) */
    for (int k = 0; k < n; k++)
        start_worker(k);
}

/* apply_async(): queue a task, return its handle (the id) at once. */
static int submit(int x, int sleep_ms)
{
    pool.task[pool.queued] = (struct task){pool.queued, x, sleep_ms};
    return pool.queued++;
}

/* Reads every result already in the pipe (poll, timeout 0), one whole record at a time. */
static void drain(void)
{
    struct pollfd fd = {.fd = pool.results[READ_END], .events = POLLIN};
    while (poll(&fd, 1, 0) == 1) {
        struct result r;
        if (read(pool.results[READ_END], &r, sizeof r) != sizeof r)
            kit_die("read");
        pool.out[r.id] = (struct outcome){.value = r.value, .pid = r.pid, .done = true};
        pool.settled++;
        if (pool.echo)
            kit_say("next() = %lld, from pid %d", (long long)r.value, r.pid);
    }
}

/* Its life pipe hung up: worker k is gone. Reap it, report its task, replace it. */
static void worker_died(int k)
{
    drain();                /* a result it wrote just before it died is in the pipe */
    int status, id = atomic_load(&slot[k]);
    kit_join(pool.pid[k], &status, -1);         /* no limit: its files are closed, it is exiting */
    char text[64];
    kit_warn("worker %d (pid %ld) %s", k + 1, (long)pool.pid[k],
             kit_status_str(status, text, sizeof text));
    if (id != IDLE && !pool.out[id].done) {
        pool.out[id].lost = true;
        pool.settled++;
        pool.lost++;
        kit_warn("task %d, f(%d), died with it: reported lost", id, pool.task[id].x);
    }
    if (close(pool.life[k]) == -1)
        kit_die("close");
    start_worker(k);
    kit_say("started worker %d (pid %ld) in its place", k + 1, (long)pool.pid[k]);
}

/* res.get(timeout): until task `id` (-1: every task) is done or lost, send tasks and poll()
 * for results and for life pipes that hang up. false: the timeout (seconds; < 0: none) came. */
static bool wait_for(int id, double seconds)
{
    double deadline = kit_now() + seconds;
    while (id >= 0 ? !pool.out[id].done && !pool.out[id].lost : pool.settled < pool.queued) {
        /* At most WINDOW tasks in flight: no pipe fills up, so this write()
         * never blocks while the workers block writing results. */
        for (; pool.sent < pool.queued && pool.sent - pool.settled < WINDOW; pool.sent++)
            if (write(pool.tasks[WRITE_END], &pool.task[pool.sent], sizeof(struct task)) !=
                sizeof(struct task))
                kit_die("write");
        double left = deadline - kit_now();
        if (seconds >= 0 && left <= 0)
            return false;
        struct pollfd fd[1 + MAX_WORKERS] = {{.fd = pool.results[READ_END], .events = POLLIN}};
        for (int k = 0; k < pool.n; k++)    /* a hang-up (POLLHUP) needs no asking */
            fd[1 + k] = (struct pollfd){.fd = pool.life[k], .events = POLLIN};
        int ms = seconds < 0 ? -1 : (int)(left * 1000) + 1;   /* rounded up: never early */
        if (poll(fd, (nfds_t)(1 + pool.n), ms) == -1 && errno != EINTR)
            kit_die("poll");
        if (fd[0].revents)
            drain();
        for (int k = 0; k < pool.n; k++)
            if (fd[1 + k].revents)
                worker_died(k);
    }
    return true;
}

/* The worker running task `id`, in short turns: a task starting wakes no poll(). */
static int running(int id)
{
    for (double deadline = kit_now() + 10; kit_now() < deadline; wait_for(id, 0.002))
        for (int k = 0; k < pool.n; k++)
            if (atomic_load(&slot[k]) == id)
                return k;
    kit_fail("task %d did not start within 10 s", id);
}

/* close() + join() (sig 0): the task pipe's last write end closes, so each
 * worker reads end of file once the pipe is empty, and exits 0.
 * terminate() (sig SIGTERM): each is killed first, busy or not. */
static void pool_end(int sig)
{
    for (int k = 0; k < pool.n && sig; k++)   /* first, or an idle one could exit 0 on EOF */
        if (kill(pool.pid[k], sig) == -1)
            kit_die("kill");
    /* With the task pipe's last write end, the workers read EOF; no result is still due. */
    if (close(pool.tasks[WRITE_END]) == -1 || close(pool.tasks[READ_END]) == -1 ||
        close(pool.results[READ_END]) == -1 || close(pool.results[WRITE_END]) == -1)
        kit_die("close");
    bool as_told = true;
    for (int k = 0; k < pool.n; k++) {
        int s;
        if (!kit_join(pool.pid[k], &s, 5.0))  /* the watchdog: then the claim fails */
            kit_kill_join(pool.pid[k], &s);
        as_told &= sig ? WIFSIGNALED(s) && WTERMSIG(s) == sig : WIFEXITED(s) && !WEXITSTATUS(s);
        if (close(pool.life[k]) == -1)
            kit_die("close");
    }
    kit_shared_free(slot, MAX_WORKERS * sizeof *slot);
    kit_expect(as_told, "%s: all %d workers %s", sig ? "terminate()" : "close(); join()", pool.n,
               sig ? "killed by SIGTERM" : "exited with status 0");
}

static void map_part(const struct kit_args *a)
{
    int w = (int)a->workers, n = (int)a->count, by_pool = 0, right = 0;
    pool_open(w);
    for (int i = 0; i < n; i++)
        submit(i, kit_quick() ? 0 : 200);   /* note 002: worker(msg) sleeps 2 s */
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
        submit(i, kit_quick() ? 0 : 100 * (i * 7 % 10 + 1));
    wait_for(-1, -1);
    for (int i = 0; i < 2 * n; i++)
        right += pool.out[i].done && pool.out[i].value == f(i % n);
    kit_expect(right == 2 * n, "map() and imap_unordered(): %d of %d results right, each once",
               right, 2 * n);
    pool_end(0);
}

/* The rest of the notes' script: apply_async, get(timeout), and the end of
 * the with-block, which calls terminate(). */
static void apply_part(const struct kit_args *a)
{
    pool_open((int)a->workers);
    int id = submit(20, 0);
    bool got = wait_for(id, 1.0);
    kit_expect(got && pool.out[id].value == 400, "res = pool.apply_async(f, (20,)): handle %d;"
               " res.get(timeout=1) = %lld", id, (long long)pool.out[id].value);
    double patience = a->quick ? 0.05 : 1.0, t0 = kit_now();
    int sleeper = submit(10, 10000);
    kit_say("res = pool.apply_async(time.sleep, (10,))");
    got = wait_for(sleeper, patience);
    double waited = kit_now() - t0;
    kit_expect(!got && waited >= patience, "res.get(timeout=%.2f) gave up after %.2f s: "
               "TimeoutError", patience, waited);
    id = submit(6, 0);
    wait_for(id, -1);       /* apply() = apply_async() + get() */
    kit_expect(pool.out[id].value == 36, "the pool remains available: apply(f, (6,)) = %lld",
               (long long)pool.out[id].value);
    kit_say("the with-block ends: terminate(), worker %d in time.sleep(10)", running(sleeper) + 1);
    pool_end(SIGTERM);      /* SIGTERM: what Python's terminate() sends */
}

static void kill_part(const struct kit_args *a)
{
    int n = (int)a->count, victim = n / 2, right = 0;
    pool_open((int)a->workers);
    for (int i = 0; i < n; i++)     /* the victim's task would take 10 s */
        submit(i, i == victim ? 10000 : kit_quick() ? 0 : 200);
    int k = running(victim);
    pid_t old = pool.pid[k];
    kit_say("worker %d (pid %ld) is in task %d: kill(pid, SIGKILL)", k + 1, (long)old, victim);
    if (kill(old, SIGKILL) == -1)
        kit_die("kill");
    kit_say("Python's Pool would now wait for ever (CPython issue #96062); ours:");
    bool finished = wait_for(-1, 30.0);
    for (int i = 0; i < n; i++)
        right += pool.out[i].done && pool.out[i].value == f(i);
    kit_expect(finished && pool.lost == 1 && pool.out[victim].lost,
               "nothing hangs: task %d reported lost, %d lost in all", victim, pool.lost);
    kit_expect(right == n - 1 && pool.pid[k] != old, "%d of the other %d right; worker %d "
               "replaced: pid %ld -> %ld", right, n - 1, k + 1, (long)old, (long)pool.pid[k]);
    pool_end(0);
}

static const struct kit_part parts[] = {
    {"map", "pool.map(), then pool.imap_unordered(): reused workers", map_part, true},
    {"apply", "apply_async(), res.get(timeout), apply(), then terminate()", apply_part, true},
    {"kill-worker", "beyond Python: a worker SIGKILLed mid-task, replaced", kill_part, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson03", .title = "Pool 进程池",
        .idea = "a few worker processes, forked once, serve many tasks (进程的复用)",
        .python = "with Pool(processes=4) as pool: pool.map(f, range(10))   (note 003)",
        .mechanism = "fork() the workers once; one task pipe, one result pipe, records <= "
                     "PIPE_BUF;\na life pipe per worker hangs up in poll() when the worker dies",
        .watch = "the same pids serve every task; get(timeout) gives up, the pool works on;\n"
                 "a SIGKILLed worker's task reported lost and the worker replaced",
        .parts = parts, .show_ms = true,
        .workers = {"worker processes, the notes' Pool(processes=4)", 4, 1, MAX_WORKERS, 0},
        .count = {"tasks for map, imap_unordered and kill-worker", 10, 1, MAX_TASKS / 2, 0}};
    return kit_main(&lesson, argc, argv);
}
