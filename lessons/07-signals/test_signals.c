/* test_signals.c - lesson 07's claims, as the figures its lines report. The
 * shared table test (tests/) covers --help, bad input, --list, --quick,
 * columns and Ctrl-C at the first part. */
#include <criterion/criterion.h>

#include <signal.h>

#include "run.h"

TestSuite(lesson07, .timeout = 60);

Test(lesson07, sigterm_kills_ignored_sigterm_does_not_sigkill_does)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "--part", "1");
    assert_run(r, 0);
    assert_says(r, "ok   sigaction(SIGKILL) failed: EINVAL");
    assert_says(r, "SIGTERM): killed by signal 15 (SIGTERM)");
    assert_says(r, "s: it ignores it");
    assert_says(r, "SIGKILL): killed by signal 9 (SIGKILL)");
    cr_assert_eq(count_of(r.out, "ok   "), 4, "%s", r.out);
    run_free(&r);
}

Test(lesson07, sig_ign_survives_then_sig_dfl_kills)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "--ign-dfl");
    assert_run(r, 0);
    assert_says(r, "raised SIGALRM and SIGINT while both are SIG_IGN: still here");
    assert_says(r, "ok   with SIG_IGN the child lived through both signals");
    assert_says(r, "ok   with SIG_DFL the child killed by signal 14 (SIGALRM)");
    run_free(&r);
}

Test(lesson07, check_then_pause_loses_the_signal_sigsuspend_does_not)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "--sigsuspend");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken: check the flag, then pause()");
    assert_says(r, "the handler ran already (flag = 1)");
    double slept;    /* the watchdog is 5 units of 0.02 s; a timer never fires early */
    cr_assert(number_after(r.out, "ok   pause() slept ", &slept), "%s", r.out);
    cr_assert(slept >= 0.099, "pause() slept %.3f s", slept);
    assert_says(r, "ok   SIGUSR1 waited (handler runs: 0) until sigsuspend() took it");
    run_free(&r);
}

Test(lesson07, a_second_alarm_replaces_the_first)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "--alarm");
    assert_run(r, 0);
    assert_says(r, "ok   alarm(3) = 0, alarm(5) = 3 (left of the 3), alarm(0) = 5");
    double at;
    if (number_after(r.out, "ok   one SIGALRM, at ", &at))
        cr_assert(at > 6.9, "the alarm fired at %.2f units", at);   /* 2 + 5, never 3 */
    else
        assert_says(r, "not shown this run");   /* a stall of a unit before the second */
    run_free(&r);
}

Test(lesson07, notes_handler_refuses_every_sigint_and_never_quits)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "--ctrl-c", "-n", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "kill(0, SIGINT): what Ctrl-C does"), 2, "%s", r.out);
    cr_assert_eq(count_of(r.out, "SIGINT: 就不结束"), 2, "%s", r.out);
    assert_says(r, "ok   2 SIGINTs sent, the handler said 就不结束 2 time(s)");
    assert_says(r, "SIGALRM: 接收到时钟信号; my loop ends here");
    assert_says(r, "ok   it never quit on SIGINT: it exited with status 0");
    cr_assert_eq(count_of(r.out, "killed by signal 2 (SIGINT)"), 3, "%s", r.out);
    assert_says(r, "ok   the group got it: 3 of 3 helpers killed by SIGINT");
    run_free(&r);
}

/* --interactive with a real Ctrl-C: SIGINT to the lesson's whole process
 * group, as the terminal sends it. The lesson ignores it meanwhile, the
 * notes program refuses it, its helpers die of it; the alarm ends it. */
Test(lesson07, interactive_real_ctrl_c_reaches_the_whole_group)
{
    struct lesson_run r = RUN_SIGNAL("lesson07", 20, SIGINT, "press Ctrl-C", "--quick",
                                     "--interactive", "--patience", "1", "--part", "5");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "kill(0, SIGINT)"), 0, "the lesson sent no SIGINT itself");
    assert_says(r, "ok   you pressed Ctrl-C, the handler said 就不结束 1 time(s)");
    assert_says(r, "ok   it never quit on SIGINT: it exited with status 0");
    assert_says(r, "ok   the group got it: 2 of 2 helpers killed by SIGINT");
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

Test(lesson07, interactive_with_no_ctrl_c_fails_its_claims)
{
    struct lesson_run r = RUN("lesson07", 20, "--quick", "--interactive", "--patience", "1",
                              "--part", "5");
    assert_run(r, 1);
    assert_says(r, "FAIL you pressed Ctrl-C, the handler said 就不结束 0 time(s)");
    assert_says(r, "FAIL the group got it: 0 of 2 helpers killed by SIGINT");
    run_free(&r);
}
