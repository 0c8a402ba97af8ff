/* test_lock_as_written.c - lesson 18: the notes' programs give the notes'
 * totals (or fewer, said), the lock serialises them, ten hellos one at a
 * time. (Help, bad input, --quick, columns, Ctrl-C: the shared table.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson18, .timeout = 60);

/* Each program's last total: exact (not shown) or short and warned about. */
static void check_total(const char *out, const char *name, long expected)
{
    const char *p = strstr(out, name);
    cr_assert(p, "no %s in\n%s", name, out);
    p = strstr(p, "v.value = ");
    long got, exp, lost;
    cr_assert_eq(sscanf(p, "v.value = %ld, expected %ld: %ld lost", &got, &exp, &lost), 3, "%.60s", p);
    cr_assert(exp == expected && got <= exp && lost == exp - got, "%.60s", p);
}

Test(lesson18, as_written_totals_are_the_notes_or_short_and_said)
{
    struct lesson_run r = RUN("lesson18", 20, "--quick", "--as-written");
    assert_run(r, 0);
    check_total(r.out, "note 000:", 20);
    check_total(r.out, "note 001 code4:", 1010);
    cr_assert_eq(count_of(r.out, "] process 1: "), 15, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] process 2: "), 15, "%s", r.out);
    cr_assert_eq(count_of(r.out, "not shown this run") + count_of(r.out, "WARNING: deliberately"),
                 2, "%s", r.out);
    assert_says(r, "405 twice, 910 at the end, not 1010");
    run_free(&r);
}

Test(lesson18, whole_loop_is_serialised_and_exact)
{
    struct lesson_run r = RUN("lesson18", 20, "--quick", "--whole-loop");
    assert_run(r, 0);
    assert_says(r, "ok   serialised: all 5 lines of process");
    assert_says(r, "ok   v.value = 20, expected 20");
    assert_says(r, "ok   serialised: all 10 lines of process");
    assert_says(r, "ok   v.value = 1010, expected 1010");
    /* code5's last line is 1010, whoever went first */
    const char *last = strstr(r.out, "note 001 code5");
    cr_assert(last && strstr(last, "] process 1: 1010\n") != NULL ? true
              : strstr(last, "] process 2: 1010\n") != NULL, "%s", r.out);
    run_free(&r);
}

Test(lesson18, ten_hellos_once_each_one_at_a_time)
{
    struct lesson_run r = RUN("lesson18", 20, "--quick", "--hello");
    assert_run(r, 0);
    for (int i = 0; i < 10; i++) {
        char line[32];
        snprintf(line, sizeof line, "] hello world %d\n", i);
        cr_assert_eq(count_of(r.out, line), 1, "%s", r.out);
    }
    assert_says(r, "ok   each of 0..9 said hello once (10 lines)");
    assert_says(r, "ok   at most 1 process held the lock at once");
    run_free(&r);
}
