/* test_lock_race.c - lesson 05 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson05, .timeout = 60);

Test(lesson05, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = RUN("lesson05", 10, "--quick");
    assert_quick_pass(r, 11, 2.0);
    run_free(&r);
}

Test(lesson05, lock_with_4_workers_counts_exactly_1000000)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--lock", "-w", "4", "-n", "250000");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "counter = 1000000, expected 1000000: exact"), 5, "%s", r.out);
    assert_says(r, "ok   5 of 5 runs counted exactly 1000000");
    assert_says(r, "million increments/s (median of 5 runs)");
    run_free(&r);
}

Test(lesson05, atomic_counts_exactly)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--atomic", "-w", "3", "-n", "100000");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "counter = 300000, expected 300000: exact"), 5, "%s", r.out);
    assert_says(r, "ok   5 of 5 runs counted exactly 300000");
    cr_assert_eq(count_of(r.out, "[process 1 "), 0, "workers print nothing in the loop");
    run_free(&r);
}

Test(lesson05, whole_loop_output_is_serialised_as_in_the_notes)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--whole-loop");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] process 1: "), 10, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] process 2: "), 10, "%s", r.out);
    /* all ten lines of one process, then all ten of the other */
    const char *first1 = strstr(r.out, "] process 1: "), *first2 = strstr(r.out, "] process 2: ");
    const char *last1 = first1, *last2 = first2, *p;
    for (p = first1; (p = strstr(p + 1, "] process 1: ")) != NULL;)
        last1 = p;
    for (p = first2; (p = strstr(p + 1, "] process 2: ")) != NULL;)
        last2 = p;
    cr_assert(last1 < first2 || last2 < first1, "lines interleaved:\n%s", r.out);
    /* process 1 adds 1, process 2 adds 100: the last line says 1010 */
    cr_assert(strstr(last1 > last2 ? last1 : last2, ": 1010\n"), "%s", r.out);
    assert_says(r, "ok   the output is serialised");
    assert_says(r, "ok   counter = 1010, expected 1010");
    assert_says(r, "ok   5 of 5 runs counted exactly 200000, one process at a time");
    run_free(&r);
}

/* Every "run k" line of the race: lost = expected - counter, never negative. */
static double check_race_lines(const char *out, int runs)
{
    double most = 0;
    const char *p = out;
    for (int k = 1; k <= runs; k++) {
        char key[32];
        snprintf(key, sizeof key, "] run %d: counter = ", k);
        p = strstr(p, key);
        cr_assert(p, "no line '%s' in\n%s", key, out);
        long got, expected, lost = 0;
        int fields = sscanf(p + strlen(key), "%ld, expected %ld: lost %ld", &got, &expected, &lost);
        cr_assert(fields == 3 || (fields == 2 && got == expected), "%.80s", p);
        cr_assert_eq(expected - got, lost, "%.80s", p);
        cr_assert(got <= expected);
        most = lost > most ? (double)lost : most;
    }
    return most;
}

Test(lesson05, race_loses_updates_and_says_how_many)
{
    /* Ten long races: each overlaps for many time slices, so even on a busy
     * machine where both workers share one core, updates get lost. */
    struct lesson_run r = RUN("lesson05", 40, "--quick", "--no-lock", "--trials", "10",
                              "-n", "10000000");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken");
    double most = check_race_lines(r.out, 10), min, med, max;
    const char *summary = strstr(r.out, "lost in 10 runs: ");
    cr_assert(sscanf(summary, "lost in 10 runs: min %lf, median %lf, max %lf", &min, &med, &max) == 3);
    cr_assert(min <= med && med <= max && max == most, "%s", summary);
    cr_assert(max > 0, "not one update lost in 10 races of 2 x 10000000:\n%s", r.out);
    assert_says(r, "updates lost in 10 runs: each worker did all its 10000000");
    assert_says(r, "ok   the counter never went above 20000000");
    run_free(&r);
}

Test(lesson05, race_with_one_worker_honestly_loses_nothing)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--no-lock", "-w", "1", "--trials", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "counter = 2000000, expected 2000000: exact"), 3, "%s", r.out);
    assert_says(r, "lost 0 this time");
    cr_assert(strstr(r.out, "fix 1") == NULL, "--trials alone runs only the race");
    run_free(&r);
}

Test(lesson05, bank_is_exact_with_the_lock)
{
    long expected = 2000;
    for (long i = 0; i < 2000000; i++)   /* --quick: 2000000 each */
        expected += (i % 200 + 1) - (i % 180 + 1);
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--bank");
    assert_run(r, 0);
    char line[128];
    snprintf(line, sizeof line, "ok   with the lock: balance %ld, expected %ld", expected, expected);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    cr_assert(strstr(r.out, "[deposit ") == NULL && strstr(r.out, "[withdraw ") == NULL);
    snprintf(line, sizeof line, "no lock: balance ");
    cr_assert(strstr(r.out, line), "%s", r.out);
    run_free(&r);
}

Test(lesson05, holder_death_hangs_a_plain_mutex_and_a_robust_one_recovers)
{
    struct lesson_run r = RUN("lesson05", 20, "--quick", "--holder-dies");
    assert_run(r, 0);
    cr_assert(r.seconds < 5.0, "--quick --holder-dies took %.2f s", r.seconds);
    cr_assert_eq(count_of(r.out, "holder killed by signal 9 (SIGKILL)"), 2, "%s", r.out);
    assert_says(r, "ok   watchdog: the waiter is still waiting after 0.2 s");
    assert_says(r, "watchdog: waiter killed by signal 9 (SIGKILL)");
    assert_says(r, "pthread_mutex_lock() = EOWNERDEAD");
    assert_says(r, "accounts 900 + 1000 = 1900");
    assert_says(r, "pthread_mutex_consistent(): repaired");
    assert_says(r, "ok   the fixer exited with status 0");
    assert_says(r, "ok   the next pthread_mutex_lock() returns 0");
    assert_says(r, "ok   accounts 1000 + 1000 = 2000 again");
    assert_says(r, "VERDICT: PASS - all 4 checks held");
    run_free(&r);
}

/* The mechanism itself: a robust, process-shared mutex whose owner exits
 * while holding it hands EOWNERDEAD to the next locker. */
Test(lesson05, robust_mutex_reports_owner_death)
{
    pthread_mutex_t *m = kit_shared_alloc(sizeof *m);
    pthread_mutexattr_t a;
    cr_assert_eq(pthread_mutexattr_init(&a), 0);
    cr_assert_eq(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    cr_assert_eq(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    cr_assert_eq(pthread_mutex_init(m, &a), 0);
    pthread_mutexattr_destroy(&a);
    pid_t pid = test_fork();
    if (pid == 0)
        _exit(pthread_mutex_lock(m) == 0 ? 0 : 1);   /* ends holding it */
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(pthread_mutex_lock(m), EOWNERDEAD);
    cr_assert_eq(pthread_mutex_consistent(m), 0);
    cr_assert_eq(pthread_mutex_unlock(m), 0);
    cr_assert_eq(pthread_mutex_lock(m), 0, "consistent again");
    cr_assert_eq(pthread_mutex_unlock(m), 0);
    cr_assert_eq(pthread_mutex_destroy(m), 0);
    kit_shared_free(m, sizeof *m);
}

Test(lesson05, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson05", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "what each costs: 2 processes");
    assert_says(r, "VERDICT: PASS - all 11 checks held");
    run_free(&r);
}

Test(lesson05, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--no-lock", "--lock", "--whole-loop", "--atomic",
                                       "--bank", "--holder-dies", "--trials K", "--workers N"};
    assert_help_lists("lesson05", opts);
}

Test(lesson05, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "0"}, {"-w", "17"}, {"-w", "x"}, {"-n", "0"},
        {"-n", "100000001"}, {"--trials", "0"}, {"--trials", "1001"}, {"--trials", "3x"},
        {"--trials", NULL}, {"--lock=1", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson05", bad);
}
