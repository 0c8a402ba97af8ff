/* lock_race.c - the lost update, and three ways to fix it (进程锁 Lock)
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
 *    increment; the lock held around each whole loop (the notes' code5); a C11
 *    atomic_fetch_add, one indivisible instruction.
 *
 * Usage: ./lesson05 [-q] [-w N] [-n N] [--trials K] [--list] [--part N] [--no-lock] ...
 * Watch for: every worker did all its increments, yet the unlocked counter
 * ends short; every fix counts exactly; code5's lines come one process at a time.
 * Try next: ./lesson05 --no-lock --trials 20 -n 200 (how small can the race get?)
 * Compare with lesson 04 (the shared memory), 08 (semaphores), 10 (a holder that
 * dies: the robust mutex). bench/locks.c measures what each fix costs.
 */
#include "kit.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

enum { MAX_WORKERS = 16, STEPS = 10, RACE_FACTOR = 10 };

/* What the processes share: one MAP_SHARED mapping made before the first fork,
 * so every worker sees the same bytes (lesson 04). */
struct shared {
    pthread_mutex_t lock;
    _Atomic long counter;           /* the counter; the balance in the bank */
    _Atomic int arrived;            /* workers at the starting line */
    int order[MAX_WORKERS * STEPS]; /* code5: who added, in turn */
    int steps;
};

/* Set in the parent before each fork: a child gets a copy of them all (fork
 * copies ordinary memory). Only what s points to is one copy for everybody. */
static struct shared *s;
static struct kit_gate gate;
static void (*job)(int id, long n);
static long job_n;
static int job_workers;
static bool bank_locked;

/* ---- the loops: they differ only by the fix ------------------------------
 * The unlocked loop spells out the read and the write back. They are relaxed
 * atomic operations, so the compiler must do both, every time (it may not
 * fold the loop into one "add n"), yet nothing holds the two together:
 * another process can write between them. That gap is the race. */
static void add_unlocked(int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++) {
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);  /* read */
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);   /* write back */
    }
}

static void add_locked(int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++) {
        kit_check(pthread_mutex_lock(&s->lock));   /* nobody else between read and write back */
        long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);
        kit_check(pthread_mutex_unlock(&s->lock));
    }
}

static void add_atomic(int id, long n)
{
    (void)id;
    for (long i = 0; i < n; i++)
        atomic_fetch_add(&s->counter, 1);   /* read, add, write as one (lock xadd on x86) */
}

/* The notes' code5: process 1 adds 1, process 2 adds 100 (a third 200), ten
 * times each, printing as it goes, with the lock held around the whole loop. */
static void notes_job(int id, long n)
{
    (void)n;
    long num = id == 0 ? 1 : 100L * id;
    kit_check(pthread_mutex_lock(&s->lock));   /* once: the others wait for all ten */
    kit_span_begin("lock");
    for (int i = 0; i < STEPS; i++) {
        kit_pace(0.05);                     /* the notes' time.sleep(0.5), shortened */
        long now = atomic_load_explicit(&s->counter, memory_order_relaxed) + num;
        atomic_store_explicit(&s->counter, now, memory_order_relaxed);
        s->order[s->steps++] = id;          /* safe: we hold the lock */
        kit_say("process %d: %ld", id + 1, now);
    }
    kit_span_end("lock");
    kit_check(pthread_mutex_unlock(&s->lock));
}

/* The notes' bank: one process deposits, the other withdraws. Fixed amounts
 * (1..200 and 1..180, cycling), not random ones: the right balance is known. */
static long deposit(long i) { return i % 200 + 1; }
static long withdrawal(long i) { return i % 180 + 1; }

static void bank_job(int id, long n)
{
    for (long i = 0; i < n; i++) {
        long change = id == 0 ? deposit(i) : -withdrawal(i);
        if (bank_locked)
            kit_check(pthread_mutex_lock(&s->lock));
        long balance = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, balance + change, memory_order_relaxed);
        if (bank_locked)
            kit_check(pthread_mutex_unlock(&s->lock));
    }
}

/* ---- running the workers together ----------------------------------------
 * All workers wait at the gate (kit_gate_*: a pipe nobody writes to) until
 * the parent has started them all. Without it the first worker could finish
 * before the last one starts: no overlap, no race, nothing learnt. */
static void worker(int id)
{
    kit_gate_wait(&gate);
    /* Waking a sleeping process takes tens of microseconds, long enough for a
     * short race to be over: so each also waits at a starting line for all. */
    atomic_fetch_add(&s->arrived, 1);
    while (atomic_load(&s->arrived) < job_workers)
        sched_yield();
    kit_span_begin("loop");         /* --trace: around the loop, never inside it */
    job(id, job_n);
    kit_span_end("loop");
}

static void run_workers(void (*fn)(int id, long n), int workers, long n,
                        const char *const names[])
{
    job = fn;
    job_n = n;
    job_workers = workers;
    atomic_store(&s->arrived, 0);
    kit_gate_init(&gate);
    for (int id = 0; id < workers; id++) {
        if (names != NULL)
            kit_start(worker, id, "%s", names[id]);
        else
            kit_start(worker, id, "process %d", id + 1);
    }
    kit_gate_open(&gate);
    kit_join_all(-1);               /* a worker that failed gets a FAIL line */
}

/* ---- the parts ----------------------------------------------------------- */
static long trials = 5;

static void race(const struct kit_args *args)
{
    int w = (int)args->workers;
    /* Longer loops than the fixes': unlocked increments are cheap, and loops
     * that outlast a time slice overlap even when workers share a core. */
    long n = RACE_FACTOR * args->count, expected = w * n;
    long least = expected, most = 0, sum = 0;
    bool never_above = true;
    kit_warn("deliberately broken: counter += 1 with no lock around it");
    kit_say("%d processes x %ld increments (10 x -n), %ld runs", w, n, trials);
    for (long r = 1; r <= trials; r++) {
        atomic_store(&s->counter, 0);
        run_workers(add_unlocked, w, n, NULL);
        long got = atomic_load(&s->counter), lost = expected - got;
        never_above &= got <= expected;
        least = lost < least ? lost : least;
        most = lost > most ? lost : most;
        sum += lost;
        kit_say("run %ld: counter = %ld, expected %ld: lost %ld (%.1f%%)", r, got, expected,
                lost, 100.0 * (double)lost / (double)expected);
    }
    if (most > 0) {
        kit_say("lost in %ld runs: min %ld, max %ld, total %ld of %ld", trials, least, most, sum,
                trials * expected);
        kit_warn("every process did its %ld increments: the counter lost them", n);
    } else {
        kit_say("lost 0 in %ld runs: not shown this run (run one at a time? raise -n)", trials);
    }
    /* The claim that holds under any load: updates vanish, never appear. */
    kit_expect(never_above, "the counter never went above %ld: updates are lost, never added",
               expected);
    kit_pace(0.5);                  /* pauses only give the class time to read */
}

/* A fix: one run from a zero counter, and its claim. */
static void count_exactly(void (*fn)(int id, long n), const struct kit_args *args)
{
    int w = (int)args->workers;
    long n = args->count;
    atomic_store(&s->counter, 0);
    run_workers(fn, w, n, NULL);
    long got = atomic_load(&s->counter);
    kit_expect(got == w * n, "counter = %ld, expected %ld (%d x %ld): exact", got, w * n, w, n);
    kit_pace(0.5);
}

static void locked(const struct kit_args *args) { count_exactly(add_locked, args); }
static void atomic(const struct kit_args *args) { count_exactly(add_atomic, args); }

static void whole_loop(const struct kit_args *args)
{
    int w = (int)args->workers;
    atomic_store(&s->counter, 0);
    s->steps = 0;
    run_workers(notes_job, w, 0, NULL);
    bool serial = true;
    for (int i = 0; i < w * STEPS; i++)
        serial &= s->order[i] == s->order[i - i % STEPS];
    long expected = 0;
    for (int id = 0; id < w; id++)
        expected += STEPS * (id == 0 ? 1 : 100L * id);
    kit_expect(serial, "the output is serialised: all %d lines of process %d came first", STEPS,
               s->order[0] + 1);
    kit_expect(atomic_load(&s->counter) == expected, "counter = %ld, expected %ld",
               atomic_load(&s->counter), expected);
    kit_pace(0.5);
}

static void bank(const struct kit_args *args)
{
    static const char *const names[] = {"deposit", "withdraw"};
    long n = RACE_FACTOR * args->count, expected = 2000;
    for (long i = 0; i < n; i++)
        expected += deposit(i) - withdrawal(i);
    kit_say("balance 2000; %ld deposits (1..200 yuan), %ld withdrawals (1..180)", n, n);
    for (int pass = 0; pass < 2; pass++) {
        bank_locked = pass == 1;    /* before the fork: each child gets its copy */
        atomic_store(&s->counter, 2000);
        run_workers(bank_job, 2, n, names);
        long got = atomic_load(&s->counter);
        if (bank_locked)
            kit_expect(got == expected, "with the lock: balance %ld, expected %ld", got, expected);
        else if (got != expected)
            kit_warn("deliberately broken, no lock: balance %ld, expected %ld", got, expected);
        else
            kit_say("no lock: balance %ld, expected %ld: the race is not shown this run", got,
                    expected);
    }
}

static void init_lock(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;
    kit_check(pthread_mutexattr_init(&attr));
    /* A mutex in shared memory must say so, or it may keep per-process state. */
    kit_check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
    kit_check(pthread_mutex_init(m, &attr));
    kit_check(pthread_mutexattr_destroy(&attr));
}

static const struct kit_part parts[] = {
    {"no-lock", "the race: counter += 1 with no lock (broken on purpose)", race, true},
    {"lock", "a process-shared mutex around each increment", locked, true},
    {"whole-loop", "the notes' code5: the lock around each process's loop", whole_loop, true},
    {"atomic", "C11 atomic_fetch_add: one indivisible instruction", atomic, true},
    {"bank", "the notes' bank account: deposit and withdraw on one balance", bank, true},
    {0}};
static const struct kit_option options[] = {
    {"trials", "K", "runs of the race", &trials, 1, 1000}, {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson05", .title = "Lock race 进程锁",
        .idea = "two processes add to one shared counter: without a lock, updates are lost",
        .python = "l.acquire(); v.value += num; l.release()   (notes 000, 001, 003)",
        .mechanism = "a pthread mutex, PTHREAD_PROCESS_SHARED, in a MAP_SHARED mapping",
        .watch = "the unlocked counter ends short; every fix counts exactly",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"processes adding to the counter", 2, 1, MAX_WORKERS, 0},
        .count = {"increments per process (the race and the bank: 10 x N)", 2000000, 1,
                  10000000, 200000}};
    s = kit_shared_alloc(sizeof *s);
    init_lock(&s->lock);
    int status = kit_main(&lesson, argc, argv);
    kit_check(pthread_mutex_destroy(&s->lock));
    kit_shared_free(s, sizeof *s);
    return status;
}
