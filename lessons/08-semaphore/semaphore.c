/* semaphore.c - a count of free places that processes wait on
 *
 * Python (note 002):
 *     sem = Semaphore(3)
 *     def fun(): sem.acquire(); sleep(3); sem.release()    # 4 processes run fun
 *     print(sem.get_value())
 * C: a sem_t holds a count. sem_wait takes one (sleeping while it is 0), sem_post gives one
 *    back and wakes a sleeper. All processes must use the same one: a sem_t in a MAP_SHARED
 *    mapping with sem_init(pshared = 1), or a named one that sem_open finds in /dev/shm.
 *    A semaphore of 1 is a lock; one of 0 is a signal: one posts, one waits.
 * Usage: ./lesson08 [-q] [-w N] [-n N] [--notes] [--named] [--copied] [--timed] [--signal]
 * Watch for: never more than N inside; sem.mpkit-sem-PID gone from /dev/shm while in use; a
 *    child asleep for ever on its copy of a semaphore, ended by the watchdog; no early ETIMEDOUT.
 * Try next: ./lesson08 --notes -w 8 -n 2; how fast a wake-up is: build/bench/wakeup.
 * Compare with lesson 05 (a mutex as the lock) and lesson 09 (Event).
 * No EINTR loops: kit_main's handlers end the process and children keep the default
 * actions, so no handler ever cuts a sem_wait short.
 */
#include "kit.h"
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

enum { MAX_WORKERS = 16, ROUNDS = 20, SIGNALS = 3 };

/* One MAP_SHARED mapping made before fork: every process uses the same semaphores. */
struct shared {
    sem_t room, ping, pong;   /* Semaphore(N) or (1) as a lock; two signals of value 0 */
    _Atomic int inside, most; /* how many are in the room now; the most ever */
    bool show, limited;       /* the paced demo; the semaphore used at all */
    long message, reply;      /* --signal: the echo's work */
};

/* Set before the forks. Each child gets a copy of the pointer (fork copies
 * ordinary memory), and the copy points at the one shared mapping. */
static struct shared *s;
static struct kit_gate gate;  /* the visitors start together */

/* ---- 1. the notes' demo: Semaphore(N), W processes --------------------------- */
static int enter(void)
{
    int now = atomic_fetch_add(&s->inside, 1) + 1;
    int most = atomic_load(&s->most);
    while (now > most && !atomic_compare_exchange_weak(&s->most, &most, now))
        ;                     /* most = max(most, now), though others race us */
    return now;
}
static void visitor(int id)
{
    (void)id;
    kit_gate_wait(&gate);
    for (int i = 0; i < ROUNDS; i++) {
        bool talk = s->show && i == 0;          /* the first visit is the notes' fun() */
        if (talk)
            kit_say("waiting for the semaphore");
        if (s->limited && sem_wait(&s->room) == -1)
            kit_die("sem_wait");
        int now = enter();
        kit_span_begin("inside");   /* --trace: the time in the room */
        if (talk)
            kit_say("got in: %d inside now", now);
        if (talk)
            kit_pace(0.8);    /* the notes' sleep(3), shortened */
        kit_sleep(0.001);     /* a short hold, asleep: the others get the CPU and come in */
        kit_span_end("inside");
        atomic_fetch_sub(&s->inside, 1);        /* out of the room BEFORE the post */
        if (s->limited && sem_post(&s->room) == -1)
            kit_die("sem_post");
        if (talk)
            kit_say("released it");
    }
}

/* Runs `workers` visitors; returns the most that were ever inside at once. */
static int crowd(long workers, bool show, bool limited)
{
    atomic_store(&s->most, 0);
    s->show = show;
    s->limited = limited;
    kit_gate_init(&gate);
    for (int id = 1; id <= workers; id++)
        kit_start(visitor, id, "process %d", id);
    kit_gate_open(&gate);
    kit_join_all(-1);         /* a FAIL line for any process that failed */
    return atomic_load(&s->most);
}
static void notes(const struct kit_args *a)
{
    int limit = (int)a->count;
    kit_say("sem_init(&room, 1, %d): Semaphore(%d) for %ld processes", limit, limit, a->workers);
    if (sem_init(&s->room, 1, (unsigned)limit) == -1)   /* pshared = 1: between processes */
        kit_die("sem_init");
    int most = crowd(a->workers, true, true);
    kit_say("then %d short visits each: highest number inside at once: %d", ROUNDS, most);
    kit_expect(most <= limit, "never more than %d inside (highest: %d)", limit, most);
    if (most < (a->workers < limit ? a->workers : limit))
        kit_say("the room never filled up: not shown this run (a busy machine?)");
    int v;
    if (sem_getvalue(&s->room, &v) == -1)
        kit_die("sem_getvalue");
    kit_expect(v == limit, "at the end sem_getvalue = %d, the start value (print(sem.get_value()))",
               v);
    kit_say("the same visits with Semaphore(1), a lock, and with no semaphore");
    if (sem_destroy(&s->room) == -1 || sem_init(&s->room, 1, 1) == -1)
        kit_die("sem_destroy/sem_init");              /* destroy only when nobody waits */
    most = crowd(a->workers, false, true);
    kit_expect(most == 1, "Semaphore(1): one process inside at a time (highest: %d)", most);
    if (sem_destroy(&s->room) == -1)
        kit_die("sem_destroy");
    most = crowd(a->workers, false, false);
    kit_say("no semaphore: highest inside %d (%s)", most,
            most > limit ? "over the limit: the semaphore did the work"
                         : "not over the limit: not shown this run");
}
/* ---- 2. a named semaphore ---------------------------------------------------- */
static char sem_name[64];
static void opener(int id)
{
    (void)id;
    /* by name, as another program would (fork also copied the parent's handle) */
    sem_t *mine = sem_open(sem_name, 0);
    if (mine == SEM_FAILED)
        kit_die("sem_open");
    kit_say("sem_open(\"%s\") found it; sem_post: \"I have it\"", sem_name);
    if (sem_post(mine) == -1 || sem_wait(&s->ping) == -1)   /* wait: the name goes */
        kit_die("sem_post/sem_wait");
    kit_say("the name is gone, my handle still works: sem_post");
    if (sem_post(mine) == -1 || sem_close(mine) == -1)
        kit_die("sem_post/sem_close");
}

/* On Linux, sem_open("/name") is the file /dev/shm/sem.name. */
static bool in_dev_shm(const char *when)
{
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", sem_name + 1);
    bool there = access(path, F_OK) == 0;
    kit_say("ls /dev/shm %s: %s %s", when, path + 9, there ? "is there" : "is not there");
    return there;
}

/* A bounded wait (a dead child must not hang us): an absolute CLOCK_REALTIME deadline. */
static bool posted_within(sem_t *sem, double seconds)
{
    struct timespec deadline = kit_deadline(CLOCK_REALTIME, seconds);
    int rc = sem_timedwait(sem, &deadline);
    if (rc == -1 && errno != ETIMEDOUT)
        kit_die("sem_timedwait");
    return rc == 0;
}

static void named(const struct kit_args *a)
{
    (void)a;
    /* guarded: until kit_object_unlinked, Ctrl-C or a fatal error removes it */
    kit_object_name(sem_name, sizeof sem_name, "sem");
    sem_t *sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    if (sem == SEM_FAILED)
        kit_die("sem_open");
    kit_expect(in_dev_shm("after sem_open"), "the named semaphore is a file in /dev/shm");
    kit_pace(0.8);            /* time for `ls /dev/shm` in another terminal */
    kit_start(opener, 1, "opener");
    bool has_it = posted_within(sem, 5.0);
    /* Every process that needs it has it open: remove the name now. */
    if (sem_unlink(sem_name) == -1)
        kit_die("sem_unlink");
    kit_object_unlinked(sem_name);
    bool still = in_dev_shm("after sem_unlink");
    if (sem_post(&s->ping) == -1)
        kit_die("sem_post");
    bool again = has_it && posted_within(sem, 5.0);
    bool ok = kit_join_all(-1);
    kit_expect(has_it && !still, "the opener had it, and the name is gone from /dev/shm");
    kit_expect(again && ok, "its post after sem_unlink arrived: the semaphore lives on");
    if (sem_close(sem) == -1) /* the last close frees it */
        kit_die("sem_close");
}
/* ---- 3. an unnamed semaphore in copied memory --------------------------------- */
static sem_t copied;          /* an ordinary global: fork gives the child a copy */
static void copy_waiter(int id)
{
    (void)id;
    kit_say("sem_wait() on the global semaphore: value 0, I sleep until a post");
    if (sem_wait(&copied) == -1)                /* my copy: nobody will ever post it */
        kit_die("sem_wait");
}

static void copied_memory(const struct kit_args *a)
{
    double watchdog = a->quick ? 0.2 : 1.0;
    kit_warn("deliberately broken: pshared = 1 does not make the memory shared");
    if (sem_init(&copied, 1, 0) == -1)
        kit_die("sem_init");
    pid_t pid = kit_start(copy_waiter, 1, "child");
    if (sem_post(&copied) == -1)
        kit_die("sem_post");
    int v;
    if (sem_getvalue(&copied, &v) == -1)
        kit_die("sem_getvalue");
    kit_say("sem_post() on the global: my copy now has value %d; the child's copy still 0", v);
    int status;
    bool ended = kit_join(pid, &status, watchdog);
    kit_expect(!ended, "watchdog: the child still waits after %.1f s (it would wait for ever)",
               watchdog);
    if (!ended)
        kit_kill_join(pid, &status);
    char text[64];
    kit_say("watchdog: child %s", kit_status_str(status, text, sizeof text));
    if (sem_destroy(&copied) == -1)
        kit_die("sem_destroy");
}
/* ---- 4. Python also has: acquire(timeout=...) and acquire(False) --------------- */
static void timed(const struct kit_args *a)
{
    double timeout = a->quick ? 0.05 : 0.5;
    kit_say("sem.acquire(timeout=%g): sem_timedwait, deadline on CLOCK_REALTIME", timeout);
    struct timespec deadline = kit_deadline(CLOCK_REALTIME, timeout);
    double t0 = kit_now();
    int rc = sem_timedwait(&s->ping, &deadline);
    int e = errno;
    double ms = (kit_now() - t0) * 1e3;
    kit_expect(rc == -1 && e == ETIMEDOUT, "nobody posts: ETIMEDOUT (Python: False) after %.1f ms",
               ms);
    /* 1 ms of slack: the deadline is on another clock than our stopwatch */
    kit_expect(ms >= timeout * 1e3 - 1, "it waited the whole timeout, and %.1f ms more",
               ms - timeout * 1e3);
    bool first = sem_trywait(&s->ping) == 0;
    e = errno;
    if (sem_post(&s->ping) == -1)
        kit_die("sem_post");
    bool second = sem_trywait(&s->ping) == 0;
    kit_expect(!first && e == EAGAIN, "acquire(False): at 0, sem_trywait fails at once (EAGAIN)");
    kit_expect(second, "after a sem_post: sem_trywait takes it (True)");
}
/* ---- 5. value 0: a signal ------------------------------------------------------ */
static void echo(int id)
{
    (void)id;
    for (int i = 0; i < SIGNALS; i++) {
        if (sem_wait(&s->ping) == -1)           /* returns only after the parent's post */
            kit_die("sem_wait");
        s->reply = s->message * 10;
        kit_say("got ping: message %ld; sem_post(pong) with reply %ld", s->message, s->reply);
        if (sem_post(&s->pong) == -1)
            kit_die("sem_post");
    }
}

static void signal_demo(const struct kit_args *a)
{
    (void)a;
    kit_start(echo, 1, "echo");
    int right = 0;
    for (int k = 1; k <= SIGNALS; k++) {
        kit_pace(0.3);
        /* written before the post: the echo's wait returns after it, so it sees it */
        s->message = k;
        kit_say("sem_post(ping) with message %d", k);
        if (sem_post(&s->ping) == -1)
            kit_die("sem_post");
        if (!posted_within(&s->pong, 5.0))      /* a dead echo must not hang us */
            kit_fail("the echo process did not answer within 5 s");
        right += s->reply == 10 * k;
    }
    kit_expect(kit_join_all(-1) && right == SIGNALS,
               "%d of %d replies came back right, each after its ping", right, SIGNALS);
}

static const struct kit_part parts[] = {
    {"notes", "the notes' demo: Semaphore(N), W processes; then Semaphore(1), none", notes, true},
    {"named", "a named semaphore: sem_open, seen in /dev/shm, sem_unlink at once", named, true},
    {"copied", "a semaphore in copied memory (broken on purpose, watchdog)", copied_memory, true},
    {"timed", "Python also has acquire(timeout), acquire(False): sem_timedwait/trywait", timed,
     true},
    {"signal", "Semaphore(0) as a signal: ping and pong between two processes", signal_demo, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson08", .title = "Semaphore 信号量",
        .idea = "a count of free places: sem_wait takes one (waits at 0), sem_post returns it",
        .python = "Semaphore(3); acquire(); sleep(3); release(); sem.get_value()  (note 002)",
        .mechanism = "a sem_t with sem_init(pshared = 1) in a MAP_SHARED mapping, or sem_open",
        .watch = "never more than N inside; a semaphore in copied memory never wakes its waiter",
        .parts = parts, .show_ms = true,
        .workers = {"processes in --notes", 4, 1, MAX_WORKERS, 0},
        .count = {"the semaphore's start value: how many may be inside", 3, 1, MAX_WORKERS, 0}};
    s = kit_shared_alloc(sizeof *s);
    if (sem_init(&s->ping, 1, 0) == -1 || sem_init(&s->pong, 1, 0) == -1)
        kit_die("sem_init");  /* every part leaves them at 0 again */
    int status = kit_main(&lesson, argc, argv);
    if (sem_destroy(&s->ping) == -1 || sem_destroy(&s->pong) == -1)
        kit_die("sem_destroy");
    kit_shared_free(s, sizeof *s);
    return status;
}
