/* bench.h - what the mpkit benchmarks share (bench/libbench.c).
 *
 * The job is note 001's CPU-bound loop, the sum of i + i^2 + i^3 for
 * i < n. At the notes' n = 10,000,000 the sum is
 * 2499999833333358333330000000, past 2^64, so it is kept in 128 bits.
 * Every benchmark checks its sum against the closed form, so a fast
 * wrong answer can never be reported as a speedup.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kit.h"

/* __extension__: unsigned __int128 is a GCC/Clang extension, accepted
 * under -Wpedantic only when marked as one. */
__extension__ typedef unsigned __int128 bench_u128;

/* The largest n the job accepts: i * i must fit in 64 bits. */
#define BENCH_N_MAX 4000000000L

/* The notes' loop over [lo, hi): the work every benchmark times. */
bench_u128 bench_job(uint64_t lo, uint64_t hi);
/* The same sum over [0, n) from the closed form, for checking. */
bench_u128 bench_job_expected(uint64_t n);
/* Decimal text of v (buf holds at least 40 bytes); returns buf. */
char *bench_u128_str(bench_u128 v, char *buf);

/* Part k of parts equal slices of [0, n): slice sizes differ by at most 1,
 * the slices cover [0, n) with no gap and no overlap, in order. */
struct bench_range {
    uint64_t lo, hi;
};
struct bench_range bench_split(uint64_t n, unsigned parts, unsigned k);

/* Each of p workers runs the job over its own range rs[k] and leaves its
 * sum in sums[k]: p processes (fork; each child writes its sum into shared
 * memory) or p threads. Returns the wall time in seconds, from the first
 * fork/create to the last wait/join. */
double bench_procs(const struct bench_range *rs, unsigned p, bench_u128 *sums);
double bench_threads(const struct bench_range *rs, unsigned p, bench_u128 *sums);
/* The sequential baseline: the k ranges one after another in ONE forked
 * child, the same code path as P = 1 process and the same compiled
 * bench_job as every runner (libbench.c: inlined copies of the loop ran up
 * to 8 % apart), timed inside the child: the job alone, no fork counted. */
double bench_seq(const struct bench_range *rs, unsigned k, bench_u128 *sums);
/* The job over [0, n) split over p processes or threads (bench_split);
 * the total in *sum. */
double bench_run_processes(uint64_t n, unsigned p, bench_u128 *sum);
double bench_run_threads(uint64_t n, unsigned p, bench_u128 *sum);

/* waitpid(pid) until it ends (again after EINTR, a signal's interruption);
 * returns the wait status. Dies if waitpid fails otherwise. */
int bench_wait(pid_t pid);
/* Runs argv (argv[0] = "python3") in a process group of its own, so that a
 * time-out can end its children too, with its stdout read into out (size
 * bytes, NUL-terminated). True when it exited 0 within `limit` s; false, with
 * why said in `why`, when python3 is missing or took longer (then it is
 * killed). Any other failure of it ends the benchmark. */
bool bench_run_python(char *const argv[], double limit, char *out, size_t size, char *why,
                      size_t why_size);
/* bench_wait, then fails ("<what> exited with status 1") unless the child
 * exited with status 0. */
void bench_reap(pid_t pid, const char *what);

/* min, median and max of n timings (v is sorted in place). */
struct bench_stats {
    double med, min, max;
};
struct bench_stats bench_stats(double *v, size_t n);

/* Amdahl's law: with a serial fraction s, P workers on `cores` cores
 * (at most min(P, cores) run at once, q) give a speedup of
 * 1 / (s + (1 - s) / q). Since 1/S - 1/q = s (1 - 1/q) is a straight line
 * through 0 in s, the least-squares s over the n points has a closed form.
 * The result is kept in [0, 1]. */
double bench_amdahl_fit(const unsigned *p, const double *speedup, size_t n, int cores);

/* The first two CPUs this process may run on (-1 when there is no second),
 * for ping-pongs pinned to two CPUs or one (ipc, wakeup). */
void bench_find_cpus(int *a, int *b);
/* Pins the calling process (and the children it forks later) to one CPU. */
void bench_pin(int cpu);

/* The machine, for the data header and the charts. */
int bench_cores(void);
const char *bench_cpu_model(void);

/* Opens a data file for writing (its directory is created) and writes the
 * commented header: what, the command line, the machine, the date and the
 * load average. The data goes to PATH.part until bench_data_close renames
 * it to PATH. Dies on failure. */
FILE *bench_data_open(const char *path, const char *what, int argc, char *const argv[]);
/* Closes it, checking the write (a full disk must not leave half a file),
 * and gives it its real name. */
void bench_data_close(FILE *f, const char *path);

/* The command line every benchmark shares: the kit's -h, -q, -w, -n (with
 * the ranges the program sets in args), -r/--repeats R (1..repeats_max;
 * default 5, with --quick 3), -o/--out DIR, and --python FILE where python is set
 * (its default). Bad input: one line and the usage, exit 2. Also names the
 * program for bench_progress, and sets the kit's stop policy (kit_stop_policy):
 * SIGINT, SIGTERM or SIGHUP ends and reaps every child before the run dies. */
struct bench_args {
    bool quick;
    long workers, workers_min, workers_max;  /* -w N; 0: not given */
    long count, count_min, count_max;        /* -n N; 0: not given */
};
struct bench_opts {
    struct bench_args args;
    long repeats, repeats_max;
    const char *dir;
    const char *python;
};
void bench_parse(int argc, char *argv[], const char *name, const char *usage,
                 struct bench_opts *o);

/* The noise guard, read around every point (start before its first timing,
 * stop after its last). `others` is the share of all CPUs that other work
 * used meanwhile: /proc/stat's busy time less this process's and its
 * children's own CPU time (the load average cannot tell our own workers
 * from others'); `steal` the share a hypervisor took. Above either bound the
 * point is `loaded`. A speedup above min(P, cores) x 1.05 is impossible on
 * an idle machine (bench_above_bound). A flagged point gets flag 1 (load),
 * 2 (above the bound) or 3 (both) in the data file's flag column, a WARNING
 * on stderr, and counts in the "# flagged points: N" line the charts show. */
#define BENCH_OTHERS_MAX 0.05
#define BENCH_STEAL_MAX 0.02
struct bench_noise {
    double load_before, load_after, others, steal;
    bool loaded;
    double t0, own0;                       /* internal */
    unsigned long long busy0, steal0;      /* internal */
};
struct bench_noise bench_noise_start(void);
void bench_noise_stop(struct bench_noise *n);
bool bench_above_bound(double speedup, unsigned p);
/* the columns others_cpu steal load_before load_after flag, tab-led */
extern const char bench_noise_header[];
void bench_noise_columns(FILE *f, const struct bench_noise *n, bool above);
/* the WARNING lines for a flagged point (and counts it) */
void bench_noise_report(const struct bench_noise *n, bool above, const char *point);
extern int bench_flagged_points;
/* "# flagged points: N" in f, and a closing WARNING if N > 0 */
void bench_noise_summary(FILE *f, const char *what);   /* and resets N */

/* One progress line on stderr, "[speedup] ...". */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_set_name(const char *name);

#endif
