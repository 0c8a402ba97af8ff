/* test_event.c - lesson 09 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson09, .timeout = 60);

Test(lesson09, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick");
    assert_quick_pass(r, 10, 3.0);
    run_free(&r);
}

Test(lesson09, set_before_wait_returns_at_once_and_clear_blocks_again)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick", "--basics");
    assert_run(r, 0);
    assert_says(r, "ok   e.set(); e.is_set() = True");
    assert_says(r, "ok   e.wait(3) = True after ");
    assert_says(r, "ok   e.clear(); e.is_set() = False");
    assert_says(r, "ok   after clear(), wait() blocks again");
    assert_says(r, "ok   set() woke it and it exited 0");
    /* the waiter said it woke only after main said e.set() */
    const char *set = strstr(r.out, "] e.set()\n"), *woke = strstr(r.out, "woke up");
    cr_assert(set && woke && set < woke, "%s", r.out);
    assert_says(r, "VERDICT: PASS - all 5 checks held");
    run_free(&r);
}

Test(lesson09, notes_demo_one_gives_up_one_reads_the_file)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick", "--notes");
    assert_run(r, 0);
    const char *gave_up = strstr(r.out, "不能读取文件 (cannot read the file): gave up after ");
    const char *set = strstr(r.out, "e.set(): 释放临界区");
    const char *read = strstr(r.out, "[wait_event ");
    read = read ? strstr(read, "read the file: \"I love China\"") : NULL;
    cr_assert(gave_up && set && read, "%s", r.out);
    cr_assert(gave_up < set && set < read, "out of order:\n%s", r.out);
    cr_assert_eq(count_of(r.out, "read the file:"), 1, "only the patient one reads:\n%s", r.out);
    assert_says(r, "ok   wait_event_timeout gave up after wait(0.05) = False");
    assert_says(r, "ok   wait_event woke at set() and read \"I love China\"");
    run_free(&r);
}

/* One set() while N processes sleep in wait(): every one of them wakes. */
static void broadcast_wakes(const char *n, int count)
{
    struct lesson_run r = RUN("lesson09", 20, "--quick", "--broadcast", "-w", n);
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] e.wait()\n"), (size_t)count, "%s", r.out);
    cr_assert_eq(count_of(r.out, "woke up: e.is_set() = True"), (size_t)count, "%s", r.out);
    char line[64];
    snprintf(line, sizeof line, "ok   %d of %d waiters woke from one set()", count, count);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    /* nobody woke before main's set() */
    const char *set = strstr(r.out, "sleep in pthread_cond_wait(); e.set()");
    cr_assert(set && strstr(r.out, "woke up") > set, "%s", r.out);
    run_free(&r);
}

Test(lesson09, broadcast_wakes_one_waiter) { broadcast_wakes("1", 1); }
Test(lesson09, broadcast_wakes_all_16_waiters) { broadcast_wakes("16", 16); }

Test(lesson09, broadcast_wakes_every_waiter_run_after_run)
{
    for (int i = 0; i < 5; i++)
        broadcast_wakes("8", 8);
}

Test(lesson09, timed_wait_returns_false_never_early)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick", "--timeouts");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, " = False after "), 3, "%s", r.out);
    cr_assert_eq(count_of(r.out, " = True after "), 0, "%s", r.out);
    const char *keys[] = {"e.wait(0.001) = False after ", "e.wait(0.01) = False after ",
                          "e.wait(0.05) = False after "};
    const double want[] = {1, 10, 50};
    for (int i = 0; i < 3; i++) {
        double ms;
        cr_assert(number_after(r.out, keys[i], &ms), "no '%s' in\n%s", keys[i], r.out);
        cr_assert(ms >= want[i] && ms < want[i] + 2000, "%s%.3f ms", keys[i], ms);
    }
    assert_says(r, "ok   every wait returned False, none before its timeout");
    run_free(&r);
}

Test(lesson09, bench_reports_both_rates)
{
    struct lesson_run r = RUN("lesson09", 30, "--quick", "--bench", "-n", "500");
    assert_run(r, 0);
    double events, bare;
    cr_assert(number_after(r.out, "two Events (set/wait/clear)", &events), "%s", r.out);
    cr_assert(number_after(r.out, "a bare mutex + condition variable", &bare), "%s", r.out);
    cr_assert(events > 0 && bare > 0, "%s", r.out);
    assert_says(r, "ok   5 runs x 500 round trips x 2 kinds: every ping answered");
    cr_assert(strstr(r.out, "--notes") == NULL && strstr(r.out, "e.wait(3)") == NULL,
              "--bench alone runs only the bench:\n%s", r.out);
    run_free(&r);
}

/* Ctrl-C while two readers wait (one of them for ever): the whole process
 * group goes, nothing is left behind. */
Test(lesson09, ctrl_c_while_waiting_leaves_nothing)
{
    struct lesson_run r = RUN_SIGNAL("lesson09", 15, SIGINT, "(I want it too)", "--notes");
    cr_assert(!r.timed_out, "did not stop on SIGINT:\n%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGINT, "%s", r.out);
    cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
    cr_assert_str_empty(r.shm_left);
    run_free(&r);
}

/* SIGTERM to main alone (kill PID, not the group): its waiters get no
 * signal, so main must kill and reap them itself before it dies. */
Test(lesson09, sigterm_to_main_alone_takes_its_waiters_along)
{
    struct lesson_run r = RUN_SIGNAL_MAIN("lesson09", 20, SIGTERM, "(I want it too)", "--notes");
    cr_assert(strstr(r.out, "(I want it too)"), "never reached the readers:\n%s", r.out);
    cr_assert(!r.timed_out, "main did not end after SIGTERM:\n%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGTERM, "status 0x%x\n%s",
              r.status, r.out);
    cr_assert_eq(r.leftovers, 0, "%d child(ren) of lesson09 left behind", r.leftovers);
    run_free(&r);
}

/* The mechanism itself: a process-shared condition variable on
 * CLOCK_MONOTONIC, with a deadline from kit_deadline on the same clock,
 * times out no earlier than asked. */
Test(lesson09, monotonic_condvar_times_out_after_the_deadline)
{
    struct pair {
        pthread_mutex_t m;
        pthread_cond_t c;
    } *p = kit_shared_alloc(sizeof *p);
    pthread_condattr_t a;
    cr_assert_eq(pthread_condattr_init(&a), 0);
    cr_assert_eq(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    cr_assert_eq(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
    cr_assert_eq(pthread_cond_init(&p->c, &a), 0);
    cr_assert_eq(pthread_condattr_destroy(&a), 0);
    cr_assert_eq(pthread_mutex_init(&p->m, NULL), 0);
    cr_assert_eq(pthread_mutex_lock(&p->m), 0);
    double t0 = kit_now();
    struct timespec deadline = kit_deadline(CLOCK_MONOTONIC, 0.05);
    int e;
    while ((e = pthread_cond_timedwait(&p->c, &p->m, &deadline)) == 0)
        ;                           /* a spurious wake-up: wait on */
    double took = kit_now() - t0;
    cr_assert_eq(e, ETIMEDOUT);
    cr_assert(took >= 0.05 && took < 5.0, "took %.3f s", took);
    cr_assert_eq(pthread_mutex_unlock(&p->m), 0);
    cr_assert_eq(pthread_cond_destroy(&p->c), 0);
    cr_assert_eq(pthread_mutex_destroy(&p->m), 0);
    kit_shared_free(p, sizeof *p);
}

Test(lesson09, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson09", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "ok   wait_event_timeout gave up after wait(2) = False");
    assert_says(r, "VERDICT: PASS - all 10 checks held");
    run_free(&r);
}

Test(lesson09, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--basics", "--notes", "--broadcast", "--timeouts",
                                       "--bench", "--workers N", "--count N", "--quick"};
    assert_help_lists("lesson09", opts);
}

Test(lesson09, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "0"}, {"-w", "-3"}, {"-w", "65"}, {"-w", "x"},
        {"-w", "99999999999999999999"}, {"-n", "0"}, {"-n", "10000001"}, {"-n", "5k"},
        {"-n", NULL}, {"--bench=1", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson09", bad);
}
