/* test_kit.c - unit tests of libkit (common/), the exit-2 paths included. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(kit, .timeout = 20);

/* The tests that end the process: their one-line messages and usage texts
 * would clutter the runner's output, so they go nowhere. */
static void quiet(void)
{
    cr_redirect_stdout();
    cr_redirect_stderr();
}
TestSuite(kit_exit, .init = quiet, .timeout = 20);

/* Runs fn in a test_fork() child with stdout and stderr sent into one pipe;
 * returns what it wrote (static buffer) and its wait status. */
static const char *in_child(void (*fn)(void), int *status)
{
    static char text[4096];
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = test_fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        fn();
        _exit(0);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    close(fd[0]);
    cr_assert_eq(waitpid(pid, status, 0), pid);
    return text;
}

/* ---- errors ---- */
static void die_child_with_pending_stdio(void)
{
    printf("pending stdio text");      /* buffered: stdout is a pipe */
    errno = EBADF;
    kit_die("close");   /* in a forked child: it knows, and uses _exit */
}

Test(kit, die_child_names_call_place_errno_and_skips_stdio)
{
    int status;
    const char *text = in_child(die_child_with_pending_stdio, &status);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILURE);
    cr_assert(strstr(text, "close failed at tests/test_kit.c:"), "got: %s", text);
    cr_assert(strstr(text, "EBADF (Bad file descriptor)"), "got: %s", text);
    cr_assert_null(strstr(text, "pending"), "_exit must not flush stdio: %s", text);
    cr_assert_eq(count_of(text, "\n"), 1, "one line: %s", text);
}

static void die_err_child_deadlock(void) { kit_die_err("pthread_mutex_lock", EDEADLK); }

Test(kit, die_err_reports_the_returned_error_number)
{
    int status;
    const char *text = in_child(die_err_child_deadlock, &status);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILURE);
    cr_assert(strstr(text, "pthread_mutex_lock failed at"), "got: %s", text);
    cr_assert(strstr(text, "EDEADLK (Resource deadlock avoided)"), "got: %s", text);
}

Test(kit_exit, die_exits_1, .exit_code = 1)
{
    errno = ENOENT;
    kit_die("open");
}

Test(kit_exit, die_err_exits_1, .exit_code = 1) { kit_die_err("pthread_create", EAGAIN); }

Test(kit_exit, fail_exits_1, .exit_code = 1) { kit_fail("lost %d updates", 3); }

/* ---- output ---- */
static void say_as_worker(void)
{
    kit_set_role("worker %d", 2);
    kit_say("got %d", 17);
    kit_warn("deliberately %s", "broken");
    kit_section("part %d", 3);
}

Test(kit, say_tags_role_and_pid_in_one_line_each)
{
    int status;
    const char *text = in_child(say_as_worker, &status);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert(strstr(text, "[worker 2 "), "got: %s", text);
    cr_assert(strstr(text, "] got 17\n"), "got: %s", text);
    cr_assert(strstr(text, "WARNING: deliberately broken\n"), "got: %s", text);
    cr_assert(strstr(text, "\n== part 3 ==\n"), "got: %s", text);
    cr_assert_null(strstr(text, "\033["), "no colour on a pipe: %s", text);
}

static void say_with_ms(void)
{
    kit_show_ms(true);
    kit_say("timed");
}

Test(kit, show_ms_prefixes_elapsed_milliseconds)
{
    int status;
    const char *text = in_child(say_with_ms, &status);
    double ms = -1;
    cr_assert(sscanf(text, "%lfms [parent", &ms) == 1, "got: %s", text);
    cr_assert(ms >= 0 && ms < 60000, "ms = %f", ms);
}

static void expect_all_true(void)
{
    kit_expect(true, "first");
    kit_expect(1 + 1 == 2, "second");
    _exit(kit_verdict());
}

static void expect_one_false(void)
{
    kit_expect(true, "first");
    kit_expect(false, "second");
    _exit(kit_verdict());
}

Test(kit, verdict_passes_only_when_every_check_held)
{
    int status;
    const char *text = in_child(expect_all_true, &status);
    cr_assert_eq(WEXITSTATUS(status), 0);
    cr_assert(strstr(text, "ok   first"), "got: %s", text);
    cr_assert(strstr(text, "VERDICT: PASS - all 2 checks held"), "got: %s", text);
    text = in_child(expect_one_false, &status);
    cr_assert_eq(WEXITSTATUS(status), 1);
    cr_assert(strstr(text, "FAIL second"), "got: %s", text);
    cr_assert(strstr(text, "VERDICT: FAIL - 1 of 2 checks failed"), "got: %s", text);
}

/* ---- time ---- */
Test(kit, clock_is_monotonic_and_sleep_sleeps)
{
    double t0 = kit_now();
    kit_sleep(0.05);
    double t1 = kit_now();
    cr_assert(t1 - t0 >= 0.05, "slept %f s", t1 - t0);
    cr_assert(kit_elapsed_ms() >= 50);
}

Test(kit, pace_sleeps_unless_quick)
{
    double t0 = kit_now();
    kit_pace(0.03);
    cr_assert(kit_now() - t0 >= 0.03);
    kit_set_quick(true);
    cr_assert(kit_quick());
    t0 = kit_now();
    kit_pace(5);
    cr_assert(kit_now() - t0 < 0.5);
}

Test(kit, median_of_odd_and_even_counts)
{
    double odd[] = {5, 1, 9, 3, 7}, even[] = {4, 1, 3, 2}, one[] = {2.5};
    cr_assert_float_eq(kit_median(odd, 5), 5.0, 1e-12);
    cr_assert_float_eq(odd[0], 1.0, 1e-12, "sorted in place");
    cr_assert_float_eq(kit_median(even, 4), 2.5, 1e-12);
    cr_assert_float_eq(kit_median(one, 1), 2.5, 1e-12);
}

Test(kit, deadline_lies_ahead_on_the_given_clock)
{
    struct timespec now, d = kit_deadline(CLOCK_REALTIME, 1.75);
    clock_gettime(CLOCK_REALTIME, &now);
    double ahead = (double)(d.tv_sec - now.tv_sec) + (double)(d.tv_nsec - now.tv_nsec) / 1e9;
    cr_assert(ahead > 1.7 && ahead <= 1.75, "ahead %f", ahead);
    cr_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
}

/* ---- arguments ---- */
Test(kit, parse_long_accepts_numbers_in_range)
{
    cr_assert_eq(kit_parse_long("--count", "42", 1, 100), 42);
    cr_assert_eq(kit_parse_long("--count", "1", 1, 100), 1);
    cr_assert_eq(kit_parse_long("--count", "100", 1, 100), 100);
    cr_assert_eq(kit_parse_long("--count", "-5", -10, 10), -5);
}

Test(kit_exit, parse_long_rejects_words, .exit_code = 2) { kit_parse_long("-w", "abc", 1, 8); }
Test(kit_exit, parse_long_rejects_empty, .exit_code = 2) { kit_parse_long("-w", "", 1, 8); }
Test(kit_exit, parse_long_rejects_junk, .exit_code = 2) { kit_parse_long("-w", "3x", 1, 8); }
Test(kit_exit, parse_long_rejects_zero, .exit_code = 2) { kit_parse_long("-w", "0", 1, 8); }
Test(kit_exit, parse_long_rejects_negative, .exit_code = 2) { kit_parse_long("-w", "-3", 1, 8); }
Test(kit_exit, parse_long_rejects_overflow, .exit_code = 2)
{
    kit_parse_long("-n", "99999999999999999999999", 1, 1000000);
}

Test(kit, parse_double_accepts_and_rejects)
{
    cr_assert_float_eq(kit_parse_double("--timeout", "1.5", 0, 10), 1.5, 1e-12);
}
Test(kit_exit, parse_double_rejects_nan, .exit_code = 2) { kit_parse_double("-t", "nan", 0, 10); }
Test(kit_exit, parse_double_rejects_range, .exit_code = 2) { kit_parse_double("-t", "11", 0, 10); }

Test(kit_exit, usage_error_exits_2, .exit_code = 2) { kit_usage_error("bad %s", "thing"); }

/* ---- processes ---- */
Test(kit, shared_alloc_is_seen_by_parent_after_child_writes)
{
    int *shared = kit_shared_alloc(sizeof *shared);
    int *private = malloc(sizeof *private);
    cr_assert_not_null(private);
    *shared = *private = 1;
    pid_t pid = test_fork();
    if (pid == 0) {
        *shared = *private = 10000;
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(*shared, 10000, "the shared mapping is one copy");
    cr_assert_eq(*private, 1, "malloc'd memory is copied at fork");
    free(private);
    kit_shared_free(shared, sizeof *shared);
}

Test(kit, status_str_decodes_exit_and_signal)
{
    char buf[96];
    cr_assert_str_eq(kit_status_str(3 << 8, buf, sizeof buf), "exited with status 3");
    cr_assert_str_eq(kit_status_str(SIGTERM, buf, sizeof buf), "killed by signal 15 (SIGTERM)");
    cr_assert_str_eq(kit_status_str(SIGKILL, buf, sizeof buf), "killed by signal 9 (SIGKILL)");
    cr_assert_str_eq(kit_status_str(SIGSEGV | 0x80, buf, sizeof buf),
                     "killed by signal 11 (SIGSEGV) (core dumped)");
}

Test(kit, wait_timeout_reports_running_then_ended)
{
    pid_t pid = test_fork();
    if (pid == 0) {
        kit_sleep(0.3);
        _exit(7);
    }
    int status = 0;
    double t0 = kit_now();
    cr_assert_not(kit_join(pid, &status, 0.05), "still running after 50 ms");
    cr_assert(kit_now() - t0 >= 0.05);
    cr_assert(kit_join(pid, &status, 5), "ended within 5 s");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

Test(kit, object_name_carries_the_pid)
{
    char name[64], want[64];
    snprintf(want, sizeof want, "/mpkit-shm-%ld", (long)getpid());
    cr_assert_str_eq(kit_object_name(name, sizeof name, "shm"), want);
}
