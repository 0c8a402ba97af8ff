/* lock_as_written.c - the notes' Lock programs, line by line (进程锁Lock)
 *
 * Python (note 000; note 001's code4 and code5; note 003's f(l, i)):
 *     def job(v, num, process_name):
 *         for _ in range(10):
 *             time.sleep(0.5); v.value += num; print(process_name, v.value)
 *     # code5: lock.acquire() before the loop, lock.release() after it
 *     def f(l, i): l.acquire(); print('hello world', i); l.release()
 * C: the value lives in a MAP_SHARED mapping made before fork; the lock is a
 *    PTHREAD_PROCESS_SHARED mutex beside it (lesson 05 builds both). Each
 *    program runs as the notes wrote it: the same steps, numbers and sleeps
 *    (a tenth of the notes' seconds), the same print after each add.
 *
 * Usage: ./lesson18 [-q] [--list] [--part N] [--as-written] [--whole-loop] [--hello]
 * Watch for: without the lock the totals usually come out right in C, and the
 * lesson says so ("not shown this run"): both wake together, as in the notes,
 * but C's read and write back are nanoseconds apart. With the lock the lines
 * of one process all come first. The ten hellos come in any order, one at a time.
 * Try next: ./lesson05 --no-lock, the same race without sleeps: it shows.
 * Compare with lesson 05 (the race at scale and its fixes), lesson 04 (Value).
 */
#include "kit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { HELLOS = 10, MAX_STEPS = 10 };

/* One MAP_SHARED mapping, made before the first fork: every process sees it. */
struct shared {
    pthread_mutex_t lock;
    _Atomic long value;             /* the notes' v = Value('i', 0) */
    _Atomic int inside, most_inside;
    int order[HELLOS + 2 * MAX_STEPS], steps;   /* who went, in turn (under the lock) */
};

/* Set in the parent before each fork: a child gets its own copy of these. */
static struct shared *s;
static struct kit_gate gate;
static bool with_lock;

/* Note 000: 5 steps; process 1 sleeps 1 s and adds 1, process 2 sleeps 3 s and
 * adds 3 (its locked version swaps them). Note 001's code4 and code5: 10 steps
 * of sleep(0.5), adding 1 and 100. */
static const struct program {
    const char *name;
    int steps;
    double sleep[2];                /* the notes' seconds; paced here at a tenth */
    long num[2];
} unlocked_programs[] = {{"note 000", 5, {1, 3}, {1, 3}}, {"note 001 code4", 10, {.5, .5}, {1, 100}}},
  locked_programs[] = {{"note 000", 5, {3, 1}, {3, 1}}, {"note 001 code5", 10, {.5, .5}, {1, 100}}};
static const struct program *program;

static void job(int id)
{
    kit_gate_wait(&gate);           /* both start together, as p1.start(); p2.start() */
    if (with_lock) {
        kit_check(pthread_mutex_lock(&s->lock));   /* once: the other waits for all */
        kit_span_begin("lock");                    /* --trace: the lock held */
    }
    for (int i = 0; i < program->steps; i++) {
        kit_pace(program->sleep[id] / 10);
        /* v.value += num: a read, then a write back, with nothing between them */
        long seen = atomic_load_explicit(&s->value, memory_order_relaxed);
        atomic_store_explicit(&s->value, seen + program->num[id], memory_order_relaxed);
        if (with_lock)
            s->order[s->steps++] = id;  /* safe: we hold the lock */
        kit_say("process %d: %ld", id + 1, atomic_load(&s->value));   /* print reads again */
    }
    if (with_lock) {
        kit_span_end("lock");
        kit_check(pthread_mutex_unlock(&s->lock));
    }
}

/* Note 003's f(l, i). "inside" counts who is between lock and unlock. */
static void hello_job(int id)
{
    kit_gate_wait(&gate);
    kit_check(pthread_mutex_lock(&s->lock));
    int now = atomic_fetch_add(&s->inside, 1) + 1;
    if (now > atomic_load(&s->most_inside))
        atomic_store(&s->most_inside, now);
    s->order[s->steps++] = id;
    kit_say("hello world %d", id);
    atomic_fetch_sub(&s->inside, 1);
    kit_check(pthread_mutex_unlock(&s->lock));
}

static void run(void (*body)(int id), int workers)
{
    atomic_store(&s->value, 0);
    s->steps = 0;
    kit_gate_init(&gate);
    for (int id = 0; id < workers; id++)
        kit_start(body, id, "process %d", id + 1);
    kit_gate_open(&gate);
    kit_join_all(-1);               /* a worker that failed gets a FAIL line */
}

/* Both programs of one kind: without the lock, or with it around the loop. */
static void programs(const struct program two[2], bool lock)
{
    with_lock = lock;               /* before the fork: each child gets its copy */
    for (int p = 0; p < 2; p++) {
        program = &two[p];
        long expected = program->steps * (program->num[0] + program->num[1]);
        kit_say("%s: sleep %g s and add %ld / sleep %g s and add %ld, %d times", program->name,
                program->sleep[0] / 10, program->num[0], program->sleep[1] / 10, program->num[1],
                program->steps);
        run(job, 2);
        long got = atomic_load(&s->value);
        if (lock) {
            bool serial = true;
            for (int i = 0; i < s->steps; i++)
                serial &= s->order[i] == s->order[i < program->steps ? 0 : s->steps - 1];
            kit_expect(serial, "serialised: all %d lines of process %d came first",
                       program->steps, s->order[0] + 1);
            kit_expect(got == expected, "v.value = %ld, expected %ld", got, expected);
            continue;
        }
        kit_expect(got <= expected, "v.value = %ld, expected %ld: %ld lost", got, expected,
                   expected - got);
        if (got == expected)
            kit_say("no update lost: not shown this run (C's read and write back are ns apart)");
        else
            kit_warn("deliberately broken: an update was lost, as in the notes' own run");
        kit_pace(0.3);
    }
}

static void as_written(const struct kit_args *args)
{
    (void)args;
    programs(unlocked_programs, false);
    kit_say("the notes' own code4 run lost one: 405 twice, 910 at the end, not 1010");
}

static void whole_loop(const struct kit_args *args)
{
    (void)args;
    programs(locked_programs, true);
}

static void hello(const struct kit_args *args)
{
    (void)args;
    atomic_store(&s->most_inside, 0);
    run(hello_job, HELLOS);
    char order[4 * HELLOS] = "";
    int seen = 0;
    for (int i = 0; i < s->steps; i++) {
        seen |= 1 << s->order[i];
        size_t used = strlen(order);
        snprintf(order + used, sizeof order - used, " %d", s->order[i]);
    }
    kit_say("the order they took the lock:%s", order);
    kit_say("(the notes never join them: Python joins them when the main program ends)");
    kit_expect(seen == (1 << HELLOS) - 1 && s->steps == HELLOS,
               "each of 0..9 said hello once (%d lines)", s->steps);
    kit_expect(atomic_load(&s->most_inside) == 1, "at most %d process held the lock at once",
               atomic_load(&s->most_inside));
}

static const struct kit_part parts[] = {
    {"as-written", "notes 000 and 001: sleep, v.value += num, print; no lock", as_written, true},
    {"whole-loop", "the same with the lock around each loop (000's second, code5)", whole_loop,
     true},
    {"hello", "note 003's f(l, i): ten processes, one Lock", hello, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson18", .title = "Lock as written 进程锁Lock",
        .idea = "the notes' Lock programs, with their numbers, sleeps and prints",
        .python = "for _ in range(10): time.sleep(0.5); v.value += num   (notes 000, 001)",
        .mechanism = "a MAP_SHARED counter, a PTHREAD_PROCESS_SHARED mutex, kit_pace for sleep",
        .watch = "lost updates are rare here (C is fast); with the lock: one process at a time",
        .parts = parts, .show_ms = true};
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
