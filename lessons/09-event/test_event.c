/* test_event.c - lesson 09's idea: the Event keeps every claim it prints.
 * (--help, bad input, --quick, Ctrl-C and leftovers: the shared table test.) */
#include <criterion/criterion.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson09, .timeout = 60);

Test(lesson09, basics_set_is_set_wait_clear_then_wait_blocks_again)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick", "--basics");
    assert_run(r, 0);
    assert_says(r, "ok   e.set(); e.is_set() = True");
    assert_says(r, "ok   e.wait(3) = True after ");
    assert_says(r, "ok   e.clear(); e.is_set() = False");
    assert_says(r, "ok   after clear(), wait() blocks again: no wake-up in 0.1 s");
    assert_says(r, "ok   set() woke it");
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
    const char *gave_up = strstr(r.out, "不能读取文件 (cannot read the file): e.wait(0.05) = False");
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

/* One set() while n processes sleep in wait(): exactly n wake, none before it. */
static void broadcast_wakes(const char *n, size_t count)
{
    struct lesson_run r = RUN("lesson09", 20, "--quick", "--broadcast", "-w", n);
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] e.wait()\n"), count, "%s", r.out);
    cr_assert_eq(count_of(r.out, "woke up: e.is_set() = True"), count, "%s", r.out);
    char line[64];
    snprintf(line, sizeof line, "ok   %zu of %zu waiters woke from one set()", count, count);
    assert_says(r, line);
    const char *set = strstr(r.out, "sleep in pthread_cond_wait(); e.set()");
    cr_assert(set && strstr(r.out, "woke up") > set, "%s", r.out);
    run_free(&r);
}

Test(lesson09, broadcast_wakes_exactly_one_waiter) { broadcast_wakes("1", 1); }
Test(lesson09, broadcast_wakes_exactly_16_waiters) { broadcast_wakes("16", 16); }
Test(lesson09, broadcast_wakes_exactly_8_run_after_run)
{
    for (int i = 0; i < 4; i++)
        broadcast_wakes("8", 8);
}

/* wait(t) on an unset event: False every time, never before t. How late is
 * not bounded here: load may add any amount. */
Test(lesson09, timed_wait_on_unset_event_is_never_early)
{
    struct lesson_run r = RUN("lesson09", 10, "--quick", "--timeouts");
    assert_run(r, 0);
    const double t[] = {0.001, 0.01, 0.05};
    int lines = 0;
    for (const char *p = strstr(r.out, "] e.wait("); p; p = strstr(p + 1, "] e.wait(")) {
        double asked, took, late;
        char result[8];
        cr_assert_eq(sscanf(p, "] e.wait(%lf) = %7s after %lf ms: %lf ms late", &asked, result,
                            &took, &late), 4, "%.80s", p);
        cr_assert_float_eq(asked, t[lines], 1e-9);
        cr_assert_str_eq(result, "False");
        cr_assert(took >= asked * 1e3 && late >= 0, "early: %.80s", p);
        lines++;
    }
    cr_assert_eq(lines, 3, "%s", r.out);
    assert_says(r, "ok   every wait returned False, none before its timeout");
    run_free(&r);
}

/* The known hang: a waiter killed from outside (kill -9) must not leave main
 * stuck in pthread_cond_destroy(). Wherever the kill lands, main ends; when it
 * saw a waiter killed, it says it skipped the destroy. */
Test(lesson09, a_waiter_killed_from_outside_does_not_hang_main)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    char path[256];
    const char *bin = getenv("MPKIT_BIN");
    snprintf(path, sizeof path, "%s/lesson09", bin ? bin : ".");
    pid_t pid = test_fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        execl(path, "lesson09", "--basics", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    static char out[16384];
    size_t len = 0;
    long waiter = 0;
    double deadline = kit_now() + 20;
    struct pollfd pfd = {.fd = fd[0], .events = POLLIN};
    while (kit_now() < deadline && poll(&pfd, 1, 100) >= 0) {
        ssize_t n = pfd.revents ? read(fd[0], out + len, sizeof out - 1 - len) : -1;
        if (n == 0)
            break;                          /* end of output: main has ended */
        len += n > 0 ? (size_t)n : 0;
        out[len] = '\0';
        const char *w = strstr(out, "[waiter 1 ");
        if (waiter == 0 && w && strstr(w, "e.wait()")) {
            waiter = strtol(w + strlen("[waiter 1 "), NULL, 10);
            kit_sleep(0.3);                 /* inside the 1 s it watches the waiter sleep */
            cr_assert_eq(kill((pid_t)waiter, SIGKILL), 0);
        }
    }
    int status;
    bool ended = kit_join(pid, &status, deadline - kit_now() > 0 ? deadline - kit_now() : 0);
    if (!ended)
        kit_kill_join(pid, &status);
    close(fd[0]);
    cr_assert(ended, "main hung after its waiter was killed:\n%s", out);
    cr_assert(waiter > 0, "%s", out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x\n%s", status, out);
    if (strstr(out, "killed by signal 9"))
        cr_assert(strstr(out, "pthread_cond_destroy skipped"), "%s", out);
}

/* The mechanisms themselves. A robust, process-shared mutex whose holder died
 * holding it: the next lock gets EOWNERDEAD (not a hang), and after
 * pthread_mutex_consistent() it works as before. */
Test(lesson09, robust_mutex_outlives_a_holder_that_died_holding_it)
{
    pthread_mutex_t *m = kit_shared_alloc(sizeof *m);
    pthread_mutexattr_t a;
    cr_assert_eq(pthread_mutexattr_init(&a), 0);
    cr_assert_eq(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    cr_assert_eq(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    cr_assert_eq(pthread_mutex_init(m, &a), 0);
    cr_assert_eq(pthread_mutexattr_destroy(&a), 0);
    pid_t pid = test_fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        _exit(0);                   /* dies holding it */
    }
    cr_assert(kit_join(pid, NULL, 10));
    cr_assert_eq(pthread_mutex_lock(m), EOWNERDEAD);
    cr_assert_eq(pthread_mutex_consistent(m), 0);
    cr_assert_eq(pthread_mutex_unlock(m), 0);
    cr_assert_eq(pthread_mutex_lock(m), 0);
    cr_assert_eq(pthread_mutex_unlock(m), 0);
    cr_assert_eq(pthread_mutex_destroy(m), 0);
    kit_shared_free(m, sizeof *m);
}

/* A process-shared condition variable on CLOCK_MONOTONIC, with a deadline on
 * the same clock, times out no earlier than asked. */
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
    cr_assert_eq(e, ETIMEDOUT);
    cr_assert(kit_now() - t0 >= 0.05, "took %.3f s", kit_now() - t0);
    cr_assert_eq(pthread_mutex_unlock(&p->m), 0);
    cr_assert_eq(pthread_cond_destroy(&p->c), 0);
    cr_assert_eq(pthread_mutex_destroy(&p->m), 0);
    kit_shared_free(p, sizeof *p);
}
