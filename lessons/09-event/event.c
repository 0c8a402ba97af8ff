/* event.c - Python's Event: a flag, a mutex and a condition variable
 *
 * Python (note 002):
 *     e = Event()
 *     def wait_event():         e.wait(); print("开始操作临界区资源", e.is_set()); read "file"
 *     def wait_event_timeout(): e.wait(2); read "file" if e.is_set() else print("不能读取文件")
 *     main: writes "file" (sleep 3), then e.set(); e.clear() makes wait() block again
 * C: struct event, in a MAP_SHARED mapping made before fork: a bool flag, a
 *    PTHREAD_PROCESS_SHARED mutex that guards it, and a process-shared
 *    condition variable on CLOCK_MONOTONIC where waiters sleep. set() raises
 *    the flag and broadcasts; wait() sleeps until it sees the flag up, in a
 *    loop, because a condition variable may wake a waiter for nothing. The flag
 *    is the memory a bare condition variable lacks: a set() before wait() is
 *    never lost.
 *
 * Usage: ./lesson09 [-q] [-w N] [-n N] [--basics] [--notes] [--broadcast]
 *                   [--timeouts] [--bench]
 *
 * Watch for: wait() after set() returning at once, and blocking again after
 * clear(); the impatient reader giving up, the patient one reading the file;
 * one set() waking every waiter; how late wait(timeout) returns (never early);
 * round trips per second with --bench, and how they swing.
 * Try next: ./lesson09 --broadcast -w 16, then taskset -c 0 ./lesson09 --bench.
 * Compare with lesson 05 (the mutex alone) and lesson 08 (semaphores).
 */
#include "legacy.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson09 [options]\n"
    "Python's Event built from a flag, a process-shared mutex and a condition variable.\n"
    "With no mode option the first four parts run, in this order:\n"
    "      --basics       the notes' set, is_set, wait(3), clear; then wait() blocks again\n"
    "      --notes        the notes' demo: two processes wait for the file main writes\n"
    "      --broadcast    one set() wakes every waiter (counted)\n"
    "      --timeouts     how late wait(timeout) returns on an unset event\n"
    "      --bench        round trips/s through two Events vs a bare mutex + condvar\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, short timeouts, small bench: well under a second\n"
    "  -w, --workers N    waiters in --broadcast (1..64, default 4)\n"
    "  -n, --count N      round trips per --bench run (1..10000000; default 20000,\n"
    "                     with --quick 2000)\n";

enum { MAX_WAITERS = 64, RUNS = 5 };
static const double FOREVER = -1;       /* wait() with no timeout */
static const char TEXT[] = "I love China";   /* what main writes into the notes' file */

struct event {
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t changed;     /* waiters sleep here until the flag goes up */
    bool flag;                  /* the event itself: set or not */
    int waiting;                /* processes inside wait() now, so demos know */
};

/* Everything the processes share: one anonymous MAP_SHARED mapping. */
struct shared {
    struct event e, ping, pong;
    struct event bare;          /* --bench: only its mutex and condvar, used bare */
    int turn;                   /* --bench, bare pair: whose move it is */
    _Atomic int woken;          /* --broadcast: waiters that woke */
    int outcome[2];             /* --notes: each reader's 1 read the text, 2 gave up */
};

/* The same event functions run in the parent and in children. A child must
 * end with _exit(), so every error report asks which one we are. */
static bool in_child;
#define die_err(call, e) kit_die_at(__FILE__, __LINE__, (call), (e))
static bool waiter_killed;      /* a watchdog had to SIGKILL a waiter */

/* pthread calls return an error number instead of setting errno. PT() runs
 * one and dies naming it ("pthread_mutex_lock(&ev->lock) failed at ...")
 * unless it returned 0: the call stays in plain sight, and so does its check. */
#define PT(call) do { int e_ = (call); if (e_ != 0) die_err(#call, e_); } while (0)

/* ---- the Event: six short functions --------------------------------------- */
static void event_init(struct event *ev)    /* Event(): the flag starts down */
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    PT(pthread_mutexattr_init(&ma));
    /* In shared memory both must say so, or they may keep per-process state. */
    PT(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    PT(pthread_mutex_init(&ev->lock, &ma));
    PT(pthread_mutexattr_destroy(&ma));
    PT(pthread_condattr_init(&ca));
    PT(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    /* Deadlines on the monotonic clock: setting the wall clock back an hour
     * must not make wait(2) last an hour (CLOCK_REALTIME, the default, would). */
    PT(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    PT(pthread_cond_init(&ev->changed, &ca));
    PT(pthread_condattr_destroy(&ca));
    ev->flag = false;
}

static void event_set(struct event *ev)
{
    PT(pthread_mutex_lock(&ev->lock));
    ev->flag = true;
    /* Broadcast, not signal: Python's set() wakes every waiter. */
    PT(pthread_cond_broadcast(&ev->changed));
    PT(pthread_mutex_unlock(&ev->lock));
}

static void event_clear(struct event *ev)
{
    PT(pthread_mutex_lock(&ev->lock));
    ev->flag = false;
    PT(pthread_mutex_unlock(&ev->lock));
}

static bool event_is_set(struct event *ev)
{
    PT(pthread_mutex_lock(&ev->lock));  /* also makes the latest set() visible */
    bool set = ev->flag;
    PT(pthread_mutex_unlock(&ev->lock));
    return set;
}

/* Python's e.wait(timeout): returns whether the flag is set. timeout < 0
 * (FOREVER) waits with no limit. */
static bool event_wait(struct event *ev, double timeout)
{
    /* One absolute deadline, computed once: however often we wake up for
     * nothing, the total wait never stretches past it. */
    struct timespec deadline = kit_deadline(CLOCK_MONOTONIC, timeout < 0 ? 0 : timeout);
    PT(pthread_mutex_lock(&ev->lock));
    ev->waiting++;
    int e = 0;
    /* The predicate loop. The flag is checked under the lock before every
     * sleep, so a set() that came first is seen at once, and
     * pthread_cond_wait() unlocks and sleeps as one step, so a set() cannot
     * slip in between. It returns with the lock held again; the flag may
     * still be down (a spurious wake-up, allowed by POSIX, e.g. after a
     * signal handler ran; EINTR is never returned), hence the loop. */
    while (!ev->flag && e != ETIMEDOUT) {
        e = timeout < 0 ? pthread_cond_wait(&ev->changed, &ev->lock)
                        : pthread_cond_timedwait(&ev->changed, &ev->lock, &deadline);
        if (e != 0 && e != ETIMEDOUT)
            die_err("pthread_cond_timedwait", e);
    }
    bool set = ev->flag;        /* a set() at the deadline still counts */
    ev->waiting--;
    PT(pthread_mutex_unlock(&ev->lock));
    return set;
}

static void event_destroy(struct event *ev)
{
    PT(pthread_cond_destroy(&ev->changed));
    PT(pthread_mutex_destroy(&ev->lock));
}

/* ---- processes ------------------------------------------------------------
 * Every line is printed with one write() (kit_say), so there is no stdio
 * buffer for fork() to copy and print twice: nothing to flush first. */
typedef void child_fn(struct shared *s, int id);
static pid_t kids[MAX_WAITERS], main_pid;   /* children not yet joined, for Ctrl-C */
static volatile sig_atomic_t kids_n;
static sigset_t stop_signals;               /* SIGINT and SIGTERM */

static pid_t start(const char *role, child_fn *fn, struct shared *s, int id)
{
    sigset_t old;       /* no Ctrl-C between fork() and noting the child down */
    if (sigprocmask(SIG_BLOCK, &stop_signals, &old) == -1)
        kit_die("sigprocmask");
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");
    case 0:
        in_child = true;
        kit_set_role("%s", role);
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            kit_die("sigprocmask");
        fn(s, id);
        _exit(EXIT_SUCCESS);
    default:
        kids[kids_n++] = pid;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            kit_die("sigprocmask");
        return pid;
    }
}

/* Ctrl-C sends SIGINT to every process of the job. Were main to die at once,
 * children dying after it would be left as zombies, and after a kill aimed at
 * main alone, waiters would wait for ever for a set() that never comes. So
 * main kills and reaps its children first, then dies of the same signal. */
static void on_stop(int sig)
{
    if (getpid() == main_pid) {         /* children inherit this handler */
        for (int i = 0; i < kids_n; i++)
            kill(kids[i], SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
    }
    raise(sig);     /* SA_RESETHAND put the default back: on return, this ends us */
}

static void forget(pid_t pid)           /* joined: no longer ours to kill */
{
    for (int i = 0; i < kids_n; i++)
        if (kids[i] == pid)
            kids[i] = kids[--kids_n];
}

/* Joins a child, with a watchdog: true when it exited 0 in time. A child
 * still running at the limit is killed, and then its condition variable must
 * never be destroyed: glibc's pthread_cond_destroy() waits for every waiter
 * to leave, and a killed waiter never does, so it would hang for ever. */
static bool join(pid_t pid, double limit, const char *who)
{
    int status;
    char text[64];
    if (!kit_wait_timeout(pid, &status, limit)) {
        kit_warn("watchdog: %s still running after %.1f s: killing it", who, limit);
        if (kill(pid, SIGKILL) == -1)
            kit_die("kill");
        while (waitpid(pid, &status, 0) == -1)
            if (errno != EINTR)
                kit_die("waitpid");
        waiter_killed = true;
    }
    forget(pid);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        kit_warn("%s %s", who, kit_status_str(status, text, sizeof text));
    return ok;
}

/* Polls (under the lock) until n processes sit inside wait(): then a set()
 * really wakes sleepers. Holding the mutex from waiting++ until the
 * condition variable releases it means "counted" implies "asleep". */
static void until_waiting(struct event *ev, int n)
{
    for (double give_up = kit_now() + 10;;) {
        PT(pthread_mutex_lock(&ev->lock));
        int now = ev->waiting;
        PT(pthread_mutex_unlock(&ev->lock));
        if (now >= n)
            return;
        if (kit_now() > give_up)
            kit_fail("only %d of %d waiters arrived in 10 s", now, n);
        kit_sleep(0.001);
    }
}

/* Waiters for --basics and --broadcast: each counts itself when it wakes. */
static void counted_waiter(struct shared *s, int id)
{
    (void)id;
    kit_say("e.wait()");
    if (!event_wait(&s->e, FOREVER))
        _exit(EXIT_FAILURE);
    atomic_fetch_add(&s->woken, 1);
    kit_say("woke up: e.is_set() = True");
}

/* Starts n waiters and returns once all n sleep inside wait(). */
static void start_waiters(struct shared *s, int n, pid_t pid[])
{
    event_clear(&s->e);
    atomic_store(&s->woken, 0);
    for (int i = 0; i < n; i++) {
        char role[32];
        snprintf(role, sizeof role, "waiter %d", i + 1);
        pid[i] = start(role, counted_waiter, s, i);
    }
    until_waiting(&s->e, n);
}

/* ---- --basics: the notes' first example ---------------------------------- */
static void basics(struct shared *s, double hold)
{
    kit_section("--basics: the notes' first example: set, is_set, wait(3), clear, wait()");
    event_set(&s->e);
    kit_expect(event_is_set(&s->e), "e.set(); e.is_set() = True");
    double t0 = kit_now();
    bool set = event_wait(&s->e, 3.0);
    double ms = (kit_now() - t0) * 1e3;
    kit_expect(set && ms < 1000, "e.wait(3) = %s after %.3f ms: a set() before the wait is "
               "never lost", set ? "True" : "False", ms);
    event_clear(&s->e);
    kit_expect(!event_is_set(&s->e), "e.clear(); e.is_set() = False");
    kit_pace(0.5);

    pid_t pid;
    start_waiters(s, 1, &pid);
    int status;
    bool ended = kit_wait_timeout(pid, &status, hold);  /* reaps it if it ended */
    if (ended)
        forget(pid);
    kit_expect(!ended, "after clear(), wait() blocks again: the waiter still sleeps %g s later",
               hold);
    kit_say("e.set()");
    event_set(&s->e);
    kit_expect(!ended && join(pid, 10, "waiter"), "set() woke it and it exited 0");
    event_clear(&s->e);
    kit_pace(0.5);
}

/* ---- --notes: two processes want the file that main is writing ----------- */
static double patience;         /* the impatient reader's timeout: the notes' wait(2) */
static int file_fd;             /* the notes' "file"; children inherit the descriptor */

static void read_file(struct shared *s, int id)
{
    char buf[64] = "";
    ssize_t got = pread(file_fd, buf, sizeof buf - 1, 0);
    if (got == -1)
        kit_die("pread");
    buf[got] = '\0';
    kit_say("read the file: \"%s\"", buf);
    s->outcome[id] = strcmp(buf, TEXT) == 0 ? 1 : 3;
}

static void wait_event(struct shared *s, int id)
{
    kit_say("想操作临界区 (I want the file): e.wait()");
    bool set = event_wait(&s->e, FOREVER);
    kit_say("开始操作临界区资源 (my turn) %s", set ? "True" : "False");
    read_file(s, id);
}

static void wait_event_timeout(struct shared *s, int id)
{
    kit_say("也想操作临界区 (I want it too): e.wait(%g)", patience);
    double t0 = kit_now();
    if (event_wait(&s->e, patience)) {
        read_file(s, id);
    } else {
        kit_say("不能读取文件 (cannot read the file): gave up after %.0f ms",
                (kit_now() - t0) * 1e3);
        s->outcome[id] = 2;
    }
}

static void notes(struct shared *s)
{
    kit_section("--notes: two processes want the file that main is writing");
    /* The file has no name (O_TMPFILE): nothing can be left behind, even
     * after Ctrl-C. The readers use the descriptor that fork() copies. */
    file_fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (file_fd == -1)
        kit_die("open /tmp O_TMPFILE");
    event_clear(&s->e);
    pid_t p1 = start("wait_event", wait_event, s, 0);
    pid_t p2 = start("wait_event_timeout", wait_event_timeout, s, 1);
    kit_say("主进程操作 (main at work): writing the file");
    if (write(file_fd, TEXT, strlen(TEXT)) != (ssize_t)strlen(TEXT))
        kit_die("write");
    /* In the notes a 3 s sleep makes the impatient reader give up first.
     * Sleeps are no synchronisation, so main joins it before set(). */
    bool ok2 = join(p2, patience + 10, "wait_event_timeout");
    until_waiting(&s->e, 1);
    kit_pace(0.5);
    kit_say("e.set(): 释放临界区 (the file is ready)");
    event_set(&s->e);
    bool ok1 = join(p1, 10, "wait_event");
    kit_expect(ok2 && s->outcome[1] == 2, "wait_event_timeout gave up after wait(%g) = False",
               patience);
    kit_expect(ok1 && s->outcome[0] == 1, "wait_event woke at set() and read \"%s\"", TEXT);
    if (close(file_fd) == -1)
        kit_die("close");
}

/* ---- --broadcast: one set() wakes every waiter ---------------------------- */
static void broadcast(struct shared *s, int n)
{
    pid_t pid[MAX_WAITERS];
    kit_section("--broadcast: %d processes wait, main calls set() once", n);
    start_waiters(s, n, pid);
    kit_say("all %d sleep in pthread_cond_wait(); e.set()", n);
    event_set(&s->e);
    bool ok = true;
    for (int i = 0; i < n; i++)     /* every one, even after a failure */
        ok &= join(pid[i], 10, "waiter");
    kit_expect(ok && atomic_load(&s->woken) == n, "%d of %d waiters woke from one set()",
               atomic_load(&s->woken), n);
    kit_pace(0.5);
}

/* ---- --timeouts: wait(timeout) on an unset event ------------------------- */
static void timeouts(struct shared *s, bool quick)
{
    static const double t[] = {0.001, 0.01, 0.05, 0.1, 0.5, 1.0};
    int k = quick ? 3 : 6;      /* --quick: the first three */
    kit_section("--timeouts: e.wait(t) on an unset event: how late does it return?");
    event_clear(&s->e);
    bool all_false = true;
    double earliest = 1e9, latest = -1e9;
    for (int i = 0; i < k; i++) {
        double t0 = kit_now();
        bool set = event_wait(&s->e, t[i]);
        double late = kit_now() - t0 - t[i];
        all_false &= !set;
        earliest = late < earliest ? late : earliest;
        latest = late > latest ? late : latest;
        kit_say("e.wait(%g) = %s after %.3f ms: %.3f ms late", t[i], set ? "True" : "False",
                (t[i] + late) * 1e3, late * 1e3);
    }
    kit_expect(all_false && earliest >= 0, "every wait returned False, none before its timeout");
    kit_expect(latest < 0.25, "the latest returned %.3f ms after its timeout (a fraction of a ms "
               "is usual; a busy machine adds more)", latest * 1e3);
}

/* ---- --bench: ping-pong between two processes ----------------------------
 * Main (0) and the echo (1) take turns: each waits for its turn and hands it
 * over, n times. With Events, main's turn is pong and the echo's is ping;
 * each clears its own event before answering, so its next wait really waits.
 * The bare pair does the same with one mutex, one condition variable and a
 * `turn` variable. */
static long rounds_wanted;

static void relay(struct shared *s, int bare, int me)
{
    if (!bare) {
        struct event *mine = me ? &s->ping : &s->pong, *theirs = me ? &s->pong : &s->ping;
        event_wait(mine, FOREVER);
        event_clear(mine);
        event_set(theirs);
        return;
    }
    PT(pthread_mutex_lock(&s->bare.lock));
    while (s->turn != me)
        PT(pthread_cond_wait(&s->bare.changed, &s->bare.lock));
    s->turn = !me;
    PT(pthread_cond_signal(&s->bare.changed));     /* two processes: one waiter at most */
    PT(pthread_mutex_unlock(&s->bare.lock));
}

static void echo(struct shared *s, int bare)
{
    for (long i = 0; i < rounds_wanted; i++)
        relay(s, bare, 1);
}

/* One timed run: round trips per second, or 0 if the echo failed. */
static double bench_run(struct shared *s, bool bare, long n)
{
    s->turn = 0;                /* main's turn first: its first move is the first ping */
    event_clear(&s->ping);
    event_set(&s->pong);
    pid_t pid = start("echo", echo, s, bare);
    double t0 = kit_now();
    for (long i = 0; i <= n; i++)   /* n + 1 moves: n pings answered, then one more ping */
        relay(s, bare, 0);
    double seconds = kit_now() - t0;
    return join(pid, 10, "echo") ? n / seconds : 0;  /* it exits 0 after n answers */
}

static void bench(struct shared *s, long n)
{
    kit_section("--bench: round trips between two processes, %ld per run, median of %d",
                n, RUNS);
    static const char *const what[] = {"two Events (set/wait/clear)",
                                       "a bare mutex + condition variable"};
    double median[2], rate[2][RUNS];
    rounds_wanted = n;
    for (int k = 0; k < 2; k++) {
        for (int r = 0; r < RUNS; r++)
            rate[k][r] = bench_run(s, k == 1, n);
        median[k] = kit_median(rate[k], RUNS);  /* sorts rate[k] */
        kit_say("%-36s %8.0f round trips/s (min %.0f, max %.0f)", what[k], median[k],
                rate[k][0], rate[k][RUNS - 1]);
    }
    kit_say("the Events run at %.0f%% of the bare pair's rate (they add a lock/unlock per "
            "clear(), and broadcast)", 100 * median[0] / median[1]);
    kit_expect(rate[0][0] > 0 && rate[1][0] > 0, "%d runs x %ld round trips x 2 kinds: every "
               "ping answered", RUNS, n);
}

enum { BASICS = 1, NOTES = 2, BROADCAST = 4, TIMEOUTS = 8, BENCH = 16 };

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 4, .workers_min = 1, .workers_max = MAX_WAITERS,
                            .count = 0, .count_min = 1, .count_max = 10000000};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"basics", no_argument, NULL, BASICS}, {"notes", no_argument, NULL, NOTES},
        {"broadcast", no_argument, NULL, BROADCAST}, {"timeouts", no_argument, NULL, TIMEOUTS},
        {"bench", no_argument, NULL, BENCH}, {0}};
    kit_set_usage(usage);
    int modes = 0;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt >= BASICS && opt <= BENCH)
            modes |= opt;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = BASICS | NOTES | BROADCAST | TIMEOUTS;
    double hold = args.quick ? 0.1 : 1.0;      /* how long "still blocked" is watched */
    patience = args.quick ? 0.05 : 2.0;         /* the notes' e.wait(2) */
    kit_show_ms(true);
    main_pid = getpid();
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    struct sigaction sa = {.sa_handler = on_stop, .sa_mask = stop_signals,
                           .sa_flags = SA_RESETHAND};
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        kit_die("sigaction");

    struct shared *s = kit_shared_alloc(sizeof *s);
    struct event *all[] = {&s->e, &s->ping, &s->pong, &s->bare};
    for (int i = 0; i < 4; i++)
        event_init(all[i]);
    if (modes & BASICS)
        basics(s, hold);
    if (modes & NOTES)
        notes(s);
    if (modes & BROADCAST)
        broadcast(s, (int)args.workers);
    if (modes & TIMEOUTS)
        timeouts(s, args.quick);
    if (modes & BENCH)
        bench(s, args.count ? args.count : args.quick ? 2000 : 20000);

    if (waiter_killed) {
        kit_warn("a waiter was killed: its condition variable is left undestroyed (glibc's "
                 "pthread_cond_destroy would wait for it for ever)");
    } else {
        for (int i = 0; i < 4; i++)
            event_destroy(all[i]);
    }
    kit_shared_free(s, sizeof *s);
    kit_section("verdict");
    return kit_verdict();
}
