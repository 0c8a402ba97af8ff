/* lock_race.c - the lost update, and the ways to fix it (进程锁 Lock)
 *
 * Python (notes 000 and 001; note 002's bank account):
 *     def job(v, num):
 *         for _ in range(10): time.sleep(0.5); v.value += num   # together: one is lost
 *     lock.acquire(); ...the same loop...; lock.release()       # the notes' fix
 * C: the counter lives in a MAP_SHARED mapping that every forked worker sees.
 *    "counter += 1" is three steps, read, add, write back: two processes that
 *    read the same value both write back value + 1, and one update is lost.
 *    The fixes: a PTHREAD_PROCESS_SHARED mutex in the same mapping around the
 *    whole loop (the notes') or around each increment; a C11 atomic_fetch_add.
 *
 * Usage: ./lesson05 [-q] [-w N] [-n N] [--trials K] [--list] [--part N] [--no-lock] ...
 * Watch for: the loops overlapped (the lesson measures by how much), yet the
 * unlocked counter ends short; every fix counts exactly.
 * Try next: ./lesson05 --no-lock --trials 20 -n 200 (how small can the race get?)
 * Compare with lesson 18 (the notes' programs as written, sleeps and all),
 * 04 (the shared memory), 08 (semaphores), 10 (a holder that dies: the robust
 * mutex). bench/locks.c measures what each fix costs.
 */
#include "kit.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

enum { MAX_WORKERS = 16, TRIES = 5, RACE_FACTOR = 10 };

/* What the processes share: one MAP_SHARED mapping made before the first fork,
 * so every worker sees the same bytes (lesson 04). */
struct shared {
    pthread_mutex_t lock;
    _Atomic long counter;           /* the counter; the balance in the bank */
    _Atomic int arrived;            /* workers at the starting line */
    double start[MAX_WORKERS], end[MAX_WORKERS];    /* each worker's loop, kit_now() */
};

/* Set in the parent before each fork: a child gets a copy of them all (fork
 * copies ordinary memory). Only what s points to is one copy for everybody. */
static struct shared *s;
static struct kit_gate gate;
static void (*job)(int id, long n);
static long job_n;
static int job_workers;
static enum { NO_LOCK, EACH, WHOLE } with_lock;   /* the lock around what */

/* ---- the loops -----------------------------------------------------------
 * The loop spells out the read and the write back. They are relaxed atomic
 * operations, so the compiler must do both, every time (it may not fold the
 * loop into one "add n"), yet without the lock nothing holds the two
 * together: another process can write between them. That gap is the race. */
static void add(int id, long n)
{
    (void)id;
    if (with_lock == WHOLE) {
        kit_check(pthread_mutex_lock(&s->lock));   /* once: the others wait for all */
        kit_span_begin("lock");                    /* --trace: the lock held */
    }
    for (long i = 0; i < n; i++) {
        if (with_lock == EACH)
            kit_check(pthread_mutex_lock(&s->lock));   /* nobody else until unlock */
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);  /* read */
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);   /* write back */
        if (with_lock == EACH)
            kit_check(pthread_mutex_unlock(&s->lock));
    }
    if (with_lock == WHOLE) {
        kit_span_end("lock");
        kit_check(pthread_mutex_unlock(&s->lock));
    }
}

static void add_atomic(int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++)
        atomic_fetch_add(&s->counter, 1);   /* read, add, write as one (lock xadd on x86) */
}

/* The notes' bank: one process deposits, the other withdraws. Fixed amounts
 * (1..200 and 1..180, cycling), not random ones: the right balance is known. */
static long deposit(long i) { return i % 200 + 1; }
static long withdrawal(long i) { return i % 180 + 1; }

static void bank_job(int id, long n)
{
    for (long i = 0; i < n; i++) {
        long change = id == 0 ? deposit(i) : -withdrawal(i);
        if (with_lock == EACH)
            kit_check(pthread_mutex_lock(&s->lock));
        long balance = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, balance + change, memory_order_relaxed);
        if (with_lock == EACH)
            kit_check(pthread_mutex_unlock(&s->lock));
    }
}

/* ---- running the workers together ----------------------------------------
 * A barrier: all wait at the gate (kit_gate_*: a pipe nobody writes to) until
 * the parent has started them all, then count themselves in at a starting
 * line, because waking a sleeping process takes tens of microseconds, long
 * enough for a short race to be over. Each notes when its loop ran. */
static void worker(int id)
{
    kit_gate_wait(&gate);
    atomic_fetch_add(&s->arrived, 1);
    double deadline = kit_now() + 2.0;  /* a worker killed on its way never arrives */
    while (atomic_load(&s->arrived) < job_workers && kit_now() < deadline)
        sched_yield();
    if (atomic_load(&s->arrived) < job_workers)
        kit_fail("not every worker reached the starting line within 2 s");
    s->start[id] = kit_now();
    kit_span_begin("loop");         /* --trace: around the loop, never inside it */
    job(id, job_n);
    kit_span_end("loop");
    s->end[id] = kit_now();
}

/* Runs them; returns how long all of them were running at once, in ms
 * (negative: the gap between the last start and the first end). */
static double run_workers(void (*fn)(int id, long n), int workers, long n, long counter)
{
    job = fn;
    job_n = n;
    job_workers = workers;
    atomic_store(&s->counter, counter);
    atomic_store(&s->arrived, 0);
    kit_gate_init(&gate);
    for (int id = 0; id < workers; id++)
        kit_start(worker, id, "process %d", id + 1);
    kit_gate_open(&gate);
    kit_join_all(60.0);             /* a worker that failed gets a FAIL line */
    double last_start = s->start[0], first_end = s->end[0];
    for (int id = 1; id < workers; id++) {
        last_start = s->start[id] > last_start ? s->start[id] : last_start;
        first_end = s->end[id] < first_end ? s->end[id] : first_end;
    }
    return 1000 * (first_end - last_start);
}

/* ---- the parts ----------------------------------------------------------- */
static long trials = 5;

static void race(const struct kit_args *args)
{
    int w = (int)args->workers;
    long least = -1, most = 0, sum = 0, all = 0;
    bool never_above = true;
    with_lock = NO_LOCK;
    kit_warn("deliberately broken: counter += 1 with no lock around it");
    kit_say("%d processes x %ld increments (10 x -n), %ld runs", w, RACE_FACTOR * args->count,
            trials);
    for (long r = 1; r <= trials; r++) {
        /* Loops that ran one after the other prove nothing: then run again,
         * twice as long, up to TRIES times. */
        long n = RACE_FACTOR * args->count;
        double overlap = run_workers(add, w, n, 0);
        for (int t = 2; t <= TRIES && w > 1 && overlap <= 0; t++) {
            kit_say("run %ld: the loops did not overlap (%.1f ms apart): again with 2 x n", r,
                    -overlap);
            n *= 2;
            overlap = run_workers(add, w, n, 0);
        }
        long got = atomic_load(&s->counter), lost = w * n - got;
        never_above &= got <= w * n;
        least = least < 0 || lost < least ? lost : least;
        most = lost > most ? lost : most;
        sum += lost;
        all += w * n;
        if (w > 1 && overlap <= 0)
            kit_say("run %ld: no overlap in %d tries: not shown this run", r, TRIES);
        kit_say("run %ld: lost %ld of %ld (%.1f%%), loops overlapped %.1f ms", r, lost, w * n,
                100.0 * (double)lost / (double)(w * n), overlap > 0 ? overlap : 0.0);
    }
    if (most > 0) {
        kit_say("lost in %ld runs: min %ld, max %ld, total %ld of %ld", trials, least, most, sum,
                all);
        kit_warn("every process did all its increments: the counter lost them");
    } else {
        kit_say("lost 0 in %ld runs: not shown this run (run one at a time? raise -n)", trials);
    }
    /* The claim that holds under any load: updates vanish, never appear. */
    kit_expect(never_above, "the counter never went above the increments done: lost, never added");
    kit_pace(0.5);                  /* pauses only give the class time to read */
}

/* A fix: one run from a zero counter, and its claim. */
static void count_exactly(void (*fn)(int id, long n), const struct kit_args *args)
{
    int w = (int)args->workers;
    long n = args->count;
    run_workers(fn, w, n, 0);
    long got = atomic_load(&s->counter);
    kit_expect(got == w * n, "counter = %ld, expected %ld (%d x %ld): exact", got, w * n, w, n);
    kit_pace(0.5);
}

static void whole_loop(const struct kit_args *args)
{
    with_lock = WHOLE;              /* before the fork: each child gets its copy */
    kit_say("one process at a time counts: nothing to collide with (lesson 18: code5)");
    count_exactly(add, args);
}

static void locked(const struct kit_args *args)
{
    with_lock = EACH;
    count_exactly(add, args);
}
static void atomic(const struct kit_args *args) { count_exactly(add_atomic, args); }

static void bank(const struct kit_args *args)
{
    long n = RACE_FACTOR * args->count, expected = 2000;
    for (long i = 0; i < n; i++)
        expected += deposit(i) - withdrawal(i);
    kit_say("balance 2000; %ld deposits (1..200 yuan), %ld withdrawals (1..180)", n, n);
    for (int pass = 0; pass < 2; pass++) {
        with_lock = pass == 1 ? EACH : NO_LOCK;     /* before the fork, as always */
        run_workers(bank_job, 2, n, 2000);
        long got = atomic_load(&s->counter);
        if (with_lock == EACH)
            kit_expect(got == expected, "with a lock: balance %ld, expected %ld", got, expected);
        else if (got != expected)
            kit_warn("deliberately broken, no lock: balance %ld, expected %ld", got, expected);
        else
            kit_say("no lock: balance %ld, expected %ld: the race is not shown this run", got,
                    expected);
    }
}

static const struct kit_part parts[] = {
    {"no-lock", "the race: counter += 1 with no lock (broken on purpose)", race, true},
    {"whole-loop", "the notes' fix: the lock around each process's whole loop", whole_loop, true},
    {"lock", "the lock around each increment instead", locked, true},
    {"atomic", "C11 atomic_fetch_add: one indivisible instruction", atomic, true},
    {"bank", "note 002's bank account, then with a lock", bank, true},
    {0}};
static const struct kit_option options[] = {
    {"trials", "K", "runs of the race", &trials, 1, 1000}, {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson05", .title = "Lock race 进程锁",
        .idea = "two processes add to one shared counter: without a lock, updates are lost",
        .python = "l.acquire(); for ...: v.value += num; l.release()   (notes 000, 001)",
        .mechanism = "a pthread mutex, PTHREAD_PROCESS_SHARED, in a MAP_SHARED mapping",
        .watch = "the unlocked counter ends short; every fix counts exactly",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"processes adding to the counter", 2, 2, MAX_WORKERS, 0},
        .count = {"increments per process (the race and the bank: 10 x N)", 2000000, 1,
                  10000000, 200000}};
    s = kit_shared_alloc(sizeof *s);
    pthread_mutexattr_t attr;
    kit_check(pthread_mutexattr_init(&attr));
    /* A mutex in shared memory must say so, or it may keep per-process state. */
    kit_check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
    kit_check(pthread_mutex_init(&s->lock, &attr));
    kit_check(pthread_mutexattr_destroy(&attr));
    int status = kit_main(&lesson, argc, argv);
    kit_check(pthread_mutex_destroy(&s->lock));
    kit_shared_free(s, sizeof *s);
    return status;
}
