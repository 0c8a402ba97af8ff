/* test_manager.c - lesson 15's figures: the manager's list holds every result
 * exactly once, the queue never holds more than its maxsize, and the same
 * appends through shared memory and through the manager are all counted.
 * (--help, bad input, --list, --quick, columns and Ctrl-C: the shared table in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson15, .timeout = 60);

/* Every task 1..n finished exactly once, and no qsize above maxsize. */
static void assert_tasks(const char *out, int n, int maxsize)
{
    for (int v = 1; v <= n; v++) {
        char key[48];
        snprintf(key, sizeof key, "] finish task: %d (", v);
        cr_assert_eq(count_of(out, key), 1, "task %d:\n%s", v, out);
        snprintf(key, sizeof key, "] execute task: %d\n", v);
        cr_assert_eq(count_of(out, key), 1, "put %d:\n%s", v, out);
    }
    for (const char *p = out; (p = strstr(p, "in_queue.qsize() = ")) != NULL; p++) {
        int q = -1;
        cr_assert_eq(sscanf(p, "in_queue.qsize() = %d", &q), 1);
        cr_assert(q >= 0 && q <= maxsize, "qsize %d > %d:\n%s", q, maxsize, out);
    }
}

Test(lesson15, notes_program_12_tasks_4_workers_each_result_once)
{
    struct lesson_run r = RUN("lesson15", 20, "--quick", "--notes");
    assert_run(r, 0);
    assert_tasks(r.out, 12, 4);
    cr_assert_eq(count_of(r.out, "] execute task: None\n"), 4, "one None per worker");
    assert_says(r, "ok   the list: len 12, 12 of 1..12 exactly once");
    assert_says(r, "VERDICT: PASS - the 1 check held");
    run_free(&r);
}

Test(lesson15, one_worker_queue_of_one_and_many_tasks)
{
    struct lesson_run r = RUN("lesson15", 20, "--quick", "--notes", "-w", "1", "-n", "60");
    assert_run(r, 0);
    assert_tasks(r.out, 60, 1);
    cr_assert_eq(count_of(r.out, "[worker 1 "), 60, "%s", r.out);
    assert_says(r, "ok   the list: len 60, 60 of 1..60 exactly once");
    run_free(&r);
}

Test(lesson15, sixteen_workers)
{
    struct lesson_run r = RUN("lesson15", 30, "--quick", "--notes", "-w", "16", "-n", "100");
    assert_run(r, 0);
    assert_tasks(r.out, 100, 16);
    cr_assert_eq(count_of(r.out, "] execute task: None\n"), 16);
    assert_says(r, "ok   the list: len 100, 100 of 1..100 exactly once");
    run_free(&r);
}

Test(lesson15, compare_counts_every_append_and_gives_a_ratio)
{
    struct lesson_run r = RUN("lesson15", 30, "--quick", "--compare", "-w", "3", "--appends", "500");
    assert_run(r, 0);
    assert_says(r, "ok   shared memory + a lock: 1500 appends, len 1500");
    assert_says(r, "ok   the Manager: 1500 appends, len(results) = 1500");
    double ratio = 0;
    cr_assert(number_after(r.out, "the Manager took ", &ratio), "%s", r.out);
    cr_assert(ratio >= 0, "%s", r.out);     /* a figure, not a check: only that it is there */
    assert_says(r, "VERDICT: PASS - all 2 checks held");
    run_free(&r);
}

Test(lesson15, paced_default_run)
{
    struct lesson_run r = RUN("lesson15", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}
