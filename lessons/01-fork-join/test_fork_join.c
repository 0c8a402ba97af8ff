/* test_fork_join.c - lesson 01's idea: fork, join, exit status, zombies.
 * (--help, bad input, --list, --quick, Ctrl-C: the shared test in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson01, .timeout = 30);

static struct lesson_run quick_run(void) { return RUN("lesson01", 10, "--quick"); }

Test(lesson01, child_reports_its_parent_pid)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--part", "1");
    assert_run(r, 0);
    long parent = 0, child = 0, its_parent = 0, joined = 0;
    const char *p = strstr(r.out, "[parent ");
    cr_assert(p && sscanf(p, "[parent %ld]", &parent) == 1);
    p = strstr(r.out, "job(a=1, b=2): my pid ");
    cr_assert(p && sscanf(p, "job(a=1, b=2): my pid %ld, my parent %ld", &child, &its_parent) == 2);
    cr_assert_eq(its_parent, parent, "getppid() in the child is the parent's pid");
    cr_assert_neq(child, parent);
    p = strstr(r.out, "ok   Process-1 (pid ");
    cr_assert(p && sscanf(p, "ok   Process-1 (pid %ld) exited with status 0", &joined) == 1, "%s",
              r.out);
    cr_assert_eq(joined, child, "the pid fork() returned is the child's getpid()");
    run_free(&r);
}

Test(lesson01, clock_process_ticks_n_times_and_exits_0)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--subclass", "-n", "5");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] run(): tick "), 5, "%s", r.out);
    assert_says(r, "tick 5 of 5");
    assert_says(r, "exited with status 0");
    run_free(&r);
}

Test(lesson01, join_with_timeout_returns_while_alive)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--is-alive");
    assert_run(r, 0);
    assert_says(r, "is_alive() = True");
    /* the worker printed its third line before the parent saw it end */
    const char *third = strstr(r.out, "(3 of 3)"), *end = strstr(r.out, "ok   Worker (pid ");
    cr_assert(third && end && third < end, "%s", r.out);
    /* on a loaded machine the worker may end inside the timeout: then it says so */
    const char *early = strstr(r.out, "ok   join(0.06 s) returned after ");
    cr_assert(early || strstr(r.out, "not shown this run"), "%s", r.out);
    if (early) {
        double took;
        cr_assert(number_after(early, "returned after ", &took));
        cr_assert_geq(took, 0.06, "join(timeout) never returns before its time");
        cr_assert(early < third, "join returned while the worker still had work to do");
    }
    run_free(&r);
}

Test(lesson01, chores_are_all_reaped_and_finish_shortest_first)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--chores", "-w", "6");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] reaped "), 6, "%s", r.out);
    assert_says(r, "ok   6 of 6 chores reaped, each exited with status 0");
    if (strstr(r.out, "not shown this run") == NULL) {
        const char *sleep_ = strstr(r.out, "reaped sleep"), *eat = strstr(r.out, "reaped eat"),
                   *play = strstr(r.out, "reaped play");
        cr_assert(sleep_ && eat && play && sleep_ < eat && eat < play,
                  "order as in the notes: 睡觉, 吃饭, 打豆豆\n%s", r.out);
    }
    run_free(&r);
}

Test(lesson01, exit_status_and_terminate_are_decoded)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--exit-status");
    assert_run(r, 0);
    assert_says(r, "ok   exit-3 (pid ");
    assert_says(r, ") exited with status 3");
    assert_says(r, "ok   sleeper killed by signal 15 (SIGTERM)");
    run_free(&r);
}

Test(lesson01, child_change_to_global_is_invisible_to_parent)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--copy");
    assert_run(r, 0);
    assert_says(r, "child: a = 10000");
    assert_says(r, "ok   parent: a = 1 after");
    run_free(&r);
}

Test(lesson01, zombie_is_seen_then_reaped)
{
    struct lesson_run r = RUN("lesson01", 10, "--quick", "--zombie");
    assert_run(r, 0);
    assert_says(r, "says state 'Z' (Z = zombie)");
    assert_says(r, "kill(pid, 0) = 0");
    assert_says(r, "is gone after reaping");
    run_free(&r);
}

/* Every part in one run: 12 checks; four joins name the pid and status 0. */
Test(lesson01, every_claim_holds)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "VERDICT: PASS - all 12 checks held");
    cr_assert_eq(count_of(r.out, ") exited with status 0"), 4, "%s", r.out);
    cr_assert_eq(count_of(r.out, "FAIL"), 0, "%s", r.out);
    run_free(&r);
}
