/* test_queue.c - lesson 02's idea: the queue keeps what each line claims.
 * (--help, bad input, --list, --quick, Ctrl-C: the shared test in tests/.) */
#include <criterion/criterion.h>

#include <string.h>

#include "run.h"

TestSuite(lesson02, .timeout = 60);

Test(lesson02, api_is_first_in_first_out_and_times_out)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--api");
    assert_run(r, 0);
    assert_says(r, "ok   q.put(1); q.empty() -> False");
    assert_says(r, "ok   q.put(2); q.full() -> False");
    assert_says(r, "ok   q.put(3); q.full() -> True, q.qsize() -> 3");
    assert_says(r, "ok   q.put(4, timeout=0.05) -> queue.Full after ");
    assert_says(r, "ok   q.get() x3 -> 1 2 3: first in, first out");
    assert_says(r, "ok   q.get(timeout=0.05) -> queue.Empty after ");
    assert_says(r, "VERDICT: PASS - all 6 checks held");
    run_free(&r);
}

Test(lesson02, timeouts_wait_at_least_their_time)
{
    /* Paced: timeout=0.20. A timed wait never returns early, so each
     * "after N ms" is at least 190 (only a lower bound is safe under load). */
    struct lesson_run r = RUN("lesson02", 10, "--api");
    assert_run(r, 0);
    double ms;
    cr_assert(number_after(r.out, "timeout=0.20) -> queue.Full after ", &ms), "%s", r.out);
    cr_assert(ms >= 190, "put timed out after %.0f ms", ms);
    cr_assert(number_after(r.out, "timeout=0.20) -> queue.Empty after ", &ms), "%s", r.out);
    cr_assert(ms >= 190, "get timed out after %.0f ms", ms);
    run_free(&r);
}

Test(lesson02, results_come_back_through_the_queue)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--results");
    assert_run(r, 0);
    assert_says(r, "job(q, 1): q.put(1)");
    assert_says(r, "job(q, 3): q.put(3)");
    double a, b;
    cr_assert(number_after(r.out, "res1 = q.get() -> ", &a), "%s", r.out);
    cr_assert(number_after(r.out, "res2 = q.get() -> ", &b), "%s", r.out);
    cr_assert((a == 1 && b == 3) || (a == 3 && b == 1), "res1 %g, res2 %g", a, b);
    assert_says(r, "ok   both results arrived: 1 and 3");
    run_free(&r);
}

Test(lesson02, get_blocks_until_the_producer_puts)
{
    /* Paced: fun1 sleeps 1 s before its put, so fun2 sleeps at least that long. */
    struct lesson_run r = RUN("lesson02", 10, "--prodcons");
    assert_run(r, 0);
    assert_says(r, "q.get(): nothing there yet, so I block");
    assert_says(r, "收到消息: {'a': 1, 'b': 2} (after waiting ");
    double ms;
    cr_assert(number_after(r.out, "(after waiting ", &ms), "%s", r.out);
    cr_assert(ms >= 900, "get() returned after %.0f ms, before the put", ms);
    assert_says(r, "ok   fun2 received exactly what fun1 sent");
    run_free(&r);
}

/* The workers' own counts of tasks done must add up to the 12 tasks. */
static void assert_workers_share(int workers)
{
    char w[8];
    snprintf(w, sizeof w, "%d", workers);
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--sentinel", "-w", w);
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] execute task: "), 13, "%s", r.out);  /* 12 + the Nones */
    cr_assert_eq(count_of(r.out, "] finish task: "), 12, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] got None after "), (size_t)workers, "%s", r.out);
    double sum = 0, k;
    for (const char *p = r.out; (p = strstr(p, "] got None after ")) != NULL; p++) {
        cr_assert(number_after(p, "got None after ", &k));
        sum += k;
    }
    cr_assert_eq(sum, 12, "%s", r.out);
    assert_says(r, "ok   every worker stopped at its None; each of the 12 tasks came back once");
    run_free(&r);
}

Test(lesson02, sentinel_workers_share_the_tasks_and_stop)
{
    assert_workers_share(1);
    assert_workers_share(3);
    assert_workers_share(16);
}
