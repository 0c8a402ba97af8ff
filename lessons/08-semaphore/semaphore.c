/* semaphore.c - a count of free places that processes wait on
 *
 * Python (note 002):
 *     sem = Semaphore(3)
 *     def fun(): sem.acquire(); sleep(3); sem.release()    # 4 processes run fun
 *     sem.get_value(); sem.acquire(timeout=0.5); sem.acquire(False)
 * C: a sem_t holds a count. sem_wait takes one (and sleeps while it is 0),
 *    sem_post gives one back and wakes a sleeper. Processes must all use the
 *    same one: an unnamed sem_t in a MAP_SHARED mapping, made with
 *    sem_init(pshared = 1), or a named one that sem_open finds in /dev/shm.
 *    A semaphore of 1 is a lock; one of 0 is a signal: one posts, one waits.
 *
 * Usage: ./lesson08 [-q] [-w N] [-n N] [--notes] [--named] [--copied] [--timed]
 *                   [--signal] [--bench] [--trips N]
 *
 * Watch for: the fourth process waiting at 0 until one leaves; the highest
 * number ever inside, never above the limit; sem.mpkit-sem-PID in /dev/shm,
 * gone while both processes still use it; a child sleeping for ever on its
 * own copy of a semaphore, cut short by the watchdog; ETIMEDOUT after the
 * timeout; round trips per second.
 * Try next: ./lesson08 --notes -w 8 -n 2; taskset -c 0 ./lesson08 --bench.
 * Compare with lesson 05 (a mutex as the lock) and lesson 09 (Event).
 */
#include "legacy.h"

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
    "      --notes        the notes' demo: Semaphore(N) shared by W processes, highest inside;\n"
    "                     then the same with Semaphore(1), a lock, and with no semaphore\n"
    "      --named        a named semaphore: sem_open, seen in /dev/shm, sem_unlink at once\n"
    "      --copied       an unnamed semaphore in copied memory (broken on purpose, watchdog)\n"
    "      --timed        acquire(timeout=...): sem_timedwait; acquire(False): sem_trywait\n"
    "      --signal       Semaphore(0) as a signal: ping and pong between two processes\n"
    "      --bench        wake-up round trips per second between two processes\n"
    "      --trips N      round trips per --bench run, 5 runs each (1..10000000; default 5000,\n"
    "                     with --quick 500)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing: well under a second\n"
    "  -w, --workers N    processes in --notes (1..16, default 4)\n"
    "  -n, --count N      the semaphore's start value: how many may be inside (1..16, default 3)\n";

enum { MAX_WORKERS = 16, ROUNDS = 1000, REPS = 5, SIGNALS = 3 };

/* Everything the processes share: one MAP_SHARED mapping made before fork.
 * The unnamed semaphores live in it, so every process uses the same ones. */
struct shared {
    sem_t room;               /* Semaphore(N), and Semaphore(1) as a lock */
    sem_t ping, pong;         /* value 0: signals, one each way */
    _Atomic int inside, most; /* how many are in the room now; the most ever */
    bool show, limited;       /* the paced demo; the semaphore used at all */
    long trips, message, reply;   /* --signal, --bench: the echo's work */
};

static bool in_child;         /* for die(): a child must end with _exit() */

/* Parent and children call the helpers below: report with the variant
 * that suits the process we are in. */
#define die(call) kit_die_at(__FILE__, __LINE__, (call), errno)

/* sem_wait sleeps until the value is above 0, then takes 1. A signal
 * handler can cut the sleep short (EINTR): then we simply wait again. */
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
    if (sem_getvalue(sem, &v) == -1)  /* a snapshot: it may change right after */
        die("sem_getvalue");
    return v;
}

/* acquire(timeout=seconds). The deadline is absolute, on CLOCK_REALTIME as
 * sem_timedwait expects: after EINTR we retry with the same deadline, so
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
    if (sem_init(sem, 1, value) == -1)    /* pshared = 1: between processes */
        kit_die("sem_init");
}

static void destroy(sem_t *sem)           /* only when nobody waits on it */
{
    if (sem_destroy(sem) == -1)
        kit_die("sem_destroy");
}

/* fork a child that runs fn, then ends. Our output is one write(2) per
 * line, so no stdio buffer holds text that the child would print again. */
static pid_t spawn(struct shared *s, void (*fn)(struct shared *), const char *role)
{
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");
    case 0:
        in_child = true;
        kit_set_role("%s", role);
        fn(s);
        _exit(EXIT_SUCCESS);      /* not exit(): the parent's atexit handler is not ours */
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
static void enter(struct shared *s)
{
    int now = atomic_fetch_add(&s->inside, 1) + 1;
    int most = atomic_load(&s->most);
    while (now > most && !atomic_compare_exchange_weak(&s->most, &most, now))
        ;                         /* most = max(most, now), though others race us */
}

static void visitor(struct shared *s)
{
    if (s->show) {                /* the notes' fun(), paced for a class */
        kit_say("waiting for the semaphore (sem_getvalue = %d)", value_of(&s->room));
        take(&s->room);
        enter(s);
        kit_say("got in (sem_getvalue = %d)", value_of(&s->room));
        kit_pace(0.8);            /* the notes' sleep(3), shortened */
        atomic_fetch_sub(&s->inside, 1);   /* out of the room BEFORE the post */
        give(&s->room);
        kit_say("released it (sem_getvalue = %d)", value_of(&s->room));
    }
    for (int i = 0; i < ROUNDS; i++) {    /* then many entries, unpaced */
        if (s->limited)
            take(&s->room);
        enter(s);
        sched_yield();            /* let others run while we are inside */
        atomic_fetch_sub(&s->inside, 1);
        if (s->limited)
            give(&s->room);
    }
}

/* Runs `workers` visitors; returns the most that were ever inside at once. */
static int crowd(struct shared *s, int workers, bool show, bool limited)
{
    pid_t pid[MAX_WORKERS];
    atomic_store(&s->most, 0);
    s->show = show;
    s->limited = limited;
    for (int id = 0; id < workers; id++) {
        char role[32];
        snprintf(role, sizeof role, "process %d", id + 1);
        pid[id] = spawn(s, visitor, role);
    }
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
    int most = crowd(s, workers, true, true);
    kit_say("after the show, %d more entries each, unpaced: highest number inside at once: %d",
            ROUNDS, most);
    kit_expect(most <= limit, "never more than %d inside (highest: %d)", limit, most);
    if (most < (workers < limit ? workers : limit))
        kit_say("the room never filled up this time (a busy machine?): run it again");
    kit_expect(value_of(&s->room) == limit, "at the end sem_getvalue = %d, the start value "
               "(the notes' print(sem.get_value()))", value_of(&s->room));
    destroy(&s->room);
    kit_section("--notes: the same loop with Semaphore(1), a lock, and with no semaphore");
    init(&s->room, 1);
    most = crowd(s, workers, false, true);
    kit_expect(most == 1, "Semaphore(1): one process inside at a time (highest: %d)", most);
    destroy(&s->room);
    most = crowd(s, workers, false, false);
    kit_say("no semaphore: highest inside %d (%s)", most,
            most > limit ? "over the limit: the semaphore was doing the work"
                         : "not over the limit this time");
    kit_pace(0.4);                /* pauses between parts give the class time to read */
}

/* ---- 2. a named semaphore -------------------------------------------------- */
static char sem_name[64];         /* set while the name exists */

static void unlink_at_exit(void)
{
    if (sem_name[0] != '\0')
        sem_unlink(sem_name);
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

static void opener(struct shared *s)
{
    /* Find it by name, as another program would. (fork also copied the
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
    /* Between sem_open and sem_unlink, Ctrl-C (SIGINT) or kill (SIGTERM)
     * would leave the name in /dev/shm. Blocked, they wait, and strike once
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
    kit_pace(0.8);                /* time for `ls /dev/shm` in another terminal */
    pid_t pid = spawn(s, opener, "opener");
    bool has_it = take_within(sem, 5.0);   /* a dead opener must not hang us */
    /* Every process that needs it has it open: remove the name now. */
    if (sem_unlink(sem_name) == -1)
        kit_die("sem_unlink");
    sem_name[0] = '\0';
    kit_say("sem_unlink() while both processes still hold it");
    bool still = in_dev_shm("after sem_unlink");
    give(&s->ping);
    bool again = has_it && take_within(sem, 5.0);
    bool ok = reap(pid, "opener");
    kit_expect(has_it && !still, "the opener had it, and the name is gone from /dev/shm");
    kit_expect(again && ok, "its post after sem_unlink arrived: the semaphore lives on");
    if (sem_close(sem) == -1)     /* the last close frees it */
        kit_die("sem_close");
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)   /* a held Ctrl-C strikes here */
        kit_die("sigprocmask");
    kit_pace(0.4);
}

/* ---- 3. an unnamed semaphore in copied memory ------------------------------ */
static sem_t copied;              /* an ordinary global: fork gives the child a copy */

static void copy_waiter(struct shared *s)
{
    (void)s;                      /* it uses the global instead: that is the bug */
    kit_say("sem_wait() on the global semaphore: value 0, I sleep until a post");
    take(&copied);                /* my copy: nobody will ever post it */
}

static void copied_memory(struct shared *s, double watchdog)
{
    kit_section("--copied: sem_init(&global, 1, 0) in ordinary memory, then fork");
    kit_warn("deliberately broken: pshared = 1 does not make the memory shared");
    init(&copied, 0);
    pid_t pid = spawn(s, copy_waiter, "child");
    give(&copied);
    kit_say("sem_post() on the global: my copy now has value %d; the child's copy still 0",
            value_of(&copied));
    int status;
    bool ended = kit_wait_timeout(pid, &status, watchdog);
    kit_expect(!ended, "watchdog: the child still waits after %.1f s (it would wait for ever)",
               watchdog);
    if (!ended && kill(pid, SIGKILL) == -1)
        kit_die("kill");
    while (!ended && waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    char text[64];
    kit_say("watchdog: child %s", kit_status_str(status, text, sizeof text));
    destroy(&copied);
    kit_pace(0.4);
}

/* ---- 4. acquire(timeout=...) and acquire(False) ------------------------- */
static void timed(struct shared *s, double timeout)
{
    kit_section("--timed: sem.acquire(timeout=%g) is sem_timedwait(deadline on CLOCK_REALTIME)",
                timeout);
    double t0 = kit_now();
    bool got = take_within(&s->ping, timeout);
    double ms = (kit_now() - t0) * 1e3;
    kit_expect(!got, "nobody posts: ETIMEDOUT (Python: False) after %.1f ms", ms);
    /* 1 ms of slack: the deadline is on another clock than our stopwatch */
    kit_expect(ms >= timeout * 1e3 - 1, "it waited the whole timeout, and %.1f ms more",
               ms - timeout * 1e3);
    kit_section("--timed: sem.acquire(False) is sem_trywait: it never sleeps");
    bool first = sem_trywait(&s->ping) == 0;
    int e = errno;
    give(&s->ping);
    bool second = sem_trywait(&s->ping) == 0;
    kit_expect(!first && e == EAGAIN, "value 0: sem_trywait fails at once with EAGAIN (False)");
    kit_expect(second, "after a sem_post: sem_trywait takes it (True)");
    kit_pace(0.4);
}

/* ---- 5. value 0: a signal, and how fast it goes ------------------------------ */
static void echo(struct shared *s)
{
    for (long i = 0; i < s->trips; i++) {
        take(&s->ping);           /* returns only after the parent's post */
        s->reply = s->message * 10;
        if (s->show)
            kit_say("got ping: message %ld; sem_post(pong) with reply %ld", s->message, s->reply);
        give(&s->pong);
    }
}

/* One round trip: the message is written before the post, so the echo
 * process, whose wait returns after the post, sees it. Likewise the reply.
 * A timed wait, so that an echo process that died cannot hang us. */
static bool round_trip(struct shared *s, long k)
{
    s->message = k;
    give(&s->ping);               /* wake the echo process ... */
    if (!take_within(&s->pong, 5.0))   /* ... and sleep until it wakes us */
        kit_fail("the echo process did not answer within 5 s");
    return s->reply == 10 * k;
}

static void signal_demo(struct shared *s)
{
    kit_section("--signal: Semaphore(0) is a signal: ping and pong, one each way");
    s->show = true;
    s->trips = SIGNALS;
    pid_t pid = spawn(s, echo, "echo");
    int right = 0;
    for (int k = 1; k <= SIGNALS; k++) {
        kit_pace(0.3);
        kit_say("sem_post(ping) with message %d", k);
        right += round_trip(s, k);
    }
    kit_expect(reap(pid, "echo") && right == SIGNALS, "%d of %d replies came back right, "
               "each after its ping", right, SIGNALS);
    kit_pace(0.4);
}

/* REPS timed runs of `trips` round trips, one echo process for them all. */
static void bench(struct shared *s, long trips)
{
    kit_section("--bench: %d runs x %ld round trips through the same two semaphores", REPS,
                trips);
    s->show = false;
    s->trips = REPS * trips;
    pid_t pid = spawn(s, echo, "echo");
    double rate[REPS];
    long right = 0;
    for (int r = 0; r < REPS; r++) {
        double t0 = kit_now();
        for (long i = 0; i < trips; i++)
            right += round_trip(s, i);
        rate[r] = (double)trips / (kit_now() - t0);
    }
    kit_expect(reap(pid, "echo") && right == REPS * trips, "%ld of %ld round trips right",
               right, REPS * trips);
    double median = kit_median(rate, REPS);   /* sorts rate[] */
    kit_say("min %.0f, median %.0f, max %.0f round trips/s: %.1f us per wake-up", rate[0],
            median, rate[REPS - 1], 1e6 / median / 2);
    kit_say("the issue's figures: bare sem_t about 73,000/s, Python's Semaphore about 54,000/s");
}

enum { NOTES = 1, NAMED = 2, COPIED = 4, TIMED = 8, SIGNAL = 16, BENCH = 32 };

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 4, .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 3, .count_min = 1, .count_max = MAX_WORKERS};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"notes", no_argument, NULL, NOTES}, {"named", no_argument, NULL, NAMED},
        {"copied", no_argument, NULL, COPIED}, {"timed", no_argument, NULL, TIMED},
        {"signal", no_argument, NULL, SIGNAL}, {"bench", no_argument, NULL, BENCH},
        {"trips", required_argument, NULL, 't'}, {0}};
    kit_set_usage(usage);
    int modes = 0;
    long trips = 0;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == 't')
            trips = kit_parse_long("--trips", optarg, 1, 10000000);
        else if (opt >= NOTES && opt <= BENCH)
            modes |= opt;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = NOTES | NAMED | COPIED | TIMED | SIGNAL | BENCH;
    if (trips == 0)
        trips = args.quick ? 500 : 5000;
    if (atexit(unlink_at_exit) != 0)
        kit_fail("atexit failed");
    kit_show_ms(true);

    struct shared *s = kit_shared_alloc(sizeof *s);
    init(&s->ping, 0);            /* every part leaves them at 0 again */
    init(&s->pong, 0);
    if (modes & NOTES)
        notes(s, (int)args.workers, (int)args.count);
    if (modes & NAMED)
        named(s);
    if (modes & COPIED)
        copied_memory(s, args.quick ? 0.2 : 1.0);
    if (modes & TIMED)
        timed(s, args.quick ? 0.05 : 0.5);
    if (modes & SIGNAL)
        signal_demo(s);
    if (modes & BENCH)
        bench(s, trips);
    destroy(&s->ping);
    destroy(&s->pong);
    kit_shared_free(s, sizeof *s);
    kit_section("verdict");
    return kit_verdict();
}
