/* bignum.c - note 001's pool job (numbers of 236,125 to 490,642 digits) on 1, 2, 4 workers,
 * in C with GMP and in the notes' Python.
 *
 * The job (code2.py): for i in range(10): x = x + x**i; return len(str(x)), for
 * x = 1..10, through pool.map. Here P forked workers take the x values one at a time
 * from a shared counter (a pool with chunksize 1, as map() on ten items is close to)
 * and leave the digit counts in shared memory; every run's counts are checked
 * against the notes' list. Timed from the first fork to the last waitpid, each P
 * `repeats` times (min, median, max). Then bench/bignum.py runs the notes' own code
 * with Pool(P) once per P (one repeat: a Python run of the ten jobs takes tens of
 * seconds), in its own process group with a time limit, its digits checked too;
 * without python3 its columns are '?' and the header says why.
 *
 * Writes bignum.tsv: per P, the C time (median, min, max), C speed-up (sequential
 * median / this median), the Python time and Python speed-up.
 *
 * Usage: build/bench/bignum [-q] [-r REPEATS] [-o DIR] [--python FILE|none]
 * Compare with: lessons/17-big-numbers (the same job, the notes' output), speedup.c.
 */
#include <errno.h>
#include <gmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"


enum { MAX_X = 10, MAX_REPEATS = 32, NP = 3 };
static const unsigned workers[NP] = {1, 2, 4};
static const long notes_digits[MAX_X] = {236125, 294538, 337000, 370393, 397922,
                                         421345, 441729, 459774, 475963, 490642};

static const char usage[] =
    "usage: bignum [-q] [-r REPEATS] [-o DIR] [--python FILE]\n"
    "Note 001's pool job (ten numbers of 236,125 to 490,642 digits) on 1, 2 and 4 workers,\n"
    "C with GMP and the notes' Python.\n"
    "  -q, --quick        x in 1..2 instead of 1..10, 3 repeats: a few seconds\n"
    "  -r, --repeats R    C timings per point (default 5; at most 32); Python: 1\n"
    "  -o, --out DIR      where bignum.tsv goes (default plots/data)\n"
    "      --python FILE  the notes' code (default bench/bignum.py); 'none' skips it\n"
    "  -h, --help         this text\n";

/* The notes' job; the same as lessons/17-big-numbers (a lesson is not a library). */
static long job(long x0)
{
    mpz_t x, power;
    mpz_init_set_si(x, x0);
    mpz_init(power);
    for (unsigned long i = 0; i < 10; i++) {
        mpz_pow_ui(power, x, i);
        mpz_add(x, x, power);
    }
    char *text = malloc(mpz_sizeinbase(x, 10) + 2);   /* sizeinbase: exact or one more */
    if (text == NULL)
        kit_die("malloc");
    mpz_get_str(text, 10, x);
    long digits = (long)strlen(text);
    free(text);
    mpz_clear(x);
    mpz_clear(power);
    return digits;
}

struct shared {
    _Atomic int next;           /* the next x to take: the pool's one queue */
    long digits[MAX_X];
};

/* One run: p workers forked, each taking x values until none is left. */
static double run_c(unsigned p, int nx, struct shared *s)
{
    atomic_store(&s->next, 0);
    memset(s->digits, 0, sizeof s->digits);
    pid_t pid[4];
    fflush(NULL);   /* nothing buffered may be copied into the children */
    double t0 = kit_now();
    for (unsigned k = 0; k < p; k++) {
        pid[k] = fork();
        if (pid[k] == -1)
            kit_die("fork");    /* the stop path reaps those already started */
        if (pid[k] == 0) {
            for (;;) {
                int i = atomic_fetch_add(&s->next, 1);  /* take the next x, atomically */
                if (i >= nx)
                    _exit(0);
                s->digits[i] = job(i + 1);
            }
        }
    }
    for (unsigned k = 0; k < p; k++)
        bench_reap(pid[k], "a bignum worker");
    double t = kit_now() - t0;
    for (int i = 0; i < nx; i++)
        if (s->digits[i] != notes_digits[i])
            kit_fail("C, %u workers: job(%d) = %ld digits, the notes say %ld", p, i + 1,
                     s->digits[i], notes_digits[i]);
    return t;
}

/* python3 SCRIPT P 1 2 .. nx in its own process group, at most `limit` s.
 * Returns the seconds it printed, or -1 (why says it) when it cannot run. */
static double run_python(const char *script, unsigned p, int nx, double limit, char *why,
                         size_t why_size)
{
    char arg[MAX_X + 1][16];
    char *argv[MAX_X + 4] = {"python3", (char *)script, arg[0]};
    snprintf(arg[0], sizeof arg[0], "%u", p);
    for (int i = 0; i < nx; i++) {
        snprintf(arg[i + 1], sizeof arg[0], "%d", i + 1);
        argv[3 + i] = arg[i + 1];
    }
    char out[512];
    if (!bench_run_python(argv, limit, out, sizeof out, why, why_size))
        return -1;
    double seconds;
    int used;
    const char *q = out;
    if (sscanf(q, "%lf%n", &seconds, &used) != 1 || seconds <= 0)
        kit_fail("python3 %s: expected '<seconds> <digits>...', got '%s'", script, out);
    for (int i = 0; i < nx; i++) {
        long d;
        q += used;
        if (sscanf(q, "%ld%n", &d, &used) != 1 || d != notes_digits[i])
            kit_fail("python3 %s: job(%d) is not the notes' %ld digits: '%s'", script, i + 1,
                     notes_digits[i], out);
    }
    return seconds;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = 1, .count_min = 1,
                                    .count_max = 1},
                           .repeats_max = MAX_REPEATS, .python = "bench/bignum.py"};
    bench_parse(argc, argv, "bignum", usage, &o);
    int nx = o.args.quick ? 2 : MAX_X;
    const char *script = o.python;
    char why[128] = "";
    if (strcmp(script, "none") == 0)
        snprintf(why, sizeof why, "--python none");
    else if (access(script, R_OK) == -1)
        snprintf(why, sizeof why, "%s not readable (run from the top of the tree)", script);
    bool python = why[0] == '\0';

    struct shared *s = kit_shared_alloc(sizeof *s);
    struct bench_stats c[NP];
    double t[NP][MAX_REPEATS];
    for (long r = 0; r < o.repeats; r++)    /* P in turn, repeat by repeat: load hits all */
        for (int j = 0; j < NP; j++)
            t[j][r] = run_c(workers[(j + r) % NP], nx, s);
    for (int j = 0; j < NP; j++) {
        double v[MAX_REPEATS];
        for (long r = 0; r < o.repeats; r++)    /* undo the rotation: v is P = workers[j] */
            v[r] = t[(j - r % NP + NP) % NP][r];
        c[j] = bench_stats(v, (size_t)o.repeats);
        bench_progress("C, %u worker(s): %.3f s (median of %ld)", workers[j], c[j].med,
                       o.repeats);
    }
    kit_shared_free(s, sizeof *s);

    double py[NP] = {0};
    for (int j = 0; j < NP && python; j++) {
        py[j] = run_python(script, workers[j], nx, o.args.quick ? 120 : 600, why, sizeof why);
        python = py[j] > 0;
        if (python)
            bench_progress("Python, Pool(%u): %.2f s", workers[j], py[j]);
    }
    if (!python)
        bench_progress("Python skipped: %s", why);

    char path[512];
    snprintf(path, sizeof path, "%s/bignum.tsv", o.dir);
    FILE *f = bench_data_open(path, "bignum: note 001's pool job, x = x + x**i, len(str(x))",
                              argc, argv);
    fprintf(f, "# x: 1..%d (digits checked against the notes' list every run)\n", nx);
    fprintf(f, "# repeats: C %ld, Python %d\n", o.repeats, python ? 1 : 0);
    if (python)
        fprintf(f, "# python: %s, multiprocessing.Pool(P).map, seconds from perf_counter\n",
                script);
    else
        fprintf(f, "# python: skipped (%s)\n", why);
    fprintf(f, "# workers\tc_med\tc_min\tc_max\tc_speedup\tpy_seconds\tpy_speedup\n");
    for (int j = 0; j < NP; j++) {
        fprintf(f, "%u\t%.6f\t%.6f\t%.6f\t%.3f", workers[j], c[j].med, c[j].min, c[j].max,
                c[0].med / c[j].med);
        if (python)
            fprintf(f, "\t%.6f\t%.3f\n", py[j], py[0] / py[j]);
        else
            fprintf(f, "\t?\t?\n");
    }
    bench_data_close(f, path);

    printf("note 001's job, x = 1..%d, %d cores (median of %ld C runs; Python 1 run)\n", nx,
           bench_cores(), o.repeats);
    printf("%-9s %10s %9s %12s %9s %9s\n", "workers", "C s", "speedup", "Python s", "speedup",
           "Py / C");
    for (int j = 0; j < NP; j++) {
        printf("%-9u %10.3f %9.2f", workers[j], c[j].med, c[0].med / c[j].med);
        if (python)
            printf(" %12.2f %9.2f %9.0f\n", py[j], py[0] / py[j], py[j] / c[j].med);
        else
            printf(" %12s %9s %9s\n", "?", "?", "?");
    }
    if (!python)
        printf("Python skipped: %s\n", why);
    printf("wrote %s\n", path);
    return 0;
}
