/* test_big_numbers.c - lesson 17: note 001's job gives the notes' digit counts exactly,
 * through map() and apply_async(), in input order, on any number of workers.
 * (--help, bad input, --list, --quick, signals: tests/.) Builds without GMP: it runs
 * ./lesson17 from outside, and skips when that binary was not built (no gmp.h). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(lesson17, .timeout = 120);

static void skip_without_binary(void)
{
    const char *bin = getenv("MPKIT_BIN");
    char path[256];
    snprintf(path, sizeof path, "%s/lesson17", bin && *bin ? bin : ".");
    if (access(path, X_OK) != 0)
        cr_skip_test("%s not built (GMP missing: make deps)", path);
}

static const char *const full[2] = {"[236125, 294538, 337000, 370393, 397922,",
                                    " 421345, 441729, 459774, 475963, 490642]"};

/* The whole list, both parts, as the notes print it: -w 1, 2 and 3 (3 does not divide 10) */
Test(lesson17, the_notes_list_exactly_in_input_order_on_1_2_and_3_workers)
{
    skip_without_binary();
    static const char *const workers[] = {"1", "2", "3"};
    for (size_t w = 0; w < 3; w++) {
        struct lesson_run r = RUN("lesson17", 100, "-w", workers[w]);
        assert_run(r, 0);
        cr_assert_eq(count_of(r.out, full[0]), 2, "map and apply: first half\n%s", r.out);
        cr_assert_eq(count_of(r.out, full[1]), 2, "map and apply: second half\n%s", r.out);
        assert_says(r, "-- job(1)的结果是： 236125");
        assert_says(r, "job(1)的结果是: 236125");
        assert_says(r, "ok   pool.map(): 10 of 10 digit counts exactly the notes'");
        assert_says(r, "ok   res.get() each: 10 of 10 digit counts exactly the notes'");
        assert_says(r, "ok   apply_async(job, (1,)).get() = 236125, the notes' 236125");
        /* every job ran exactly once in a worker: 10 for map, 11 for apply */
        cr_assert_eq(count_of(r.out, "] job(1) = 236125 digits"), 3, "%s", r.out);
        cr_assert_eq(count_of(r.out, "] job(10) = 490642 digits"), 2, "%s", r.out);
        cr_assert_eq(count_of(r.out, " digits\n"), 21, "%s", r.out);
        assert_says(r, "VERDICT: PASS - all 5 checks held");
        run_free(&r);
    }
}

/* --quick: the shorter list, x in (1, 2), still checked digit for digit */
Test(lesson17, quick_runs_the_first_two_exactly)
{
    skip_without_binary();
    struct lesson_run r = RUN("lesson17", 60, "--quick", "-w", "2");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "[236125, 294538]"), 2, "%s", r.out);
    assert_says(r, "ok   pool.map(): 2 of 2 digit counts exactly the notes'");
    cr_assert_eq(count_of(r.out, " digits\n"), 5, "%s", r.out);
    run_free(&r);
}
