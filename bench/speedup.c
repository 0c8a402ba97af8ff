/* speedup.c - how much faster are several processes? (note 001)
 *
 * The notes time their CPU-bound job, the sum of i + i^2 + i^3 for
 * i < 10,000,000, twice in a row (9.24 s), in 2 processes (5.09 s) and in
 * 2 threads (9.34 s: the GIL lets one Python thread run at a time). Here
 * the same job is split over P = 1 .. max(8, 2 x cores) processes (fork,
 * partial sums back through shared memory) and P threads, each point timed
 * `repeats` times (median, min, max), every sum checked. In the same run,
 * at each P, the same job over P MPI ranks on this machine (mpirun
 * --oversubscribe --bind-to none -np P build/bench/mpi_job, lesson 14): the
 * time from a barrier to the 128-bit MPI_Reduce, NOT mpirun's start-up,
 * which is about half a second against fork's fraction of a millisecond.
 * Without mpirun or mpi_job the MPI columns are '?' and the header says why.
 *
 * Two data files:
 *   speedup.tsv  speedup against P, with n large enough that one job takes
 *                about 0.6 s, so start-up costs are small beside the work
 *   work.tsv     speedup at P = 2 against the work per process, from 1,000
 *                steps to n: where fork and thread start-up eat the gain
 *                (the notes' n = 10,000,000 is only milliseconds of C)
 *
 * Usage: build/bench/speedup [-q] [-n N] [-w MAXP] [-r REPEATS] [-o DIR]
 * Compare with: granularity.c (the same question for a pool of tasks),
 * lessons/01-fork-join (fork and wait on their own).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

#define NOTES_N 10000000L
/* --quick: 15 x the notes' n, about 0.11 s of C: still >= 100 ms a run */
#define QUICK_N (15 * (uint64_t)NOTES_N)
#define TARGET_SECONDS 0.6   /* one sequential job at the calibrated n */

static const char usage[] =
    "usage: speedup [-q] [-n N] [-w MAXP] [-r REPEATS] [-o DIR]\n"
    "  -q, --quick        n = 150,000,000 (~0.1 s), 3 repeats: a preview, not a figure\n"
    "  -n, --count N      steps in the job (default: calibrated so one job takes ~0.6 s)\n"
    "  -w, --workers P    largest process/thread count (default max(8, 2 x cores))\n"
    "  -r, --repeats R    timings per point (default 5, quick 3)\n"
    "  -o, --out DIR      where speedup.tsv and work.tsv go (default plots/data)\n"
    "  -h, --help         this text\n";

static void check_sum(bench_u128 got, uint64_t n, const char *what)
{
    if (got != bench_job_expected(n)) {
        char g[40], e[40];
        kit_fail("%s: wrong sum %s, expected %s", what, bench_u128_str(got, g),
                 bench_u128_str(bench_job_expected(n), e));
    }
}

static double time_seq(uint64_t n)
{
    struct bench_range all = {0, n};
    bench_u128 s;
    double t = bench_seq(&all, 1, &s);
    check_sum(s, n, "sequential");
    return t;
}

/* n so that one sequential job takes about TARGET_SECONDS: the fastest of
 * three timings of 5 x the notes' n (long enough that the clock and the
 * processor's frequency ramp do not blur it), because on a busy machine
 * only the fastest run shows what the processor can do. A slower guess
 * only makes n larger, never the job shorter than intended. */
static uint64_t calibrate(void)
{
    const uint64_t probe = 5 * NOTES_N;
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double t = time_seq(probe);
        if (t < best)
            best = t;
    }
    double n = (double)probe * TARGET_SECONDS / best;
    uint64_t rounded = (uint64_t)(n / NOTES_N + 0.5) * NOTES_N;  /* whole tens of millions */
    if (rounded < NOTES_N)
        rounded = NOTES_N;
    return rounded > (uint64_t)BENCH_N_MAX ? (uint64_t)BENCH_N_MAX : rounded;
}

struct point {
    struct bench_stats seq, proc, thr, mpi;
    bool has_mpi;               /* the MPI runner ran in every round */
    struct bench_noise noise;   /* read before the first and after the last round */
};

/* The MPI series: mpi_job beside this program, mpirun on the PATH. */
static char mpi_job[600];
static const char *no_mpi;   /* why there is no MPI series, or NULL */

static void find_mpi(void)
{
    char self[512];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        no_mpi = "readlink /proc/self/exe failed";
        return;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(mpi_job, sizeof mpi_job, "%s/mpi_job", self);
    if (access(mpi_job, X_OK) != 0)
        no_mpi = "no build/bench/mpi_job (Open MPI not installed when it was built: make deps)";
    else if (system("command -v mpirun >/dev/null 2>&1") != 0)
        no_mpi = "no mpirun on the PATH (make deps installs openmpi-bin)";
}

extern char **environ;

/* The job over p ranks `count` times back to back, from one mpirun: the
 * mean of mpi_job's timings (each from a barrier to the MPI_Reduce, so not
 * mpirun's start-up), or -1 (and the series stops) when mpirun fails.
 * mpirun is reaped here, so the noise guard counts its ranks' CPU time as
 * this program's own (RUSAGE_CHILDREN), like the processes'. */
static double time_mpi(uint64_t n, unsigned p, unsigned count)
{
    char np[16], nn[24], rr[16];
    snprintf(np, sizeof np, "%u", p);
    snprintf(nn, sizeof nn, "%llu", (unsigned long long)n);
    snprintf(rr, sizeof rr, "%u", count);
    const char *argv[16] = {"mpirun", "--oversubscribe", "--bind-to", "none"};
    int k = 4;
    if (geteuid() == 0)
        argv[k++] = "--allow-run-as-root";   /* CI runs as root */
    const char *rest[] = {"-np", np, mpi_job, nn, rr, NULL};
    for (int i = 0; i < 6; i++)
        argv[k++] = rest[i];
    int out[2];
    if (pipe(out) == -1)
        kit_die("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int e = posix_spawnp(&pid, "mpirun", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (e != 0)
        kit_die_err("posix_spawnp mpirun", e);
    FILE *f = fdopen(out[0], "r");
    if (f == NULL)
        kit_die("fdopen");
    unsigned got = 0;
    double t, sum = 0;
    while (got < count && fscanf(f, "%lf", &t) == 1) {
        sum += t;
        got++;
    }
    fclose(f);
    int status = bench_wait(pid);
    if (got == count && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return sum / count;
    char how[64];
    fprintf(stderr, "speedup: mpirun -np %u mpi_job: %u of %u timings, %s\n", p, got, count,
            kit_status_str(status, how, sizeof how));
    no_mpi = "mpirun failed (its message is above)";
    return -1;
}

/* The runners, in the order each round times them. A new series is one
 * more row here, one more column group in the data. */
enum { SEQ, PROC, THR, MPI, RUNNERS };
static double run_once(int runner, uint64_t n, unsigned p)
{
    bench_u128 sum;
    double t;
    switch (runner) {
    case SEQ:
        return time_seq(n);
    case PROC:
        t = bench_run_processes(n, p, &sum);
        check_sum(sum, n, "processes");
        return t;
    case THR:
        t = bench_run_threads(n, p, &sum);
        check_sum(sum, n, "threads");
        return t;
    default:
        return time_mpi(n, p, 1);   /* mpi_job checks its own sum */
    }
}

/* A timed run lasts at least MIN_RUN seconds: below that the clock, a
 * timer tick or one fork blurs it. A short job is run `batch` times back to
 * back inside one timing (each runner its own batch, from one trial run),
 * and the time divided by batch. The sequential batch is one child doing
 * the job batch times in a row: no fork in between, as sequential means;
 * the MPI batch is one mpirun whose ranks do the job batch times. */
#define MIN_RUN 0.1
#define MAX_BATCH 100000u
static double run_batch(int runner, uint64_t n, unsigned p, unsigned batch)
{
    double t = 0;
    if (runner == MPI)
        return time_mpi(n, p, batch);
    if (runner == SEQ && batch > 1) {
        struct bench_range *rs = calloc(batch, sizeof *rs);
        bench_u128 *sums = calloc(batch, sizeof *sums);
        if (rs == NULL || sums == NULL)
            kit_die("calloc");
        for (unsigned b = 0; b < batch; b++)
            rs[b] = (struct bench_range){0, n};
        t = bench_seq(rs, batch, sums);
        for (unsigned b = 0; b < batch; b++)
            check_sum(sums[b], n, "sequential");
        free(rs);
        free(sums);
        return t / batch;
    }
    for (unsigned b = 0; b < batch; b++)
        t += run_once(runner, n, p);
    return t / batch;
}

static unsigned batch_for(double once)
{
    if (once >= MIN_RUN)
        return 1;
    double b = MIN_RUN / (once > 1e-6 ? once : 1e-6) + 1;
    return b > MAX_BATCH ? MAX_BATCH : (unsigned)b;
}

/* Rounds interleaved: seq, processes, threads, MPI ranks, seq, ... so a
 * burst of load from elsewhere hits every series alike; the order rotates
 * from one round to the next, so no series is always the one that runs
 * first. The MPI runner (with_mpi, and only while mpirun works) is one more
 * runner in the rounds, inside the noise guard's window like the others. */
static void measure(uint64_t n, unsigned p, int repeats, struct point *pt, bool with_mpi)
{
    double t[RUNNERS][64];
    unsigned batch[RUNNERS];
    bool on[RUNNERS] = {true, true, true, with_mpi && no_mpi == NULL};
    for (int k = 0; k < MPI; k++)   /* the trial run also warms caches and clock up */
        batch[k] = batch_for(run_once(k, n, p));
    /* no MPI trial (an mpirun start-up is ~0.5 s): the ranks do the same
     * slices of the same job as the processes, so they get their batch */
    batch[MPI] = batch[PROC];
    pt->noise = bench_noise_start();
    for (int r = 0; r < repeats; r++)
        for (int k = 0; k < RUNNERS; k++) {
            int runner = (r + k) % RUNNERS;
            if (on[runner])
                t[runner][r] = run_batch(runner, n, p, batch[runner]);
            if (runner == MPI && on[MPI] && t[MPI][r] < 0)
                on[MPI] = false;   /* mpirun failed: no MPI point here, nor after */
        }
    bench_noise_stop(&pt->noise);
    pt->seq = bench_stats(t[SEQ], (size_t)repeats);
    pt->proc = bench_stats(t[PROC], (size_t)repeats);
    pt->thr = bench_stats(t[THR], (size_t)repeats);
    pt->has_mpi = on[MPI];
    if (pt->has_mpi)
        pt->mpi = bench_stats(t[MPI], (size_t)repeats);
}

/* The guard for one point, every series in it: columns in the data,
 * WARNING lines on stderr. */
static void guard(FILE *f, const struct point *pt, unsigned p, const char *what)
{
    bool above = bench_above_bound(pt->seq.med / pt->proc.med, p) ||
                 bench_above_bound(pt->seq.med / pt->thr.med, p) ||
                 (pt->has_mpi && bench_above_bound(pt->seq.med / pt->mpi.med, p));
    bench_noise_columns(f, &pt->noise, above);
    bench_noise_report(&pt->noise, above, what);
}

/* speedup median, and the range the min and max timings give */
static void put_speedup(FILE *f, double seq, struct bench_stats s)
{
    fprintf(f, "\t%.6f\t%.6f\t%.6f\t%.4f\t%.4f\t%.4f", s.med, s.min, s.max, seq / s.med,
            seq / s.max, seq / s.min);
}

/* The targets hold for the full run only (n calibrated, not
 * --quick, not -n): a reduced run says nothing about them. */
static bool targets_apply;

/* One target line, in the data file and on stdout. */
static void target(FILE *f, const char *what, double got, double want, const char *unit)
{
    if (!targets_apply)
        return;
    /* on a machine shared with other work, a NOT met says more about the
     * load average (in the header) than about fork */
    const char *verdict = got >= want ? "met" : "NOT met";
    fprintf(f, "# target: %s: %.2f%s %s\n", what, got, unit, verdict);
    printf("target: %s: %.2f%s %s\n", what, got, unit, verdict);
}

/* Speedup against P at the large n. */
static void speedup_series(FILE *f, uint64_t n, unsigned maxp, int repeats, int cores)
{
    char sumtext[40];
    fprintf(f, "# n: %llu\n# repeats: %d\n# sum: %s (checked on every run)\n",
            (unsigned long long)n, repeats, bench_u128_str(bench_job_expected(n), sumtext));
    if (no_mpi == NULL)
        fprintf(f, "# mpi: mpirun --oversubscribe --bind-to none -np P mpi_job, timed from a "
                   "barrier to MPI_Reduce (no start-up), one mpirun a round\n");
    /* the column groups, for whoever reads the file without this source */
    fprintf(f, "# columns: 1 p; 2-7 processes, 8-13 threads: seconds med min max, speedup "
               "med lo hi; 14-16 sequential seconds med min max; 17-22 MPI ranks as 2-7 ('?' "
               "without MPI, see '# mpi series:' below the rows); 23-27 the noise guard for "
               "the point (every series): others' CPU share, steal share, load average before "
               "and after, flag (0 clean, 1 load, 2 a speedup above min(P, cores) x 1.05, "
               "3 both)\n");
    fprintf(f, "# p\tproc_med\tproc_min\tproc_max\tproc_speedup\tproc_sp_lo\tproc_sp_hi"
               "\tthr_med\tthr_min\tthr_max\tthr_speedup\tthr_sp_lo\tthr_sp_hi"
               "\tseq_med\tseq_min\tseq_max"
               "\tmpi_med\tmpi_min\tmpi_max\tmpi_speedup\tmpi_sp_lo\tmpi_sp_hi%s\n",
               bench_noise_header);
    unsigned ps[64];
    double proc_sp[64], thr_sp[64], mpi_sp[64];
    for (unsigned p = 1; p <= maxp; p++) {
        struct point pt;
        /* the sequential time again at every P, timed in turn with the
         * parallel runs: load that comes and goes during the sweep then
         * moves both sides of the ratio alike */
        measure(n, p, repeats, &pt, true);
        struct bench_stats seq = pt.seq;
        if (p == 1)
            target(f, "one sequential job >= 0.5 s", seq.med, 0.5, "s");
        ps[p - 1] = p;
        proc_sp[p - 1] = seq.med / pt.proc.med;
        thr_sp[p - 1] = seq.med / pt.thr.med;
        fprintf(f, "%u", p);
        put_speedup(f, seq.med, pt.proc);
        put_speedup(f, seq.med, pt.thr);
        fprintf(f, "\t%.6f\t%.6f\t%.6f", seq.med, seq.min, seq.max);
        mpi_sp[p - 1] = pt.has_mpi ? seq.med / pt.mpi.med : 0;
        if (pt.has_mpi)
            put_speedup(f, seq.med, pt.mpi);
        else
            fprintf(f, "\t?\t?\t?\t?\t?\t?");
        char what[32];
        snprintf(what, sizeof what, "P = %u", p);
        guard(f, &pt, p, what);
        fprintf(f, "\n");
        bench_progress("P = %2u: processes %.3f s (x%.2f), threads %.3f s (x%.2f), "
                       "MPI ranks %.3f s (x%.2f)", p, pt.proc.med, proc_sp[p - 1], pt.thr.med,
                       thr_sp[p - 1], pt.has_mpi ? pt.mpi.med : 0, mpi_sp[p - 1]);
        if (p == 2 || p == maxp)
            printf("speedup at P = %u: processes %.2f, threads %.2f, MPI ranks %s%.2f "
                   "(n = %llu, %d cores)\n", p, proc_sp[p - 1], thr_sp[p - 1],
                   pt.has_mpi ? "" : "(none) ", mpi_sp[p - 1], (unsigned long long)n, cores);
    }
    /* The targets, written where the data is so they can be checked
     * against it: P = 2, and the worst point past the core count. */
    double worst_p = 1e9, worst_t = 1e9;
    for (unsigned p = (unsigned)cores + 1; p <= maxp; p++) {
        worst_p = proc_sp[p - 1] < worst_p ? proc_sp[p - 1] : worst_p;
        worst_t = thr_sp[p - 1] < worst_t ? thr_sp[p - 1] : worst_t;
    }
    bool p1_ok = proc_sp[0] >= 0.95 && proc_sp[0] <= 1.05 && thr_sp[0] >= 0.95 && thr_sp[0] <= 1.05;
    if (targets_apply) {
        const char *v = p1_ok ? "met" : "NOT met";
        fprintf(f, "# target: P = 1 within 0.95..1.05: processes %.3f, threads %.3f %s\n",
                proc_sp[0], thr_sp[0], v);
        printf("target: P = 1 within 0.95..1.05: processes %.3f, threads %.3f %s\n", proc_sp[0],
               thr_sp[0], v);
    }
    if (maxp >= 2) {
        target(f, "processes at P = 2 >= 1.95", proc_sp[1], 1.95, "");
        target(f, "threads at P = 2 >= 1.90", thr_sp[1], 1.90, "");
    }
    if (maxp > (unsigned)cores) {
        target(f, "processes past the core count >= 1.85 (worst P)", worst_p, 1.85, "");
        target(f, "threads past the core count >= 1.8 (worst P)", worst_t, 1.8, "");
    }
    double s_proc = bench_amdahl_fit(ps, proc_sp, maxp, cores);
    double s_thr = bench_amdahl_fit(ps, thr_sp, maxp, cores);
    /* The fit goes last, as a comment, so the rows above stay plain data. */
    fprintf(f, "# amdahl serial fraction: processes %.4f threads %.4f\n", s_proc, s_thr);
    /* after the rows: mpirun may have failed at some P */
    fprintf(f, "# mpi series: %s\n", no_mpi == NULL ? "yes" : no_mpi);
    if (no_mpi != NULL)
        printf("no MPI series: %s\n", no_mpi);
    printf("Amdahl fit, serial fraction: processes %.3f, threads %.3f\n", s_proc, s_thr);
}

/* Speedup at P = 2 against the work each worker gets: n = 1000, 10000, ...
 * up to the large n. */
static void work_series(FILE *f, uint64_t n, int repeats)
{
    fprintf(f, "# repeats: %d\n# notes_n: %ld\n", repeats, NOTES_N);
    fprintf(f, "# n\tper_process\tseq_med\tseq_min\tseq_max"
               "\tproc_med\tproc_min\tproc_max\tproc_speedup\tproc_sp_lo\tproc_sp_hi"
               "\tthr_med\tthr_min\tthr_max\tthr_speedup\tthr_sp_lo\tthr_sp_hi%s\n",
               bench_noise_header);
    for (uint64_t w = 1000;; w *= 10) {
        if (w > n)
            w = n;   /* the last point is n itself */
        struct point pt;
        measure(w, 2, repeats, &pt, false);
        fprintf(f, "%llu\t%llu\t%.6f\t%.6f\t%.6f", (unsigned long long)w,
                (unsigned long long)(w / 2), pt.seq.med, pt.seq.min, pt.seq.max);
        put_speedup(f, pt.seq.med, pt.proc);
        put_speedup(f, pt.seq.med, pt.thr);
        char what[40];
        snprintf(what, sizeof what, "n = %llu", (unsigned long long)w);
        guard(f, &pt, 2, what);
        fprintf(f, "\n");
        bench_progress("n = %11llu: sequential %.6f s, 2 processes x%.2f, 2 threads x%.2f",
                       (unsigned long long)w, pt.seq.med, pt.seq.med / pt.proc.med,
                       pt.seq.med / pt.thr.med);
        if (w == (uint64_t)NOTES_N)
            printf("notes' n = %ld: C sequential %.4f s, speedup at P = 2: processes %.2f, "
                   "threads %.2f\n", NOTES_N, pt.seq.med, pt.seq.med / pt.proc.med,
                   pt.seq.med / pt.thr.med);
        if (w == n)
            break;
    }
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = 64, .count_min = 1,
                                    .count_max = BENCH_N_MAX},
                           .repeats_max = 64};
    bench_parse(argc, argv, "speedup", usage, &o);
    struct bench_args args = o.args;
    long repeats = o.repeats;
    const char *dir = o.dir;

    int cores = bench_cores();
    find_mpi();
    unsigned maxp = args.workers ? (unsigned)args.workers : (unsigned)(2 * cores > 8 ? 2 * cores : 8);
    if (maxp > 64)
        maxp = 64;   /* the timing arrays hold 64 points */
    uint64_t n = (uint64_t)args.count;
    targets_apply = n == 0 && !args.quick;
    if (n == 0)
        n = args.quick ? QUICK_N : calibrate();

    /* speedup.tsv, the file make asks for, is renamed into place last, so
     * an interrupted run leaves it missing and the next make runs again. */
    char sp_path[512], work_path[512];
    snprintf(sp_path, sizeof sp_path, "%s/speedup.tsv", dir);
    snprintf(work_path, sizeof work_path, "%s/work.tsv", dir);
    FILE *sp = bench_data_open(sp_path, "speedup: note 001's job split over P processes, "
                               "P threads and P MPI ranks", argc, argv);
    FILE *work = bench_data_open(work_path, "work: speedup at P = 2 against the steps per process",
                                 argc, argv);
    bench_progress("n = %llu, P = 1..%u, %ld repeats, %d cores", (unsigned long long)n, maxp,
                   repeats, cores);
    speedup_series(sp, n, maxp, (int)repeats, cores);
    bench_noise_summary(sp, sp_path);
    work_series(work, n, (int)repeats);
    bench_noise_summary(work, work_path);
    bench_data_close(work, work_path);
    bench_data_close(sp, sp_path);
    printf("wrote %s and %s\n", sp_path, work_path);
    return 0;
}
