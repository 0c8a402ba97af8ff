/* test_kit.c - unit tests of libkit (common/), the exit-2 paths included. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <fcntl.h>
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

/* ---- children: start, join, the stop path ---- */
static int *shared_ids;

static void record_id(int id) { shared_ids[id] = 100 + id; }
static void exit_seven(int id) { _exit(id); }
static void sleep_long(int id)
{
    (void)id;
    kit_sleep(30);
}

Test(kit, start_runs_the_body_in_a_child_and_join_all_reaps_it)
{
    shared_ids = kit_shared_alloc(4 * sizeof *shared_ids);
    pid_t pid[4];
    for (int i = 0; i < 4; i++)
        pid[i] = kit_start(record_id, i, "worker %d", i);
    cr_assert_eq(kit_children(), 4);
    cr_assert(kit_join_all(5.0));
    cr_assert_eq(kit_children(), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(shared_ids[i], 100 + i, "body(%d) ran in the child", i);
        cr_assert_eq(kill(pid[i], 0), -1, "child %d is reaped, not a zombie", i);
    }
    kit_shared_free(shared_ids, 4 * sizeof *shared_ids);
}

Test(kit, join_reports_still_running_then_the_exit_status)
{
    pid_t pid = kit_start(exit_seven, 7, "seven");
    int status = 0;
    cr_assert(kit_join(pid, &status, 5.0));
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    pid = kit_start(sleep_long, 0, "sleeper");
    double t0 = kit_now();
    cr_assert_not(kit_join(pid, &status, 0.05), "still running after 50 ms");
    cr_assert_geq(kit_now() - t0, 0.05, "a timed join never ends early");
    kit_kill_join(pid, &status);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    cr_assert_eq(kit_children(), 0);
}

static void join_all_with_a_failing_child(void)
{
    kit_start(exit_seven, 3, "three");
    kit_start(sleep_long, 0, "sleeper");
    bool ok = kit_join_all(0.2);
    kit_say("join_all = %s, children left %d", ok ? "true" : "false", kit_children());
}

Test(kit, join_all_says_fail_for_a_bad_exit_and_kills_a_late_child)
{
    int status;
    const char *text = in_child(join_all_with_a_failing_child, &status);
    cr_assert(strstr(text, "FAIL child"), "got: %s", text);
    cr_assert(strstr(text, "exited with status 3"), "got: %s", text);
    cr_assert(strstr(text, "still running after 0.2 s: killed"), "got: %s", text);
    cr_assert(strstr(text, "join_all = false, children left 0"), "got: %s", text);
}

Test(kit, stop_children_ends_and_reaps_every_child_and_unlinks_names)
{
    char name[64], path[96];
    kit_object_name(name, sizeof name, "test-guard");
    snprintf(path, sizeof path, "/dev/shm%s", name);
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    cr_assert_neq(fd, -1, "create %s", path);
    close(fd);
    pid_t pid[3];
    for (int i = 0; i < 3; i++)
        pid[i] = kit_start(sleep_long, i, "sleeper %d", i);
    double t0 = kit_now();
    kit_stop_children(SIGTERM);
    cr_assert_lt(kit_now() - t0, 2.0, "SIGTERM ends them at once");
    cr_assert_eq(kit_children(), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(kill(pid[i], 0), -1, "child %d is gone and reaped", i);
    cr_assert_eq(access(path, F_OK), -1, "the guarded name is unlinked");
}

Test(kit, object_name_removes_a_leftover_and_unlinked_stops_guarding)
{
    char name[64], path[96];
    snprintf(path, sizeof path, "/dev/shm/mpkit-test-stale-%ld", (long)getpid());
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    cr_assert_neq(fd, -1);
    close(fd);
    kit_object_name(name, sizeof name, "test-stale");
    cr_assert_eq(access(path, F_OK), -1, "a leftover with our pid is removed");
    kit_object_unlinked(name);
    fd = open(path, O_CREAT | O_RDWR, 0600);   /* made again, not guarded any more */
    cr_assert_neq(fd, -1);
    close(fd);
    kit_stop_children(SIGTERM);
    cr_assert_eq(access(path, F_OK), 0, "no longer guarded: left alone");
    unlink(path);
}

static void say_whether_main(void) { kit_say("main %d", kit_is_main()); }

Test(kit, is_main_knows_a_forked_child)
{
    cr_assert(kit_is_main(), "the test body is the process the program started in");
    int status;
    const char *text = in_child(say_whether_main, &status);
    cr_assert(strstr(text, "main 0"), "a forked child is not the main process: %s", text);
}

/* ---- the gate ---- */
static struct kit_gate gate;
static double *passed_at;

static void wait_at_gate(int id)
{
    kit_gate_wait(&gate);
    passed_at[id] = kit_now();
}

Test(kit, gate_holds_every_child_until_it_opens)
{
    passed_at = kit_shared_alloc(3 * sizeof *passed_at);
    kit_gate_init(&gate);
    for (int i = 0; i < 3; i++)
        kit_start(wait_at_gate, i, "runner %d", i);
    kit_sleep(0.1);
    double opened = kit_now();
    kit_gate_open(&gate);
    cr_assert(kit_join_all(5.0));
    for (int i = 0; i < 3; i++)
        cr_assert_geq(passed_at[i], opened, "runner %d passed before the gate opened", i);
    kit_shared_free(passed_at, 3 * sizeof *passed_at);
}

/* ---- kit_main: the table-driven command line ---- */
static int *ran;   /* ran[i]: how often part i ran, in order ran[3] */
static long own_value = 5, own_flag;

static void part_a(const struct kit_args *a)
{
    ran[0]++;
    ran[3] = ran[3] * 10 + 1;
    kit_expect(a->workers >= 1, "workers %ld count %ld quick %d", a->workers, a->count, a->quick);
}
static void part_b(const struct kit_args *a)
{
    (void)a;
    ran[1]++;
    ran[3] = ran[3] * 10 + 2;
    kit_expect(true, "own %ld flag %ld", own_value, own_flag);
}
static void part_c(const struct kit_args *a)
{
    (void)a;
    ran[2]++;
    ran[3] = ran[3] * 10 + 3;
    kit_start(sleep_long, 0, "forgotten");   /* left unjoined: kit_main must catch it */
}

static const struct kit_part test_parts[] = {
    {"alpha", "the first part", part_a, true},
    {"beta", "the second part", part_b, true},
    {"gamma", "only when asked for", part_c, false},
    {0}};
static const struct kit_option test_own[] = {
    {"value", "V", "a number of its own", &own_value, 1, 9},
    {"flag", NULL, "a flag of its own", &own_flag, 0, 0},
    {0}};
static const struct kit_lesson test_lesson = {
    .name = "lessonT", .title = "Test 测试", .idea = "a lesson made of three parts",
    .python = "p = mp.Process(target=job)", .mechanism = "fork()", .watch = "the parts run",
    .parts = test_parts, .options = test_own,
    .workers = {"workers", 2, 1, 8, 0}, .count = {"count", 100, 1, 1000, 10}};

static const char *main_argv[8];
static void run_test_main(void)
{
    int argc = 0;
    char *argv[10] = {"lessonT"};
    for (argc = 1; main_argv[argc - 1] != NULL; argc++)
        argv[argc] = (char *)main_argv[argc - 1];
    optind = 1;
    exit(kit_main(&test_lesson, argc, argv));
}

static const char *main_with(int *status, const char *a, const char *b, const char *c)
{
    ran = kit_shared_alloc(4 * sizeof *ran);
    main_argv[0] = a;
    main_argv[1] = a ? b : NULL;
    main_argv[2] = a && b ? c : NULL;
    main_argv[3] = NULL;
    return in_child(run_test_main, status);
}

Test(kit_main, default_run_is_every_default_part_in_order)
{
    int status;
    const char *out = main_with(&status, "-q", NULL, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
    cr_assert_eq(ran[3], 12, "parts 1 then 2, not 3: %d", ran[3]);
    cr_assert(strstr(out, "== lessonT: Test 测试 =="), "%s", out);
    cr_assert(strstr(out, "  Python  p = mp.Process(target=job)"), "%s", out);
    cr_assert(strstr(out, "== 1. the first part =="), "%s", out);
    cr_assert(strstr(out, "workers 2 count 10 quick 1"), "--quick default count: %s", out);
    cr_assert(strstr(out, "VERDICT: PASS - all 2 checks held"), "%s", out);
}

Test(kit_main, part_options_and_part_n_choose_parts)
{
    int status;
    main_with(&status, "--beta", "--part", "1");
    cr_assert_eq(ran[3], 12, "table order, each once: %d", ran[3]);
    const char *out = main_with(&status, "--value", "7", "--flag");
    cr_assert(strstr(out, "own 7 flag 1"), "%s", out);
    out = main_with(&status, "-w", "4", "-n5");
    cr_assert(strstr(out, "workers 4 count 5 quick 0"), "%s", out);
}

Test(kit_main, a_child_left_unjoined_by_a_part_is_a_fail)
{
    int status;
    const char *out = main_with(&status, "--gamma", NULL, NULL);
    cr_assert_eq(ran[3], 3);
    cr_assert(strstr(out, "FAIL child"), "%s", out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", out);
}

Test(kit_main, list_prints_number_option_title)
{
    int status;
    const char *out = main_with(&status, "--list", NULL, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* strstr, not equality: under LeakSanitizer a forked child of the
     * (threaded) test runner may print a note of its own. */
    cr_assert(strstr(out, "   1  --alpha            the first part\n"
                          "   2  --beta             the second part\n"
                          "   3  --gamma            only when asked for (*)\n"), "%s", out);
    cr_assert_null(strstr(out, "== "), "no intro, no part: %s", out);
    cr_assert_eq(ran[3], 0, "--list runs nothing");
}

Test(kit_main, help_is_built_from_the_table)
{
    int status;
    const char *out = main_with(&status, "--help", NULL, NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert(strstr(out, "usage: lessonT [options]\nTest 测试: a lesson made of three parts\n"),
              "%s", out);
    cr_assert(strstr(out, "-n, --count N        count (1..1000, default 100, with --quick 10)"),
              "%s", out);
    cr_assert(strstr(out, "    --value V        a number of its own (1..9, default 5)"), "%s",
              out);
    cr_assert_null(strstr(out, " \n"), "no trailing blanks: %s", out);
}

Test(kit_main, bad_input_is_one_line_then_the_usage_and_exit_2)
{
    static const char *const rows[][3] = {
        {"--part", "4"}, {"--value", "0"}, {"--flag=1"}, {"-w", "\n5"}, {"--nope"}, {"-x"},
        {"extra"}, {"--count"}, {"--value"}};
    static const char *const said[] = {
        "--part: '4' is out of range (1 to 3)", "--value: '0' is out of range (1 to 9)",
        "option --flag takes no value", "--workers: '\\x0a5' is not a whole number",
        "unknown or ambiguous option '--nope'", "unknown option '-x'",
        "unexpected argument 'extra'", "option --count needs a value",
        "option --value needs a value"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int status;
        const char *out = main_with(&status, rows[i][0], rows[i][1], rows[i][2]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "row %zu: %s", i, out);
        const char *usage = strstr(out, "\nusage: lessonT [options]\n");
        cr_assert(strstr(out, said[i]) && strstr(out, said[i]) < usage, "row %zu: %s", i, out);
        cr_assert_null(memchr(out, '\n', (size_t)(usage - out)), "one line first: %s", out);
        cr_assert_eq(ran[3], 0, "row %zu ran a part", i);
    }
}

/* ---- bad input quoted safely ---- */
Test(kit, visible_escapes_control_and_non_ascii_bytes)
{
    cr_assert_str_eq(kit_visible("a\nb\xff"), "a\\x0ab\\xff");
    cr_assert_str_eq(kit_visible("plain -5"), "plain -5");
    char longer[300];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cr_assert_lt(strlen(kit_visible(longer)), 100, "cut short");
}

Test(kit_exit, parse_long_rejects_any_leading_white_space, .exit_code = 2)
{
    kit_parse_long("-n", "\n5", 1, 8);
}

static int returns_deadlock(void) { return EDEADLK; }
static void check_a_failing_call(void) { kit_check(returns_deadlock()); }

Test(kit, check_names_the_whole_call_and_its_error_number)
{
    int status;
    const char *text = in_child(check_a_failing_call, &status);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILURE);
    cr_assert(strstr(text, "returns_deadlock() failed at tests/test_kit.c:"), "got: %s", text);
    cr_assert(strstr(text, "EDEADLK (Resource deadlock avoided)"), "got: %s", text);
    kit_check(0);   /* 0 is success: nothing happens */
}
