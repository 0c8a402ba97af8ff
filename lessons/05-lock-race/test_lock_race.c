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

Test(lesson05, whole_loop_output_is_serialised_as_in_the_notes)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--part", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] process 1: "), 10, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] process 2: "), 10, "%s", r.out);
    /* all ten lines of one process, then all ten of the other */
    const char *first1 = strstr(r.out, "] process 1: "), *first2 = strstr(r.out, "] process 2: ");
    const char *last1 = first1, *last2 = first2, *p;
    for (p = first1; (p = strstr(p + 1, "] process 1: ")) != NULL;)
        last1 = p;
    for (p = first2; (p = strstr(p + 1, "] process 2: ")) != NULL;)
        last2 = p;
    cr_assert(last1 < first2 || last2 < first1, "lines interleaved:\n%s", r.out);
    /* process 1 adds 1, process 2 adds 100: the last line says 1010 */
    cr_assert(strstr(last1 > last2 ? last1 : last2, ": 1010\n"), "%s", r.out);
    assert_says(r, "ok   the output is serialised");
    assert_says(r, "ok   counter = 1010, expected 1010");
    run_free(&r);
}

/* Every "run k" line: lost = expected - counter, never negative. Returns
 * the most lost in one run. */
static long check_race_lines(const char *out, int runs, long expected)
{
    long most = 0;
    const char *p = out;
    for (int k = 1; k <= runs; k++) {
        char key[32];
        snprintf(key, sizeof key, "] run %d: counter = ", k);
        p = strstr(p, key);
        cr_assert(p, "no line '%s' in\n%s", key, out);
        long got, exp, lost;
        cr_assert_eq(sscanf(p + strlen(key), "%ld, expected %ld: lost %ld", &got, &exp, &lost), 3,
                     "%.80s", p);
        cr_assert_eq(exp, expected, "%.80s", p);
        cr_assert_eq(expected - got, lost, "%.80s", p);
        cr_assert(lost >= 0, "%.80s", p);
        most = lost > most ? lost : most;
    }
    return most;
}

/* Whether this machine shows the race depends on its load; what the lesson
 * says about it must not. */
Test(lesson05, race_says_what_it_lost_or_that_it_did_not_show)
{
    struct lesson_run r = RUN("lesson05", 40, "--quick", "--no-lock", "--trials", "10",
                              "-n", "1000000");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken");
    assert_says(r, "2 processes x 10000000 increments (10 x -n), 10 runs");
    long most = check_race_lines(r.out, 10, 20000000), min, max, total;
    const char *summary = strstr(r.out, "lost in 10 runs: ");
    if (most > 0) {
        cr_assert(summary, "%s", r.out);
        cr_assert_eq(sscanf(summary, "lost in 10 runs: min %ld, max %ld, total %ld", &min, &max,
                            &total), 3);
        cr_assert(min <= max && max == most && total >= max, "%s", summary);
        assert_says(r, "WARNING: every process did its 10000000 increments: the counter lost them");
        cr_assert(strstr(r.out, "not shown this run") == NULL);
    } else {
        cr_assert(summary == NULL);
        assert_says(r, "lost 0 in 10 runs: not shown this run");
    }
    assert_says(r, "ok   the counter never went above 20000000");
    cr_assert_eq(count_of(r.out, "FAIL"), 0, "a race that did not show is no failure");
    run_free(&r);
}

Test(lesson05, race_with_one_worker_loses_nothing_and_says_so)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--no-lock", "-w", "1", "--trials", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "counter = 2000000, expected 2000000: lost 0 (0.0%)"), 3, "%s",
                 r.out);
    assert_says(r, "lost 0 in 3 runs: not shown this run");
    cr_assert(strstr(r.out, "WARNING: every process") == NULL, "%s", r.out);
    cr_assert(strstr(r.out, "== 2.") == NULL, "--no-lock runs only the race");
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
    snprintf(line, sizeof line, "ok   with the lock: balance %ld, expected %ld", expected, expected);
    assert_says(r, line);
    cr_assert(strstr(r.out, "[deposit ") == NULL && strstr(r.out, "[withdraw ") == NULL);
    /* without the lock: wrong, said loudly, or right and said to be luck */
    snprintf(line, sizeof line, "no lock: balance %ld, expected %ld: the race is not shown",
             expected, expected);
    cr_assert(strstr(r.out, "WARNING: deliberately broken, no lock: balance ") || strstr(r.out, line),
              "%s", r.out);
    run_free(&r);
}

Test(lesson05, paced_default_run_has_six_checks)
{
    struct lesson_run r = RUN("lesson05", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "VERDICT: PASS - all 6 checks held");
    run_free(&r);
}
