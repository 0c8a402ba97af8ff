/* test_queue_load.c - lesson 13's idea: a full queue blocks put(); under
 * load every message still arrives exactly once, in order per producer.
 * (--help, bad input, --list, --quick, Ctrl-C: the shared test in tests/.) */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "run.h"

TestSuite(lesson13, .timeout = 120);

Test(lesson13, join_before_drain_deadlock_is_cut_by_the_watchdog)
{
    struct lesson_run r = RUN("lesson13", 10, "--quick", "--trap");
    assert_run(r, 0);
    assert_says(r, "ok   deadlock: after 0.2 s the child still waits in put() (qsize 4)");
    assert_says(r, "ok   draining frees it: 10 results, then the child exited");
    assert_says(r, "ok   10 results in order, then join() returned");
    cr_assert_eq(count_of(r.out, "put all 10 results, exiting"), 2, "%s", r.out);
    run_free(&r);
}

/* The consumers' own counts add up to what was sent. */
static void assert_stress(const char *workers, const char *count, const char *maxsize,
                          const char *summary, double sent)
{
    struct lesson_run r = RUN("lesson13", 30, "--quick", "--stress", "-w", workers, "-n", count,
                              "--maxsize", maxsize);
    assert_run(r, 0);
    assert_says(r, summary);
    cr_assert_eq(count_of(r.out, "] received "), (size_t)atoi(workers), "%s", r.out);
    double sum = 0, k;
    for (const char *p = r.out; (p = strstr(p, "] received ")) != NULL; p++) {
        cr_assert(number_after(p, "] received ", &k));
        sum += k;
    }
    cr_assert_eq(sum, sent, "%s", r.out);
    assert_says(r, "ok   every message arrived exactly once");
    assert_says(r, "ok   each producer's messages arrived in the order sent");
    run_free(&r);
}

/* The acceptance check: 100 stress runs in a row, not one failure. */
Test(lesson13, stress_100_runs_each_message_exactly_once_in_order)
{
    for (int i = 0; i < 100; i++)
        assert_stress("4", "500", "64",
                      "2000 sent, 2000 received, 0 lost, 0 duplicated, 0 out of order", 2000);
}

Test(lesson13, stress_one_slot_and_one_pair)
{
    /* one slot: every message is a hand-over between two processes */
    assert_stress("2", "3000", "1",
                  "6000 sent, 6000 received, 0 lost, 0 duplicated, 0 out of order", 6000);
    assert_stress("1", "20000", "64",
                  "20000 sent, 20000 received, 0 lost, 0 duplicated, 0 out of order", 20000);
}
