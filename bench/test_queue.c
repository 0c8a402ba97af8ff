/* test_queue.c - bench/queue writes a well-formed queue.tsv with the kit's
 * Queue, the mutex + condvar ring and (with python3) mp.Queue, every
 * message checked in order by the benchmark itself. No speed asserted. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(bench_queue, .timeout = 120);

static const char *prog(void)
{
    static char path[256];
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    snprintf(path, sizeof path, "%sbench/queue", top ? "build/" : "");
    return path;
}

static void check(const char *dir, bool python)
{
    char path[128];
    snprintf(path, sizeof path, "%s/queue.tsv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s was not written", path);
    char line[1024];
    int rows = 0;
    bool ratio = false, flagged = false;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#') {
            ratio |= strncmp(line, "# kit_queue / ring: ", 20) == 0;
            flagged |= strncmp(line, "# flagged points: ", 18) == 0;
            continue;
        }
        char name[32];
        double med, lo, hi;
        cr_assert_eq(sscanf(line, "%31s %lf %lf %lf", name, &med, &lo, &hi), 4, "row: %s", line);
        cr_assert(lo > 0 && lo <= med && med <= hi, "%s: %g %g %g", name, lo, med, hi);
        rows++;
    }
    fclose(f);
    cr_assert(ratio && flagged, "header lacks the ratio or the flagged line");
    cr_assert_eq(rows, python ? 3 : 2);
}

Test(bench_queue, quick_run_measures_kit_ring_and_python)
{
    char dir[] = "/tmp/mpkit-queue-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(prog(), 90, "-n", "20000", "-r", "2", "--python", "none", "--out", dir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "kit/ring"), "%s", r.out);
    check(dir, false);
    run_free(&r);
    if (system("command -v python3 >/dev/null 2>&1") == 0) {
        r = RUN(prog(), 90, "-n", "20000", "-r", "2", "--out", dir);
        assert_run(r, 0);
        cr_assert(strstr(r.out, "kit/python"), "%s\n%s", r.out, r.err);
        check(dir, true);
        run_free(&r);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
