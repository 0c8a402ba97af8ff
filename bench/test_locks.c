/* test_locks.c - bench/locks writes well-formed rows, and the three locked
 * ways count exactly. No timing is asserted: speed lives in the data. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

TestSuite(bench_locks, .timeout = 60);

/* The benchmarks live in BUILD/bench; MPKIT_BIN is "." (BUILD = build) or
 * the BUILD directory itself (build/asan, build/clang). */
static const char *locks_prog(void)
{
    static char path[256];
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    snprintf(path, sizeof path, "%sbench/locks", top ? "build/" : "");
    return path;
}

Test(bench_locks, quick_run_writes_exact_rows)
{
    char dir[] = "/tmp/mpkit-locks-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(locks_prog(), 30, "--quick", "-w", "2", "--out", dir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "P = 2: mutex "), "%s", r.out);
    cr_assert(strstr(r.err, "[locks "), "progress goes to stderr:\n%s", r.err);

    char path[128];
    snprintf(path, sizeof path, "%s/locks.tsv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s was not written", path);
    char line[512];
    int rows = 0;
    bool cores = false, columns = false;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#') {
            cores |= strncmp(line, "# cores: ", 9) == 0 && atoi(line + 9) >= 1;
            columns |= strncmp(line, "# method\tp\tns_med", 17) == 0;
            continue;
        }
        cr_assert(columns, "data before the column names: %s", line);
        char method[16];
        int p;
        double med, min, max, mops, lost_med, lost_max;
        long expected;
        cr_assert_eq(sscanf(line, "%15s %d %lf %lf %lf %lf %ld %lf %lf", method, &p, &med, &min,
                            &max, &mops, &expected, &lost_med, &lost_max), 9, "bad row: %s", line);
        cr_assert_eq(count_of(line, "\t"), 8, "not 9 tab-separated fields: %s", line);
        cr_assert(p == 1 + rows / 4, "row %d: p = %d", rows + 1, p);
        cr_assert(min > 0 && min <= med && med <= max, "%s", line);
        cr_assert_eq(expected, p * 100000L, "%s", line);
        cr_assert(lost_med >= 0 && lost_med <= lost_max && lost_max <= expected, "%s", line);
        if (strcmp(method, "nolock") != 0)
            cr_assert(lost_max == 0, "a locked way lost updates: %s", line);
        else if (p == 1)
            cr_assert(lost_max == 0, "one process alone cannot lose updates: %s", line);
        rows++;
    }
    fclose(f);
    cr_assert(cores, "the header lacks the core count");
    cr_assert_eq(rows, 8, "P = 1, 2 x four ways");
    run_free(&r);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(bench_locks, bad_input_is_a_usage_error)
{
    static const char *const bad[][2] = {{"--bogus", NULL}, {"-w", "0"}, {"-w", "17"},
                                         {"-n", "0"}, {"-r", "0"}, {"stray", NULL}};
    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        struct lesson_run r = RUN(locks_prog(), 10, bad[j][0], bad[j][1]);
        assert_usage_error(r);
        run_free(&r);
    }
}
