/* test_fork_join.c - lesson 01 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson01, .timeout = 30);

static struct lesson_run quick_run(void) { return RUN("lesson01", 10, "--quick"); }

Test(lesson01, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = quick_run();
    assert_quick_pass(r, 11, 1.0);
    run_free(&r);
}

Test(lesson01, child_reports_its_parent_pid)
{
    struct lesson_run r = quick_run();
    long parent = 0, child = 0, its_parent = 0;
    const char *p = strstr(r.out, "[parent ");
    cr_assert(p && sscanf(p, "[parent %ld]", &parent) == 1);
    p = strstr(r.out, "job(a=1, b=2): my pid ");
    cr_assert(p && sscanf(p, "job(a=1, b=2): my pid %ld, my parent %ld", &child, &its_parent) == 2);
    cr_assert_eq(its_parent, parent, "getppid() in the child is the parent's pid");
    cr_assert_neq(child, parent);
    run_free(&r);
}

Test(lesson01, join_with_timeout_returns_while_alive)
{
    struct lesson_run r = quick_run();
    assert_says(r, "is_alive() = True");
    assert_says(r, "ok   join(");
    cr_assert(strstr(r.out, "returned while the worker is still alive"));
    cr_assert(strstr(r.out, "ok   join() waited for the end: is_alive() = False"));
    /* the worker printed its third line before the parent saw it end */
    const char *third = strstr(r.out, "(3 of 3)"), *end = strstr(r.out, "waited for the end");
    cr_assert(third && end && third < end);
    run_free(&r);
}

Test(lesson01, chores_finish_shortest_first)
{
    struct lesson_run r = quick_run();
    const char *sleep_ = strstr(r.out, "reaped sleep"), *eat = strstr(r.out, "reaped eat"),
               *play = strstr(r.out, "reaped play");
    cr_assert(sleep_ && eat && play, "%s", r.out);
    cr_assert(sleep_ < eat && eat < play, "order as in the notes: 睡觉, 吃饭, 打豆豆");
    run_free(&r);
}

Test(lesson01, more_workers_are_all_reaped_in_order)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "-w", "6", "-n", "5");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] reaped "), 6, "%s", r.out);
    cr_assert(strstr(r.out, "ok   they finished shortest first"));
    cr_assert(strstr(r.out, "tick 5 of 5"));
    run_free(&r);
}

Test(lesson01, exit_status_and_terminate_are_decoded)
{
    struct lesson_run r = quick_run();
    assert_says(r, "ok   exit-3 exited with status 3");
    assert_says(r, "ok   sleeper killed by signal 15 (SIGTERM)");
    run_free(&r);
}

Test(lesson01, child_change_to_global_is_invisible_to_parent)
{
    struct lesson_run r = quick_run();
    assert_says(r, "child: a = 10000");
    assert_says(r, "ok   parent: a = 1 after");
    run_free(&r);
}

Test(lesson01, zombie_is_seen_then_reaped)
{
    struct lesson_run r = quick_run();
    assert_says(r, "says state 'Z' (Z = zombie)");
    assert_says(r, "kill(pid, 0) = 0");
    assert_says(r, "is gone after reaping");
    run_free(&r);
}

Test(lesson01, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson01", 15, NULL);
    assert_paced_run(r);
    run_free(&r);
}

Test(lesson01, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--quick", "--workers N", "--count N"};
    assert_help_lists("lesson01", opts);
}

Test(lesson01, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "abc"}, {"-w", "0"}, {"-w", "-2"}, {"-w", "9"},
        {"-n", "99999999999999999999"}, {"-n", "5x"}, {"stray", NULL},
    };
    assert_bad_inputs("lesson01", bad);
}
