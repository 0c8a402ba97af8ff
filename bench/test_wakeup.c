/* test_wakeup.c - bench/wakeup writes a well-formed wakeup.tsv with every
 * mechanism, positive rates, and leaves no process behind. No speed is
 * asserted: a loaded machine may be slow, never wrong. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(bench_wakeup, .timeout = 120);

/* build/bench/wakeup, or MPKIT_BIN/bench/wakeup for the sanitizer build */
static const char *prog(void)
{
    static char path[256];
    const char *bin = getenv("MPKIT_BIN");
    bool top = bin == NULL || *bin == '\0' || strcmp(bin, ".") == 0;
    snprintf(path, sizeof path, "%sbench/wakeup", top ? "build/" : "");
    return path;
}

static const char *const kinds[] = {"spin", "futex", "sem_t", "condvar", "pipe",
                                    "py_semaphore", "py_event"};

Test(bench_wakeup, quick_run_writes_every_mechanism_with_positive_rates)
{
    char dir[] = "/tmp/mpkit-wakeup-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(prog(), 90, "--quick", "--out", dir);
    assert_run(r, 0);                  /* exit 0, no process and no /dev/shm name left */
    cr_assert(strstr(r.err, "[wakeup ") != NULL, "progress goes to stderr:\n%s", r.err);
    bool python = system("command -v python3 >/dev/null 2>&1") == 0;

    char path[128];
    snprintf(path, sizeof path, "%s/wakeup.tsv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s was not written", path);
    char line[1024];
    bool seen[7] = {false}, cores = false, cpu = false, load = false;
    while (fgets(line, sizeof line, f) != NULL) {
        cr_assert(strchr(line, '\n') != NULL, "unterminated line");
        if (line[0] == '#') {
            cores |= strncmp(line, "# cores: ", 9) == 0 && atoi(line + 9) >= 1;
            cpu |= strncmp(line, "# cpu: ", 7) == 0;
            load |= strncmp(line, "# load average: ", 16) == 0;
            continue;
        }
        char *save, *name = strtok_r(line, "\t\n", &save);
        int k = 0;
        while (k < 7 && strcmp(kinds[k], name) != 0)
            k++;
        cr_assert(k < 7 && !seen[k], "unknown or repeated row '%s'", name);
        seen[k] = true;
        cr_assert_not_null(strtok_r(NULL, "\t\n", &save), "%s: no label", name);
        int fields = 0, measured = 0;
        for (char *v; (v = strtok_r(NULL, "\t\n", &save)) != NULL; fields++) {
            if (strcmp(v, "?") == 0)
                continue;
            char *end;
            double rate = strtod(v, &end);
            cr_assert(*end == '\0' && rate > 0, "%s: bad rate '%s'", name, v);
            measured++;
        }
        cr_assert_eq(fields, 6, "%s: %d rate fields, expected 6", name, fields);
        /* C always measures one CPU (and two where there are two); Python when present */
        if (k < 5 || python)
            cr_assert(measured >= 3, "%s: only %d rates measured", name, measured);
    }
    fclose(f);
    cr_assert(cores && cpu && load, "the header lacks cores, cpu or load average");
    for (int k = 0; k < 7; k++)
        cr_assert(seen[k], "no row for %s", kinds[k]);
    run_free(&r);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(bench_wakeup, python_none_is_skipped_and_said)
{
    char dir[] = "/tmp/mpkit-wakeup-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct lesson_run r = RUN(prog(), 60, "--quick", "--python", "none", "-r", "5",
                              "-o", dir);
    assert_run(r, 0);
    cr_assert(strstr(r.out, "Python skipped: --python none"), "%s", r.out);
    run_free(&r);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
