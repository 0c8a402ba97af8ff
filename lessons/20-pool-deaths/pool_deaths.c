/* pool_deaths.c - a process pool whose workers may be killed at any moment, losing nothing
 *
 * Lesson 03's pool (fork once, a task pipe and a result pipe per worker), made to
 * survive SIGKILL. Python (note 003) cannot: kill a worker of
 *     with Pool(processes=4) as pool: print(pool.map(f, range(10)))
 * in the middle of a task and map() waits for ever (CPython issue #96062).
 * C: the parent hands a task only to an idle worker and notes "worker k holds task t"
 *    in its own memory as it writes it, so no kill point (before the worker's read(),
 *    mid-task, after its write()) can come between taking and recording. A dead worker's
 *    result pipe reads end of file only after every result it wrote; a task it held
 *    unanswered is then sent again, once. Results arrive exactly once; a task may RUN twice.
 * Usage: ./lesson20 [-q] [-w N] [-n N] [--kill-worker] [--kill-after MS]
 *        [--kill-stress] [--kills K]
 * Watch for: a SIGKILLed worker's task sent again (or not: killed after its write());
 * the stress run's count: every result exactly once, however many workers die.
 * Try next: --kill-after 0, 100, 250 with -w 1; --kill-stress --kills 400.
 * Compare with lesson 03 (the pool itself) and lesson 13 (a stress run of a queue).
 */
#include "kit.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WORKERS = 64, MAX_TASKS = 4200, READ_END = 0, WRITE_END = 1, IDLE = -1 };

/* The two records: fixed size, far below PIPE_BUF (4096), so each write() is atomic. */
struct task { int32_t id, x, sleep_us, quiet; };    /* sleep_us stands for real work */
struct result { int32_t id, pid; int64_t value; };

/* At file scope: each worker, forked, starts with its own copy of it all. */
static struct pool {
    int n, to[MAX_WORKERS], from[MAX_WORKERS];  /* the parent's ends of each one's pipes */
    pid_t pid[MAX_WORKERS];
    int held[MAX_WORKERS];      /* the task each worker holds: the parent's own record */
    int queued, next, settled, again[MAX_TASKS], n_again, resent, kills, deaths;
    bool quiet;                 /* no line per death (the stress run) */
    struct task task[MAX_TASKS];
    int64_t value[MAX_TASKS];
    int times[MAX_TASKS];       /* how often each task's result arrived: must be 1 */
    int sends[MAX_TASKS];       /* how often it was handed to a worker */
} pool;
static int task_in, result_out;  /* the new worker's own ends, set just before its fork */

static int64_t f(int64_t x) { return x * x; }     /* the notes' f(x) */

static void worker(int k)
{
    (void)k;                /* its number is in its role, "worker k" */
    /* Copies of the parent's ends: holding a task pipe's write end, a worker never reads EOF. */
    for (int i = 0; i < pool.n; i++)
        if (pool.to[i] != -1 && (close(pool.to[i]) == -1 || close(pool.from[i]) == -1))
            kit_die("close");
    for (;;) {
        struct task t;
        ssize_t got = read(task_in, &t, sizeof t);
        if (got == 0)           /* end of file: the parent called close() */
            return;
        if (got != sizeof t)
            kit_die("read");
        kit_sleep(t.sleep_us / 1e6);
        struct result r = {.id = t.id, .pid = getpid(), .value = f(t.x)};
        if (!t.quiet)
            kit_say("f(%d) = %lld", t.x, (long long)r.value);
        if (write(result_out, &r, sizeof r) != sizeof r)   /* one whole record */
            kit_die("write");
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
    for (int k = 0; k < MAX_WORKERS; k++)
        pool.to[k] = -1;    /* no pipe yet: a worker closes only the ones that exist */
    for (int k = 0; k < n; k++)
        start_worker(k);
}

static void submit(int x, int sleep_us, bool quiet)
{
    pool.task[pool.queued] = (struct task){pool.queued, x, sleep_us, quiet};
    pool.queued++;
}

/* Each idle worker gets the next task (one to send again first). "held" is set as
 * the task is written, by the parent: a worker killed at any moment after holds it. */
static void dispatch(void)
{
    for (int k = 0; k < pool.n; k++) {
        if (pool.held[k] != IDLE)
            continue;
        if (pool.n_again == 0 && pool.next == pool.queued)
            return;
        int id = pool.n_again > 0 ? pool.again[--pool.n_again] : pool.next++;
        pool.held[k] = id;
        pool.sends[id]++;
        ssize_t put = write(pool.to[k], &pool.task[id], sizeof(struct task));
        if (put != sizeof(struct task) && !(put == -1 && errno == EPIPE))
            kit_die("write");   /* EPIPE: it died already; its end of file will say so */
    }
}

/* Result pipe k is readable: a result, or end of file: worker k is gone, and every
 * result it wrote has been read. A task it held unanswered goes out again, once. */
static void from_worker(int k)
{
    struct result r;
    ssize_t got = read(pool.from[k], &r, sizeof r);
    if (got == sizeof r) {
        pool.value[r.id] = r.value;
        pool.times[r.id]++;
        pool.held[k] = IDLE;
        pool.settled++;
        return;
    }
    if (got != 0)
        kit_die("read");
    int status, id = pool.held[k];
    pid_t dead = pool.pid[k];
    kit_join(dead, &status, -1);    /* no limit: its files are closed, it is exiting */
    if (close(pool.to[k]) == -1 || close(pool.from[k]) == -1)
        kit_die("close");
    if (id != IDLE)             /* killed after its write(): its result is in, id is IDLE */
        pool.again[pool.n_again++] = id;
    pool.resent += id != IDLE;
    pool.deaths++;
    start_worker(k);
    char text[64];
    if (pool.quiet)
        return;
    kit_warn("worker %d (pid %ld) %s", k + 1, (long)dead,
             kit_status_str(status, text, sizeof text));
    if (id == IDLE)
        kit_say("it held no task (its result was in); pid %ld in its place", (long)pool.pid[k]);
    else
        kit_say("task %d goes out again, unanswered; pid %ld in its place", id,
                (long)pool.pid[k]);
}

/* Until every task is back and every worker we killed is seen dead, or `seconds`
 * (< 0: no limit) pass: send tasks, poll() the result pipes. false: the time came first. */
static bool wait_all(double seconds)
{
    double deadline = kit_now() + seconds;
    while (pool.settled < pool.queued || pool.deaths < pool.kills) {
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

/* How many of tasks [from, to) came back exactly once, with the right value. */
static int once_right(int from, int to)
{
    int right = 0;
    for (int i = from; i < to; i++)
        right += pool.times[i] == 1 && pool.value[i] == f(pool.task[i].x);
    return right;
}

/* close() + join(): each task pipe's write end closes, each worker reads end of file
 * and exits 0; a 5 s watchdog for each. */
static void pool_close(void)
{
    bool all_zero = true;
    for (int k = 0; k < pool.n; k++)
        if (close(pool.to[k]) == -1)
            kit_die("close");
    for (int k = 0; k < pool.n; k++) {
        int s;
        if (!kit_join(pool.pid[k], &s, 5.0))
            kit_kill_join(pool.pid[k], &s);
        all_zero &= WIFEXITED(s) && WEXITSTATUS(s) == 0;
        if (close(pool.from[k]) == -1)
            kit_die("close");
    }
    kit_expect(all_zero, "close(); join(): all %d workers exited with status 0", pool.n);
}

static long kill_after = -1, kills = 30;

/* Worker 1 is SIGKILLed kill_after ms after it was handed task n/2: 0 is before its
 * read(), the task's length is after its write(), between is mid-task. */
static void kill_part(const struct kit_args *a)
{
    int n = (int)a->count, victim = n / 2, work = a->quick ? 20 : 200;
    pool_open((int)a->workers);
    for (int i = 0; i < victim; i++)
        submit(i, work * 1000, false);
    wait_all(-1);           /* the tasks before it: then every worker is idle */
    for (int i = victim; i < n; i++)
        submit(i, work * 1000, false);
    dispatch();             /* the victim goes to worker 1, on record at once */
    pid_t old = pool.pid[0];
    double after = kill_after >= 0 ? (double)kill_after : work / 2.0;
    kit_sleep(after / 1000);    /* a real sleep: the kill point is the lesson's parameter */
    kit_say("worker 1 (pid %ld), %.0f ms after it got task %d (a %d ms task): SIGKILL",
            (long)old, after, victim, work);
    if (kill(old, SIGKILL) == -1)
        kit_die("kill");
    pool.kills++;
    kit_say("Python's Pool would now wait for ever (CPython issue #96062); ours:");
    bool finished = wait_all(30.0);
    kit_say("task %d: handed out %d time(s), its result arrived %d time(s)", victim,
            pool.sends[victim], pool.times[victim]);
    kit_expect(finished && once_right(0, n) == n, "pool.map(f, range(%d)): %d of %d results "
               "right, each exactly once", n, once_right(0, n), n);
    kit_expect(pool.deaths == 1 && pool.pid[0] != old, "worker 1 replaced: pid %ld -> %ld",
               (long)old, (long)pool.pid[0]);
    pool_close();
}

/* A map of many small tasks while workers are SIGKILLed at random moments. */
static void stress_part(const struct kit_args *a)
{
    int m = (int)(kills * 10 > a->count ? kills * 10 : a->count), busy = 0;
    pid_t shot[MAX_WORKERS] = {0};  /* killed, not yet seen dead: not killed twice */
    pool_open((int)a->workers);
    pool.quiet = true;
    srandom((unsigned)getpid());    /* other kill moments every run */
    for (int i = 0; i < m; i++)
        submit(i, (int)(random() % 400), true);     /* 0-0.4 ms of "work" each */
    /* run the pool 0.1-2 ms, kill a random worker: idle, in read(), at work, in write() */
    while (pool.kills < kills && !wait_all((double)(random() % 1900 + 100) / 1e6)) {
        int k = (int)(random() % pool.n);
        if (shot[k] == pool.pid[k])
            continue;
        shot[k] = pool.pid[k];
        busy += pool.held[k] != IDLE;
        if (kill(pool.pid[k], SIGKILL) == -1)
            kit_die("kill");
        pool.kills++;
    }
    bool finished = wait_all(30.0);
    kit_say("%d workers SIGKILLed at random moments (%d holding a task), %d replaced",
            pool.kills, busy, pool.deaths);
    kit_say("pool.map(f, range(%d)): %d tasks were handed out again", m, pool.resent);
    kit_expect(finished && once_right(0, m) == m, "%d of %d results right, each exactly once",
               once_right(0, m), m);
    pool.quiet = false;
    pool_close();
}

static const struct kit_part parts[] = {
    {"kill-worker", "one worker SIGKILLed --kill-after ms into its task", kill_part, true},
    {"kill-stress", "workers SIGKILLed at random moments while map runs", stress_part, true},
    {0}};
static const struct kit_option options[] = {
    {"kill-after", "MS", "kill-worker: ms from hand-over to kill (-1: half the task)",
     &kill_after, -1, 10000},
    {"kills", "K", "kill-stress: workers to SIGKILL (tasks: 10 per kill)", &kills, 0, 400},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson20", .title = "Pool workers that die 进程池",
        .idea = "a pool that loses no task and answers none twice when a worker dies",
        .python = "pool.map(f, range(10)), a worker SIGKILLed mid-task: map() hangs (note 003)",
        .mechanism = "the parent records 'worker k holds task t' as it writes the task; a dead\n"
                     "worker's result pipe reads EOF after all it wrote: its task is sent again",
        .watch = "the task sent again (or not, when its result came first);\n"
                 "the stress count: every result exactly once",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"worker processes, the notes' Pool(processes=4)", 4, 1, MAX_WORKERS, 0},
        .count = {"tasks for kill-worker (kill-stress: at least this many)", 10, 1, 128, 0}};
    return kit_main(&lesson, argc, argv);
}
