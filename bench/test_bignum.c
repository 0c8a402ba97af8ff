/* test_bignum.c - bench/bignum writes a well-formed bignum.tsv: rows for 1, 2 and 4
 * workers, positive times, speed-ups that are the ratios of those times, Python's
 * columns measured or '?' with the reason in the header. No speed is asserted: a
 * loaded machine may be slow, never wrong (the digit counts are checked by the program
 * itself, which fails on any difference). Builds without GMP: it runs the binary from
 * outside and skips when it was not built. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(bench_bignum, .timeout = 240);

/* build/bench/bignum, or MPKIT_BIN/bench/bignum for the sanitizer build */
static const char *prog(void)
{
    static char path[256];
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    snprintf(path, sizeof path, "%sbench/bignum", top ? "build/" : "");
    if (access(path, X_OK) != 0)
        cr_skip_test("%s not built (GMP missing: make deps)", path);
    return path;
}

/* Reads DIR/bignum.tsv; true when Python was measured. */
static bool check_tsv(const char *dir, bool want_python)
{
    char path[128], line[512];
    snprintf(path, sizeof path, "%s/bignum.tsv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s was not written", path);
    bool cores = false, skipped = false;
    int rows = 0;
    double c1 = 0, p1 = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        cr_assert(strchr(line, '\n') != NULL, "unterminated line");
        if (line[0] == '#') {
            cores |= strncmp(line, "# cores: ", 9) == 0 && atoi(line + 9) >= 1;
            skipped |= strncmp(line, "# python: skipped (", 19) == 0;
            continue;
        }
        unsigned w;
        double med, min, max, speedup;
        char py[32], pys[32];
        cr_assert_eq(sscanf(line, "%u %lf %lf %lf %lf %31s %31s", &w, &med, &min, &max,
                            &speedup, py, pys), 7, "bad row '%s'", line);
        static const unsigned want[3] = {1, 2, 4};
        cr_assert(rows < 3 && w == want[rows], "row %d: %u workers", rows, w);
        cr_assert(min > 0 && min <= med && med <= max, "times %g %g %g", min, med, max);
        if (w == 1)
            c1 = med;
        cr_assert_float_eq(speedup, c1 / med, 0.002 * c1 / med + 1e-6, "C speed-up");
        if (strcmp(py, "?") == 0) {
            cr_assert_str_eq(pys, "?");
        } else {
            double s = atof(py), ps = atof(pys);
            cr_assert(s > 0, "Python seconds '%s'", py);
            if (w == 1)
                p1 = s;
            cr_assert_float_eq(ps, p1 / s, 0.002 * p1 / s + 1e-6, "Python speed-up");
        }
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, 3, "%d rows, expected 3", rows);
    cr_assert(cores, "the header lacks # cores");
    if (want_python)
        cr_assert(!skipped, "python3 is here, but Python was skipped");
    return !skipped;
}

Test(bench_bignum, quick_run_writes_three_worker_counts_and_python)
{
    const char *bin = prog();
    char dir[] = "/tmp/mpkit-bignum-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(bin, 200, "--quick", "--out", dir);
    assert_run(r, 0);           /* exit 0, no process and no /dev/shm name left */
    cr_assert(strstr(r.err, "[bignum ") != NULL, "progress goes to stderr:\n%s", r.err);
    bool python = system("command -v python3 >/dev/null 2>&1") == 0;
    check_tsv(dir, python);
    if (!python)
        cr_assert(strstr(r.out, "Python skipped: python3 not found"), "%s", r.out);
    run_free(&r);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(bench_bignum, python_none_is_skipped_and_said)
{
    const char *bin = prog();
    char dir[] = "/tmp/mpkit-bignum-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(bin, 60, "--quick", "--python", "none", "-r", "5", "-o", dir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "Python skipped: --python none"), "%s", r.out);
    cr_assert(!check_tsv(dir, false), "--python none, yet Python was measured");
    run_free(&r);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
