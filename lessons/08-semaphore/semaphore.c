/* semaphore.c - a counter of free places that processes wait on
 *
 * Python (note 002):
 *     sem = Semaphore(3)
 *     def fun(): sem.acquire(); sleep(3); sem.release()    # 4 processes run fun
 *     sem.get_value(); sem.acquire(timeout=0.5); sem.acquire(False)
 * C: a sem_t holds a count. sem_wait takes one (and blocks at 0), sem_post
 *    gives one back and wakes a waiter. For processes it must live in memory
 *    they all share: an unnamed sem_t in a MAP_SHARED mapping, initialised
 *    with pshared = 1, or a named one that sem_open finds by name in /dev/shm.
 *    A semaphore of 1 is a lock; one of 0 is a signal: one posts, one waits.
 *
 * Usage: ./lesson08 [-q] [-w N] [-n N] [--notes] [--named] [--copied]
 *                   [--timed] [--lock] [--bench] [--rounds K] [--trips N]
 *
 * Watch for: the fourth process waiting at 0 until one leaves; the highest
 * number ever inside, never above the limit; sem.mpkit-sem-PID in /dev/shm
 * and gone while both processes still use it; a child waiting for ever on
 * its own copy of a semaphore, cut short by the watchdog; ETIMEDOUT after the
 * timeout; round trips per second through two semaphores.
 * Try next: ./lesson08 --notes -w 8 -n 2; ./lesson08 --bench, then
 * taskset -c 0 ./lesson08 --bench (both processes on one core).
 * Compare with lesson 05 (a mutex as the lock) and lesson 09 (Event).
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson08 [options]\n"
    "Processes share a counting semaphore (Python's Semaphore): limit, timeout, lock, signal.\n"
    "With no mode option every part runs, in this order:\n"
    "      --notes        the notes' demo: Semaphore(N) shared by W processes, highest inside\n"
    "      --named        a named semaphore: sem_open, seen in /dev/shm, sem_unlink at once\n"
    "      --copied       an unnamed semaphore in copied memory (broken on purpose, watchdog)\n"
    "      --timed        acquire(timeout=...): sem_timedwait; acquire(False): sem_trywait\n"
    "      --lock         value 1 as a lock, value 0 as a signal between two processes\n"
    "      --bench        wake-up round trips per second between two processes\n"
    "      --rounds K     unpaced entries per process after the demo (1..1000000, default 1000)\n"
    "      --trips N      round trips per --bench run, 5 runs (1..10000000; default 20000,\n"
    "                     with --quick 1000)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing: well under a second\n"
    "  -w, --workers N    processes in the notes' demo (1..16, default 4)\n"
    "  -n, --count N      the semaphore's start value: how many may be inside (1..16, default 3)\n";

enum { MAX_WORKERS = 16, REPS = 5, SIGNALS = 3, LOCK_ADDS = 20000 };

/* Everything the processes share: one MAP_SHARED mapping made before fork.
 * The unnamed semaphores live in it, so every process uses the same ones. */
struct shared {
    sem_t room;               /* --notes: Semaphore(N) */
    sem_t ping, pong;         /* value 0: signals, one each way */
    sem_t lock;               /* value 1: a lock */
    _Atomic int inside, most; /* who is in the room now; the most ever */
    bool guarded;             /* false: the same loop without the semaphore */
    long counter, message, reply;
};

static bool in_child;         /* which error helper: exit() or _exit() */

/* Parent and children both call the helpers below: report with the
 * variant that suits the process we are in. */
#define die(call) kit_die_at(__FILE__, __LINE__, (call), errno, in_child)

/* sem_wait sleeps until the value is above 0, then takes 1. A signal
 * handler can interrupt the sleep (EINTR): then we simply wait again. */
static void take(sem_t *sem)
{
    while (sem_wait(sem) == -1)
        if (errno != EINTR)
            die("sem_wait");
}

static void give(sem_t *sem)
{
    if (sem_post(sem) == -1)
        die("sem_post");
}

static int value_of(sem_t *sem)
{
    int v;
    if (sem_getvalue(sem, &v) == -1)  /* Linux says 0, never < 0, while some wait */
        die("sem_getvalue");
    return v;
}

/* acquire(timeout=seconds). The deadline is absolute, on CLOCK_REALTIME as
 * sem_timedwait expects: after EINTR we retry with the same deadline and
 * the total wait stays right (a relative timeout would start again). */
static bool take_within(sem_t *sem, double seconds)
{
    struct timespec deadline = kit_deadline(CLOCK_REALTIME, seconds);
    while (sem_timedwait(sem, &deadline) == -1) {
        if (errno == ETIMEDOUT)
            return false;
        if (errno != EINTR)
            die("sem_timedwait");
    }
    return true;
}

static void init(sem_t *sem, unsigned value)
{
    if (sem_init(sem, 1, value) == -1)    /* 1: shared between processes */
        kit_die("sem_init");
}

typedef void child_fn(struct shared *s, int id);

/* fork a child that runs fn and ends. Our output is one write(2) per line,
 * so no stdio buffer holds text that the child would print a second time. */
static pid_t spawn(struct shared *s, child_fn *fn, int id, const char *role)
{
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");
    case 0:
        in_child = true;
        if (id > 0)
            kit_set_role("%s %d", role, id);
        else
            kit_set_role("%s", role);
        fn(s, id);
        _exit(EXIT_SUCCESS);      /* not exit(): no parent atexit handlers here */
    default:
        return pid;
    }
}

static bool reap(pid_t pid, const char *who)
{
    int status;
    char text[64];
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        kit_warn("%s %s", who, kit_status_str(status, text, sizeof text));
    return ok;
}

/* ---- 1. the notes' demo: Semaphore(3), four processes ---------------------- */
static long rounds = 1000;

static void enter(struct shared *s)
{
    int now = atomic_fetch_add(&s->inside, 1) + 1;
    int most = atomic_load(&s->most);
    while (now > most && !atomic_compare_exchange_weak(&s->most, &most, now))
        ;                         /* most = max(most, now), even if others race us */
}

static void visitor(struct shared *s, int id)
{
    (void)id;
    if (s->guarded) {             /* the paced show first */
        kit_say("waiting for the semaphore (sem_getvalue = %d)", value_of(&s->room));
        take(&s->room);
        enter(s);
        kit_say("got in (sem_getvalue = %d)", value_of(&s->room));
        kit_pace(0.8);            /* the notes' sleep(3), shortened */
        atomic_fetch_sub(&s->inside, 1);   /* out of the room BEFORE the post */
        give(&s->room);
        kit_say("released it (sem_getvalue = %d)", value_of(&s->room));
    }
    for (long i = 0; i < rounds; i++) {
        if (s->guarded)
            take(&s->room);
        enter(s);
        sched_yield();            /* let others run while we are inside */
        atomic_fetch_sub(&s->inside, 1);
        if (s->guarded)
            give(&s->room);
    }
}

static int crowd(struct shared *s, int workers, bool guarded)
{
    pid_t pid[MAX_WORKERS];
    atomic_store(&s->most, 0);
    s->guarded = guarded;
    for (int id = 0; id < workers; id++)
        pid[id] = spawn(s, visitor, id + 1, "process");
    bool ok = true;
    for (int id = 0; id < workers; id++)  /* reap them all, even after a failure */
        ok &= reap(pid[id], "process");
    if (!ok)
        kit_fail("a process failed");
    return atomic_load(&s->most);
}

static void notes(struct shared *s, int workers, int limit)
{
    kit_section("--notes: Semaphore(%d) shared by %d processes", limit, workers);
    init(&s->room, (unsigned)limit);
    int most = crowd(s, workers, true);
    int expect_most = workers < limit ? workers : limit;
    kit_say("after the show, %ld more entries each, unpaced: highest number inside at once: %d",
            rounds, most);
    kit_expect(most <= limit, "never more than %d inside (highest: %d)", limit, most);
    if (most < expect_most)
        kit_say("the room never filled up this time (a busy machine?): try --rounds 100000");
    kit_expect(value_of(&s->room) == limit, "at the end sem_getvalue = %d, the start value",
               value_of(&s->room));
    if (sem_destroy(&s->room) == -1)
        kit_die("sem_destroy");
    most = crowd(s, workers, false);
    kit_say("the same loop without the semaphore: highest inside %d (%s)", most,
            most > limit ? "over the limit: the semaphore was doing the work"
                         : "no overlap this time");
}

/* ---- 2. a named semaphore ---------------------------------------------------- */
static char sem_name[64];         /* set while the name exists */

static void unlink_at_exit(void)
{
    if (sem_name[0] != '\0')
        sem_unlink(sem_name);
}

/* sem_open("/name") is the file /dev/shm/sem.name on Linux. */
static bool in_dev_shm(const char *when)
{
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", sem_name + 1);
    bool there = access(path, F_OK) == 0;
    kit_say("ls /dev/shm %s: %s %s", when, path + 9, there ? "is there" : "is not there");
    return there;
}

static void opener(struct shared *s, int id)
{
    (void)id;
    /* Like another program would: find it by name. (fork also copied the
     * parent's handle; we do not use it.) */
    sem_t *mine = sem_open(sem_name, 0);
    if (mine == SEM_FAILED)
        die("sem_open");
    kit_say("sem_open(\"%s\") found it; sem_post: \"I have it\"", sem_name);
    give(mine);
    take(&s->ping);               /* until the parent has removed the name */
    kit_say("the name is gone, my handle still works: sem_post");
    give(mine);
    if (sem_close(mine) == -1)
        die("sem_close");
}

static void named(struct shared *s)
{
    kit_section("--named: sem_open(\"/name\", O_CREAT) instead of sem_init in shared memory");
    kit_object_name(sem_name, sizeof sem_name, "sem");
    /* Between sem_open and sem_unlink, Ctrl-C (SIGINT) and kill (SIGTERM)
     * would leave the name in /dev/shm. Blocked, they wait and strike when
     * it is gone. The child inherits the mask. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop, &old) == -1)
        kit_die("sigprocmask");
    sem_t *sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    if (sem == SEM_FAILED) {
        sem_name[0] = '\0';       /* not ours to remove */
        kit_die("sem_open");
    }
    kit_expect(in_dev_shm("after sem_open"), "the named semaphore is a file in /dev/shm");
    kit_pace(1.0);                /* time for `ls /dev/shm` in another terminal */
    init(&s->ping, 0);
    pid_t pid = spawn(s, opener, 0, "opener");
    bool has_it = take_within(sem, 5.0);   /* a dead opener must not hang us */
    /* Everyone who needs it has opened it: remove the name right away. */
    if (sem_unlink(sem_name) == -1)
        kit_die("sem_unlink");
    sem_name[0] = '\0';
    kit_say("sem_unlink(): done while both processes still hold it");
    bool still = in_dev_shm("after sem_unlink");
    give(&s->ping);
    bool again = has_it && take_within(sem, 5.0);
    bool ok = reap(pid, "opener");
    kit_expect(has_it && !still, "the opener had it, and the name is gone from /dev/shm");
    kit_expect(again && ok, "its post after sem_unlink arrived: the semaphore lives on");
    if (sem_close(sem) == -1)     /* the last close frees it */
        kit_die("sem_close");
    if (sem_destroy(&s->ping) == -1)
        kit_die("sem_destroy");
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)   /* a held Ctrl-C strikes here */
        kit_die("sigprocmask");
}

/* ---- 3. an unnamed semaphore in copied memory ------------------------------ */
static sem_t copied;              /* an ordinary global: fork gives the child a copy */

static void copy_waiter(struct shared *s, int id)
{
    (void)id;
    kit_say("sem_wait() on the global semaphore: value 0, I sleep until a post");
    give(&s->ping);               /* "I am about to wait" */
    take(&copied);                /* my copy: nobody will ever post it */
    kit_say("woke up (this should not happen)");
}

static void copied_memory(struct shared *s, double watchdog)
{
    kit_section("--copied: sem_init(&global, 1, 0) in ordinary memory, then fork");
    kit_warn("deliberately broken: pshared = 1 does not make the memory shared");
    init(&copied, 0);
    init(&s->ping, 0);
    pid_t pid = spawn(s, copy_waiter, 0, "child");
    take(&s->ping);
    give(&copied);
    kit_say("sem_post() on the global: my copy now has value %d; the child's copy still 0",
            value_of(&copied));
    int status;
    bool ended = kit_wait_timeout(pid, &status, watchdog);
    kit_expect(!ended, "watchdog: the child still waits after %.1f s (it would wait for ever)",
               watchdog);
    if (!ended) {
        if (kill(pid, SIGKILL) == -1)
            kit_die("kill");
        while (waitpid(pid, &status, 0) == -1)
            if (errno != EINTR)
                kit_die("waitpid");
    }
    char text[64];
    kit_say("watchdog: child %s", kit_status_str(status, text, sizeof text));
    if (sem_destroy(&copied) == -1 || sem_destroy(&s->ping) == -1)
        kit_die("sem_destroy");
}

/* ---- 4. acquire(timeout=...) and acquire(False) ------------------------- */
static void poster(struct shared *s, int id)
{
    (void)id;
    kit_pace(0.3);
    kit_say("sem_post()");
    give(&s->ping);
}

static void timed(struct shared *s, double timeout)
{
    kit_section("--timed: sem.acquire(timeout=%g) is sem_timedwait(deadline on CLOCK_REALTIME)",
                timeout);
    init(&s->ping, 0);
    double t0 = kit_now();
    bool got = take_within(&s->ping, timeout);
    double ms = (kit_now() - t0) * 1e3;
    kit_expect(!got, "nobody posts: ETIMEDOUT (Python: False) after %.1f ms",
               ms);
    /* 1 ms of slack: the deadline is on another clock than our stopwatch */
    kit_expect(ms >= timeout * 1e3 - 1, "it waited the whole timeout: %.1f ms late", ms - timeout * 1e3);
    pid_t pid = spawn(s, poster, 0, "poster");
    t0 = kit_now();
    got = take_within(&s->ping, 5.0);
    ms = (kit_now() - t0) * 1e3;
    kit_expect(got && reap(pid, "poster"), "with a poster: acquire(timeout=5) = True after %.1f ms",
               ms);
    kit_section("--timed: sem.acquire(False) is sem_trywait: never blocks");
    bool first = sem_trywait(&s->ping) == 0;
    int e = errno;
    give(&s->ping);
    bool second = sem_trywait(&s->ping) == 0;
    kit_expect(!first && e == EAGAIN, "value 0: sem_trywait fails at once with EAGAIN (False)");
    kit_expect(second, "after a sem_post: sem_trywait takes it (True)");
    if (sem_destroy(&s->ping) == -1)
        kit_die("sem_destroy");
}

/* ---- 5. value 1: a lock; value 0: a signal -------------------------------- */
static void adder(struct shared *s, int id)
{
    (void)id;
    for (int i = 0; i < LOCK_ADDS; i++) {
        take(&s->lock);           /* 1 -> 0: we are alone */
        s->counter++;
        give(&s->lock);           /* 0 -> 1 */
    }
}

static void answerer(struct shared *s, int id)
{
    (void)id;
    for (int k = 1; k <= SIGNALS; k++) {
        take(&s->ping);           /* returns only after the parent's post */
        kit_say("got ping: message %ld; sem_post(pong) with reply %ld", s->message,
                s->message * 10);
        s->reply = s->message * 10;
        give(&s->pong);
    }
}

static void lock_and_signal(struct shared *s)
{
    kit_section("--lock: Semaphore(1) as a lock: 2 processes x %d increments", LOCK_ADDS);
    init(&s->lock, 1);
    s->counter = 0;
    pid_t a = spawn(s, adder, 1, "adder"), b = spawn(s, adder, 2, "adder");
    bool ok = reap(a, "adder") & reap(b, "adder");
    kit_expect(ok && s->counter == 2 * LOCK_ADDS, "counter = %ld, expected %d", s->counter,
               2 * LOCK_ADDS);
    if (sem_destroy(&s->lock) == -1)
        kit_die("sem_destroy");

    kit_section("--lock: Semaphore(0) as a signal: ping and pong, one each way");
    init(&s->ping, 0);
    init(&s->pong, 0);
    pid_t pid = spawn(s, answerer, 0, "child");
    int right = 0;
    for (int k = 1; k <= SIGNALS; k++) {
        kit_pace(0.3);
        s->message = k;           /* written before the post, so seen after the wait */
        kit_say("sem_post(ping) with message %d", k);
        give(&s->ping);
        take(&s->pong);
        right += s->reply == 10L * k;
    }
    ok = reap(pid, "child");
    kit_expect(ok && right == SIGNALS, "%d of %d replies came back after their ping", right,
               SIGNALS);
}

/* ---- 6. --bench: wake-up round trips ---------------------------------------- */
static long trips;

static void echo(struct shared *s, int id)
{
    (void)id;
    for (long i = 0; i < REPS * trips; i++) {
        take(&s->ping);
        give(&s->pong);
    }
}

static void bench(struct shared *s)
{
    kit_section("--bench: round trips through two semaphores (post ping, wait pong), %d x %ld",
                REPS, trips);
    init(&s->ping, 0);
    init(&s->pong, 0);
    pid_t pid = spawn(s, echo, 0, "echo");
    double rate[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = kit_now();
        for (long i = 0; i < trips; i++) {
            give(&s->ping);       /* wake the echo process ... */
            take(&s->pong);       /* ... and sleep until it wakes us */
        }
        rate[r] = (double)trips / (kit_now() - t0);
        kit_say("run %d: %.0f round trips/s (%.1f us each)", r + 1, rate[r], 1e6 / rate[r]);
    }
    kit_expect(reap(pid, "echo") && value_of(&s->ping) == 0 && value_of(&s->pong) == 0,
               "all %ld round trips done, both semaphores back at 0", REPS * trips);
    double median = kit_median(rate, REPS);   /* sorts rate[] */
    kit_say("min %.0f, median %.0f, max %.0f round trips/s (issue: bare sem_t about 73,000, "
            "Python about 54,000)", rate[0], median, rate[REPS - 1]);
    if (sem_destroy(&s->ping) == -1 || sem_destroy(&s->pong) == -1)
        kit_die("sem_destroy");
}

enum { NOTES = 1, NAMED = 2, COPIED = 4, TIMED = 8, LOCK = 16, BENCH = 32 };

int main(int argc, char *argv[])
{
    struct kit_args args = {.workers = 4, .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 3, .count_min = 1, .count_max = MAX_WORKERS};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"notes", no_argument, NULL, NOTES}, {"named", no_argument, NULL, NAMED},
        {"copied", no_argument, NULL, COPIED}, {"timed", no_argument, NULL, TIMED},
        {"lock", no_argument, NULL, LOCK}, {"bench", no_argument, NULL, BENCH},
        {"rounds", required_argument, NULL, 'r'}, {"trips", required_argument, NULL, 't'}, {0}};
    kit_set_usage(usage);
    int modes = 0;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == 'r')
            rounds = kit_parse_long("--rounds", optarg, 1, 1000000);
        else if (opt == 't')
            trips = kit_parse_long("--trips", optarg, 1, 10000000);
        else if (opt >= NOTES && opt <= BENCH)
            modes |= opt;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = NOTES | NAMED | COPIED | TIMED | LOCK | BENCH;
    if (trips == 0)
        trips = args.quick ? 1000 : 20000;
    if (atexit(unlink_at_exit) != 0)
        kit_fail("atexit failed");
    kit_show_ms(true);

    struct shared *s = kit_shared_alloc(sizeof *s);
    if (modes & NOTES)
        notes(s, (int)args.workers, (int)args.count);
    if (modes & NAMED)
        named(s);
    if (modes & COPIED)
        copied_memory(s, args.quick ? 0.2 : 1.0);
    if (modes & TIMED)
        timed(s, args.quick ? 0.05 : 0.5);
    if (modes & LOCK)
        lock_and_signal(s);
    if (modes & BENCH)
        bench(s);
    kit_shared_free(s, sizeof *s);
    kit_section("verdict");
    return kit_verdict();
}
