/* lock_race.c - the lost update, and three ways to fix it
 *
 * Python (notes 000, 001, 003):
 *     v = mp.Value('i', 0); l = mp.Lock()
 *     def job(v, num, l):
 *         l.acquire(); v.value += num; l.release()    # without the lock: updates get lost
 *     Process(target=job, args=(v, 1, l)).start(); Process(target=job, args=(v, 100, l)).start()
 * C: the counter lives in a MAP_SHARED mapping that every forked worker sees.
 *    "counter += 1" is three steps, read, add, write back: two processes that
 *    read the same value both write back value + 1, and one update is lost.
 *    The fixes: a PTHREAD_PROCESS_SHARED mutex in the same mapping around each
 *    increment; the lock held for a whole loop (the notes' version); a C11
 *    atomic_fetch_add, one indivisible instruction. Beyond Python: a robust
 *    mutex survives the death of the process that held it.
 *
 * Usage: ./lesson05 [-q] [-w N] [-n N] [--no-lock] [--lock] [--whole-loop]
 *                   [--atomic] [--bank] [--holder-dies] [--trials K]
 *
 * Watch for: the workers did all their increments, yet the unlocked counter
 * is millions short; every fix is exact, and the price of each in
 * nanoseconds per increment; a waiter stuck forever behind a dead holder,
 * cut short by the watchdog; EOWNERDEAD, then the repair.
 * Try next: ./lesson05 --trials 20 -n 1000 (how small can the race get?).
 * Compare with lesson 04 (the shared memory itself) and lesson 08 (semaphores).
 */
#include "legacy.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson05 [options]\n"
    "Processes add to one shared counter: lost updates, then three fixes (Python's Lock).\n"
    "With no mode option every part runs, in this order:\n"
    "      --no-lock      the race: counter = counter + 1 with no lock (broken on purpose)\n"
    "      --lock         a process-shared mutex around each increment\n"
    "      --whole-loop   the notes' version: each process holds the lock for its whole loop\n"
    "      --atomic       a C11 atomic_fetch_add on the shared counter\n"
    "      --bank         the notes' bank account: deposit and withdraw on one balance\n"
    "      --holder-dies  a process dies holding the lock: ordinary vs robust mutex\n"
    "      --trials K     run the race K times: min, median, max lost (1..1000, default 5)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, smaller default count: well under a second\n"
    "  -w, --workers N    processes adding to the counter (1..16, default 2)\n"
    "  -n, --count N      increments per process (1..100000000; default 2000000, the race\n"
    "                     and the bank 10000000; with --quick 100000, race and bank 2000000)\n";

enum { MAX_WORKERS = 16, STEPS = 10, REPS = 5, READ_END = 0, WRITE_END = 1 };

/* Everything the processes share: one anonymous MAP_SHARED mapping, made
 * before fork, so every worker sees the same bytes (lesson 04). */
struct shared {
    pthread_mutex_t lock;           /* --lock, --whole-loop, --bank */
    pthread_mutex_t plain, robust;  /* --holder-dies */
    _Atomic long counter;           /* the counter; the balance in --bank */
    _Atomic int arrived;            /* workers at the starting line */
    double start[MAX_WORKERS], end[MAX_WORKERS];   /* each worker's own clock */
    int order[MAX_WORKERS * STEPS]; /* --whole-loop: who added, in turn */
    int steps;
    long account[2], pending;       /* --holder-dies: a transfer between two accounts */
};

typedef void work_fn(struct shared *s, int id, long n);

/* Only the children lock and unlock through these, hence the _child variant. */
static void lock(pthread_mutex_t *m)
{
    int e = pthread_mutex_lock(m);
    if (e != 0)
        kit_die_err("pthread_mutex_lock", e);
}

static void unlock(pthread_mutex_t *m)
{
    int e = pthread_mutex_unlock(m);
    if (e != 0)
        kit_die_err("pthread_mutex_unlock", e);
}

/* ---- the increments: the three loops differ only by the fix --------------
 * The unlocked loop spells out the read and the write back. They are relaxed
 * atomic operations, so the compiler must do both, every time (it may not
 * fold the loop into one "add n"), yet nothing holds the two together:
 * another process can write between them. That gap is the race. */
static void add_unlocked(struct shared *s, int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++) {
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);  /* read */
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);    /* write back */
    }
}

static void add_locked(struct shared *s, int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++) {
        lock(&s->lock);             /* nobody else is between read and write back */
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);
        unlock(&s->lock);
    }
}

static void add_whole_loop(struct shared *s, int id, long n)
{
    (void)id;
    lock(&s->lock);                 /* once: the other processes wait for all n */
    for (long i = 0; i < n; i++) {
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);
    }
    unlock(&s->lock);
}

static void add_atomic(struct shared *s, int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++)
        atomic_fetch_add(&s->counter, 1);   /* read, add, write as one (lock xadd on x86) */
}

/* The notes' code5: process 1 adds 1, process 2 adds 100 (a third would
 * add 200), ten times each, printing as it goes, with the lock held around
 * the whole loop. */
static void notes_job(struct shared *s, int id, long n)
{
    (void)n;
    long num = id == 0 ? 1 : 100L * id;
    lock(&s->lock);
    for (int i = 0; i < STEPS; i++) {
        kit_pace(0.05);             /* the notes' time.sleep(0.5), shortened */
        long now = atomic_load_explicit(&s->counter, memory_order_relaxed) + num;
        atomic_store_explicit(&s->counter, now, memory_order_relaxed);
        s->order[s->steps++] = id;  /* safe: we hold the lock */
        kit_say("process %d: %ld", id + 1, now);
    }
    unlock(&s->lock);
}

/* The notes' bank: one process deposits, the other withdraws. Fixed amounts
 * (1..200 and 1..180, cycling) instead of random ones, so that the right
 * final balance is known in advance. */
static long deposit(long i) { return i % 200 + 1; }
static long withdrawal(long i) { return i % 180 + 1; }
static bool bank_locked;

static void bank_job(struct shared *s, int id, long n)
{
    for (long i = 0; i < n; i++) {
        long change = id == 0 ? deposit(i) : -withdrawal(i);
        if (bank_locked)
            lock(&s->lock);
        long balance = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, balance + change, memory_order_relaxed);
        if (bank_locked)
            unlock(&s->lock);
    }
}

/* ---- running the workers together ----------------------------------------
 * All workers wait at a gate: a pipe nobody writes to. When the parent has
 * forked them all it closes the write end, and read() returns 0 (end of
 * file) in every worker at once. Without the gate the first worker could
 * finish before the last one starts: no overlap, no race, nothing learnt. */
static double run_workers(struct shared *s, int workers, long n, work_fn *fn,
                          const char *const names[])
{
    int gate[2];
    atomic_store(&s->arrived, 0);
    if (pipe(gate) == -1)
        kit_die("pipe");
    pid_t pid[MAX_WORKERS];
    for (int id = 0; id < workers; id++) {
        switch (pid[id] = fork()) {
        case -1:
            kit_die("fork");
        case 0:
            if (names != NULL)
                kit_set_role("%s", names[id]);
            else
                kit_set_role("process %d", id + 1);
            char c;
            if (close(gate[WRITE_END]) == -1)   /* or we would wait for ourselves */
                kit_die("close");
            if (read(gate[READ_END], &c, 1) == -1)
                kit_die("read");
            /* Waking a sleeping process takes tens of microseconds, long
             * enough for a short race to be over. So each worker also waits
             * at a starting line until all of them are really running. */
            atomic_fetch_add(&s->arrived, 1);
            while (atomic_load(&s->arrived) < workers)
                sched_yield();
            s->start[id] = kit_now();
            fn(s, id, n);
            s->end[id] = kit_now();
            _exit(EXIT_SUCCESS);
        default:
            break;
        }
    }
    if (close(gate[WRITE_END]) == -1 || close(gate[READ_END]) == -1)
        kit_die("close");                       /* opens the gate */
    int failed = 0, status[MAX_WORKERS];
    for (int id = 0; id < workers; id++) {  /* reap them all, even after a failure */
        while (waitpid(pid[id], &status[id], 0) == -1)
            if (errno != EINTR)
                kit_die("waitpid");
        if (!WIFEXITED(status[id]) || WEXITSTATUS(status[id]) != 0)
            failed = id + 1;
    }
    char text[64];
    if (failed)
        kit_fail("worker %d %s", failed, kit_status_str(status[failed - 1], text, sizeof text));
    double first = s->start[0], last = s->end[0];
    for (int id = 1; id < workers; id++) {
        first = s->start[id] < first ? s->start[id] : first;
        last = s->end[id] > last ? s->end[id] : last;
    }
    return last - first;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int k)         /* sorts v */
{
    qsort(v, (size_t)k, sizeof *v, by_value);
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* What `reps` runs of one loop gave: nanoseconds per increment (median),
 * how many runs were exact, and the updates lost (min, median, max, sum). */
struct tally {
    double ns;
    int exact;
    double least, median, most, sum;
};

/* Runs fn `reps` times from a zero counter, one line per run. */
static struct tally count_runs(struct shared *s, int workers, long n, work_fn *fn, int reps)
{
    long expected = workers * n;
    double ns[1000], lost[1000];
    struct tally t = {0};
    for (int r = 0; r < reps; r++) {
        atomic_store(&s->counter, 0);
        double seconds = run_workers(s, workers, n, fn, NULL);
        long got = atomic_load(&s->counter);
        ns[r] = seconds * 1e9 / (double)expected;
        lost[r] = (double)(expected - got);
        t.exact += got == expected;
        t.sum += lost[r];
        if (got == expected)
            kit_say("run %d: counter = %ld, expected %ld: exact (%.1f ms)", r + 1, got,
                    expected, seconds * 1e3);
        else
            kit_say("run %d: counter = %ld, expected %ld: lost %ld updates (%.1f%%)", r + 1, got,
                    expected, expected - got, 100 * lost[r] / (double)expected);
    }
    t.ns = median(ns, reps);
    t.median = median(lost, reps);       /* which sorts lost[] */
    t.least = lost[0];
    t.most = lost[reps - 1];
    kit_say("%.1f ns per increment = %.1f million increments/s (median of %d runs)", t.ns,
            1e3 / t.ns, reps);
    return t;
}

/* A fix: its section, five timed runs, and its claim. */
static double fix(struct shared *s, int workers, long n, work_fn *fn, const char *title)
{
    kit_section("%s: %d processes x %ld increments", title, workers, n);
    struct tally t = count_runs(s, workers, n, fn, REPS);
    kit_expect(t.exact == REPS, "%d of %d runs counted exactly %ld", t.exact, REPS, workers * n);
    return t.ns;
}

static double race(struct shared *s, int workers, long n, int trials)
{
    kit_section("the race (--no-lock): %d processes x %ld increments, no lock", workers, n);
    kit_warn("deliberately broken: counter = counter + 1 with nothing around it");
    struct tally t = count_runs(s, workers, n, add_unlocked, trials);
    if (trials > 1)
        kit_say("lost in %d runs: min %.0f, median %.0f, max %.0f", trials, t.least, t.median,
                t.most);
    if (t.most == 0)
        kit_say("lost 0 this time: the processes hardly overlapped (a busy machine?); "
                "run again or raise -n");
    else
        kit_warn("%.0f of %ld updates lost in %d runs: each worker did all its %ld increments, "
                 "the counter did not keep them", t.sum, trials * workers * n, trials, n);
    /* The claim we can make: updates vanish, they are never invented. */
    kit_expect(t.least >= 0, "the counter never went above %ld: updates are lost, never added",
               workers * n);
    return t.ns;
}

static double notes_whole_loop(struct shared *s, int workers, long n)
{
    kit_section("fix 2 (--whole-loop), the notes' version: the lock held around each whole loop");
    atomic_store(&s->counter, 0);
    s->steps = 0;
    run_workers(s, workers, 0, notes_job, NULL);
    bool serial = true;
    for (int i = 0; i < workers * STEPS; i++)
        serial &= s->order[i] == s->order[i - i % STEPS];
    long expected = 0;
    for (int id = 0; id < workers; id++)
        expected += STEPS * (id == 0 ? 1 : 100L * id);
    kit_expect(serial, "the output is serialised: all %d lines of process %d came first",
               STEPS, s->order[0] + 1);
    kit_expect(atomic_load(&s->counter) == expected, "counter = %ld, expected %ld",
               atomic_load(&s->counter), expected);
    kit_say("now the same lock, held around %ld plain increments per process, timed:", n);
    struct tally t = count_runs(s, workers, n, add_whole_loop, REPS);
    kit_expect(t.exact == REPS, "%d of %d runs counted exactly %ld, one process at a time",
               t.exact, REPS, workers * n);
    return t.ns;
}

static void bank(struct shared *s, long n)
{
    static const char *const names[] = {"deposit", "withdraw"};
    long expected = 2000;
    for (long i = 0; i < n; i++)
        expected += deposit(i) - withdrawal(i);
    kit_section("the notes' bank account (--bank): balance 2000, %ld deposits, %ld withdrawals",
                n, n);
    for (int pass = 0; pass < 2; pass++) {
        bank_locked = pass == 1;
        atomic_store(&s->counter, 2000);
        run_workers(s, 2, n, bank_job, names);
        long got = atomic_load(&s->counter);
        if (!bank_locked && got != expected)
            kit_warn("deliberately broken: no lock: balance %ld, expected %ld: wrong by %+ld yuan",
                     got, expected, got - expected);
        else if (!bank_locked)
            kit_say("no lock: balance %ld, expected %ld: right this time, by luck", got, expected);
        else
            kit_expect(got == expected, "with the lock: balance %ld, expected %ld", got, expected);
    }
}

/* ---- a holder that dies ----------------------------------------------------
 * The holder takes the lock, starts a transfer of 100 from account 0 to
 * account 1 (it notes the transfer as pending first), and is killed before it
 * finishes: the lock is never unlocked, the accounts are half updated. */
static pid_t start_holder(struct shared *s, pthread_mutex_t *m, int ready)
{
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        kit_set_role("holder");
        lock(m);
        s->pending = 100;
        s->account[0] -= 100;       /* ... and account[1] += 100 never happens */
        kit_say("locked; took 100 from account 0; now I wait, holding the lock");
        if (write(ready, "h", 1) == -1)
            kit_die("write");
        for (;;)
            pause();                /* until SIGKILL */
    }
    return pid;
}

static void await(int fd, const char *what)
{
    char c;
    ssize_t got;
    while ((got = read(fd, &c, 1)) == -1 && errno == EINTR)
        ;
    if (got == -1)
        kit_die("read");
    if (got == 0)
        kit_fail("the %s ended without saying so", what);
}

static void kill_and_reap(pid_t pid, const char *who)
{
    int status;
    char text[64];
    if (kill(pid, SIGKILL) == -1)
        kit_die("kill");
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    kit_say("%s %s", who, kit_status_str(status, text, sizeof text));
}

static void init_mutex(pthread_mutex_t *m, bool robust)
{
    pthread_mutexattr_t attr;
    int e;
    if ((e = pthread_mutexattr_init(&attr)) != 0)
        kit_die_err("pthread_mutexattr_init", e);
    /* A mutex in shared memory must say so, or it may keep per-process state. */
    if ((e = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0)
        kit_die_err("pthread_mutexattr_setpshared", e);
    if (robust && (e = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0)
        kit_die_err("pthread_mutexattr_setrobust", e);
    if ((e = pthread_mutex_init(m, &attr)) != 0)
        kit_die_err("pthread_mutex_init", e);
    if ((e = pthread_mutexattr_destroy(&attr)) != 0)
        kit_die_err("pthread_mutexattr_destroy", e);
}

static void holder_dies(struct shared *s, double watchdog)
{
    int ready[2];
    if (pipe(ready) == -1)
        kit_die("pipe");
    kit_section("--holder-dies, part 1: an ordinary mutex whose holder is killed");
    init_mutex(&s->plain, false);
    s->account[0] = s->account[1] = 1000;
    pid_t holder = start_holder(s, &s->plain, ready[WRITE_END]);
    await(ready[READ_END], "holder");
    kill_and_reap(holder, "holder");
    pid_t waiter = fork();
    if (waiter == -1)
        kit_die("fork");
    if (waiter == 0) {
        kit_set_role("waiter");
        kit_say("pthread_mutex_lock(): waiting for a lock nobody will ever unlock");
        if (write(ready[WRITE_END], "w", 1) == -1)
            kit_die("write");
        lock(&s->plain);            /* blocks forever: the owner is gone */
        _exit(EXIT_FAILURE);        /* not reached */
    }
    await(ready[READ_END], "waiter");
    int status;
    bool ended = kit_wait_timeout(waiter, &status, watchdog);
    kit_expect(!ended, "watchdog: the waiter is still waiting after %.1f s (Python's Lock "
                       "would wait forever too)", watchdog);
    if (!ended)
        kill_and_reap(waiter, "watchdog: waiter");
    /* s->plain stays locked by a dead process; destroying a locked mutex is
     * undefined, so it is left alone and goes away with the mapping. */

    kit_section("--holder-dies, part 2: a robust mutex (PTHREAD_MUTEX_ROBUST)");
    init_mutex(&s->robust, true);
    s->account[0] = s->account[1] = 1000;
    holder = start_holder(s, &s->robust, ready[WRITE_END]);
    await(ready[READ_END], "holder");
    kill_and_reap(holder, "holder");
    pid_t fixer = fork();
    if (fixer == -1)
        kit_die("fork");
    if (fixer == 0) {
        kit_set_role("fixer");
        int e = pthread_mutex_lock(&s->robust);
        if (e != EOWNERDEAD)        /* the kernel tells the next locker of the death */
            kit_die_err("pthread_mutex_lock (expected EOWNERDEAD)", e);
        kit_say("pthread_mutex_lock() = EOWNERDEAD: I hold the lock; the holder died in it");
        kit_say("accounts %ld + %ld = %ld: a transfer of %ld was half done; undoing it",
                s->account[0], s->account[1], s->account[0] + s->account[1], s->pending);
        s->account[0] += s->pending;
        s->pending = 0;
        /* Only now is the state right again: say so, or the next unlock makes
         * the mutex unusable for ever (ENOTRECOVERABLE). */
        if ((e = pthread_mutex_consistent(&s->robust)) != 0)
            kit_die_err("pthread_mutex_consistent", e);
        kit_say("pthread_mutex_consistent(): repaired, carrying on");
        unlock(&s->robust);
        _exit(EXIT_SUCCESS);
    }
    ended = kit_wait_timeout(fixer, &status, 3.0);   /* it should take a millisecond */
    if (!ended)
        kill_and_reap(fixer, "watchdog: fixer");
    char text[64];
    kit_expect(ended && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fixer %s",
               ended ? kit_status_str(status, text, sizeof text) : "hung");
    int e = pthread_mutex_lock(&s->robust);
    kit_expect(e == 0, "the next pthread_mutex_lock() returns %s: business as usual",
               e == 0 ? "0" : strerrorname_np(e));
    kit_expect(s->account[0] + s->account[1] == 2000, "accounts %ld + %ld = 2000 again",
               s->account[0], s->account[1]);
    if (e == 0 && (e = pthread_mutex_unlock(&s->robust)) != 0)
        kit_die_err("pthread_mutex_unlock", e);
    if ((e = pthread_mutex_destroy(&s->robust)) != 0)
        kit_die_err("pthread_mutex_destroy", e);
    if (close(ready[READ_END]) == -1 || close(ready[WRITE_END]) == -1)
        kit_die("close");
}

enum { NO_LOCK = 1, LOCK = 2, WHOLE = 4, ATOMIC = 8, BANK = 16, HOLDER = 32 };

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 2, .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 0, .count_min = 1, .count_max = 100000000};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"no-lock", no_argument, NULL, NO_LOCK}, {"lock", no_argument, NULL, LOCK},
        {"whole-loop", no_argument, NULL, WHOLE}, {"atomic", no_argument, NULL, ATOMIC},
        {"bank", no_argument, NULL, BANK}, {"holder-dies", no_argument, NULL, HOLDER},
        {"trials", required_argument, NULL, 't'}, {0}};
    kit_set_usage(usage);
    int modes = 0, trials = REPS;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == 't') {
            trials = (int)kit_parse_long("--trials", optarg, 1, 1000);
            modes |= NO_LOCK;
        } else if (opt >= NO_LOCK && opt <= HOLDER) {
            modes |= opt;
        } else {
            kit_usage_error("unknown option");
        }
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = NO_LOCK | LOCK | WHOLE | ATOMIC | BANK | HOLDER;
    int w = (int)args.workers;
    /* The race gets longer loops: they must outlast a scheduler time slice
     * to overlap even when the processes share one core (a busy machine).
     * Unlocked increments are cheap; the locked ones set the run time. */
    long n = args.count ? args.count : args.quick ? 100000 : 2000000;
    long race_n = args.count ? args.count : args.quick ? 2000000 : 10000000;
    kit_show_ms(true);

    struct shared *s = kit_shared_alloc(sizeof *s);
    init_mutex(&s->lock, false);
    double ns[4] = {0};
    if (modes & NO_LOCK) {
        ns[0] = race(s, w, race_n, trials);
        kit_pace(0.5);              /* pauses only give the class time to read */
    }
    if (modes & LOCK) {
        ns[1] = fix(s, w, n, add_locked,
                    "fix 1 (--lock): a process-shared mutex around each increment");
        kit_pace(0.5);
    }
    if (modes & WHOLE) {
        ns[2] = notes_whole_loop(s, w, n);
        kit_pace(0.5);
    }
    if (modes & ATOMIC) {
        ns[3] = fix(s, w, n, add_atomic, "fix 3 (--atomic): atomic_fetch_add");
        kit_pace(0.5);
    }
    if ((modes & (NO_LOCK | LOCK | WHOLE | ATOMIC)) == (NO_LOCK | LOCK | WHOLE | ATOMIC)) {
        kit_section("what each costs: %d processes, median ns per increment", w);
        static const char *const what[] = {
            "no lock      (wrong)", "--lock       a mutex per increment",
            "--whole-loop right, but one process at a time", "--atomic     one locked instruction"};
        for (int i = 0; i < 4; i++)
            kit_say("%7.1f ns = %7.1f million/s  %s", ns[i], 1e3 / ns[i], what[i]);
        kit_pace(1.0);
    }
    if (modes & BANK) {
        bank(s, race_n);            /* without the lock it is a race too: race-length loops */
        kit_pace(0.5);
    }
    if (modes & HOLDER)
        holder_dies(s, args.quick ? 0.2 : 1.0);

    int e = pthread_mutex_destroy(&s->lock);
    if (e != 0)
        kit_die_err("pthread_mutex_destroy", e);
    kit_shared_free(s, sizeof *s);
    kit_section("verdict");
    return kit_verdict();
}
