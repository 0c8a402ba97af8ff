/* test_pipe_messages.c - lesson 11's idea: framing on a byte stream, PIPE_BUF.
 * (--help, bad input, --list, --quick, Ctrl-C: the shared table in tests/.) */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

TestSuite(lesson11, .timeout = 60);

Test(lesson11, bare_reads_glue_and_split_framing_recovers_every_message)
{
    struct lesson_run r = RUN("lesson11", 10, "--quick", "--framing");
    assert_run(r, 0);
    assert_says(r, "ok   two write()s of 5 bytes; one read() of up to 64 gets 10: \"helloworld\"");
    double first;
    cr_assert(number_after(r.out, "the first read() gets only ", &first), "%s", r.out);
    cr_assert(first > 0 && first < 100000, "first read %.0f", first);
    static const char *const lengths[] = {"#1: length 5,", "#2: length 5,", "#3: length 0,",
                                          "#4: length 1,", "#5: length 4096,",
                                          "#6: length 4097,", "#7: length 100000,"};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        assert_says(r, lengths[i]);
    cr_assert(strstr(r.out, "#8:") == NULL, "no eighth message: %s", r.out);
    assert_says(r, "ok   framed: 7 messages, 7 exact in length and bytes, then end of file");
    run_free(&r);
}

Test(lesson11, pipe_buf_records_never_tear_in_100_runs)
{
    struct lesson_run r = RUN("lesson11", 50, "--quick", "--atomic", "--trials", "100");
    assert_run(r, 0);
    assert_says(r, "ok   records of 4096 bytes: 0 torn in 100 run(s) of 5 x 100");
    /* big records: torn and counted, or an honest "not shown this run" */
    double torn;
    if (number_after(r.out, "records of 100000 bytes (> PIPE_BUF): ", &torn) && torn > 0)
        assert_says(r, " torn of 5 x 20");
    else
        assert_says(r, "tearing not shown this run (0 of 5 x 20)");
    run_free(&r);
}

Test(lesson11, big_records_from_16_writers_are_counted_when_torn)
{
    struct lesson_run r = RUN("lesson11", 20, "--quick", "--atomic", "-w", "16", "-n", "20");
    assert_run(r, 0);
    double torn;
    if (number_after(r.out, "records of 100000 bytes (> PIPE_BUF): ", &torn)) {
        cr_assert(torn > 0 && torn <= 16 * 20, "a tear count within the records: %.0f", torn);
        assert_says(r, "WARNING: records of 100000 bytes (> PIPE_BUF): ");
    } else {
        assert_says(r, "tearing not shown this run (0 of 16 x 20)");
    }
    run_free(&r);
}

Test(lesson11, one_writer_never_tears)
{
    struct lesson_run r = RUN("lesson11", 10, "--quick", "--atomic", "-w", "1", "-n", "5");
    assert_run(r, 0);
    assert_says(r, "ok   records of 4096 bytes: 0 torn in 1 run(s) of 1 x 5");
    assert_says(r, "ok   records of 100000 bytes, one writer: 0 torn");
    run_free(&r);
}

/* The mechanism itself. With O_NONBLOCK there is no waiting, so what the
 * kernel does is visible: a write of at most PIPE_BUF bytes that does not
 * fit is refused whole (EAGAIN); a bigger one may go in part (Linux: it
 * fills the room that is left). */
Test(lesson11, pipe_buf_write_is_all_or_nothing)
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
