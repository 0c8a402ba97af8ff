/* test_mpi_series.c - the speedup chart's MPI series: bench/speedup runs the
 * job over P ranks (mpirun ... build/bench/mpi_job) at every P, and writes
 * positive times and speedups for it beside processes and threads, in the
 * same rows as the noise guard's columns (27 in all: 16, MPI's 6, the
 * guard's 5, whose flag covers the MPI point too). No timing is asserted. Skipped where Open MPI is not installed. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(bench_mpi, .timeout = 120);

static const char *bench_dir(void)
{
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    return top ? "build/bench" : "bench";   /* as test_bench.c's prog() */
}

Test(bench_mpi, speedup_has_an_mpi_series_at_every_p)
{
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        cr_skip_test("no mpirun: make deps installs Open MPI");
    char tmp[] = "/tmp/mpkit-mpi-XXXXXX", prog[256], path[300];
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(prog, sizeof prog, "%s/speedup", bench_dir());   /* run_lesson adds MPKIT_BIN/ */
    struct lesson_run r = RUN(prog, 90, "-n", "3000001", "-w", "3", "-r", "2", "-o", tmp);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "speedup at P = 2: processes") && strstr(r.out, "MPI ranks"), "%s",
              r.out);
    cr_assert_null(strstr(r.out, "no MPI series"), "%s\n%s", r.out, r.err);
    snprintf(path, sizeof path, "%s/speedup.tsv", tmp);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[4096];
    int rows = 0;
    bool said = false, counted = false;
    while (fgets(line, sizeof line, f) != NULL) {
        said |= strcmp(line, "# mpi series: yes\n") == 0;
        counted |= strncmp(line, "# flagged points: ", 18) == 0;
        if (line[0] == '#')
            continue;
        double v[28];
        int n = 0;
        char *save, *s = strtok_r(line, "\t\n", &save);
        for (; s != NULL && n < 28; s = strtok_r(NULL, "\t\n", &save))
            v[n++] = strtod(s, NULL);
        cr_assert_eq(n, 27, "row %d: %d fields", rows + 1, n);
        cr_assert_eq(v[0], rows + 1, "rows are P = 1, 2, 3");
        for (int k = 16; k < 22; k++)   /* mpi_med .. mpi_sp_hi: measured, not '?' */
            cr_assert_gt(v[k], 0, "P = %d: MPI column %d is %g", rows + 1, k + 1, v[k]);
        cr_assert(v[17] <= v[16] && v[16] <= v[18], "min <= median <= max");
        cr_assert(v[26] == 0 || v[26] == 1 || v[26] == 2 || v[26] == 3, "P = %d: flag %g",
                  rows + 1, v[26]);
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, 3);
    cr_assert(said, "the header says the MPI series is there");
    cr_assert(counted, "the file counts its flagged points");
    run_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}
