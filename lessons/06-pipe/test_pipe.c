/* test_pipe.c - lesson 06 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson06, .timeout = 60);

Test(lesson06, quick_run_passes_fast_and_leaves_nothing)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick");
    assert_quick_pass(r, 13, 2.0);
    run_free(&r);
}

Test(lesson06, one_way_parent_receives_every_childs_list_then_eof)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--one-way", "-w", "16");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] send([1, 2, 3, 4, 5])"), 16, "%s", r.out);
    cr_assert_eq(count_of(r.out, ": [1, 2, 3, 4, 5] (20 bytes)"), 16, "%s", r.out);
    assert_says(r, "recv() #17: end of file");
    assert_says(r, "ok   16 messages, each the whole list, then end of file");
    assert_says(r, "ok   write() on the read end fails with EBADF");
    cr_assert(strstr(r.out, "[child 16 "), "children are numbered: %s", r.out);
    run_free(&r);
}

Test(lesson06, duplex_request_and_reply_each_way)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--duplex");
    assert_run(r, 0);
    assert_says(r, "recv() request \"send me the list\"");
    assert_says(r, "ok   parent_conn.recv() = [42, None, 'hello']");
    assert_says(r, "recv() request \"your pid?\"");
    double parent;
    cr_assert(number_after(r.out, "[parent ", &parent));
    char reply[64];
    snprintf(reply, sizeof reply, "recv() reply \"%.0f\"", parent);
    cr_assert(strstr(r.out, reply), "the child got its parent's pid: %s", r.out);
    assert_says(r, "VERDICT: PASS - all 2 checks held");
    run_free(&r);
}

Test(lesson06, bare_reads_glue_and_split_messages_framing_does_not)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--framing");
    assert_run(r, 0);
    cr_assert(strstr(r.out, "ok   two write()s of 5 bytes, then one read() of up to 64 returns 10: "
                            "\"helloworld\""), "%s", r.out);
    double first;
    cr_assert(number_after(r.out, "the first read() of up to 100000 returns ", &first), "%s", r.out);
    cr_assert(first > 0 && first < 100000, "first read %.0f", first);
    assert_says(r, "ok   framed: recv() returns messages of 5, 5 and 100000 bytes");
    run_free(&r);
}

Test(lesson06, eof_waits_for_the_last_write_end)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--eof");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken: sent 3 messages and kept my write end");
    assert_says(r, "ok   watchdog: after 0.2 s the reader is still blocked in read()");
    /* in the broken run the reader sees end of file only after the close */
    const char *close = strstr(r.out, "now I close my write end");
    const char *eof = strstr(r.out, "end of file after 3 messages");
    cr_assert(close && eof && close < eof, "%s", r.out);
    cr_assert_eq(count_of(r.out, "end of file after 3 messages"), 2, "%s", r.out);
    cr_assert_eq(count_of(r.out, "ok   the reader saw end of file at once and exited with status 0"),
                 2, "%s", r.out);
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

Test(lesson06, sigpipe_kills_the_writer_then_epipe_when_ignored)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--sigpipe");
    assert_run(r, 0);
    assert_says(r, "ok   the writer was killed by signal 13 (SIGPIPE)");
    assert_says(r, "SIGPIPE set to SIG_IGN");
    assert_says(r, "write() = -1, errno EPIPE after ");
    cr_assert(strstr(r.out, "ok   with SIGPIPE ignored, write() failed with EPIPE; the writer "
                            "exited with status 0"), "%s", r.out);
    run_free(&r);
}

Test(lesson06, pipe_buf_records_never_tear_in_100_runs)
{
    struct lesson_run r = RUN("lesson06", 50, "--quick", "--trials", "100");
    assert_run(r, 0);
    assert_says(r, "ok   records of 4096 bytes: 0 torn in 100 run(s) of 5 x 100 records");
    cr_assert(strstr(r.out, "fixed:") == NULL, "--trials alone runs only --atomic");
    /* big records: torn, or an honest "0 torn this time" */
    double torn;
    if (number_after(r.out, "records of 100000 bytes (> PIPE_BUF): ", &torn) && torn > 0)
        assert_says(r, "WARNING: records of 100000 bytes");
    else
        assert_says(r, "0 torn in 5 x 20 this time");
    run_free(&r);
}

Test(lesson06, one_writer_never_tears_and_says_so)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--atomic", "-w", "1", "-n", "5");
    assert_run(r, 0);
    assert_says(r, "ok   records of 4096 bytes: 0 torn in 1 run(s) of 1 x 5 records");
    assert_says(r, "records of 100000 bytes (> PIPE_BUF): 0 torn in 1 x 5 this time");
    run_free(&r);
}

/* The mechanism itself. With O_NONBLOCK there is no waiting, so what the
 * kernel does is visible: a write of at most PIPE_BUF bytes that does not
 * fit is refused whole (EAGAIN); a bigger one may go in part (Linux: it
 * fills the room that is left). */
Test(lesson06, pipe_buf_write_is_all_or_nothing)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    cr_assert_neq(fcntl(fd[1], F_SETFL, O_NONBLOCK), -1);
    int size = fcntl(fd[1], F_GETPIPE_SZ);
    cr_assert_gt(size, PIPE_BUF);
    static char buf[2 * PIPE_BUF];
    for (int left = size - 100; left > 0;) {     /* leave 100 bytes of room */
        ssize_t n = write(fd[1], buf, left < PIPE_BUF ? (size_t)left : PIPE_BUF);
        cr_assert_gt(n, 0);
        left -= (int)n;
    }
    errno = 0;
    cr_assert_eq(write(fd[1], buf, PIPE_BUF), -1, "a PIPE_BUF write went in part");
    cr_assert_eq(errno, EAGAIN);
    ssize_t n = write(fd[1], buf, PIPE_BUF + 100);
    cr_assert(n > 0 && n < PIPE_BUF + 100, "a bigger write went in part: %zd", n);
    close(fd[0]);
    close(fd[1]);
}

/* Ctrl-C sends SIGINT to the whole foreground group: the lesson and the
 * reader it left blocked in read() both die of it, and nothing runs on.
 * (The reader may die after the lesson: a zombie for init to reap, which
 * is no leak, so only processes still running count.) */
Test(lesson06, ctrl_c_leaves_no_process_running)
{
    struct lesson_run r = RUN_SIGNAL("lesson06", 20, SIGINT, "deliberately broken", "--eof");
    cr_assert(!r.timed_out, "%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGINT, "status 0x%x\n%s", r.status,
              r.out);
    cr_assert_eq(r.running, 0, "%d process(es) still running after Ctrl-C", r.running);
    run_free(&r);
}

Test(lesson06, bench_reports_both_rates_beside_bare)
{
    struct lesson_run r = RUN("lesson06", 40, "--quick", "--bench");
    assert_run(r, 0);
    double bare, framed;
    const char *stream = strstr(r.out, "one-way pipe, 64 KiB messages, MB/s: ");
    const char *ping = strstr(r.out, "ping-pong, 8-byte messages, round trips/s: ");
    cr_assert(stream && ping, "%s", r.out);
    cr_assert(number_after(stream, "bare ", &bare) && number_after(stream, "framed ", &framed));
    cr_assert(bare > 0 && framed > 0, "%s", stream);
    cr_assert(number_after(ping, "bare ", &bare) && number_after(ping, "framed ", &framed));
    cr_assert(bare > 0 && framed > 0, "%s", ping);
    cr_assert_eq(count_of(r.out, "(target >= 80%: "), 2, "%s", r.out);
    cr_assert(strstr(r.out, "ok   20 of 20 runs delivered every byte or every number (16 MiB, "
                            "2000 round trips each)"), "%s", r.out);
    cr_assert(strstr(r.out, "Pipe(False)") == NULL, "--bench alone runs only the bench");
    run_free(&r);
}

Test(lesson06, paced_default_run_stays_under_ten_seconds)
{
    struct lesson_run r = RUN("lesson06", 25, NULL);
    assert_paced_run(r);
    assert_says(r, "0 torn in 1 run(s) of 5 x 1000 records");
    assert_says(r, "VERDICT: PASS - all 13 checks held");
    run_free(&r);
}

Test(lesson06, help_exits_0_with_usage)
{
    static const char *const opts[] = {"--one-way", "--duplex", "--framing", "--eof", "--sigpipe",
                                       "--atomic", "--trials K", "--bench", "--workers N",
                                       "--count N", "--quick"};
    assert_help_lists("lesson06", opts);
}

Test(lesson06, bad_input_exits_2_with_one_line_and_usage)
{
    static const char *const bad[][3] = {
        {"--bogus", NULL}, {"-w", "0"}, {"-w", "-3"}, {"-w", "17"}, {"-w", "x"}, {"-n", "0"},
        {"-n", "100001"}, {"-n", "99999999999999999999"}, {"--trials", "0"}, {"--trials", "1001"},
        {"--trials", "3x"}, {"--trials", NULL}, {"--eof=1", NULL}, {"stray", NULL},
    };
    assert_bad_inputs("lesson06", bad);
}
