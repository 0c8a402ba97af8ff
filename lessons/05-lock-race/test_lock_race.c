/* test_lock_race.c - lesson 05's figures: the race only ever loses updates,
 * and every fix counts exactly. (--help, bad input, --quick, --list, columns
 * and Ctrl-C are covered for every lesson by the shared table in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson05, .timeout = 60);

Test(lesson05, lock_with_4_workers_counts_exactly_1000000)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--lock", "-w", "4", "-n", "250000");
    assert_run(r, 0);
    assert_says(r, "ok   counter = 1000000, expected 1000000 (4 x 250000): exact");
    assert_says(r, "VERDICT: PASS - the 1 check held");
    run_free(&r);
}

Test(lesson05, atomic_counts_exactly_and_workers_print_nothing)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--atomic", "-w", "3", "-n", "100000");
    assert_run(r, 0);
    assert_says(r, "ok   counter = 300000, expected 300000 (3 x 100000): exact");
    cr_assert_eq(count_of(r.out, "[process 1 "), 0, "workers print nothing in the loop");
    run_free(&r);
}

Test(lesson05, whole_loop_counts_exactly)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--whole-loop", "-w", "3", "-n", "1000");
    assert_run(r, 0);
    assert_says(r, "ok   counter = 3000, expected 3000 (3 x 1000): exact");
    run_free(&r);
}

/* Every run's line: lost <= increments; a run that retried says why, and the
 * overlap it reports is positive unless it gave up. Returns the most lost. */
static long check_race_lines(const char *out, int runs)
{
    long most = 0;
    for (int k = 1; k <= runs; k++) {
        char key[32];
        snprintf(key, sizeof key, "] run %d: lost ", k);
        const char *p = strstr(out, key);
        cr_assert(p, "no line '%s' in\n%s", key, out);
        long lost, all;
        double overlap;
        cr_assert_eq(sscanf(p + strlen(key), "%ld of %ld (%*f%%), loops overlapped %lf ms", &lost,
                            &all, &overlap), 3, "%.80s", p);
        cr_assert(lost >= 0 && lost <= all && all % 20000000 == 0, "%.80s", p);
        snprintf(key, sizeof key, "] run %d: no overlap in ", k);
        cr_assert(overlap > 0 || strstr(out, key), "%.80s", p);
        most = lost > most ? lost : most;
    }
    return most;
}

/* Whether this machine shows the race depends on its load; what the lesson
 * says about it must not. */
Test(lesson05, race_says_what_it_lost_and_how_long_the_loops_overlapped)
{
    struct lesson_run r = RUN("lesson05", 40, "--quick", "--no-lock", "--trials", "10",
                              "-n", "1000000");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken");
    assert_says(r, "2 processes x 10000000 increments (10 x -n), 10 runs");
    long most = check_race_lines(r.out, 10), min, max, total, all;
    const char *summary = strstr(r.out, "lost in 10 runs: ");
    if (most > 0) {
        cr_assert(summary, "%s", r.out);
        cr_assert_eq(sscanf(summary, "lost in 10 runs: min %ld, max %ld, total %ld of %ld", &min,
                            &max, &total, &all), 4);
        cr_assert(min <= max && max == most && total >= max && all >= 10 * 20000000, "%s",
                  summary);
        assert_says(r, "WARNING: every process did all its increments: the counter lost them");
    } else {
        cr_assert(summary == NULL);
        assert_says(r, "lost 0 in 10 runs: not shown this run");
    }
    /* a run whose loops did not overlap is run again, twice as long */
    if (strstr(r.out, "did not overlap"))
        assert_says(r, "ms apart): again with 2 x n");
    assert_says(r, "ok   the counter never went above the increments done");
    cr_assert_eq(count_of(r.out, "FAIL"), 0, "a race that did not show is no failure");
    run_free(&r);
}

Test(lesson05, bank_is_exact_with_the_lock)
{
    long expected = 2000;
    for (long i = 0; i < 2000000; i++)   /* --quick: 10 x 200000 each */
        expected += (i % 200 + 1) - (i % 180 + 1);
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--bank");
    assert_run(r, 0);
    char line[128];
    snprintf(line, sizeof line, "ok   with a lock: balance %ld, expected %ld", expected, expected);
    assert_says(r, line);
    cr_assert(strstr(r.out, "[deposit ") == NULL && strstr(r.out, "[withdraw ") == NULL);
    /* without the lock: wrong, said loudly, or right and said to be luck */
    snprintf(line, sizeof line, "no lock: balance %ld, expected %ld: the race is not shown",
             expected, expected);
    cr_assert(strstr(r.out, "WARNING: deliberately broken, no lock: balance ") || strstr(r.out, line),
              "%s", r.out);
    run_free(&r);
}

Test(lesson05, paced_default_run_has_five_checks)
{
    struct lesson_run r = RUN("lesson05", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "VERDICT: PASS - all 5 checks held");
    run_free(&r);
}
