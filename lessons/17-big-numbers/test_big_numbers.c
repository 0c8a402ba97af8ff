/* test_big_numbers.c - lesson 17: note 001's job gives the notes' digit counts exactly,
 * through map() and apply_async(), in input order, on any number of workers.
 * (--help, bad input, --list, --quick, signals: tests/.) Builds without GMP: it runs
 * ./lesson17 from outside, and skips when that binary was not built (no gmp.h). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

TestSuite(lesson17, .timeout = 120);

static void skip_without_binary(void)
{
    const char *bin = getenv("MPKIT_BIN");
    char path[256];
    snprintf(path, sizeof path, "%s/lesson17", bin && *bin ? bin : ".");
    if (access(path, X_OK) != 0)
        cr_skip_test("%s not built (GMP missing: make deps)", path);
}

static const char *const full[2] = {"[236125, 294538, 337000, 370393, 397922,",
                                    " 421345, 441729, 459774, 475963, 490642]"};

/* The whole list, both parts, as the notes print it: -w 1, 2 and 3 (3 does not divide 10) */
Test(lesson17, the_notes_list_exactly_in_input_order_on_1_2_and_3_workers)
{
    skip_without_binary();
    static const char *const workers[] = {"1", "2", "3"};
    for (size_t w = 0; w < 3; w++) {
        struct lesson_run r = RUN("lesson17", 100, "-w", workers[w]);
        assert_run(r, 0);
        cr_assert_eq(count_of(r.out, full[0]), 2, "map and apply: first half\n%s", r.out);
        cr_assert_eq(count_of(r.out, full[1]), 2, "map and apply: second half\n%s", r.out);
        assert_says(r, "-- job(1)的结果是： 236125");
        assert_says(r, "job(1)的结果是: 236125");
        assert_says(r, "ok   pool.map(): 10 of 10 digit counts exactly the notes'");
        assert_says(r, "ok   res.get() each: 10 of 10 digit counts exactly the notes'");
        assert_says(r, "ok   apply_async(job, (1,)).get() = 236125, the notes' 236125");
        /* every job ran exactly once in a worker: 10 for map, 11 for apply */
        cr_assert_eq(count_of(r.out, "] job(1) = 236125 digits"), 3, "%s", r.out);
        cr_assert_eq(count_of(r.out, "] job(10) = 490642 digits"), 2, "%s", r.out);
        cr_assert_eq(count_of(r.out, " digits\n"), 21, "%s", r.out);
        assert_says(r, "VERDICT: PASS - all 5 checks held");
        run_free(&r);
    }
}

/* --quick: the shorter list, x in (1, 2), still checked digit for digit */
Test(lesson17, quick_runs_the_first_two_exactly)
{
    skip_without_binary();
    struct lesson_run r = RUN("lesson17", 60, "--quick", "-w", "2");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "[236125, 294538]"), 2, "%s", r.out);
    assert_says(r, "ok   pool.map(): 2 of 2 digit counts exactly the notes'");
    cr_assert_eq(count_of(r.out, " digits\n"), 5, "%s", r.out);
    run_free(&r);
}

/* The mechanism of this lesson's pool, without GMP: records of at most PIPE_BUF bytes
 * written to one pipe by several processes at once arrive whole, never mixed, and each
 * writer's records in its own order. */
struct record { int32_t writer, seq; int64_t check; };

Test(lesson17, small_pipe_writes_from_many_processes_never_mix)
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
    int next[WRITERS] = {0}, total = 0;
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
        total++;
    }
    close(fd[0]);
    cr_assert_eq(have, 0, "a partial record at the end");
    for (int w = 0; w < WRITERS; w++) {
        int status;
        cr_assert_eq(waitpid(pid[w], &status, 0), pid[w]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        cr_assert_eq(next[w], EACH, "writer %d: %d of %d records", w, next[w], EACH);
    }
    cr_assert_eq(total, WRITERS * EACH);
}
