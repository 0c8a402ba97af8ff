/* notes.c - note 001's exact comparison, in C and in the notes' Python.
 *
 * The notes run their job (the sum of i + i^2 + i^3 for i < 10,000,000)
 * twice: in sequence 9.24 s, in 2 processes 5.09 s, in 2 threads 9.34 s.
 * This program does the same three things in C (the job twice in a row;
 * fork twice and wait; pthread_create twice and join) and, when python3 is
 * there, runs the notes' own code (bench/notes_job.py) the same way, so one
 * chart shows C and Python side by side on one machine. Every result is
 * checked against the closed form; a Python result too.
 *
 * Writes notes.tsv: one row per variant, C and Python timings (median, min,
 * max of `repeats` runs), and the notes' own figures for reference.
 *
 * Usage: build/bench/notes [-q] [-n N] [-r REPEATS] [-o DIR] [--python SCRIPT]
 * Compare with: speedup.c (the same job split over 1..P workers).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

extern char **environ;

static const char usage[] =
    "usage: notes [-q] [-n N] [-r REPEATS] [-o DIR] [--python SCRIPT]\n"
    "  -q, --quick        n = 1,000,000 and 1 Python repeat: about a second\n"
    "  -n, --count N      steps in the job (default 10,000,000, the notes' n)\n"
    "  -r, --repeats R    timings per point (default 5, quick 3; Python quick 1)\n"
    "  -o, --out DIR      where notes.tsv goes (default plots/data)\n"
    "      --python FILE  the notes' code (default bench/notes_job.py); 'none' skips Python\n"
    "  -h, --help         this text\n";

enum { SEQ, PROC, THREAD, VARIANTS };
static const char *const variant_name[VARIANTS] = {"sequential", "2_processes", "2_threads"};
static const char *const py_mode[VARIANTS] = {"seq", "proc", "thread"};
static const double notes_seconds[VARIANTS] = {9.241755, 5.089700, 9.338062};

/* One C run of a variant: the job twice, whole each time, as in the notes. */
static double run_c(int variant, uint64_t n)
{
    struct bench_range both[2] = {{0, n}, {0, n}};
    bench_u128 sums[2];
    double t;
    if (variant == SEQ)
        t = bench_seq(both, 2, sums);   /* one process, the job twice in a row */
    else if (variant == PROC)
        t = bench_procs(both, 2, sums);
    else
        t = bench_threads(both, 2, sums);
    if (sums[0] != bench_job_expected(n) || sums[1] != bench_job_expected(n))
        kit_fail("C %s: wrong sum", variant_name[variant]);
    return t;
}

/* A C run of at least 0.1 s (the job twice at n = 10^7 is ~15 ms of C): the
 * variant repeated back to back inside one timing, the time divided. */
static double run_c_long(int variant, uint64_t n)
{
    double t = 0;
    unsigned runs = 0;
    while (t < 0.1) {
        t += run_c(variant, n);
        runs++;
    }
    return t / runs;
}

/* One Python run: python3 SCRIPT MODE N with stdout into a pipe. Returns
 * the seconds it printed, or -1 when python3 cannot be started. */
static double run_python(const char *script, int variant, uint64_t n)
{
    int fd[2];
    if (pipe(fd) == -1)
        kit_die("pipe");
    posix_spawn_file_actions_t fa;
    int e = posix_spawn_file_actions_init(&fa);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    if (e == 0)
        e = posix_spawn_file_actions_addclose(&fa, fd[0]);
    if (e != 0)
        kit_die_err("posix_spawn_file_actions", e);
    char ntext[32];
    snprintf(ntext, sizeof ntext, "%llu", (unsigned long long)n);
    char *argv[] = {"python3", (char *)script, (char *)py_mode[variant], ntext, NULL};
    pid_t pid;
    fflush(NULL);
    e = posix_spawnp(&pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (close(fd[1]) == -1)   /* else read() would never see end-of-file */
        kit_die("close");
    if (e != 0) {
        if (close(fd[0]) == -1)
            kit_die("close");
        if (e == ENOENT)
            return -1;
        kit_die_err("posix_spawnp python3", e);
    }
    char out[256];
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fd[0], out + len, sizeof out - 1 - len);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            kit_die("read");
        if (got == 0 || (len += (size_t)got) == sizeof out - 1)
            break;
    }
    out[len] = '\0';
    if (close(fd[0]) == -1)
        kit_die("close");
    int status = bench_wait(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return -1;
    char st[64], want[40];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("python3 %s %s: %s", script, py_mode[variant], kit_status_str(status, st, sizeof st));
    double seconds;
    char r1[64], r2[64];
    bench_u128_str(bench_job_expected(n), want);
    if (sscanf(out, "%lf %63s %63s", &seconds, r1, r2) != 3 || strcmp(r1, want) != 0 ||
        strcmp(r2, want) != 0)
        kit_fail("python3 %s %s: expected '<seconds> %s %s', got '%s'", script,
                 py_mode[variant], want, want, out);
    return seconds;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.count_min = 1, .count_max = BENCH_N_MAX, .workers_min = 1,
                                    .workers_max = 1},
                           .repeats_max = 64, .python = "bench/notes_job.py"};
    bench_parse(argc, argv, "notes", usage, &o);
    struct bench_args args = o.args;
    long repeats = o.repeats;
    const char *dir = o.dir, *script = o.python;
    long py_repeats = args.quick ? 1 : repeats;
    uint64_t n = args.count ? (uint64_t)args.count : args.quick ? 1000000 : 10000000;

    bool python = strcmp(script, "none") != 0;
    char why[160] = "";
    if (python && access(script, R_OK) == -1) {
        snprintf(why, sizeof why, "%s not readable (run from the top of the tree)", script);
        python = false;
    } else if (!python) {
        snprintf(why, sizeof why, "--python none");
    }

    /* Rounds interleaved (sequential, processes, threads, sequential, ...),
     * C and Python alike: load that comes and goes hits every variant, not
     * one (run variant by variant, Python's GIL-bound threads once came out
     * 1.35x faster than its sequential run). The noise guard reads around. */
    struct bench_stats c[VARIANTS], py[VARIANTS];
    double tc[VARIANTS][64], tp[VARIANTS][64];
    struct bench_noise c_noise = bench_noise_start();
    for (long r = 0; r < repeats; r++)
        for (int v = 0; v < VARIANTS; v++)
            tc[v][r] = run_c_long(v, n);
    bench_noise_stop(&c_noise);
    for (int v = 0; v < VARIANTS; v++) {
        c[v] = bench_stats(tc[v], (size_t)repeats);
        bench_progress("C %-12s %.4f s (median of %ld)", variant_name[v], c[v].med, repeats);
    }
    struct bench_noise py_noise = bench_noise_start();
    for (long r = 0; r < py_repeats && python; r++)
        for (int v = 0; v < VARIANTS && python; v++) {
            tp[v][r] = run_python(script, v, n);
            if (tp[v][r] < 0) {
                snprintf(why, sizeof why, "python3 not found");
                python = false;
            }
        }
    bench_noise_stop(&py_noise);
    for (int v = 0; v < VARIANTS && python; v++) {
        py[v] = bench_stats(tp[v], (size_t)py_repeats);
        bench_progress("Python %-12s %.3f s (median of %ld)", variant_name[v], py[v].med,
                       py_repeats);
    }
    /* The bounds: 2 workers, so C at most min(2, cores) x 1.05 faster; and
     * Python's threads share one GIL, so no more than 1.05x faster at all. */
    bool flag[VARIANTS] = {false};
    for (int v = PROC; v < VARIANTS; v++) {
        bool above = bench_above_bound(c[SEQ].med / c[v].med, 2);
        if (python && v == THREAD)
            above |= py[SEQ].med / py[THREAD].med > 1.05;
        else if (python)
            above |= bench_above_bound(py[SEQ].med / py[v].med, 2);
        flag[v] = above;
    }
    bool loaded = c_noise.loaded || (python && py_noise.loaded);
    struct bench_noise worst = python && py_noise.loaded ? py_noise : c_noise;
    for (int v = 0; v < VARIANTS; v++)   /* a WARNING per flagged row, and the count */
        bench_noise_report(&worst, flag[v], variant_name[v]);

    char path[512];
    snprintf(path, sizeof path, "%s/notes.tsv", dir);
    FILE *f = bench_data_open(path, "notes: note 001's job twice, in sequence, 2 processes, 2 threads",
                              argc, argv);
    fprintf(f, "# n: %llu\n# repeats: C %ld, Python %ld\n", (unsigned long long)n, repeats,
            python ? py_repeats : 0);
    if (python)
        fprintf(f, "# python: %s, seconds from its own perf_counter\n", script);
    else
        fprintf(f, "# python: skipped (%s)\n", why);
    if (python) {
        double ratio = py[SEQ].med / c[SEQ].med;
        fprintf(f, "# python/C sequential: %.0fx\n", ratio);
        fprintf(f, "# target: C sequential >= 50x faster than Python: %.0fx %s\n", ratio,
                ratio >= 50 ? "met" : "NOT met");
        printf("target: C sequential >= 50x faster than Python: %.0fx %s\n", ratio,
               ratio >= 50 ? "met" : "NOT met");
    }
    fprintf(f, "# notes: the notes' Python on their machine, n = 10000000 (? = missing)\n");
    fprintf(f, "# noise C: others %.3f of the CPUs, steal %.3f, load average %.2f -> %.2f\n",
            c_noise.others, c_noise.steal, c_noise.load_before, c_noise.load_after);
    if (python)
        fprintf(f, "# noise Python: others %.3f of the CPUs, steal %.3f, load average %.2f -> %.2f\n",
                py_noise.others, py_noise.steal, py_noise.load_before, py_noise.load_after);
    fprintf(f, "# flag: 1 under load, 2 above the bound (C: 2 x 1.05; Python threads: 1.05), 3 both\n");
    fprintf(f, "# variant\tc_med\tc_min\tc_max\tpy_med\tpy_min\tpy_max\tnotes\tflag\n");
    for (int v = 0; v < VARIANTS; v++) {
        fprintf(f, "%s\t%.6f\t%.6f\t%.6f", variant_name[v], c[v].med, c[v].min, c[v].max);
        if (python)
            fprintf(f, "\t%.6f\t%.6f\t%.6f", py[v].med, py[v].min, py[v].max);
        else
            fprintf(f, "\t?\t?\t?");
        fprintf(f, "\t%.6f\t%d\n", notes_seconds[v], (loaded ? 1 : 0) + (flag[v] ? 2 : 0));
    }
    bench_noise_summary(f, path);
    bench_data_close(f, path);

    printf("C, job twice (n = %llu): sequential %.4f s, 2 processes %.4f s (x%.2f), "
           "2 threads %.4f s (x%.2f)\n", (unsigned long long)n, c[SEQ].med, c[PROC].med,
           c[SEQ].med / c[PROC].med, c[THREAD].med, c[SEQ].med / c[THREAD].med);
    if (python)
        printf("Python, job twice: sequential %.3f s, 2 processes %.3f s (x%.2f), 2 threads "
               "%.3f s (x%.2f); C is %.0fx faster sequentially\n", py[SEQ].med, py[PROC].med,
               py[SEQ].med / py[PROC].med, py[THREAD].med, py[SEQ].med / py[THREAD].med,
               py[SEQ].med / c[SEQ].med);
    else
        printf("Python skipped: %s\n", why);
    printf("wrote %s\n", path);
    return 0;
}
