/* granularity.c - how big must a task be before a process pool pays?
 *
 * The notes hand a Pool ten tiny tasks (pool.map(job, range(1, 11))).
 * Each task travels to a worker as a message and its result travels back:
 * when a task is a few microseconds of work, the messages cost more than
 * the work. Here the same total work (note 001's job over [0, n)) is cut
 * into tasks of 10^2 .. 10^7 steps and run through a pool of P forked
 * workers that read tasks from one pipe and write results to another:
 *   one task per message   like pool.apply_async for every task
 *   chunked                several tasks per message, chunk size
 *                          ceil(tasks / (4 P)) as pool.map picks by default
 * Speedup = sequential time / pool time, against the task size.
 *
 * The pool is started once and reused (as a Pool object is), so its start
 * is not in the times. The parent keeps at most WINDOW messages in flight:
 * with more, it could block writing tasks into a full pipe while the
 * workers block writing results into the other full pipe, a deadlock.
 *
 * Usage: build/bench/granularity [-q] [-n N] [-w P] [-r REPEATS] [-o DIR]
 * Compare with: lessons/03-pool (a pool built from fork and pipes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

enum { READ_END, WRITE_END };
#define WINDOW 512   /* messages in flight: 512 x 32 B each way fits a 64 KiB pipe */

static const char usage[] =
    "usage: granularity [-q] [-n N] [-w P] [-r REPEATS] [-o DIR]\n"
    "  -q, --quick        n = 2,000,000, 3 repeats: a preview (each timing >= 0.1 s)\n"
    "  -n, --count N      total steps of the job (default 50,000,000)\n"
    "  -w, --workers P    pool size (default: the number of cores)\n"
    "  -r, --repeats R    timings per point (default 5, quick 3)\n"
    "  -o, --out DIR      where granularity.tsv goes (default plots/data)\n"
    "  -h, --help         this text\n";

struct task_msg {           /* tasks first .. first + count - 1 of size steps in [0, n); count 0 = stop */
    uint64_t first, count, size, n;
};
struct result_msg {
    bench_u128 sum;
    uint64_t count;
};

struct pool {
    unsigned p;
    pid_t pids[64];
    int task_fd, result_fd;   /* the parent's ends */
};

/* Reads exactly size bytes (a pipe may return less than asked). */
static bool read_full(int fd, void *buf, size_t size)
{
    char *b = buf;
    while (size > 0) {
        ssize_t got = read(fd, b, size);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        b += got;
        size -= (size_t)got;
    }
    return true;
}

static void write_msg(int fd, const void *buf, size_t size, bool child)
{
    /* messages are at most PIPE_BUF bytes, so each write is whole and atomic:
     * several workers can share one pipe without their messages mixing */
    ssize_t put;
    while ((put = write(fd, buf, size)) == -1 && errno == EINTR)
        ;
    if (put != (ssize_t)size) {
        if (child)
            kit_die("write");
        kit_die("write");
    }
}

static void worker(int task_fd, int result_fd)
{
    struct task_msg m;
    while (read_full(task_fd, &m, sizeof m) && m.count != 0) {
        struct result_msg r;
        memset(&r, 0, sizeof r);   /* the padding too: all 32 bytes go down the pipe */
        r.count = m.count;
        for (uint64_t t = m.first; t < m.first + m.count; t++) {
            uint64_t lo = t * m.size, hi = lo + m.size < m.n ? lo + m.size : m.n;
            r.sum += bench_job(lo, hi);
        }
        write_msg(result_fd, &r, sizeof r, true);
    }
    _exit(0);
}

static void pool_start(struct pool *pl, unsigned p)
{
    int task[2], result[2];
    if (pipe(task) == -1 || pipe(result) == -1)
        kit_die("pipe");
    fflush(NULL);
    pl->p = p;
    for (unsigned k = 0; k < p; k++) {
        pl->pids[k] = fork();
        if (pl->pids[k] == -1)
            kit_die("fork");
        if (pl->pids[k] == 0) {
            /* the worker reads tasks and writes results: it closes the
             * other two ends, so the parent's end-of-file logic holds */
            if (close(task[WRITE_END]) == -1 || close(result[READ_END]) == -1)
                kit_die("close");
            worker(task[READ_END], result[WRITE_END]);
        }
    }
    if (close(task[READ_END]) == -1 || close(result[WRITE_END]) == -1)
        kit_die("close");
    pl->task_fd = task[WRITE_END];
    pl->result_fd = result[READ_END];
}

static void pool_stop(struct pool *pl)
{
    struct task_msg stop = {0, 0, 0, 0};
    for (unsigned k = 0; k < pl->p; k++)
        write_msg(pl->task_fd, &stop, sizeof stop, false);
    if (close(pl->task_fd) == -1 || close(pl->result_fd) == -1)
        kit_die("close");
    for (unsigned k = 0; k < pl->p; k++)
        bench_reap(pl->pids[k], "a pool worker");
}

/* Runs every task through the pool, chunk tasks per message; returns the
 * seconds and checks the sum. */
static double pool_map(struct pool *pl, uint64_t n, uint64_t size, uint64_t chunk)
{
    uint64_t tasks = (n + size - 1) / size, sent = 0, done = 0, in_flight = 0;
    bench_u128 total = 0;
    double t0 = kit_now();
    while (done < tasks) {
        if (sent < tasks && in_flight < WINDOW) {
            struct task_msg m = {sent, chunk < tasks - sent ? chunk : tasks - sent, size, n};
            write_msg(pl->task_fd, &m, sizeof m, false);
            sent += m.count;
            in_flight++;
            continue;
        }
        struct result_msg r;
        if (!read_full(pl->result_fd, &r, sizeof r))
            kit_fail("a pool worker went away");
        total += r.sum;
        done += r.count;
        in_flight--;
    }
    double t = kit_now() - t0;
    if (total != bench_job_expected(n))
        kit_fail("pool sum wrong for task size %llu", (unsigned long long)size);
    return t;
}

/* A timed run lasts at least MIN_RUN seconds (at n = 2,000,000 a chunked
 * map lasted 3 ms and its figure swung 20x): a short map is repeated back
 * to back inside one timing and the time divided by the count. */
#define MIN_RUN 0.1
static double pool_time(struct pool *pl, uint64_t n, uint64_t size, uint64_t chunk)
{
    double t = 0;
    unsigned runs = 0;
    while (t < MIN_RUN) {
        t += pool_map(pl, n, size, chunk);
        runs++;
    }
    return t / runs;
}

/* The sequential baseline, as long: one child doing the job `k` times. */
static double seq_time(uint64_t n, unsigned k)
{
    struct bench_range rs[64] = {{0, 0}};
    bench_u128 sums[64];
    for (unsigned j = 0; j < k; j++)
        rs[j] = (struct bench_range){0, n};
    double t = bench_seq(rs, k, sums);
    for (unsigned j = 0; j < k; j++)
        if (sums[j] != bench_job_expected(n))
            kit_fail("sequential sum wrong");
    return t / k;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = 64, .count_min = 1000,
                                    .count_max = BENCH_N_MAX},
                           .repeats_max = 64};
    bench_parse(argc, argv, "granularity", usage, &o);
    struct bench_args args = o.args;
    long repeats = o.repeats;
    const char *dir = o.dir;
    int cores = bench_cores();
    unsigned p = args.workers ? (unsigned)args.workers : (unsigned)(cores < 64 ? cores : 64);
    uint64_t n = args.count ? (uint64_t)args.count : args.quick ? 2000000 : 50000000;

    char path[512];
    snprintf(path, sizeof path, "%s/granularity.tsv", dir);
    FILE *f = bench_data_open(path, "granularity: the job cut into tasks, run through a pool",
                              argc, argv);
    fprintf(f, "# n: %llu\n# workers: %u\n# repeats: %ld\n", (unsigned long long)n, p, repeats);
    fprintf(f, "# task_size\ttasks\tsingle_med\tsingle_min\tsingle_max\tsingle_speedup\tsingle_sp_lo"
               "\tsingle_sp_hi\tchunk\tchunked_med\tchunked_min\tchunked_max\tchunked_speedup"
               "\tchunked_sp_lo\tchunked_sp_hi\tseq_med\tseq_min\tseq_max%s\n", bench_noise_header);
    bench_progress("n = %llu, pool of %u", (unsigned long long)n, p);

    struct pool pl;
    pool_start(&pl, p);
    double once = seq_time(n, 1);   /* how many jobs make a sequential run >= MIN_RUN */
    unsigned k = once >= MIN_RUN ? 1 : (unsigned)(MIN_RUN / once) + 1;
    k = k > 64 ? 64 : k;
    for (uint64_t size = 100; size <= n; size *= 10) {
        uint64_t tasks = (n + size - 1) / size;
        uint64_t chunk = (tasks + 4 * p - 1) / (4 * p);
        double ts[64], t1[64], tc[64];
        /* rounds interleaved (sequential, one per message, chunked, ...):
         * load that comes and goes hits all alike; the guard reads around */
        struct bench_noise noise = bench_noise_start();
        for (long r = 0; r < repeats; r++) {
            ts[r] = seq_time(n, k);
            t1[r] = pool_time(&pl, n, size, 1);
            tc[r] = pool_time(&pl, n, size, chunk);
        }
        bench_noise_stop(&noise);
        struct bench_stats seq = bench_stats(ts, (size_t)repeats);
        struct bench_stats s1 = bench_stats(t1, (size_t)repeats), sc = bench_stats(tc, (size_t)repeats);
        fprintf(f, "%llu\t%llu\t%.6f\t%.6f\t%.6f\t%.4f\t%.4f\t%.4f\t%llu\t%.6f\t%.6f\t%.6f\t%.4f\t%.4f\t%.4f"
                   "\t%.6f\t%.6f\t%.6f",
                (unsigned long long)size, (unsigned long long)tasks, s1.med, s1.min, s1.max,
                seq.med / s1.med, seq.med / s1.max, seq.med / s1.min, (unsigned long long)chunk,
                sc.med, sc.min, sc.max, seq.med / sc.med, seq.med / sc.max, seq.med / sc.min,
                seq.med, seq.min, seq.max);
        bool above = bench_above_bound(seq.med / s1.med, p) || bench_above_bound(seq.med / sc.med, p);
        bench_noise_columns(f, &noise, above);
        fprintf(f, "\n");
        char what[48];
        snprintf(what, sizeof what, "task size %llu", (unsigned long long)size);
        bench_noise_report(&noise, above, what);
        bench_progress("task size %9llu (%8llu tasks): one per message x%.2f, chunks of %llu x%.2f",
                       (unsigned long long)size, (unsigned long long)tasks, seq.med / s1.med,
                       (unsigned long long)chunk, seq.med / sc.med);
    }
    pool_stop(&pl);
    bench_noise_summary(f, path);
    bench_data_close(f, path);
    printf("wrote %s\n", path);
    return 0;
}
