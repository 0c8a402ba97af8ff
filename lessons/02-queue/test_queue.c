/* test_queue.c - lesson 02 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "run.h"

TestSuite(lesson02, .timeout = 60);

Test(lesson02, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick");
    assert_quick_pass(r, 17, 2.0);
    run_free(&r);
}

Test(lesson02, api_every_method_of_python_queue)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--api");
    assert_run(r, 0);
    static const char *const lines[] = {
        "ok   q.put(1); q.empty() -> False",
        "ok   q.put(2); q.full() -> False",
        "ok   q.put(3); q.full() -> True, q.qsize() -> 3",
        "ok   q.put_nowait(4) -> queue.Full, at once",
        "ok   q.put(4, timeout=0.05) -> queue.Full after ",
        "ok   q.get() x3 -> 1 2 3: first in, first out",
        "ok   q.get_nowait() -> queue.Empty; empty() -> True, qsize() -> 0",
        "ok   q.get(timeout=0.05) -> queue.Empty after ",
        "ok   q.close(); q.put(4) -> ValueError: queue is closed",
        "VERDICT: PASS - all 9 checks held",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_says(r, lines[i]);
    run_free(&r);
}

Test(lesson02, timeouts_wait_at_least_their_time)
{
    /* The paced run uses timeout=0.20: a timed wait never returns early,
     * so each "after N ms" is at least 190 (only a lower bound is safe). */
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
    assert_says(r, "ok   both results arrived: 1 and 3");
    run_free(&r);
}

Test(lesson02, get_blocks_until_the_producer_puts)
{
    /* paced: fun1 sleeps 1 s before its put, so fun2 blocks about that long */
    struct lesson_run r = RUN("lesson02", 10, "--prodcons");
    assert_run(r, 0);
    assert_says(r, "q.get(): nothing there yet, so I block");
    assert_says(r, "收到消息: {'a': 1, 'b': 2} (after waiting ");
    double ms;
    cr_assert(number_after(r.out, "(after waiting ", &ms));
    cr_assert(ms >= 900, "get() returned after %.0f ms, before the put", ms);
    assert_says(r, "ok   fun2 received exactly what fun1 sent");
    run_free(&r);
}

Test(lesson02, sentinel_workers_share_the_tasks_and_stop)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--sentinel", "-w", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] execute task: "), 13, "%s", r.out);  /* 12 + the Nones */
    assert_says(r, "execute task: None, 3 times");
    cr_assert_eq(count_of(r.out, "] finish task: "), 12, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] got None after "), 3, "%s", r.out);
    /* the workers' own counts add up to the 12 tasks */
    double sum = 0, k;
    for (const char *p = r.out; (p = strstr(p, "] got None after ")) != NULL; p++) {
        cr_assert(number_after(p, "got None after ", &k));
        sum += k;
    }
    cr_assert_eq(sum, 12, "%s", r.out);
    assert_says(r, "ok   every worker stopped at its None; each of the 12 tasks came back once");
    run_free(&r);
}

Test(lesson02, join_before_drain_deadlock_is_cut_by_the_watchdog)
{
    struct lesson_run r = RUN("lesson02", 10, "--quick", "--trap");
    assert_run(r, 0);
    assert_says(r, "ok   deadlock: after 0.2 s the child still waits in put()");
    assert_says(r, "ok   draining frees it: 10 results, then the child exited");
    assert_says(r, "ok   10 results in order, and join() returned at once");
    cr_assert_eq(count_of(r.out, "put all 10 results, exiting"), 2, "%s", r.out);
    run_free(&r);
}

/* The acceptance check: 100 stress runs in a row, not one failure. */
Test(lesson02, stress_100_runs_lose_and_duplicate_nothing, .timeout = 120)
{
    for (int i = 0; i < 100; i++) {
        struct lesson_run r = RUN("lesson02", 10, "--quick", "--stress", "-w", "4", "-n", "500");
        assert_run(r, 0);
        cr_assert(strstr(r.out, "2000 sent, 2000 received, 0 lost, 0 duplicated, 0 out of order, 0 garbled"),
                  "run %d:\n%s", i + 1, r.out);
        cr_assert_eq(count_of(r.out, " out of order\n"), 4, "run %d:\n%s", i + 1, r.out);
        run_free(&r);
    }
}

Test(lesson02, stress_default_quick_and_one_slot)
{
    struct lesson_run r = RUN("lesson02", 20, "--quick", "--stress", "-w", "4");
    assert_run(r, 0);
    assert_says(r, "8000 sent, 8000 received, 0 lost, 0 duplicated, 0 out of order, 0 garbled");
    run_free(&r);
    /* one slot: every message is a hand-over between two processes */
    r = RUN("lesson02", 20, "--quick", "--stress", "-w", "2", "-n", "3000", "--maxsize", "1");
    assert_run(r, 0);
    assert_says(r, "Queue(1) ==");
    assert_says(r, "6000 sent, 6000 received, 0 lost, 0 duplicated, 0 out of order, 0 garbled");
    run_free(&r);
}

Test(lesson02, stress_one_producer_reports_messages_per_second)
{
    struct lesson_run r = RUN("lesson02", 30, "--quick", "--stress", "-w", "1", "-n", "200000");
    assert_run(r, 0);
    assert_says(r, "200000 sent, 200000 received, 0 lost, 0 duplicated, 0 out of order, 0 garbled");
    /* "[parent 42] 2630000 messages/s (...)": the number before the unit */
    const char *unit = strstr(r.out, " messages/s ("), *p = unit;
    cr_assert(unit, "%s", r.out);
    while (p > r.out && p[-1] != ' ')
        p--;
    double rate = strtod(p, NULL);
    cr_assert(rate > 1000, "%.0f messages/s", rate);   /* a sanity bound, not a target */
    assert_says(r, "ok   every message arrived exactly once");
    run_free(&r);
}

/* Ctrl-C while children are blocked in the queue: nothing may be left. */
Test(lesson02, ctrl_c_leaves_no_process_behind)
{
    static const char *const when[][2] = {
        {"--prodcons", "nothing there yet, so I block"},
        {"--trap", "waiting at most 1.0 s"},
    };
    for (size_t i = 0; i < sizeof when / sizeof when[0]; i++) {
        struct lesson_run r = RUN_SIGNAL("lesson02", 10, SIGINT, when[i][1], when[i][0]);
        cr_assert(!r.timed_out, "%s", r.out);
        cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGINT, "%s", r.out);
        cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
        cr_assert_str_empty(r.shm_left);
        run_free(&r);
    }
}

/* `kill PID` reaches the parent alone: it must pass SIGTERM on to the child
 * blocked in put(), reap it, and only then die of the signal. */
Test(lesson02, sigterm_to_the_parent_alone_takes_its_child_along)
{
    struct lesson_run r = RUN_SIGNAL_MAIN("lesson02", 10, SIGTERM, "p.join() before q.get()",
                                          "--trap");
    cr_assert(!r.timed_out, "the parent did not end after SIGTERM:\n%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGTERM, "status 0x%x\n%s",
              r.status, r.out);
    cr_assert_eq(r.leftovers, 0, "%d child(ren) left behind", r.leftovers);
    run_free(&r);
}

Test(lesson02, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson02", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "1000000 sent, 1000000 received, 0 lost, 0 duplicated");
    assert_says(r, "VERDICT: PASS - all 17 checks held");
    run_free(&r);
}

Test(lesson02, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--api", "--results", "--prodcons", "--sentinel",
                                       "--trap", "--stress", "--maxsize N", "--workers N",
                                       "--count N", "--quick"};
    assert_help_lists("lesson02", opts);
}

Test(lesson02, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-x", NULL}, {"-w", "0"}, {"-w", "17"}, {"-w", "x"},
        {"-w", "-3"}, {"-n", "0"}, {"-n", "-5"}, {"-n", "5000001"},
        {"-n", "99999999999999999999"}, {"-n", "1e3"}, {"--maxsize", "0"},
        {"--maxsize", "65537"}, {"--maxsize", "two"}, {"--maxsize", NULL},
        {"--stress=1", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson02", bad);
}
