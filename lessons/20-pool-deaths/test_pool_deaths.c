/* test_pool_deaths.c - lesson 20: a worker SIGKILLed at any point loses no task and
 * duplicates no result. (--help, bad input, --list, --quick, signals: tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

TestSuite(lesson20, .timeout = 120);

/* One kill of worker 1, `after` ms after it was handed task n/2 (tasks of 20 ms under
 * --quick): every one of the n results arrives exactly once, and task n/2 was handed
 * out again exactly when the worker died before its result was in. */
static void kill_at(const char *workers, int n, int after)
{
    char count[16], ms[16], line[128];
    snprintf(count, sizeof count, "%d", n);
    snprintf(ms, sizeof ms, "%d", after);
    struct lesson_run r = RUN("lesson20", 20, "--quick", "--kill-worker", "-w", workers, "-n",
                              count, "--kill-after", ms);
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "killed by signal 9 (SIGKILL)"), 1, "%s", r.out);
    snprintf(line, sizeof line, "ok   pool.map(f, range(%d)): %d of %d results right, each "
             "exactly once", n, n, n);
    assert_says(r, line);
    int victim = n / 2, sends, times;
    snprintf(line, sizeof line, "task %d: handed out ", victim);
    const char *p = strstr(r.out, line);
    cr_assert(p && sscanf(p + strlen(line), "%d time(s), its result arrived %d", &sends,
                          &times) == 2, "%s", r.out);
    cr_assert_eq(times, 1, "%s", r.out);
    cr_assert(sends == 1 || sends == 2, "handed out %d times\n%s", sends, r.out);
    if (after == 0)     /* killed before it could even read() the task: sent again */
        cr_assert_eq(sends, 2, "%s", r.out);
    if (sends == 2) {
        snprintf(line, sizeof line, "task %d goes out again, unanswered", victim);
        assert_says(r, line);
    }
    long old, new;
    p = strstr(r.out, "replaced: pid ");
    cr_assert(p && sscanf(p, "replaced: pid %ld -> %ld", &old, &new) == 2 && old != new, "%s",
              r.out);
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

Test(lesson20, a_kill_at_every_point_of_a_task_loses_and_duplicates_nothing)
{
    /* before the read(), early, mid-task, near the end, at the end, after the write() */
    static const int after[] = {0, 1, 2, 5, 10, 15, 18, 19, 20, 21, 22, 25, 30, 40, 60};
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
        kill_at("2", 10, after[i]);
}

Test(lesson20, one_worker_and_big_pools_too)
{
    kill_at("1", 10, 10);   /* the pool has no other worker until the replacement */
    kill_at("1", 10, 0);
    kill_at("6", 40, 10);
    kill_at("3", 1, 10);    /* the only task is the one in the killed worker */
}

/* many workers SIGKILLed at random moments while map runs, five runs */
Test(lesson20, random_kills_during_map_every_result_exactly_once)
{
    static const char *const runs[][2] = {{"1", "50"}, {"2", "200"}, {"4", "300"},
                                          {"8", "100"}, {"3", "0"}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct lesson_run r = RUN("lesson20", 60, "--quick", "--kill-stress", "-w", runs[i][0],
                                  "--kills", runs[i][1]);
        assert_run(r, 0);
        int kills, busy, replaced, right, m;
        const char *p = strstr(r.out, " workers SIGKILLed at random moments (");
        cr_assert_not_null(p, "%s", r.out);
        while (p > r.out && p[-1] >= '0' && p[-1] <= '9')
            p--;
        cr_assert_eq(sscanf(p, "%d workers SIGKILLed at random moments (%d holding a task), "
                               "%d replaced", &kills, &busy, &replaced), 3, "%s", r.out);
        /* map may finish before every asked-for kill has happened: at most that many */
        cr_assert(kills <= atoi(runs[i][1]) && (kills >= 1 || atoi(runs[i][1]) == 0), "%s", r.out);
        cr_assert_eq(replaced, kills, "every kill a death, every death replaced\n%s", r.out);
        p = strstr(r.out, "ok   ");
        cr_assert(p && sscanf(p, "ok   %d of %d results right, each exactly once", &right,
                              &m) == 2 && right == m && m >= 10 * kills, "%s", r.out);
        assert_says(r, "VERDICT: PASS - all 2 checks held");
        run_free(&r);
    }
}
