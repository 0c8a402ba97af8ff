/* test_signals.c - lesson 07 keeps every claim it prints, with no terminal
 * attached, and a real Ctrl-C (SIGINT to its whole process group) is handled. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "run.h"

TestSuite(lesson07, .timeout = 60);

static struct lesson_run quick_run(void) { return RUN("lesson07", 10, "--quick"); }

Test(lesson07, quick_run_passes_fast_with_no_terminal_and_leaves_nothing)
{
    struct lesson_run r = quick_run();      /* stdin is /dev/null, stdout a pipe */
    assert_quick_pass(r, 16, 2.0);
    run_free(&r);
}

Test(lesson07, sigterm_ends_a_child_and_sigkill_cannot_be_caught)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "SIGTERM): the child killed by signal 15 (SIGTERM)");
    assert_says(r, "sigaction(SIGKILL) failed: EINVAL");
    assert_says(r, "SIGTERM): still alive after");
    assert_says(r, "SIGKILL): the child killed by signal 9 (SIGKILL); it could not catch it");
    run_free(&r);
}

Test(lesson07, sig_ign_then_sig_dfl_switch)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "raised SIGALRM and SIGINT while both are SIG_IGN: still here");
    assert_says(r, "ok   with SIG_IGN the child lived through both signals");
    assert_says(r, "ok   with SIG_DFL the child killed by signal 14 (SIGALRM)");
    run_free(&r);
}

Test(lesson07, check_then_pause_loses_the_signal_sigsuspend_does_not)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken: check the flag, then pause()");
    assert_says(r, "the handler ran already (flag = 1)");
    assert_says(r, "until the watchdog's SIGALRM: the SIGUSR1 it waited for was lost");
    assert_says(r, "ok   SIGUSR1 waited, pending (sigpending: yes); sigsuspend() took it");
    run_free(&r);
}

Test(lesson07, a_second_alarm_replaces_the_first)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "alarm(3) = 0, alarm(5) = 3 (what was left of the 3), alarm(0) = 5");
    assert_says(r, "ok   alarm() returned 0, 3, 5");
    double at;
    cr_assert(number_after(r.out, "ok   one SIGALRM, at ", &at), "%s", r.out);
    /* timers never fire early: at 2 + 5 units or later, never at 3 */
    cr_assert(at > 6.9, "the alarm fired at %.2f units", at);
    assert_says(r, "none at 3; no timer left");
    run_free(&r);
}

static void check_burst(const char *n)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "-w", n);
    assert_run(r, 0);
    char line[128];
    snprintf(line, sizeof line, "ok   the waitpid(-1, WNOHANG) loop reaped %s of %s", n, n);
    assert_says(r, line);
    double ran;
    snprintf(line, sizeof line, "ok   %s children exited, the handler ran ", n);
    cr_assert(number_after(r.out, line, &ran), "%s", r.out);
    cr_assert(ran >= 1 && ran < atof(n), "the handler ran %.0f times for %s children", ran, n);
    run_free(&r);
}

Test(lesson07, sigchld_burst_of_12_merges_and_all_are_reaped) { check_burst("12"); }
Test(lesson07, sigchld_burst_of_64_merges_and_all_are_reaped) { check_burst("64"); }

Test(lesson07, eintr_without_sa_restart_and_restart_with_it)
{
    struct lesson_run r = quick_run();
    assert_run(r, 0);
    assert_says(r, "errno = EINTR: the handler ran, waitpid() gave up");
    assert_says(r, "and SA_RESTART restarted waitpid()");
    assert_says(r, "ok   without SA_RESTART waitpid() failed with EINTR");
    assert_says(r, "ok   with SA_RESTART the kernel restarted waitpid()");
    run_free(&r);
}

Test(lesson07, self_driven_ctrl_c_refuses_then_quits_and_reaches_the_group)
{
    struct lesson_run r = RUN("lesson07", 10, "--quick", "-n", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "kill(0, SIGINT): what Ctrl-C does"), 2, "%s", r.out);
    assert_says(r, "SIGINT: 就不结束");
    cr_assert_eq(count_of(r.out, "killed by signal 2 (SIGINT)"), 3 + 1, "%s", r.out);
    assert_says(r, "ok   it reached the whole group: 3 of 3 helpers killed by SIGINT");
    assert_says(r, "the notes program killed by signal 2 (SIGINT)");
    assert_says(r, "ok   the second SIGINT ended it, by SIGINT");
    run_free(&r);
}

/* --interactive with a real Ctrl-C: SIGINT to the lesson's whole process
 * group, as the terminal sends it. The lesson ignores it meanwhile, the
 * notes program refuses it, its helpers die of it. Only one comes, so the
 * notes program gives up waiting for the second after --patience. */
Test(lesson07, interactive_real_ctrl_c_reaches_the_whole_group)
{
    struct lesson_run r = RUN_SIGNAL("lesson07", 20, SIGINT, "press Ctrl-C", "--quick",
                                     "--interactive", "--patience", "1");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "kill(0, SIGINT)"), 0, "the lesson sent no SIGINT itself");
    assert_says(r, "SIGINT: 就不结束");
    assert_says(r, "ok   it reached the whole group: 2 of 2 helpers killed by SIGINT");
    assert_says(r, "no Ctrl-C within 1 s");
    assert_says(r, "no second Ctrl-C: it gave up waiting and exited");
    assert_says(r, "VERDICT: PASS - all 15 checks held");
    run_free(&r);
}

Test(lesson07, interactive_with_no_ctrl_c_gives_up_and_fails)
{
    struct lesson_run r = RUN("lesson07", 20, "--quick", "--interactive", "--patience", "1");
    assert_run(r, 1);
    assert_says(r, "press Ctrl-C (within 1 s)");
    assert_says(r, "no Ctrl-C within 1 s");
    assert_says(r, "FAIL the first SIGINT ran the handler");
    cr_assert(strstr(r.out, "no second Ctrl-C") == NULL, "%s", r.out);
    run_free(&r);
}

/* A real Ctrl-C in the middle of the default run: the part in progress
 * finishes and reaps its children, then the lesson ends by SIGINT. */
Test(lesson07, real_ctrl_c_mid_run_stops_cleanly_by_sigint)
{
    struct lesson_run r = RUN_SIGNAL("lesson07", 20, SIGINT, "== 2.", NULL);
    cr_assert(!r.timed_out, "%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGINT, "status 0x%x\n%s",
              (unsigned)r.status, r.out);
    cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
    assert_says(r, "Ctrl-C: stopping here; every child is reaped");
    cr_assert(strstr(r.out, "VERDICT") == NULL && strstr(r.out, "== 7.") == NULL, "%s", r.out);
    cr_assert(r.seconds < 8.0, "took %.1f s to stop", r.seconds);
    run_free(&r);
}

/* The mechanism itself: a blocked standard signal sent five times is
 * delivered once. */
static volatile sig_atomic_t usr2;
static void on_usr2(int sig) { (void)sig; usr2++; }

Test(lesson07, blocked_standard_signals_do_not_queue)
{
    struct sigaction sa = {.sa_handler = on_usr2};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR2, &sa, NULL), 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &old), 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(raise(SIGUSR2), 0);
    cr_assert_eq(usr2, 0, "blocked: not delivered yet");
    cr_assert_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);   /* delivered here */
    cr_assert_eq(usr2, 1, "five sent, %d delivered", (int)usr2);
}

Test(lesson07, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson07", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "VERDICT: PASS - all 16 checks held");
    run_free(&r);
}

Test(lesson07, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--interactive", "--patience SEC", "--quick",
                                       "--workers N", "--count N"};
    assert_help_lists("lesson07", opts);
}

Test(lesson07, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "abc"}, {"-w", "1"}, {"-w", "0"}, {"-w", "-3"},
        {"-w", "65"}, {"-n", "0"}, {"-n", "9"}, {"-n", "99999999999999999999"},
        {"--patience", "0"}, {"--patience", "601"}, {"--patience", "2x"}, {"--patience", NULL},
        {"--interactive=1", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson07", bad);
}
