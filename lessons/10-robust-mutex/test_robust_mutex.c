/* test_robust_mutex.c - lesson 10: a dead holder hangs an ordinary mutex
 * (the watchdog ends the wait), a robust one reports EOWNERDEAD and is
 * repaired, and one unlocked unrepaired is ENOTRECOVERABLE. (--help, bad
 * input, --quick, --list, columns and Ctrl-C: the shared table in tests/.) */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson10, .timeout = 30);

Test(lesson10, plain_mutex_waiter_is_cut_short_by_the_watchdog)
{
    struct lesson_run r = RUN("lesson10", 10, "--quick", "--plain");
    assert_run(r, 0);
    assert_says(r, "holder killed by signal 9 (SIGKILL), with the lock held");
    assert_says(r, "ok   watchdog: after 0.2 s the waiter still has not got the lock");
    assert_says(r, "watchdog: waiter killed by signal 9 (SIGKILL)");
    cr_assert(strstr(r.out, "not expected") == NULL, "%s", r.out);
    run_free(&r);
}

Test(lesson10, robust_mutex_reports_owner_death_and_is_repaired)
{
    struct lesson_run r = RUN("lesson10", 10, "--quick", "--robust");
    assert_run(r, 0);
    assert_says(r, "pthread_mutex_lock() = EOWNERDEAD");
    assert_says(r, "accounts 900 + 1000 = 1900: a transfer of 100 is half done");
    assert_says(r, "pthread_mutex_consistent(): the mutex is usable again");
    assert_says(r, "ok   the fixer exited with status 0");
    assert_says(r, "ok   the next pthread_mutex_lock() returns 0");
    assert_says(r, "ok   accounts 1000 + 1000 = 2000 again");
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

Test(lesson10, unrepaired_robust_mutex_is_not_recoverable)
{
    struct lesson_run r = RUN("lesson10", 10, "--quick", "--part", "3");
    assert_run(r, 0);
    assert_says(r, "unlocking without pthread_mutex_consistent()");
    assert_says(r, "ok   the next pthread_mutex_lock() returns ENOTRECOVERABLE");
    run_free(&r);
}

/* The mechanism itself, without the lesson: a robust, process-shared mutex
 * whose owner exits holding it hands EOWNERDEAD to the next locker. */
Test(lesson10, robust_mutex_reports_owner_death)
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

Test(lesson10, paced_default_run_has_six_checks)
{
    struct lesson_run r = RUN("lesson10", 20, NULL);
    assert_run(r, 0);
    cr_assert(r.seconds < 10.0, "default run took %.1f s", r.seconds);
    assert_says(r, "ok   watchdog: after 1.0 s the waiter still has not got the lock");
    assert_says(r, "VERDICT: PASS - all 6 checks held");
    run_free(&r);
}
