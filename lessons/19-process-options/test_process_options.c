/* test_process_options.c - lesson 19's claims: kwargs arrive, a daemon child
 * ends with its main process, a non-daemon one goes on. (--help, bad input,
 * --list, --quick, Ctrl-C: the shared test in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson19, .timeout = 30);

Test(lesson19, kwargs_values_arrive_in_the_child)
{
    struct lesson_run r = RUN("lesson19", 10, "--quick", "--kwargs");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] I'm Daivl"), 3, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] I'm working..."), 3, "%s", r.out);
    assert_says(r, "[Worker ");   /* name="Worker": the child's role */
    assert_says(r, "ok   the child got sec = 2, name = 'Daivl', and said so 3 times");
    run_free(&r);
}

Test(lesson19, daemon_child_is_gone_after_main_exits)
{
    struct lesson_run r = RUN("lesson19", 10, "--quick", "--daemon");
    assert_run(r, 0);
    const char *exit_ = strstr(r.out, "] main process exit");
    cr_assert(exit_, "%s", r.out);
    cr_assert_null(strstr(exit_, "[tm "), "no tick after main's exit\n%s", r.out);
    assert_says(r, "ok   no clock left: EOF on the pipe only the clock held open");
    assert_says(r, "ok   daemon: clock killed by signal 15 (SIGTERM) at main's exit");
    run_free(&r);
}

Test(lesson19, non_daemon_child_runs_its_course)
{
    struct lesson_run r = RUN("lesson19", 10, "--quick", "--not-daemon");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "[tm "), 3, "%s", r.out);
    assert_says(r, "ok   not a daemon: the clock ticked 3 times and exited with status 0");
    assert_says(r, "ok   no clock left: EOF on the pipe only the clock held open");
    cr_assert(strstr(r.out, "came after 'main process exit'") || strstr(r.out, "not shown this run"),
              "%s", r.out);
    run_free(&r);
}
