/* event.c - Python's Event: a flag, a mutex and a condition variable
 *
 * Python (note 002):
 *     e = Event(); e.set(); print(e.is_set()); e.wait(3); e.clear(); e.wait()
 *     main writes "file", e.set(); wait_event(): e.wait(), reads it; wait_event_timeout():
 *     e.wait(2); read "file" if e.is_set() else print("不能读取文件")
 * C: a bool flag, a PTHREAD_PROCESS_SHARED robust mutex guarding it and a shared
 *    condvar on CLOCK_MONOTONIC where waiters sleep, in a MAP_SHARED mapping. The
 *    flag is the memory a bare condvar lacks: a set() before wait() is never lost.
 * Usage: ./lesson09 [-q] [-w N] [--basics] [--notes] [--broadcast] [--timeouts]
 * Watch for: wait() after set() returning at once, blocking again after clear();
 * one set() waking every waiter; wait(timeout) late, never early.
 * Try next: ./lesson09 --broadcast -w 16; speed: bench/wakeup (Event round trips).
 * Compare with lesson 05 (the mutex alone) and lesson 08 (semaphores).
 */
#include "kit.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static const double FOREVER = -1;            /* wait() with no timeout */
static const char TEXT[] = "I love China";   /* what main writes into the notes' file */

struct event {
    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t changed;     /* waiters sleep here until the flag goes up */
    bool flag;                  /* the event itself: set or not */
    int waiting;                /* processes inside wait() now, so demos know */
};

/* MAP_SHARED, one per part, made before fork(): each child's copy of s points here */
static struct shared {
    struct event e;
    _Atomic int woken;          /* --basics, --broadcast: waiters that woke */
    int outcome[2];             /* --notes: each reader's 1 read the text, 2 gave up */
} *s;
static bool waiter_lost;        /* a waiter may have died inside the condvar */

/* The mutex is robust: if its holder dies, the next lock (or pthread_cond_wait's
 * relock) gets EOWNERDEAD, not a wait for ever. A bool is never half-written. */
static int owner_died(struct event *ev, int err)
{
    return err == EOWNERDEAD ? pthread_mutex_consistent(&ev->lock) : err;
}

/* ---- the Event ------------------------------------------------------------ */
static void event_init(struct event *ev)    /* Event(): the flag starts down (zeroed) */
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    kit_check(pthread_mutexattr_init(&ma));
    /* In shared memory both must say so, or they may keep per-process state. */
    kit_check(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    kit_check(pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST));
    kit_check(pthread_mutex_init(&ev->lock, &ma));
    kit_check(pthread_mutexattr_destroy(&ma));
    kit_check(pthread_condattr_init(&ca));
    kit_check(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    /* Not CLOCK_REALTIME (the default): setting the clock back must not stretch wait(2). */
    kit_check(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    kit_check(pthread_cond_init(&ev->changed, &ca));
    kit_check(pthread_condattr_destroy(&ca));
}

static void event_set(struct event *ev)
{
    kit_check(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->flag = true;
    kit_check(pthread_cond_broadcast(&ev->changed));   /* not signal: set() wakes every waiter */
    kit_check(pthread_mutex_unlock(&ev->lock));
}

static void event_clear(struct event *ev)
{
    kit_check(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->flag = false;
    kit_check(pthread_mutex_unlock(&ev->lock));
}

static bool event_is_set(struct event *ev)
{
    kit_check(owner_died(ev, pthread_mutex_lock(&ev->lock)));  /* also shows the latest set() */
    bool set = ev->flag;
    kit_check(pthread_mutex_unlock(&ev->lock));
    return set;
}

/* Python's e.wait(timeout): returns the flag. timeout < 0 (FOREVER): no limit. */
static bool event_wait(struct event *ev, double timeout)
{
    /* One absolute deadline, computed once: wake-ups for nothing never stretch it. */
    struct timespec deadline = kit_deadline(CLOCK_MONOTONIC, timeout < 0 ? 0 : timeout);
    kit_check(owner_died(ev, pthread_mutex_lock(&ev->lock)));
    ev->waiting++;
    int e = 0;
    /* The predicate loop: the flag is checked under the lock before every sleep,
     * and pthread_cond_wait() unlocks and sleeps as one step (no set() slips in
     * between). It may come back with the flag still down (a spurious wake-up). */
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
    kit_check(pthread_mutex_unlock(&ev->lock));
    return set;
}

/* ---- each part makes a fresh Event, and destroys it at its end ------------ */
static void open_event(void)
{
    s = kit_shared_alloc(sizeof *s);
    event_init(&s->e);
    waiter_lost = false;
}

static void close_event(void)
{
    /* glibc's pthread_cond_destroy() waits for every waiter to leave; one killed
     * inside pthread_cond_wait() never does, so it would hang for ever. Skip it. */
    if (waiter_lost) {
        kit_warn("a waiter did not end cleanly: pthread_cond_destroy skipped");
    } else {
        kit_check(pthread_cond_destroy(&s->e.changed));
        kit_check(pthread_mutex_destroy(&s->e.lock));
    }
    kit_shared_free(s, sizeof *s);
}

/* Polls until n processes sit inside wait(). A waiter holds the mutex from
 * waiting++ until pthread_cond_wait() sleeps, so "counted" means "asleep". */
static void until_waiting(int n)
{
    for (double give_up = kit_now() + 4; kit_now() < give_up; kit_sleep(0.001)) {
        kit_check(owner_died(&s->e, pthread_mutex_lock(&s->e.lock)));
        int now = s->e.waiting;
        kit_check(pthread_mutex_unlock(&s->e.lock));
        if (now >= n)
            return;
    }
    kit_fail("%d waiters did not all reach wait() in 4 s", n);
}

static void counted_waiter(int id)
{
    (void)id;                   /* the role, "waiter 3", says who it is */
    kit_say("e.wait()");
    event_wait(&s->e, FOREVER); /* no timeout: it returns only with the flag up */
    atomic_fetch_add(&s->woken, 1);
    kit_say("woke up: e.is_set() = True");
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
    double hold = args->quick ? 0.1 : 1.0;     /* how long "still blocked" is watched */
    kit_start(counted_waiter, 1, "waiter 1");
    until_waiting(1);
    kit_sleep(hold);            /* a real sleep: the claim is that nothing happens in it */
    kit_expect(atomic_load(&s->woken) == 0, "after clear(), wait() blocks again: no wake-up "
               "in %g s", hold);
    kit_say("e.set()");
    event_set(&s->e);
    waiter_lost |= !kit_join_all(10);  /* kills one still running; FAIL if not exit 0 */
    kit_expect(atomic_load(&s->woken) == 1, "set() woke it");
    close_event();
}

/* ---- 2. two processes want the file that main is writing ------------------ */
static double patience;         /* the impatient reader's timeout: the notes' wait(2) */
static int file_fd;             /* the notes' "file"; children inherit the descriptor */

static void read_file(int id)
{
    char buf[64] = "";          /* zeroed: what pread() leaves is a string */
    if (pread(file_fd, buf, sizeof buf - 1, 0) == -1)
        kit_die("pread");
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
    if (event_wait(&s->e, patience)) {
        read_file(id);
    } else {
        s->outcome[id] = 2;
        kit_say("不能读取文件 (cannot read the file): e.wait(%g) = False", patience);
    }
}

static void notes(const struct kit_args *args)
{
    patience = args->quick ? 0.05 : 2.0;
    open_event();
    /* No name (O_TMPFILE): nothing left behind. Readers use fork()'s copy of fd. */
    file_fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (file_fd == -1)
        kit_die("open /tmp O_TMPFILE");
    kit_start(wait_event, 0, "wait_event");
    pid_t impatient = kit_start(wait_event_timeout, 1, "wait_event_timeout");
    kit_say("主进程操作 (main at work): writing the file");
    if (write(file_fd, TEXT, strlen(TEXT)) != (ssize_t)strlen(TEXT))
        kit_die("write");
    /* The notes sleep 3 s so the impatient one gives up first: main joins it
     * (bounded; one still running is killed by kit_join_all() below). */
    kit_join(impatient, NULL, patience + 10);
    waiter_lost |= s->outcome[1] == 0;  /* ended without a word: killed, maybe in the condvar */
    until_waiting(1);
    kit_pace(0.5);
    kit_say("e.set(): 释放临界区 (the file is ready)");
    event_set(&s->e);
    waiter_lost |= !kit_join_all(10);
    kit_expect(s->outcome[1] == 2, "wait_event_timeout gave up after wait(%g) = False", patience);
    kit_expect(s->outcome[0] == 1, "wait_event woke at set() and read \"%s\"", TEXT);
    if (close(file_fd) == -1)
        kit_die("close");
    close_event();
}

/* ---- 3. one set() wakes every waiter -------------------------------------- */
static void broadcast(const struct kit_args *args)
{
    int n = (int)args->workers;
    open_event();
    for (int i = 1; i <= n; i++)
        kit_start(counted_waiter, i, "waiter %d", i);
    until_waiting(n);
    kit_say("all %d sleep in pthread_cond_wait(); e.set()", n);
    event_set(&s->e);
    waiter_lost |= !kit_join_all(10);
    kit_expect(atomic_load(&s->woken) == n, "%d of %d waiters woke from one set()",
               atomic_load(&s->woken), n);
    close_event();
}

/* ---- 4. wait(timeout) on an unset event ----------------------------------- */
static void timeouts(const struct kit_args *args)
{
    static const double t[] = {0.001, 0.01, 0.05, 0.1, 0.5, 1.0};
    open_event();
    bool held = true;           /* every wait returned False, none early */
    for (int i = 0; i < (args->quick ? 3 : 6); i++) {     /* --quick: the first three */
        double t0 = kit_now();
        bool set = event_wait(&s->e, t[i]);
        double late = kit_now() - t0 - t[i];
        held &= !set && late >= 0;
        kit_say("e.wait(%g) = %s after %.3f ms: %.3f ms late", t[i], set ? "True" : "False",
                (t[i] + late) * 1e3, late * 1e3);
    }
    /* The claim is "never early"; how late is information (load adds to it). */
    kit_expect(held, "every wait returned False, none before its timeout");
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
        .mechanism = "a bool, a PTHREAD_PROCESS_SHARED mutex, a condvar on CLOCK_MONOTONIC",
        .watch = "set() before wait() is never lost; one set() wakes all; timed waits never early",
        .parts = parts, .show_ms = true, .workers = {"waiters in --broadcast", 4, 1, 64, 0}};
    return kit_main(&lesson, argc, argv);
}
