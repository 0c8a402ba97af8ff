/* test_lessons.c - what every lesson shares, tested once for all of them.
 *
 * Every lesson is a table handed to kit_main(), so every lesson must show
 * the same face: --help, --list, --part N, --quick, the intro screen, bad
 * input refused with exit 2, lines within 100 columns, and nothing left
 * behind by Ctrl-C, `kill PID` or a closed terminal. The lessons are found
 * in lessons/NN-name/: a new lesson is tested here without an edit. Each
 * lesson's own test_*.c tests its idea.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "run.h"

TestSuite(lessons, .timeout = 240);

enum { MAX_LESSONS = 40 };

/* Every lesson; at least the nine first ones unless MPKIT_ONLY narrows it. */
static int lessons(char names[][16])
{
    int n = find_lessons(names, MAX_LESSONS);
    cr_assert_geq(n, getenv("MPKIT_ONLY") ? 1 : 9, "found only %d lessons", n);
    return n;
}

/* The widest line of text, in terminal columns: a UTF-8 sequence is one
 * column, a CJK character (the notes' terms) two. */
static int widest(const char *text, int *line_no)
{
    int most = 0, cols = 0, line = 1;
    *line_no = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            cols = 0;
            line++;
            continue;
        }
        if ((*p & 0xC0) == 0x80)
            continue;                       /* a continuation byte */
        cols += (*p >= 0xE3 && *p <= 0xE9) ? 2 : 1;  /* U+3000..U+9FFF: wide */
        if (cols > most) {
            most = cols;
            *line_no = line;
        }
    }
    return most;
}

#define assert_fits_100(lesson, what, text)                                           \
    do {                                                                            \
        int line_;                                                                  \
        int w_ = widest((text), &line_);                                            \
        cr_assert_leq(w_, 100, "%s %s: line %d is %d columns wide", (lesson), (what), \
                      line_, w_);                                                   \
    } while (0)

/* The parts --list prints: "  3  --holder-dies    a process dies ...". */
static int parts_of(const char *lesson)
{
    struct lesson_run r = RUN(lesson, 5, "--list");
    assert_run(r, 0);
    cr_assert_str_empty(r.err, "%s --list wrote to stderr: %s", lesson, r.err);
    int n = 0;
    for (const char *line = r.out; *line; line = strchr(line, '\n') + 1) {
        int number;
        char option[64];
        cr_assert_eq(sscanf(line, "%d --%63s", &number, option), 2,
                     "%s --list: not 'N --option title': %.60s", lesson, line);
        cr_assert_eq(number, ++n, "%s --list numbers its parts 1, 2, ...", lesson);
        if (strchr(line, '\n') == NULL)
            break;
    }
    assert_fits_100(lesson, "--list", r.out);
    run_free(&r);
    cr_assert_geq(n, 1, "%s lists no part", lesson);
    return n;
}

Test(lessons, help_names_the_shared_options)
{
    char names[MAX_LESSONS][16];
    int n = lessons(names);
    static const char *const shared[] = {"-h, --help", "-q, --quick", "--list", "--part N"};
    for (int i = 0; i < n; i++) {
        struct lesson_run r = RUN(names[i], 5, "--help");
        assert_run(r, 0);
        char usage[32];
        snprintf(usage, sizeof usage, "usage: %.16s", names[i]);
        assert_says(r, usage);
        for (size_t j = 0; j < sizeof shared / sizeof shared[0]; j++)
            cr_assert(strstr(r.out, shared[j]), "%s --help lacks %s", names[i], shared[j]);
        cr_assert_null(strstr(r.out, "--bench"), "%s: speed lives in bench/", names[i]);
        assert_fits_100(names[i], "--help", r.out);
        run_free(&r);
    }
}

Test(lessons, quick_run_opens_with_the_intro_and_passes)
{
    char names[MAX_LESSONS][16];
    int n = lessons(names);
    for (int i = 0; i < n; i++) {
        struct lesson_run r = RUN(names[i], 20, "--quick");
        assert_run(r, 0);
        cr_assert_str_empty(r.err, "%s --quick wrote to stderr:\n%s", names[i], r.err);
        cr_assert_null(strstr(r.out, "FAIL"), "%s --quick:\n%s", names[i], r.out);
        cr_assert(strstr(r.out, "VERDICT: PASS"), "%s --quick:\n%s", names[i], r.out);
        cr_assert_null(strstr(r.out, "all 0 checks"), "%s checked nothing", names[i]);
        /* The first screen: the Python original within the first 12 lines,
         * and at most 8 lines of intro before the first part begins. */
        const char *line = r.out;
        for (int k = 0; k < 12 && line; k++)
            line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
        size_t head = line ? (size_t)(line - r.out) : strlen(r.out);
        cr_assert(memmem(r.out, head, "Python", 6), "%s: no Python in the first 12 lines:\n%.*s",
                  names[i], (int)head, r.out);
        const char *intro = strstr(r.out, "\n== ");
        const char *part = intro ? strstr(intro + 1, "\n== ") : NULL;
        cr_assert_not_null(part, "%s: no intro heading, or no part heading after it", names[i]);
        size_t before = 0;
        for (const char *p = r.out; p < part; p++)
            before += *p == '\n';
        cr_assert_leq(before, 10, "%s: %zu lines before the first part", names[i], before);
        assert_fits_100(names[i], "--quick", r.out);
        run_free(&r);
    }
}

Test(lessons, part_n_runs_that_part_alone)
{
    char names[MAX_LESSONS][16];
    int n = lessons(names);
    for (int i = 0; i < n; i++) {
        int parts = parts_of(names[i]);
        for (int p = 1; p <= parts; p++) {
            char number[16], heading[32], other[32];
            snprintf(number, sizeof number, "%d", p);
            struct lesson_run r = RUN(names[i], 20, "--quick", "--part", number);
            assert_run(r, 0);
            snprintf(heading, sizeof heading, "\n== %d. ", p);
            cr_assert(strstr(r.out, heading), "%s --part %d has no heading:\n%s", names[i], p,
                      r.out);
            for (int q = 1; q <= parts; q++) {
                snprintf(other, sizeof other, "\n== %d. ", q);
                cr_assert(q == p || !strstr(r.out, other), "%s --part %d also ran part %d",
                          names[i], p, q);
            }
            cr_assert_null(strstr(r.out, "FAIL"), "%s --part %d:\n%s", names[i], p, r.out);
            cr_assert_null(strstr(r.out, "all 0 checks"), "%s --part %d checked nothing",
                           names[i], p);
            run_free(&r);
        }
    }
}

/* Each row: an argument list every lesson must refuse with exit 2, one
 * line of complaint and the usage, having started nothing. */
static const char *const bad[][5] = {   /* each row ends with NULL */
    {"--no-such-option"}, {"-x"}, {"-Z", "--quick"}, {"-qz"}, {"--\xff"}, {"\xff\xfe"},
    {"stray"}, {"--quick", "stray"}, {"-q", "--", "x"}, {"--help=x"}, {"--quick=1"},
    {"-w"}, {"-w", ""}, {"-w", "abc"}, {"-w", " 5"}, {"-w", "\n5"}, {"-w", "5x"},
    {"-w", "1e3"}, {"-w", "0"}, {"-w", "-1"}, {"-w", "99999999999999999999"},
    {"--workers=0"}, {"-w", "0x10"},
    {"-n"}, {"-n", ""}, {"-n", "ten"}, {"-n", "0"}, {"-n", "-5"}, {"-n", "\t7"},
    {"-n", "9223372036854775808"}, {"-n", "3.5"}, {"--count=\xe4\xb8\x83"},
    {"--part"}, {"--part", "0"}, {"--part", "999"}, {"--part", "x"}, {"--part", ""},
    {"--part=-1"}, {"--part", "1", "--part", "1x"},
};

Test(lessons, bad_input_exits_2_with_one_line_and_the_usage)
{
    char names[MAX_LESSONS][16];
    int n = lessons(names);
    cr_assert_geq(sizeof bad / sizeof bad[0], 30);
    for (int i = 0; i < n; i++)
        for (size_t row = 0; row < sizeof bad / sizeof bad[0]; row++) {
            struct lesson_run r = run_lesson(names[i], 5, bad[row]);
            cr_assert(!r.timed_out && r.exit_code == 2, "%s %s %s: exit %d\n%s", names[i],
                      bad[row][0], bad[row][1] ? bad[row][1] : "", r.exit_code, r.err);
            assert_usage_error(r);
            run_free(&r);
        }
}

/* Ctrl-C (SIGINT to the whole job), `kill PID` (SIGTERM to the parent
 * alone) and a closed terminal (SIGHUP to the parent) in the middle of a
 * paced run: the lesson dies of that signal, and leaves no process and no
 * /dev/shm name. The signal goes out when the first tagged line appears:
 * the lesson is at work then (children started, often blocked). */
static void stopped_by(int sig, bool group)
{
    char names[MAX_LESSONS][16];
    int n = lessons(names);
    for (int i = 0; i < n; i++) {
        struct lesson_run r = run_lesson_signal(names[i], 15, sig, group, "ms [",
                                                (const char *const[]){"--part", "1", NULL});
        if (!strstr(r.out, "ms [")) {      /* a lesson whose lines carry no ms tag */
            run_free(&r);
            r = run_lesson_signal(names[i], 15, sig, group, "] ",
                                  (const char *const[]){"--part", "1", NULL});
        }
        cr_assert_not(r.timed_out, "%s ignored signal %d:\n%s", names[i], sig, r.out);
        bool died = WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig;
        bool finished = r.exit_code == 0 && strstr(r.out, "VERDICT: PASS");
        cr_assert(died || finished, "%s after signal %d: status 0x%x\n%s\n%s", names[i], sig,
                  r.status, r.out, r.err);
        cr_assert_eq(r.leftovers, 0, "%s left %d process(es) after signal %d", names[i],
                     r.leftovers, sig);
        cr_assert_str_empty(r.shm_left, "%s left %s", names[i], r.shm_left);
        run_free(&r);
    }
}

Test(lessons, ctrl_c_leaves_nothing_behind) { stopped_by(SIGINT, true); }
Test(lessons, sigterm_to_the_parent_leaves_nothing_behind) { stopped_by(SIGTERM, false); }
Test(lessons, sighup_to_the_parent_leaves_nothing_behind) { stopped_by(SIGHUP, false); }
