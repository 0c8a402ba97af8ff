/* test_pool.c - lesson 03: the pool's claims, checked from the figures it prints.
 * (--help, bad input, --list, --quick, signals: the shared table in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson03, .timeout = 60);

/* The distinct pids of "[worker K PID] f(" lines; how many there are. */
static int worker_pids(const char *out, long *pids, int max)
{
    int n = 0;
    for (const char *p = out; (p = strstr(p, "[worker ")) != NULL; p++) {
        int k;
        long pid;
        char f;
        if (sscanf(p, "[worker %d %ld] %c(", &k, &pid, &f) != 3 || f != 'f')
            continue;
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen |= pids[i] == pid;
        if (!seen && n < max)
            pids[n++] = pid;
    }
    return n;
}

Test(lesson03, map_is_served_by_at_most_w_reused_processes)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--map", "-w", "3", "-n", "30");
    assert_run(r, 0);
    assert_says(r, "map() = [0, 1, 4, 9, 16, 25, 36, 49, 64, 81, ...]");
    cr_assert_eq(count_of(r.out, "] f("), 60, "map and imap: one line per task\n%s", r.out);
    long pids[64];
    int distinct = worker_pids(r.out, pids, 64);
    cr_assert(distinct >= 1 && distinct <= 3, "%d distinct worker pids for -w 3\n%s", distinct,
              r.out);
    /* every pid that ran a task is one the parent lists as its own, and they ran all 30 */
    int total = 0;
    for (const char *p = r.out; (p = strstr(p, "os.getpid() ")) != NULL; p++) {
        long pid;
        int ran, n;
        cr_assert_eq(sscanf(p, "os.getpid() %ld ran %d of the %d tasks", &pid, &ran, &n), 3);
        bool worked = false;
        for (int i = 0; i < distinct; i++)
            worked |= pids[i] == pid;
        cr_assert(worked || ran == 0, "pid %ld ran %d tasks but printed none", pid, ran);
        total += ran;
    }
    cr_assert_eq(total, 30, "%s", r.out);
    assert_says(r, "ok   30 of 30 tasks ran in the pool's 3 processes");
    run_free(&r);
}

Test(lesson03, imap_unordered_delivers_every_result_once)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--map", "-w", "3", "-n", "25");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "next() = "), 25, "%s", r.out);
    for (int i = 0; i < 25; i++) {
        char line[64];
        snprintf(line, sizeof line, "next() = %d, from pid", i * i);
        cr_assert_eq(count_of(r.out, line), 1, "'%s' not exactly once", line);
    }
    assert_says(r, "ok   map() and imap_unordered(): 50 of 50 results right, each once");
    run_free(&r);
}

Test(lesson03, close_and_join_end_every_worker_with_status_0)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--map", "-w", "5");
    assert_run(r, 0);
    assert_says(r, "ok   close(); join(): all 5 workers exited with status 0");
    run_free(&r);
}

Test(lesson03, get_timeout_gives_up_on_time_and_terminate_stops_the_sleeper)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--apply", "-w", "3");
    assert_run(r, 0);
    assert_says(r, "res.get(timeout=1) = 400");
    double waited;
    cr_assert(number_after(r.out, "ok   res.get(timeout=0.05) gave up after ", &waited), "%s",
              r.out);
    cr_assert(waited >= 0.05, "gave up after %.2f s, before its timeout", waited);
    assert_says(r, "ok   the pool remains available: apply(f, (6,)) = 36");
    assert_says(r, "ok   terminate(): all 3 workers killed by SIGTERM");
    cr_assert(r.seconds < 5.0, "terminate waited for the 10 s task (%.1f s)", r.seconds);
    cr_assert_eq(count_of(r.out, "] f(10) = "), 0, "the sleeper finished:\n%s", r.out);
    assert_says(r, "VERDICT: PASS - all 5 checks held");
    run_free(&r);
}

Test(lesson03, note_002_ten_apply_async_times_come_w_at_a_time)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--apply", "-w", "4");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] hello "), 10, "%s", r.out);
    /* the ten ctime() values: each at least one sleep (20 ms) after the one 4 before it */
    double t[10];
    const char *p = r.out;
    for (int i = 0; i < 10; i++) {
        p = strstr(p, "i.get() = ctime() at ");
        cr_assert(p && sscanf(p, "i.get() = ctime() at %lf", &t[i]) == 1, "%s", r.out);
        p++;
    }
    for (int i = 0; i < 10; i++)    /* sort: the lines come in task order */
        for (int j = i + 1; j < 10; j++)
            if (t[j] < t[i]) {
                double x = t[i];
                t[i] = t[j];
                t[j] = x;
            }
    for (int i = 4; i < 10; i++)    /* printed to 0.01 s: a 20 ms step shows as >= 0.01 */
        cr_assert(t[i] - t[i - 4] >= 0.0099, "times %d and %d: %.2f, %.2f\n%s", i - 4, i,
                  t[i - 4], t[i], r.out);
    /* how many batches is not asserted: on a loaded machine they may smear into each other */
    assert_says(r, "ok   each time >= 20 ms after the time 4 before it: at most 4 tasks at once");
    run_free(&r);
}

Test(lesson03, note_004_a_job_that_returns_nothing_gives_ten_none)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--map", "-w", "3");
    assert_run(r, 0);
    assert_says(r, "res = [None, None, None, None, None, None, None, None, None, None]");
    assert_says(r, "ok   res = pool.map(job, range(10)): 10 of 10 back, each None");
    for (int i = 0; i < 10; i++) {  /* job(a) printed each a once, in a worker */
        char line[32];
        snprintf(line, sizeof line, "] %d\n", i);
        cr_assert_eq(count_of(r.out, line), 1, "'%s' not once\n%s", line, r.out);
    }
    run_free(&r);
}

/* one worker: every gap is a whole sleep, so ten batches under any load */
Test(lesson03, one_worker_serves_note_002_one_task_at_a_time)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--apply", "-w", "1");
    assert_run(r, 0);
    double batches;
    cr_assert(number_after(r.out, "the ten times fall in ", &batches) && batches == 10, "%s",
              r.out);
    run_free(&r);
}
