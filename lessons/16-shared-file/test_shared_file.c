/* test_shared_file.c - lesson 16's figures: the copy made with each child's own
 * open() equals the original byte for byte; the broken copy never grows; the
 * locked writers' file has every line whole and exactly N x W lines; appends
 * never lose a byte. (--help, bad input, --list, --quick, columns and Ctrl-C:
 * the shared table in tests/.) */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "run.h"

TestSuite(lesson16, .timeout = 60);

Test(lesson16, own_open_copy_equals_the_original)
{
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--own-open", "-n", "1000");
    assert_run(r, 0);
    assert_says(r, "ok   cmp: the copy equals the original, 1024000 bytes, 1000 blocks in place");
    run_free(&r);
}

Test(lesson16, own_open_copy_of_an_odd_size_equals_the_original)
{
    /* 1001 KiB: the halves meet in the middle of a block */
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--own-open", "-n", "1001");
    assert_run(r, 0);
    assert_says(r, "ok   cmp: the copy equals the original, 1025024 bytes, 1001 blocks in place");
    run_free(&r);
}

Test(lesson16, shared_offset_copy_is_scrambled_or_says_not_shown)
{
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--shared-offset", "-n", "2048");
    assert_run(r, 0);
    long long got = -1, of = -1;
    const char *p = strstr(r.out, "ok   the copy has ");
    cr_assert(p, "%s", r.out);
    cr_assert_eq(sscanf(p, "ok   the copy has %lld of %lld bytes", &got, &of), 2);
    cr_assert(of == 2048 * 1024 && got <= of, "%s", r.out);
    cr_assert(strstr(r.out, "WARNING: deliberately broken: cmp: differ at byte ") ||
              strstr(r.out, "not shown this run"), "%s", r.out);
    run_free(&r);
}

/* The bytes W writers append: "writerK" and "想先向终端写入 i of K\n" per line. */
static long long appended(int w, long per_writer)
{
    long long sum = 0;
    for (int k = 1; k <= w; k++)
        for (long i = 0; i < per_writer; i++)
            sum += snprintf(NULL, 0, "writer%d", k) + snprintf(NULL, 0, "想先向终端写入 %ld of %d\n", i, k);
    return sum;
}

Test(lesson16, locked_writers_every_line_whole_n_times_w)
{
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--lock", "-w", "4", "--lines", "50");
    assert_run(r, 0);
    assert_says(r, "ok   with the lock: 200 lines, 200 whole");
    char line[96];
    snprintf(line, sizeof line, "ok   all %lld bytes are there", appended(4, 50));
    assert_says(r, line);
    assert_says(r, "VERDICT: PASS - all 2 checks held");
    run_free(&r);
}

Test(lesson16, unlocked_writers_lose_no_byte_and_say_what_tore)
{
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--no-lock", "-w", "3", "--lines", "10");
    assert_run(r, 0);
    char line[96];
    snprintf(line, sizeof line, "ok   all %lld bytes are there", appended(3, 1000));
    assert_says(r, line);
    cr_assert(strstr(r.out, "WARNING: deliberately broken, no lock: ") ||
              strstr(r.out, "no lock: all 3000 lines whole: the race is not shown"), "%s", r.out);
    cr_assert_eq(count_of(r.out, "FAIL"), 0);
    run_free(&r);
}

Test(lesson16, one_writer_never_tears)
{
    struct lesson_run r = RUN("lesson16", 20, "--quick", "--no-lock", "-w", "1");
    assert_run(r, 0);
    assert_says(r, "no lock: all 2000 lines whole: the race is not shown this run");
    run_free(&r);
}
