/* test_pipe.c - lesson 06's idea: one-way and duplex pipes, end of file, SIGPIPE.
 * (--help, bad input, --list, --quick, Ctrl-C: the shared table in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson06, .timeout = 60);

Test(lesson06, one_way_lists_received_equal_the_lists_sent)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--one-way", "-w", "16");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "] send([1, 2, 3, 4, 5]): one write() of 20 bytes"), 16, "%s",
                 r.out);
    cr_assert_eq(count_of(r.out, ": [1, 2, 3, 4, 5]\n"), 16, "%s", r.out);
    assert_says(r, "recv() #17: end of file");
    assert_says(r, "ok   16 lists received, 16 of them [1, 2, 3, 4, 5] as sent, then end of file");
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
    assert_says(r, "ok   the child got my pid back on the same socket and exited with status 0");
    run_free(&r);
}

Test(lesson06, eof_waits_for_the_last_write_end)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--eof");
    assert_run(r, 0);
    assert_says(r, "WARNING: deliberately broken: sent 3 messages and kept my write end open");
    assert_says(r, "ok   watchdog: after 0.2 s the reader is still blocked in read()");
    /* in the broken run the reader sees end of file only after the close */
    const char *close = strstr(r.out, "now I close my write end");
    const char *eof = strstr(r.out, "end of file after 3 messages");
    cr_assert(close && eof && close < eof, "%s", r.out);
    cr_assert_eq(count_of(r.out, "end of file after 3 messages"), 2, "%s", r.out);
    /* the reader's exit status is its count: 3 messages in both runs */
    cr_assert_eq(count_of(r.out, "ok   the reader read 3 messages, saw end of file and exited "
                                 "with status 3"), 2, "%s", r.out);
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

Test(lesson06, sigpipe_kills_the_writer_then_epipe_when_ignored)
{
    struct lesson_run r = RUN("lesson06", 10, "--quick", "--sigpipe");
    assert_run(r, 0);
    assert_says(r, "ok   the writer was killed by signal 13 (SIGPIPE)");
    assert_says(r, "SIGPIPE set to SIG_IGN");
    double kib;
    cr_assert(number_after(r.out, "write() = -1, errno EPIPE after ", &kib), "%s", r.out);
    cr_assert_geq(kib, 1, "the writer wrote the KiB the parent read first");
    assert_says(r, "ok   SIGPIPE ignored: write() got EPIPE; the writer exited with status 0");
    /* the killed writer never got as far as its EPIPE line */
    cr_assert_eq(count_of(r.out, "errno EPIPE"), 1, "%s", r.out);
    run_free(&r);
}
