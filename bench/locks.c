/* locks.c - what each fix for the lost update costs (lesson 05, notes' Lock)
 *
 * P processes add n times each to one counter in shared memory, four ways:
 *   nolock   read, write back, nothing around it (wrong: updates are lost)
 *   mutex    a PTHREAD_PROCESS_SHARED mutex around each increment
 *   whole    the mutex held around each process's whole loop (the notes'
 *            code5): exact, but one process at a time
 *   atomic   C11 atomic_fetch_add, one indivisible instruction
 * Each point is timed `repeats` times (median, min, max) from the moment all
 * workers stand at the starting line to the last one's end, so no fork cost
 * is counted. The three locked ways must count exactly, every run, or the
 * benchmark fails; the unlocked way reports what it lost.
 *
 * Usage: build/bench/locks [-q] [-n N] [-w MAXP] [-r REPEATS] [-o DIR]
 * Writes DIR/locks.tsv. Compare with: lessons/05-lock-race (the same loops,
 * counted rather than timed).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "kit.h"

enum { MAX_P = 16, MAX_REPEATS = 64 };

static const char usage[] =
    "usage: locks [-q] [-n N] [-w MAXP] [-r REPEATS] [-o DIR]\n"
    "  -q, --quick        n = 100,000 increments per process: well under a second\n"
    "  -n, --count N      increments per process (default 2,000,000)\n"
    "  -w, --workers P    processes, 1 .. P (default 2, at least the core count)\n"
    "  -r, --repeats R    timings per point (default 5)\n"
    "  -o, --out DIR      where locks.tsv goes (default plots/data)\n"
    "  -h, --help         this text\n";

struct shared {
    pthread_mutex_t lock;
    _Atomic long counter;
    _Atomic int arrived;
    double start[MAX_P], end[MAX_P];   /* each worker's own clock */
};

enum method { NOLOCK, MUTEX, WHOLE, ATOMIC, METHODS };
static const char *const names[METHODS] = {"nolock", "mutex", "whole", "atomic"};

/* Set before each fork; the children get a copy (fork copies memory). */
static struct shared *s;
static struct kit_gate gate;
static enum method how;
static long n_each;
static int workers;

static void lock(void)
{
    kit_check(pthread_mutex_lock(&s->lock));
}

static void unlock(void)
{
    kit_check(pthread_mutex_unlock(&s->lock));
}

static void add_one(void)   /* relaxed: done every time, yet read and write apart */
{
    long seen = atomic_load_explicit(&s->counter, memory_order_relaxed);
    atomic_store_explicit(&s->counter, seen + 1, memory_order_relaxed);
}

static void worker(int id)
{
    kit_gate_wait(&gate);
    atomic_fetch_add(&s->arrived, 1);   /* the starting line: all really running */
    while (atomic_load(&s->arrived) < workers)
        sched_yield();
    s->start[id] = kit_now();
    if (how == WHOLE)
        lock();
    for (long i = 0; i < n_each; i++) {
        if (how == ATOMIC) {
            atomic_fetch_add(&s->counter, 1);
        } else if (how == MUTEX) {
            lock();
            add_one();
            unlock();
        } else {
            add_one();
        }
    }
    if (how == WHOLE)
        unlock();
    s->end[id] = kit_now();
}

/* One timed run: seconds from the first start to the last end; the count
 * it reached in *got. */
static double run_once(enum method m, int p, long n, long *got)
{
    how = m;
    n_each = n;
    workers = p;
    atomic_store(&s->counter, 0);
    atomic_store(&s->arrived, 0);
    kit_gate_init(&gate);
    for (int id = 0; id < p; id++)
        kit_start(worker, id, "%s %d", names[m], id + 1);
    kit_gate_open(&gate);
    if (!kit_join_all(-1))
        kit_fail("a %s worker failed", names[m]);
    double first = s->start[0], last = s->end[0];
    for (int id = 1; id < p; id++) {
        first = s->start[id] < first ? s->start[id] : first;
        last = s->end[id] > last ? s->end[id] : last;
    }
    *got = atomic_load(&s->counter);
    return last - first;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = MAX_P, .count_min = 1,
                                    .count_max = 100000000},
                           .repeats = 5, .repeats_max = MAX_REPEATS};
    bench_parse(argc, argv, "locks", usage, &o);   /* -r overrides the 5 repeats */
    int cores = bench_cores();
    int maxp = o.args.workers ? (int)o.args.workers : cores > 2 ? cores : 2;
    maxp = maxp > MAX_P ? MAX_P : maxp;
    long n = o.args.count ? o.args.count : o.args.quick ? 100000 : 2000000;
    int repeats = (int)o.repeats;

    s = kit_shared_alloc(sizeof *s);
    pthread_mutexattr_t attr;
    int e = pthread_mutexattr_init(&attr);
    if (e == 0)
        e = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (e == 0)
        e = pthread_mutex_init(&s->lock, &attr);
    if (e != 0)
        kit_die_err("pthread_mutex_init", e);
    pthread_mutexattr_destroy(&attr);

    char path[512];
    snprintf(path, sizeof path, "%s/locks.tsv", o.dir);
    FILE *f = bench_data_open(path, "locks: ns per increment of one shared counter, "
                              "P processes, four ways", argc, argv);
    fprintf(f, "# n: %ld increments per process\n# repeats: %d\n", n, repeats);
    fprintf(f, "# method\tp\tns_med\tns_min\tns_max\tmops_med\texpected\tlost_med\tlost_max\n");
    bench_progress("n = %ld per process, P = 1..%d, %d repeats, %d cores", n, maxp, repeats,
                   cores);
    for (int p = 1; p <= maxp; p++) {
        for (int m = 0; m < METHODS; m++) {
            long expected = (long)p * n;
            double ns[MAX_REPEATS], lost[MAX_REPEATS];
            for (int r = 0; r < repeats; r++) {
                long got;
                double t = run_once((enum method)m, p, n, &got);
                if (m != NOLOCK && got != expected)
                    kit_fail("%s with %d processes: counter %ld, expected %ld", names[m], p,
                             got, expected);
                ns[r] = t * 1e9 / (double)expected;
                lost[r] = (double)(expected - got);
            }
            struct bench_stats t = bench_stats(ns, (size_t)repeats);
            struct bench_stats l = bench_stats(lost, (size_t)repeats);
            fprintf(f, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.2f\t%ld\t%.0f\t%.0f\n", names[m], p, t.med,
                    t.min, t.max, 1e3 / t.med, expected, l.med, l.max);
            bench_progress("P = %d %-6s %7.2f ns per increment (%.2f .. %.2f), lost %.0f", p,
                           names[m], t.med, t.min, t.max, l.med);
            if (p == maxp)
                printf("P = %d: %-6s %7.2f ns per increment = %8.2f million/s%s\n", p,
                       names[m], t.med, 1e3 / t.med, m == NOLOCK ? " (wrong)" : ", exact");
        }
    }
    bench_data_close(f, path);
    kit_check(pthread_mutex_destroy(&s->lock));
    kit_shared_free(s, sizeof *s);
    printf("wrote %s\n", path);
    return 0;
}
