/* test_pool.c - lesson 03 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

TestSuite(lesson03, .timeout = 60);

Test(lesson03, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = RUN("lesson03", 10, "--quick");
    assert_quick_pass(r, 18, 2.0);
    run_free(&r);
}

Test(lesson03, map_returns_results_in_input_order_from_reused_workers)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--api", "-w", "4", "-n", "10");
    assert_run(r, 0);
    assert_says(r, "map() = [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
    assert_says(r, "ok   all 10 results in input order");
    cr_assert_eq(count_of(r.out, "] job("), 10, "each map task printed by its worker");
    /* every pid that ran a task is one of the 4 pool workers, forked once */
    long pool[4];
    for (int k = 0; k < 4; k++) {
        char key[32];
        snprintf(key, sizeof key, "worker %d is pid ", k + 1);
        double v;
        cr_assert(number_after(r.out, key, &v), "%s", r.out);
        pool[k] = (long)v;
    }
    int total = 0;
    for (const char *p = r.out; (p = strstr(p, "os.getpid() ")) != NULL; p++) {
        long pid;
        int ran, n;
        cr_assert_eq(sscanf(p, "os.getpid() %ld ran %d of the %d tasks", &pid, &ran, &n), 3);
        cr_assert(pid == pool[0] || pid == pool[1] || pid == pool[2] || pid == pool[3]);
        total += ran;
    }
    cr_assert_eq(total, 10, "the 4 workers ran all 10 tasks between them");
    double users;
    cr_assert(number_after(r.out, "ok   10 tasks served by ", &users), "%s", r.out);
    cr_assert(users >= 1 && users <= 4);
    cr_assert_eq(count_of(r.out, "[worker "), 10, "no worker was forked per task");
    run_free(&r);
}

Test(lesson03, apply_and_apply_async_with_a_timeout)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--api");
    assert_run(r, 0);
    assert_says(r, "ok   apply() = 400, from pid ");
    assert_says(r, "returned handle 1 at once");
    assert_says(r, "ok   res.get(timeout=1) = 400");
    assert_says(r, "ok   res.get(timeout=0.05) gave up after ");
    assert_says(r, "TimeoutError");
    /* the pool is still usable, and the late result does arrive */
    assert_says(r, "ok   apply(job, (6,)) = 36 meanwhile");
    assert_says(r, "ok   res.get() with no timeout = 49");
    run_free(&r);
}

Test(lesson03, imap_unordered_delivers_every_result_once)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--api", "-w", "3", "-n", "25");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "next() = "), 25, "%s", r.out);
    for (int i = 0; i < 25; i++) {
        char line[64];
        snprintf(line, sizeof line, "next() = %d: job(%d), from pid", i * i, i);
        cr_assert_eq(count_of(r.out, line), 1, "'%s' not exactly once", line);
    }
    assert_says(r, "ok   all 25 results arrived, each once");
    run_free(&r);
}

Test(lesson03, close_and_join_end_every_worker_with_status_0)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--api", "-w", "5");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "join: worker "), 5, "%s", r.out);
    cr_assert_eq(count_of(r.out, ") exited with status 0"), 5, "%s", r.out);
    assert_says(r, "ok   every worker exited with status 0");
    run_free(&r);
}

Test(lesson03, terminate_stops_busy_workers_with_sigterm)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--terminate", "-w", "3");
    assert_run(r, 0);
    cr_assert(r.seconds < 5.0, "terminate waited for the 10 s tasks (%.1f s)", r.seconds);
    cr_assert_eq(count_of(r.out, "killed by signal 15 (SIGTERM)"), 3, "%s", r.out);
    assert_says(r, "ok   all 3 stopped by SIGTERM in ");
    assert_says(r, "3 unfinished tasks discarded");
    assert_says(r, "VERDICT: PASS - the 1 check held");
    run_free(&r);
}

static void check_kill_worker(const char *workers, const char *count, int victim, int n)
{
    struct lesson_run r = RUN("lesson03", 20, "--quick", "--kill-worker", "-w", workers, "-n", count);
    assert_run(r, 0);
    cr_assert(r.seconds < 5.0, "--quick --kill-worker took %.2f s", r.seconds);
    char line[128];
    cr_assert_eq(count_of(r.out, "killed by signal 9 (SIGKILL)"), 1, "%s", r.out);
    snprintf(line, sizeof line, "WARNING: task %d, job(%d), died with it: reported lost", victim, victim);
    cr_assert(strstr(r.out, line), "%s", r.out);
    assert_says(r, "in its place");
    snprintf(line, sizeof line, "ok   task %d reported lost, 1 lost in all", victim);
    cr_assert(strstr(r.out, line), "%s", r.out);
    snprintf(line, sizeof line, "ok   the other %d tasks returned %d right results", n - 1, n - 1);
    cr_assert(strstr(r.out, line), "%s", r.out);
    assert_says(r, "ok   every task accounted for; nothing hangs");
    cr_assert(strstr(r.out, "ok   close() + join(): every worker exited with status 0"));
    assert_says(r, "VERDICT: PASS - all 5 checks held");
    /* the victim's task never printed a result */
    snprintf(line, sizeof line, "] job(%d) = ", victim);
    cr_assert_eq(count_of(r.out, line), 0, "%s", r.out);
    run_free(&r);
}

Test(lesson03, killed_worker_is_reported_replaced_and_nothing_hangs)
{
    check_kill_worker("2", "10", 5, 10);
}

Test(lesson03, killed_worker_with_one_worker_and_with_many)
{
    check_kill_worker("1", "10", 5, 10);   /* the pool has no other worker until the replacement */
    check_kill_worker("6", "40", 20, 40);
    check_kill_worker("3", "1", 0, 1);     /* the only task is the one lost */
}

Test(lesson03, killed_worker_ten_times_in_a_row)
{
    for (int i = 0; i < 10; i++)
        check_kill_worker("2", "10", 5, 10);
}

Test(lesson03, bench_checks_every_result_and_reports_tasks_per_second)
{
    struct lesson_run r = RUN("lesson03", 30, "--quick", "--bench");
    assert_run(r, 0);
    assert_says(r, "ok   every run: all 20000 results right");
    assert_says(r, "ok   every run: all 1000000 results right");
    cr_assert_eq(count_of(r.out, "median of 5: "), 2, "%s", r.out);
    double per_message, chunked;
    cr_assert(number_after(r.out, "one per message: ", &per_message), "%s", r.out);
    cr_assert(number_after(r.out, "chunked: ", &chunked), "%s", r.out);
    cr_assert(per_message > 0 && chunked > 0);
    cr_assert(strstr(r.out, "target >= 350000") && strstr(r.out, "target >= 50000000"));
    run_free(&r);
}

/* Ctrl-C during a paced run: the whole group gets SIGINT, and no worker is
 * left behind. */
Test(lesson03, ctrl_c_leaves_no_process_behind)
{
    struct lesson_run r = RUN_SIGNAL("lesson03", 20, SIGINT, "res = apply_async(sleep", "--api");
    cr_assert(!r.timed_out, "%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGINT, "status 0x%x", r.status);
    cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
    run_free(&r);
}

Test(lesson03, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson03", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "VERDICT: PASS - all 18 checks held");
    run_free(&r);
}

Test(lesson03, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--api", "--terminate", "--kill-worker", "--bench",
                                       "--workers N", "--count N", "--quick"};
    assert_help_lists("lesson03", opts);
}

Test(lesson03, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "0"}, {"-w", "-1"}, {"-w", "65"}, {"-w", "x"}, {"-n", "0"},
        {"-n", "-3"}, {"-n", "1001"}, {"-n", "99999999999999999999"}, {"-n", "5x"},
        {"--kill-worker=1", NULL}, {"-w", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson03", bad);
}

/* The mechanism itself: records of at most PIPE_BUF bytes written to one
 * pipe by several processes at once arrive whole, never mixed, and each
 * writer's records in its own order. */
struct record { int32_t writer, seq; int64_t check; };

Test(lesson03, small_pipe_writes_from_many_processes_never_mix)
{
    enum { WRITERS = 4, EACH = 20000 };
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid[WRITERS];
    for (int w = 0; w < WRITERS; w++)
        if ((pid[w] = test_fork()) == 0) {
            close(fd[0]);
            for (int i = 0; i < EACH; i++) {
                struct record rec = {w, i, (int64_t)w * 1000003 + i};
                if (write(fd[1], &rec, sizeof rec) != sizeof rec)
                    _exit(1);
            }
            _exit(0);
        }
    close(fd[1]);
    int next[WRITERS] = {0};
    struct record rec;
    char *p = (char *)&rec;
    size_t have = 0;
    for (ssize_t got; (got = read(fd[0], p + have, sizeof rec - have)) > 0;) {
        have += (size_t)got;
        if (have < sizeof rec)
            continue;
        have = 0;
        cr_assert(rec.writer >= 0 && rec.writer < WRITERS, "torn record");
        cr_assert_eq(rec.seq, next[rec.writer], "writer %d out of order", rec.writer);
        cr_assert_eq(rec.check, (int64_t)rec.writer * 1000003 + rec.seq, "mixed record");
        next[rec.writer]++;
    }
    close(fd[0]);
    for (int w = 0; w < WRITERS; w++) {
        int status;
        cr_assert_eq(waitpid(pid[w], &status, 0), pid[w]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        cr_assert_eq(next[w], EACH, "writer %d: %d of %d records", w, next[w], EACH);
    }
    cr_assert(sizeof rec <= PIPE_BUF);
}
