/* event.c - Python's Event: a flag, a mutex and a condition variable
 *
 * Python (note 002):
 *     e = Event(); e.set(); print(e.is_set()); e.wait(3); e.clear(); e.wait()
 *     def wait_event():         e.wait(); print("开始操作临界区资源", e.is_set()); read "file"
 *     def wait_event_timeout(): e.wait(2); read "file" if e.is_set() else print("不能读取文件")
 *     main: writes "file" (sleep 3), then e.set()
 * C: struct event, in a MAP_SHARED mapping made before fork: a bool flag, a
 *    PTHREAD_PROCESS_SHARED (and robust) mutex that guards it, and a
 *    process-shared condition variable on CLOCK_MONOTONIC where waiters sleep.
 *    set() raises the flag and broadcasts; wait() sleeps until it sees the flag
 *    up, in a loop, because a condition variable may wake a waiter for nothing.
 *    The flag is the memory a bare condition variable lacks: a set() before
 *    wait() is never lost.
 *
 * Usage: ./lesson09 [-q] [-w N] [--basics] [--notes] [--broadcast] [--timeouts]
 *
 * Watch for: wait() after set() returning at once, and blocking again after
 * clear(); the impatient reader giving up, the patient one reading the file;
 * one set() waking every waiter; how late wait(timeout) returns (never early).
 * Try next: ./lesson09 --broadcast -w 16. Speed: bench/wakeup (Event round trips).
 * Compare with lesson 05 (the mutex alone) and lesson 08 (semaphores).
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const double FOREVER = -1;            /* wait() with no timeout */
static const char TEXT[] = "I love China";   /* what main writes into the notes' file */

struct event {
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t changed;     /* waiters sleep here until the flag goes up */
    bool flag;                  /* the event itself: set or not */
    int waiting;                /* processes inside wait() now, so demos know */
};

/* Everything the processes share: one anonymous MAP_SHARED mapping per part.
 * The pointer is set before fork(), and each child gets a copy of it (fork
 * copies ordinary memory): the copy points at the same shared pages. */
static struct shared {
    struct event e;
    _Atomic int woken;          /* --broadcast: waiters that woke */
    int outcome[2];             /* --notes: each reader's 1 read the text, 2 gave up */
} *s;
static bool waiter_lost;        /* a waiter may have died inside the condvar */

/* pthread calls return an error number instead of setting errno. PT() runs
 * one and dies naming it unless it returned 0: the call stays in plain sight. */
#define PT(call) do { int e_ = (call); if (e_ != 0) kit_die_err(#call, e_); } while (0)

/* The mutex is robust: when a process dies holding it (killed from outside),
 * the next pthread_mutex_lock() or pthread_cond_wait() gets it with EOWNERDEAD
 * instead of waiting for ever. The flag is one bool, never half-written, so the
 * state is sound: pthread_mutex_consistent() and go on. */
static int owner_died(struct event *ev, int err)
{
    if (err != EOWNERDEAD)
        return err;
    kit_warn("a process died holding the Event's mutex: pthread_mutex_consistent()");
    return pthread_mutex_consistent(&ev->lock);
}

/* ---- the Event: six short functions --------------------------------------- */
static void event_init(struct event *ev)    /* Event(): the flag starts down */
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    PT(pthread_mutexattr_init(&ma));
    /* In shared memory both must say so, or they may keep per-process state. */
    PT(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    PT(pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST));
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
    PT(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->flag = true;
    /* Broadcast, not signal: Python's set() wakes every waiter. */
    PT(pthread_cond_broadcast(&ev->changed));
    PT(pthread_mutex_unlock(&ev->lock));
}

static void event_clear(struct event *ev)
{
    PT(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->flag = false;
    PT(pthread_mutex_unlock(&ev->lock));
}

static bool event_is_set(struct event *ev)
{
    PT(owner_died(ev, pthread_mutex_lock(&ev->lock)));  /* also shows the latest set() */
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
    PT(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->waiting++;
    int e = 0;
    /* The predicate loop. The flag is checked under the lock before every
     * sleep, so a set() that came first is seen at once, and
     * pthread_cond_wait() unlocks and sleeps as one step, so a set() cannot
     * slip in between. It returns with the lock held again; the flag may
     * still be down (a spurious wake-up, allowed by POSIX; EINTR is never
     * returned), hence the loop. */
    while (!ev->flag && e != ETIMEDOUT) {
        if (timeout < 0)
            e = owner_died(ev, pthread_cond_wait(&ev->changed, &ev->lock));
        else
            e = owner_died(ev, pthread_cond_timedwait(&ev->changed, &ev->lock, &deadline));
        if (e != 0 && e != ETIMEDOUT)
            kit_die_err("pthread_cond_timedwait", e);
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

/* ---- each part gets a fresh Event ----------------------------------------- */
static void open_event(void)
{
    s = kit_shared_alloc(sizeof *s);
    event_init(&s->e);
    waiter_lost = false;
}

static void close_event(void)
{
    /* glibc's pthread_cond_destroy() waits until every waiter has left the
     * wait. A waiter killed inside pthread_cond_wait() never leaves, so the
     * destroy would hang for ever: leave it, the mapping goes anyway. */
    if (waiter_lost)
        kit_warn("a waiter did not end cleanly: pthread_cond_destroy skipped");
    else
        event_destroy(&s->e);
    kit_shared_free(s, sizeof *s);
}

/* Joins one waiter within 10 s (a stuck one is killed): true when it exited 0. */
static bool join_waiter(pid_t pid, const char *who)
{
    int status;
    char text[64];
    if (!kit_join(pid, &status, 10))
        kit_kill_join(pid, &status);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        kit_warn("%s %s", who, kit_status_str(status, text, sizeof text));
    waiter_lost |= !ok;
    return ok;
}

/* Polls (under the lock) until n processes sit inside wait(): then a set()
 * really wakes sleepers. Holding the mutex from waiting++ until the
 * condition variable releases it means "counted" implies "asleep". */
static void until_waiting(struct event *ev, int n)
{
    for (double give_up = kit_now() + 10;;) {
        PT(owner_died(ev, pthread_mutex_lock(&ev->lock)));
        int now = ev->waiting;
        PT(pthread_mutex_unlock(&ev->lock));
        if (now >= n)
            return;
        if (kit_now() > give_up)
            kit_fail("only %d of %d waiters arrived in 10 s", now, n);
        kit_sleep(0.001);
    }
}

/* A waiter for --basics and --broadcast: it counts itself when it wakes. */
static void counted_waiter(int id)
{
    (void)id;
    kit_say("e.wait()");
    if (!event_wait(&s->e, FOREVER))
        _exit(EXIT_FAILURE);
    atomic_fetch_add(&s->woken, 1);
    kit_say("woke up: e.is_set() = True");
}

/* Starts n waiters; returns (the last one's pid) once all n sleep in wait(). */
static pid_t start_waiters(int n)
{
    pid_t pid = 0;
    for (int i = 1; i <= n; i++)
        pid = kit_start(counted_waiter, i, "waiter %d", i);
    until_waiting(&s->e, n);
    return pid;
}

/* ---- 1. the notes' first example ------------------------------------------ */
static void basics(const struct kit_args *args)
{
    open_event();
    event_set(&s->e);
    kit_expect(event_is_set(&s->e), "e.set(); e.is_set() = True");
    double t0 = kit_now();
    bool set = event_wait(&s->e, 3.0);
    kit_expect(set, "e.wait(3) = %s after %.3f ms: a set() before the wait is never lost",
               set ? "True" : "False", (kit_now() - t0) * 1e3);
    event_clear(&s->e);
    kit_expect(!event_is_set(&s->e), "e.clear(); e.is_set() = False");
    kit_pace(0.5);

    double hold = args->quick ? 0.1 : 1.0;     /* how long "still blocked" is watched */
    pid_t pid = start_waiters(1);
    int status;
    bool asleep = !kit_join(pid, &status, hold);    /* reaps it if it ended */
    waiter_lost |= !asleep;                         /* it should not have: killed? */
    kit_expect(asleep, "after clear(), wait() blocks again: the waiter still sleeps %g s later",
               hold);
    kit_say("e.set()");
    event_set(&s->e);
    kit_expect(asleep && join_waiter(pid, "waiter"), "set() woke it and it exited 0");
    close_event();
    kit_pace(0.5);
}

/* ---- 2. two processes want the file that main is writing ------------------ */
static double patience;         /* the impatient reader's timeout: the notes' wait(2) */
static int file_fd;             /* the notes' "file"; children inherit the descriptor */

static void read_file(int id)
{
    char buf[64] = "";
    ssize_t got = pread(file_fd, buf, sizeof buf - 1, 0);
    if (got == -1)
        kit_die("pread");
    buf[got] = '\0';
    kit_say("read the file: \"%s\"", buf);
    s->outcome[id] = strcmp(buf, TEXT) == 0 ? 1 : 3;
}

static void wait_event(int id)
{
    kit_say("想操作临界区 (I want the file): e.wait()");
    bool set = event_wait(&s->e, FOREVER);
    kit_say("开始操作临界区资源 (my turn) %s", set ? "True" : "False");
    read_file(id);
}

static void wait_event_timeout(int id)
{
    kit_say("也想操作临界区 (I want it too): e.wait(%g)", patience);
    double t0 = kit_now();
    if (event_wait(&s->e, patience)) {
        read_file(id);
    } else {
        kit_say("不能读取文件 (cannot read the file): gave up after %.0f ms",
                (kit_now() - t0) * 1e3);
        s->outcome[id] = 2;
    }
}

static void notes(const struct kit_args *args)
{
    patience = args->quick ? 0.05 : 2.0;
    open_event();
    /* The file has no name (O_TMPFILE): nothing can be left behind, even
     * after Ctrl-C. The readers use the descriptor that fork() copies. */
    file_fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (file_fd == -1)
        kit_die("open /tmp O_TMPFILE");
    pid_t p1 = kit_start(wait_event, 0, "wait_event");
    pid_t p2 = kit_start(wait_event_timeout, 1, "wait_event_timeout");
    kit_say("主进程操作 (main at work): writing the file");
    if (write(file_fd, TEXT, strlen(TEXT)) != (ssize_t)strlen(TEXT))
        kit_die("write");
    /* In the notes a 3 s sleep makes the impatient reader give up first.
     * Sleeps are no synchronisation, so main joins it before set(). */
    bool ok2 = join_waiter(p2, "wait_event_timeout");
    until_waiting(&s->e, 1);
    kit_pace(0.5);
    kit_say("e.set(): 释放临界区 (the file is ready)");
    event_set(&s->e);
    bool ok1 = join_waiter(p1, "wait_event");
    kit_expect(ok2 && s->outcome[1] == 2, "wait_event_timeout gave up after wait(%g) = False",
               patience);
    kit_expect(ok1 && s->outcome[0] == 1, "wait_event woke at set() and read \"%s\"", TEXT);
    if (close(file_fd) == -1)
        kit_die("close");
    close_event();
}

/* ---- 3. one set() wakes every waiter -------------------------------------- */
static void broadcast(const struct kit_args *args)
{
    int n = (int)args->workers;
    open_event();
    start_waiters(n);
    kit_say("all %d sleep in pthread_cond_wait(); e.set()", n);
    event_set(&s->e);
    waiter_lost |= !kit_join_all(10);   /* a FAIL line for each one that did not exit 0 */
    kit_expect(atomic_load(&s->woken) == n, "%d of %d waiters woke from one set()",
               atomic_load(&s->woken), n);
    close_event();
    kit_pace(0.5);
}

/* ---- 4. wait(timeout) on an unset event ----------------------------------- */
static void timeouts(const struct kit_args *args)
{
    static const double t[] = {0.001, 0.01, 0.05, 0.1, 0.5, 1.0};
    int k = args->quick ? 3 : 6;    /* --quick: the first three */
    open_event();
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
    /* Information, not a claim: a busy machine adds lateness, never earliness. */
    kit_say("lateness %.3f .. %.3f ms: timer slack plus the wake-up", earliest * 1e3,
            latest * 1e3);
    close_event();
}

static const struct kit_part parts[] = {
    {"basics", "the notes' set, is_set, wait(3), clear; then wait() blocks again", basics, true},
    {"notes", "the notes' demo: two processes wait for the file main writes", notes, true},
    {"broadcast", "one set() wakes every waiter (counted)", broadcast, true},
    {"timeouts", "how late wait(timeout) returns on an unset event", timeouts, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson09", .title = "Event 事件",
        .idea = "a flag processes wait on: set() wakes them all, clear() makes wait() block again",
        .python = "e = Event(); e.set(); e.is_set(); e.wait(3); e.clear(); e.wait()   (note 002)",
        .mechanism = "a bool + a PTHREAD_PROCESS_SHARED mutex + a condvar on CLOCK_MONOTONIC:\n"
                     "pthread_cond_wait / pthread_cond_timedwait in a loop, pthread_cond_broadcast",
        .watch = "set() before wait() is never lost; one set() wakes every waiter;\n"
                 "a timed wait returns late, never early",
        .parts = parts, .show_ms = true,
        .workers = {"waiters in --broadcast", 4, 1, 64, 0}};
    return kit_main(&lesson, argc, argv);
}
