/* test_build.c - the build itself: objects are rebuilt when the compiler
 * or its flags change, and `make clean` removes every file that the build,
 * the benchmarks and the charts wrote.
 *
 * They run make from the top of the kit (the tests' working directory),
 * into a temporary BUILD, or in a copy of the files git tracks: the kit's
 * own build/ is never touched. They run in the plain build's tests only
 * (MPKIT_BIN "."): the sanitizer build tests the same Makefile again. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

TestSuite(build, .timeout = 300);

static void plain_build_only(void)
{
    const char *bin = getenv("MPKIT_BIN");
    if (bin != NULL && *bin != '\0' && strcmp(bin, ".") != 0)
        cr_skip_test("the build is tested once, by the plain build's tests");
}

/* Runs a shell command, stdout and stderr into *out (malloc'd, for the
 * caller to free). Under `make test` the environment carries the caller's
 * make (MAKEFLAGS holds its command line: SAN=1 BUILD=build/asan), so make's
 * own variables are cleared first. Returns the exit status. */
static int sh(char **out, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    cr_assert(len > 0 && (size_t)len < sizeof cmd, "command too long");
    char full[2200];
    snprintf(full, sizeof full,
             "unset MAKEFLAGS MFLAGS MAKELEVEL CC CFLAGS LDFLAGS BUILD BINDIR SAN QUICK; (%s) 2>&1",
             cmd);
    FILE *p = popen(full, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    size_t size = 4096, used = 0;
    char *buf = malloc(size);
    cr_assert_not_null(buf);
    for (size_t got; (got = fread(buf + used, 1, size - used - 1, p)) > 0;) {
        used += got;
        if (size - used < 2) {
            buf = realloc(buf, size *= 2);
            cr_assert_not_null(buf);
        }
    }
    buf[used] = '\0';
    int status = pclose(p);
    cr_assert(status != -1, "pclose");
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char tmp[64];

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/mpkit-build-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    char *out;
    cr_assert_eq(sh(&out, "rm -rf '%s'", tmp), 0, "%s", out);
    free(out);
}

/* Builds lesson05 into BUILD=tmp/b with `vars` on make's command line;
 * returns what make printed (its compile and link lines). */
static char *make_lesson05(const char *vars)
{
    char *out;
    int rc = sh(&out, "make --no-print-directory BUILD=%s/b BINDIR=%s %s %s/lesson05", tmp, tmp,
                vars, tmp);
    cr_assert_eq(rc, 0, "make %s failed:\n%s", vars, out);
    return out;
}

/* The compilers named in the binary's .comment section. */
static bool built_by(const char *compiler)
{
    char *out;
    cr_assert_eq(sh(&out, "readelf -p .comment %s/lesson05", tmp), 0, "readelf");
    bool found = strstr(out, compiler) != NULL;
    free(out);
    return found;
}

Test(build, objects_are_rebuilt_when_the_compiler_or_its_flags_change)
{
    plain_build_only();
    make_tmp();
    char *out = make_lesson05("CC=gcc");
    cr_assert(strstr(out, "lessons/05-lock-race/lock_race.c"), "lesson 05 not compiled:\n%s", out);
    free(out);
    cr_assert(!built_by("clang"), "a gcc build names clang");

    char *has_clang;
    bool clang = sh(&has_clang, "command -v clang") == 0;
    free(has_clang);
    const char *cc = clang ? "CC=clang" : "CC=gcc";
    if (clang) {
        out = make_lesson05(cc);
        cr_assert(strstr(out, "common/proc.c") && strstr(out, "lock_race.c"),
                  "CC=clang after gcc did not recompile libkit and the lesson:\n%s", out);
        free(out);
        cr_assert(built_by("clang"), "CC=clang after a gcc build: the binary is still gcc's");
    }

    char vars[64];
    snprintf(vars, sizeof vars, "%s CFLAGS=-O1", cc);
    out = make_lesson05(vars);
    cr_assert(strstr(out, "-O1") && strstr(out, "common/proc.c") && strstr(out, "lock_race.c"),
              "CFLAGS=-O1 did not recompile libkit and the lesson:\n%s", out);
    free(out);

    out = make_lesson05(vars);   /* nothing changed: nothing is built again */
    cr_assert(strstr(out, " -c ") == NULL && strstr(out, "-o ") == NULL,
              "the same command twice built again:\n%s", out);
    free(out);
    remove_tmp();
}

/* Every file below dir that git does not track, one per line ("" if none),
 * and the empty directories. */
static char *untracked(const char *dir)
{
    char *out;
    int rc = sh(&out, "cd %s && { find . -type f | sed 's|^[.]/||' | sort | comm -13 tracked.list -; "
                "find . -mindepth 1 -type d -empty; } | grep -vx tracked.list", dir);
    cr_assert(rc == 0 || rc == 1, "listing %s:\n%s", dir, out);   /* grep: 1 when none */
    return out;
}

Test(build, make_clean_removes_every_generated_file)
{
    plain_build_only();
    char *out;
    if (sh(&out, "git ls-files --error-unmatch Makefile") != 0)
        cr_skip_test("not a git checkout: no list of tracked files to compare with");
    free(out);
    make_tmp();
    /* a copy of the tracked files, and their list */
    cr_assert_eq(sh(&out, "git ls-files -z | tar --null -T - -cf - | tar -xf - -C %s && "
                    "git ls-files | sort > %s/tracked.list", tmp, tmp), 0, "%s", out);
    free(out);
    char *before = untracked(tmp);
    cr_assert_str_empty(before, "the copy is not clean:\n%s", before);
    free(before);

    /* what a class and a teacher make: every program, the tests, a
     * benchmark run by hand (plots/data/) and by make plots QUICK=1
     * (plots/out/), a chart and a lesson's timeline when gnuplot is here */
    char *gnuplot;
    bool charts = sh(&gnuplot, "command -v gnuplot") == 0;
    free(gnuplot);
    cr_assert_eq(sh(&out, "cd %s && make all build/run-tests && build/bench/ipc -q -r 1 && "
                    "make QUICK=1 plots/out/quick/data/ipc.tsv %s", tmp,
                    charts ? "plots/out/quick/ipc-latency.png && "
                             "make TIMELINES=plots/timelines plots/timelines/timeline-01.svg" : ""),
                 0, "the build in the copy failed:\n%s", out);
    free(out);
    char *made = untracked(tmp);
    cr_assert(strstr(made, "build/") && strstr(made, "lesson05") && strstr(made, "plots/data/") &&
              strstr(made, "plots/out/quick/data/ipc.tsv"), "not all was made:\n%s", made);
    if (charts)
        cr_assert(strstr(made, "plots/out/quick/ipc-latency.png") &&
                  strstr(made, "plots/timelines/timeline-01.svg"), "no charts:\n%s", made);
    free(made);

    cr_assert_eq(sh(&out, "cd %s && make clean", tmp), 0, "make clean failed:\n%s", out);
    free(out);
    char *left = untracked(tmp);
    cr_assert_str_empty(left, "make clean left these behind:\n%s", left);
    free(left);
    remove_tmp();
}
