/* test_sigchld.c - lesson 12's claims, as the figures its lines report. The
 * shared table test (tests/) covers --help, bad input, --list, --quick,
 * columns and Ctrl-C at the first part. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>

#include "run.h"

TestSuite(lesson12, .timeout = 60);

/* Every child has exited before SIGCHLD is unblocked: one pending bit, one
 * handler run, whatever the load. */
static void check_blocked_burst(int n)
{
    char w[8], line[128];
    snprintf(w, sizeof w, "%d", n);
    struct lesson_run r = RUN("lesson12", 10, "--quick", "-w", w, "--part", "1", "--part", "2");
    assert_run(r, 0);
    snprintf(line, sizeof line, "ok   %d children exited: the handler ran 1 time(s), reaped 1", n);
    assert_says(r, line);
    snprintf(line, sizeof line, "ok   %d zombies left behind for main's own loop", n - 1);
    assert_says(r, line);
    snprintf(line, sizeof line, "ok   %d exited: the handler ran 1 time(s); its waitpid loop "
             "reaped %d", n, n);
    assert_says(r, line);
    assert_says(r, "ok   0 zombies left");
    run_free(&r);
}

Test(lesson12, burst_of_12_one_signal_one_zombie_reaped_or_all) { check_blocked_burst(12); }
Test(lesson12, burst_of_64_one_signal_one_zombie_reaped_or_all) { check_blocked_burst(64); }

/* Unblocked: the handler runs 1 to 64 times, and its loop reaps all 64. */
Test(lesson12, live_burst_of_64_is_reaped_however_many_signals_come)
{
    struct lesson_run r = RUN("lesson12", 10, "--quick", "-w", "64", "--live");
    assert_run(r, 0);
    double runs;
    cr_assert(number_after(r.out, "ok   64 children exited, the handler ran ", &runs), "%s", r.out);
    cr_assert(runs >= 1 && runs <= 64, "the handler ran %.0f times", runs);
    assert_says(r, "time(s) and reaped all 64");
    run_free(&r);
}

/* Unit 0.15 s (no --quick): the alarm misses the blocked call only if the
 * parent stalls for 0.3 s, three times over. */
Test(lesson12, eintr_without_sa_restart_none_with_it)
{
    struct lesson_run r = RUN("lesson12", 20, "--eintr");
    assert_run(r, 0);
    assert_says(r, "waitpid() = -1 with EINTR after");
    assert_says(r, "ok   without SA_RESTART waitpid() failed with EINTR");
    assert_says(r, "s), waitpid() restarted");
    assert_says(r, "ok   with SA_RESTART no EINTR: the kernel restarted waitpid()");
    cr_assert_eq(count_of(r.out, "with EINTR after"), 1, "%s", r.out);   /* none with it */
    run_free(&r);
}

/* The mechanism itself: a blocked standard signal sent five times is
 * delivered once; a real-time signal queues all five. */
static volatile sig_atomic_t delivered[2];
static void on_usr2(int sig) { delivered[sig != SIGUSR2]++; }

Test(lesson12, standard_signals_merge_real_time_signals_queue)
{
    struct sigaction sa = {.sa_handler = on_usr2};
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR2, &sa, NULL), 0);
    cr_assert_eq(sigaction(SIGRTMIN, &sa, NULL), 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &old), 0);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(raise(SIGUSR2), 0);
        cr_assert_eq(raise(SIGRTMIN), 0);
    }
    cr_assert_eq(delivered[0] + delivered[1], 0, "blocked: not delivered yet");
    cr_assert_eq(sigprocmask(SIG_SETMASK, &old, NULL), 0);   /* delivered here */
    cr_assert_eq(delivered[0], 1, "SIGUSR2: five sent, %d delivered", (int)delivered[0]);
    cr_assert_eq(delivered[1], 5, "SIGRTMIN: five sent, %d delivered", (int)delivered[1]);
}

/* kill -l: the table names SIGINT, SIGKILL and SIGTERM by their numbers. */
Test(lesson12, kill_l_lists_every_standard_signal)
{
    struct lesson_run r = RUN("lesson12", 10, "--quick", "--kill-l");
    assert_run(r, 0);
    assert_says(r, "  2 SIGINT    Interrupt ");
    assert_says(r, "  9 SIGKILL   Killed ");
    assert_says(r, " 15 SIGTERM   Terminated ");
    assert_says(r, " 34 SIGRTMIN  Real-time signal 0");
    assert_says(r, "ok   31 signals: number, name, text; real-time: 34..64");
    run_free(&r);
}
