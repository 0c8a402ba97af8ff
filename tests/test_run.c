/* test_run.c - the lesson test helper must catch what it claims to catch. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

/* The helper runs MPKIT_BIN/NAME; point it at /bin to drive sh. */
static void use_bin(void) { setenv("MPKIT_BIN", "/bin", 1); }

TestSuite(run, .init = use_bin, .timeout = 20);

Test(run, captures_output_and_exit_code)
{
    struct lesson_run r = RUN("sh", 5, "-c", "echo out; echo err >&2; exit 3");
    assert_run(r, 3);
    cr_assert_str_eq(r.out, "out\n");
    cr_assert_str_eq(r.err, "err\n");
    run_free(&r);
}

Test(run, counts_an_orphan_left_running)
{
    struct lesson_run r = RUN("sh", 5, "-c", "sleep 30 & exit 0");
    cr_assert_eq(r.exit_code, 0);
    cr_assert_eq(r.leftovers, 1, "the background sleep is an orphan");
    cr_assert_eq(r.running, 1, "and it was still running");
    run_free(&r);
}

Test(run, counts_a_zombie_left_unreaped)
{
    /* sh forks "true", then becomes "sleep", which never waits for it. */
    struct lesson_run r = RUN("sh", 5, "-c", "true & exec sleep 0.3");
    cr_assert_eq(r.exit_code, 0);
    cr_assert_eq(r.leftovers, 1, "the unreaped child is a zombie");
    cr_assert_eq(r.running, 0, "a zombie is not running");
    run_free(&r);
}

Test(run, kills_a_run_past_its_limit)
{
    struct lesson_run r = RUN("sh", 0.3, "-c", "sleep 30");
    cr_assert(r.timed_out);
    cr_assert_eq(r.exit_code, -1);
    cr_assert(r.seconds < 5);
    run_free(&r);
}

Test(run, signals_the_group_when_the_marker_appears)
{
    /* The trap only runs if SIGINT arrives after "ready" and reaches sh. */
    struct lesson_run r = RUN_SIGNAL("sh", 5, SIGINT, "ready", "-c",
                                     "trap 'echo got INT; exit 7' INT; echo ready; "
                                     "while :; do sleep 0.01; done");
    assert_run(r, 7);
    cr_assert_str_eq(r.out, "ready\ngot INT\n");
    run_free(&r);
}

Test(run, bad_inputs_are_one_line_then_usage)
{
    static const char *const bad[][3] = {
        {"-c", "echo 'sh: bad option' >&2; echo 'usage: sh [-c]' >&2; exit 2", NULL},
        {"-c", "echo 'sh: bad number' >&2; printf 'usage: sh\\n  more\\n' >&2; exit 2", NULL},
    };
    assert_bad_inputs("sh", bad);
}

Test(run, finds_a_shm_object_left_behind)
{
    /* Names carry the creator's pid; sh's $$ is the pid the helper knows. */
    struct lesson_run r = RUN("sh", 5, "-c", "touch /dev/shm/mpkit-test-$$");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.shm_left, "mpkit-test-"), "found: '%s'", r.shm_left);
    run_free(&r);
}

Test(run, count_of_and_number_after)
{
    cr_assert_eq(count_of("a ok b ok c", "ok"), 2);
    cr_assert_eq(count_of("none", "ok"), 0);
    double v;
    cr_assert(number_after("lost 41327 of", "lost ", &v));
    cr_assert_float_eq(v, 41327, 0);
    cr_assert_not(number_after("nothing", "lost ", &v));
}
