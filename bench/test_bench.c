/* test_bench.c - the benchmarks' job, split and runners are exact, and
 * every benchmark writes well-formed data. No timing is asserted: speed
 * lives in the benchmark output, not in the tests. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"
#include "run.h"

TestSuite(bench, .timeout = 120);

static const char *str(bench_u128 v)
{
    static char buf[40];
    return bench_u128_str(v, buf);
}

Test(bench, job_gives_the_notes_result_at_full_n)
{
    cr_assert_str_eq(str(bench_job(0, 10000000)), "2499999833333358333330000000");
    cr_assert_str_eq(str(bench_job_expected(10000000)), "2499999833333358333330000000");
}

Test(bench, job_is_exact_at_small_n)
{
    cr_assert_str_eq(str(bench_job(0, 0)), "0");
    cr_assert_str_eq(str(bench_job(0, 1)), "0");
    cr_assert_str_eq(str(bench_job(0, 2)), "3");            /* 1 + 1 + 1 */
    cr_assert_str_eq(str(bench_job(0, 3)), "17");           /* 3 + 2 + 4 + 8 */
    for (uint64_t n = 0; n < 2000; n += 7)
        cr_assert(bench_job(0, n) == bench_job_expected(n), "n = %llu", (unsigned long long)n);
    /* a range in the middle is the difference of two prefixes */
    cr_assert(bench_job(1000, 123457) == bench_job_expected(123457) - bench_job_expected(1000));
}

Test(bench, u128_text_past_64_bits)
{
    cr_assert_str_eq(str((bench_u128)UINT64_MAX + 1), "18446744073709551616");
    /* no wrap-around at the largest n: still growing, by the last step's value */
    uint64_t last = BENCH_N_MAX - 1;
    cr_assert(bench_job_expected(BENCH_N_MAX) - bench_job_expected(last) ==
              bench_job(last, BENCH_N_MAX));
}

Test(bench, split_has_no_gap_and_no_overlap)
{
    static const uint64_t ns[] = {0, 1, 2, 7, 13, 100, 1001, 10000003, 4000000000ULL};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        for (unsigned parts = 1; parts <= 17; parts++) {
            uint64_t n = ns[i], next = 0, small = UINT64_MAX, big = 0;
            for (unsigned k = 0; k < parts; k++) {
                struct bench_range r = bench_split(n, parts, k);
                cr_assert_eq(r.lo, next, "n %llu parts %u: part %u starts at %llu, not %llu",
                             (unsigned long long)n, parts, k, (unsigned long long)r.lo,
                             (unsigned long long)next);
                cr_assert(r.hi >= r.lo);
                uint64_t len = r.hi - r.lo;
                small = len < small ? len : small;
                big = len > big ? len : big;
                next = r.hi;
            }
            cr_assert_eq(next, n, "n %llu parts %u: ends at %llu", (unsigned long long)n, parts,
                         (unsigned long long)next);
            cr_assert(big - small <= 1, "n %llu parts %u: uneven", (unsigned long long)n, parts);
        }
    }
}

Test(bench, processes_and_threads_sum_exactly_for_awkward_n_and_p)
{
    static const uint64_t ns[] = {2, 1001, 99991};
    static const unsigned ps[] = {1, 3, 7, 16};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 4; j++) {
            bench_u128 s = 1;
            double t = bench_run_processes(ns[i], ps[j], &s);
            cr_assert(s == bench_job_expected(ns[i]), "processes n %llu p %u",
                      (unsigned long long)ns[i], ps[j]);
            cr_assert(t >= 0);
            s = 1;
            bench_run_threads(ns[i], ps[j], &s);
            cr_assert(s == bench_job_expected(ns[i]), "threads n %llu p %u",
                      (unsigned long long)ns[i], ps[j]);
        }
}

Test(bench, amdahl_fit_recovers_the_serial_fraction)
{
    unsigned p[8];
    double sp[8];
    for (unsigned i = 0; i < 8; i++) {   /* 4 cores, serial fraction 0.1, exact points */
        p[i] = i + 1;
        double q = p[i] < 4 ? p[i] : 4;
        sp[i] = 1 / (0.1 + 0.9 / q);
    }
    cr_assert_float_eq(bench_amdahl_fit(p, sp, 8, 4), 0.1, 1e-9);
    cr_assert_float_eq(bench_amdahl_fit(p, sp, 8, 1), 0.0, 1e-12);   /* one core: nothing to fit */
    for (unsigned i = 0; i < 8; i++)
        sp[i] = 0.01;                        /* slower than sequential: no gain at all */
    cr_assert_float_eq(bench_amdahl_fit(p, sp, 8, 4), 1.0, 1e-12);
}

/* ---- the benchmark programs -------------------------------------------- */

/* The benchmarks live in BUILD/bench; MPKIT_BIN is "." (BUILD = build) or
 * the BUILD directory itself (build/asan, build/clang). */
static const char *prog(const char *name)
{
    static char path[256];
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    snprintf(path, sizeof path, "%sbench/%s", top ? "build/" : "", name);
    return path;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mpkit-bench-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

/* Asserts the file is a commented header naming the machine, then rows of
 * `cols` tab-separated numbers ('?' = missing; the first column may be a
 * name when first_is_name). Returns the number of rows. */
static int check_tsv(const char *file, int cols, bool first_is_name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s was not written", path);
    char line[4096];
    int rows = 0;
    bool cores = false, cpu = false, columns = false;
    while (fgets(line, sizeof line, f) != NULL) {
        cr_assert(strchr(line, '\n') != NULL, "%s: line too long or unterminated", file);
        if (line[0] == '#') {
            cores |= strncmp(line, "# cores: ", 9) == 0 && atoi(line + 9) >= 1;
            cpu |= strncmp(line, "# cpu: ", 7) == 0;
            columns |= rows == 0 && strchr(line, '\t') != NULL;
            continue;
        }
        cr_assert(columns, "%s: data before the column names", file);
        int n = 0;
        for (char *save, *field = strtok_r(line, "\t\n", &save); field != NULL;
             field = strtok_r(NULL, "\t\n", &save), n++) {
            if (strcmp(field, "?") == 0 || (n == 0 && first_is_name))
                continue;
            char *end;
            double v = strtod(field, &end);
            cr_assert(*end == '\0' && v >= 0, "%s row %d: bad field '%s'", file, rows + 1, field);
        }
        cr_assert_eq(n, cols, "%s row %d: %d fields, expected %d", file, rows + 1, n, cols);
        rows++;
    }
    fclose(f);
    cr_assert(cores && cpu, "%s: header lacks cores or cpu", file);
    return rows;
}

Test(bench, speedup_writes_well_formed_data)
{
    make_tmpdir();
    struct lesson_run r = RUN(prog("speedup"), 60, "-n", "100000", "-w", "3", "-r", "2", "-o", tmpdir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "speedup at P = 2: processes"), "%s", r.out);
    cr_assert(strstr(r.out, "Amdahl fit, serial fraction"), "%s", r.out);
    cr_assert(strstr(r.err, "P =  3"), "progress goes to stderr:\n%s", r.err);
    /* 16 + MPI's 6 ('?' without MPI) + the noise guard's 5 */
    cr_assert_eq(check_tsv("speedup.tsv", 27, false), 3);
    cr_assert_eq(check_tsv("work.tsv", 22, false), 3);      /* 1000, 10000, 100000 */
    char path[256];
    snprintf(path, sizeof path, "grep -q '^# flagged points: [0-9]' %s/speedup.tsv", tmpdir);
    cr_assert_eq(system(path), 0, "speedup.tsv has no flagged-points line");
    snprintf(path, sizeof path, "grep -q '^# mpi series: ' %s/speedup.tsv", tmpdir);
    cr_assert_eq(system(path), 0, "speedup.tsv has no mpi-series line");
    run_free(&r);
    remove_tmpdir();
}

Test(bench, notes_writes_well_formed_data_with_and_without_python)
{
    make_tmpdir();
    struct lesson_run r = RUN(prog("notes"), 60, "-q", "-n", "20000", "--python", "none", "-o", tmpdir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "Python skipped: --python none"), "%s", r.out);
    cr_assert_eq(check_tsv("notes.tsv", 9, true), 3);
    run_free(&r);
    /* with python3, when the machine has it: its results are checked too */
    if (system("command -v python3 >/dev/null 2>&1") == 0) {
        r = RUN(prog("notes"), 60, "-q", "-n", "20000", "-o", tmpdir);
        assert_run(r, 0);
        cr_assert(strstr(r.out, "Python, job twice: sequential"), "%s\n%s", r.out, r.err);
        cr_assert_eq(check_tsv("notes.tsv", 9, true), 3);
        /* the GIL's bound comes from C threads taking turns, measured in the run */
        char cmd[256];
        snprintf(cmd, sizeof cmd, "grep -Eq '^# turns gain: [0-9]+[.][0-9]{3}$' %s/notes.tsv", tmpdir);
        cr_assert_eq(system(cmd), 0, "notes.tsv has no turns-gain line");
        run_free(&r);
    }
    remove_tmpdir();
}

Test(bench, granularity_writes_well_formed_data)
{
    make_tmpdir();
    struct lesson_run r = RUN(prog("granularity"), 60, "-n", "100000", "-w", "3", "-r", "2", "-o", tmpdir);
    assert_run(r, 0);
    cr_assert_eq(check_tsv("granularity.tsv", 23, false), 4);   /* 10^2 .. 10^5 */
    run_free(&r);
    remove_tmpdir();
}

Test(bench, ipc_writes_well_formed_data_and_leaves_no_queue)
{
    make_tmpdir();
    struct lesson_run r = RUN(prog("ipc"), 60, "-q", "-r", "1", "-o", tmpdir);
    assert_run(r, 0);   /* includes: nothing left in /dev/shm, no process left */
    cr_assert_eq(check_tsv("ipc.tsv", 37, false), 7);   /* 8 B .. 1 MiB */
    run_free(&r);
    remove_tmpdir();
}

Test(bench, bad_input_is_a_usage_error)
{
    static const char *const progs[] = {"speedup", "notes", "granularity", "ipc", "queue"};
    /* unknown option, not a number, zero, negative, huge, a stray operand */
    static const char *const bad[][2] = {{"--bogus", NULL}, {"-r", "many"}, {"-r", "0"},
                                         {"-r", "-3"}, {"-r", "99999999999999999999"},
                                         {"stray", NULL}};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            struct lesson_run r = RUN(prog(progs[i]), 10, bad[j][0], bad[j][1]);
            assert_usage_error(r);
            run_free(&r);
        }
    static const char *const more[][3] = {{"speedup", "-n", "5000000000"},   /* past BENCH_N_MAX */
                                          {"speedup", "-w", "0"},
                                          {"granularity", "-w", "65"},
                                          {"ipc", "--python", "x"}};   /* notes only */
    for (size_t j = 0; j < sizeof more / sizeof more[0]; j++) {
        struct lesson_run r = RUN(prog(more[j][0]), 10, more[j][1], more[j][2]);
        assert_usage_error(r);
        run_free(&r);
    }
}

/* ---- an interrupted benchmark leaves no data file ----------------------
 * Ctrl-C (SIGINT to the group), kill (SIGTERM) or a closed terminal
 * (SIGHUP) in the middle of a run: the run dies of that signal, leaves no
 * process, and leaves nothing in its data directory, neither speedup.tsv
 * (make would take a half file as fresh) nor a speedup.tsv.part. */
static int files_in(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "opendir %s", dir);
    int n = 0;
    names[0] = '\0';
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        size_t used = strlen(names);
        snprintf(names + used, size - used, " %s", e->d_name);
    }
    closedir(d);
    return n;
}

Test(bench, an_interrupted_run_leaves_no_data_file)
{
    static const struct { int sig; enum run_target to; } faults[] = {
        {SIGINT, RUN_TO_GROUP}, {SIGTERM, RUN_TO_MAIN}, {SIGHUP, RUN_TO_MAIN}};
    /* about 6 s of work at P = 1 and 2; the signal comes after 0.3 s (the
     * process or thread runner at P = 1) or 1.2 s (mpirun and its rank) */
    for (size_t i = 0; i < 2 * sizeof faults / sizeof faults[0]; i++) {
        make_tmpdir();
        struct run_fault f = {.sig = faults[i / 2].sig, .target = faults[i / 2].to,
                              .delay_ms = i % 2 ? 1200 : 300};
        struct lesson_run r = RUN_FAULT(prog("speedup"), 30, &f, "-n", "200000000", "-w", "2",
                                        "-r", "1", "-o", tmpdir);
        cr_assert(r.sent && !r.timed_out, "%s: the signal was not sent, or the run hung",
                  strsignal(faults[i / 2].sig));
        cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == faults[i / 2].sig,
                  "%s: the run did not die of it (status %#x)\n%s", strsignal(faults[i / 2].sig),
                  r.status, r.err);
        cr_assert_eq(r.leftovers, 0, "%s: %d process(es) left", strsignal(faults[i / 2].sig),
                     r.leftovers);
        char names[512];
        cr_assert_eq(files_in(tmpdir, names, sizeof names), 0, "%s: left in the data directory:%s",
                     strsignal(faults[i / 2].sig), names);
        run_free(&r);
        remove_tmpdir();
    }
}
