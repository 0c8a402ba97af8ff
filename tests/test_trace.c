/* test_trace.c - --trace FILE (common/trace.c) and the timeline charts.
 *
 * Every lesson, run with --quick --trace, must write a well-formed trace:
 * the header, at least 5 rows, rows from every process it started (every
 * pid its output shows, every child its parent joined), times that never go
 * backwards within a process, a start before every exit, spans that end
 * where they began. With the trace on it must run as without it: the same
 * verdict. Many processes writing at once never tear a row. The chart
 * script draws a trace, whole and one part alone, without a complaint.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(trace, .timeout = 240);

enum { MAX_LESSONS = 40, MAX_PIDS = 512 };


static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no trace file %s", path);
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;)
        fwrite(buf, 1, n, mem);
    fclose(f);
    fclose(mem);
    return text;
}

/* What one process wrote. */
struct proc {
    long pid;
    long long last_ns;
    int rows, starts, exits, open_spans;
};

struct trace {
    int rows;
    int n;
    struct proc p[MAX_PIDS];
    long joined[MAX_PIDS];
    int joins;
};

static struct proc *proc_of(struct trace *t, long pid)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].pid == pid)
            return &t->p[i];
    cr_assert_lt(t->n, MAX_PIDS);
    t->p[t->n] = (struct proc){.pid = pid, .last_ns = -1};
    return &t->p[t->n++];
}

/* Parses and checks a trace: `who` names it in the messages. */
static void parse(const char *who, char *text, struct trace *t)
{
    *t = (struct trace){0};
    char *save = NULL;
    bool columns = false;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        if (!columns) {
            cr_assert_str_eq(line, "time_ns\tpid\trole\tkind\ttext", "%s: the column line", who);
            columns = true;
            continue;
        }
        char *f[5], *s2 = NULL;
        int n = 0;
        for (char *c = strtok_r(line, "\t", &s2); c && n < 5; c = strtok_r(NULL, "\t", &s2))
            f[n++] = c;
        cr_assert_geq(n, 4, "%s: a row of %d fields", who, n);
        char *end;
        long long ns = strtoll(f[0], &end, 10);
        cr_assert(*end == '\0' && ns >= 0, "%s: time '%s'", who, f[0]);
        long pid = strtol(f[1], &end, 10);
        cr_assert(*end == '\0' && pid > 0, "%s: pid '%s'", who, f[1]);
        struct proc *p = proc_of(t, pid);
        cr_assert_geq(ns, p->last_ns, "%s: pid %ld went back in time: %lld after %lld", who, pid,
                      ns, p->last_ns);
        p->last_ns = ns;
        p->rows++;
        t->rows++;
        const char *kind = f[3];
        if (strcmp(kind, "start") == 0 || strcmp(kind, "fork") == 0)
            p->starts++;
        if (strcmp(kind, "exit") == 0) {
            cr_assert_gt(p->starts, 0, "%s: pid %ld exits before it starts", who, pid);
            p->exits++;
        }
        if (strcmp(kind, "begin") == 0)
            p->open_spans++;
        if (strcmp(kind, "end") == 0) {
            cr_assert_gt(p->open_spans, 0, "%s: pid %ld ends a span it never began", who, pid);
            p->open_spans--;
        }
        if (strcmp(kind, "join") == 0 && n == 5 && t->joins < MAX_PIDS)
            /* A child SIGKILLed from outside (lesson 20 kills workers at random
             * moments) may die before its first row: only the others must have one. */
            if (strstr(f[4], "killed by signal 9") == NULL)
                t->joined[t->joins++] = strtol(f[4] + strlen("joined "), NULL, 10);
    }
    cr_assert(columns, "%s: no column line", who);
}

static bool traced(struct trace *t, long pid)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].pid == pid)
            return true;
    return false;
}

static void temp_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/mpkit-trace-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

Test(trace, every_lesson_writes_rows_from_every_process_it_started)
{
    char names[MAX_LESSONS][16], dir[64], path[128];
    int n = find_lessons(names, MAX_LESSONS);
    temp_dir(dir, sizeof dir);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%.63s/%.15s.tsv", dir, names[i]);
        struct lesson_run r = RUN(names[i], 60, "--quick", "--trace", path);
        assert_run(r, 0);
        assert_says(r, "VERDICT: PASS");
        char *text = slurp(path);
        char header[64];
        snprintf(header, sizeof header, "# lesson: %.15s\n", names[i]);
        cr_assert(strstr(text, header), "%s: no '%s'", names[i], header);
        cr_assert(strstr(text, "\n# date: ") && strstr(text, "\n# cores: "), "%s", names[i]);
        struct trace *t = malloc(sizeof *t);
        parse(names[i], text, t);
        cr_assert_geq(t->rows, 5, "%s: %d rows", names[i], t->rows);
        /* Every pid in the "[role pid]" tag that starts a line (after the
         * "   12ms " tag, if any) wrote rows too. */
        for (const char *line = r.out; line && *line; line = strchr(line, '\n')) {
            line += *line == '\n';
            const char *p = line + strspn(line, " 0123456789");
            if (strncmp(p, "ms ", 3) == 0)
                p += 3;
            const char *close = strchr(p, ']'), *nl = strchr(p, '\n');
            if (*p != '[' || close == NULL || (nl && close > nl))
                continue;
            const char *digits = close;
            while (digits > p && digits[-1] >= '0' && digits[-1] <= '9')
                digits--;
            long pid = strtol(digits, NULL, 10);
            cr_assert(pid > 0 && traced(t, pid), "%s: pid %ld printed but wrote no row",
                      names[i], pid);
        }
        /* Every child its parent joined wrote rows of its own. */
        for (int j = 0; j < t->joins; j++)
            cr_assert(traced(t, t->joined[j]), "%s: joined pid %ld wrote no row", names[i],
                      t->joined[j]);
        /* Every lesson starts processes, but lesson 14 run alone (no mpirun) is
         * one MPI rank: its other processes come only from mpirun (its own test). */
        if (strcmp(names[i], "lesson14") != 0)
            cr_assert_gt(t->n, 1, "%s: rows from the main process only", names[i]);
        /* A process that exited normally closed every span it opened. */
        for (int j = 0; j < t->n; j++)
            if (t->p[j].exits > 0)
                cr_assert_eq(t->p[j].open_spans, 0, "%s: pid %ld left a span open", names[i],
                             t->p[j].pid);
        free(t);
        free(text);
        unlink(path);
        run_free(&r);
    }
    rmdir(dir);
}

/* The trace must change nothing a lesson does: the same verdict, the same
 * number of checks, nothing on stderr. (Not the time: that is the
 * benchmark's business, and load would make it flaky.) */
Test(trace, a_traced_run_gives_the_same_verdict)
{
    char names[MAX_LESSONS][16], dir[64], path[128];
    int n = find_lessons(names, MAX_LESSONS);
    temp_dir(dir, sizeof dir);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%.63s/%.15s.tsv", dir, names[i]);
        struct lesson_run plain = RUN(names[i], 60, "--quick");
        struct lesson_run traced_run = RUN(names[i], 60, "--quick", "--trace", path);
        const char *a = strstr(plain.out, "VERDICT:"), *b = strstr(traced_run.out, "VERDICT:");
        cr_assert(a && b, "%s: no verdict", names[i]);
        cr_assert_eq(strcspn(a, "\n"), strcspn(b, "\n"));
        cr_assert(strncmp(a, b, strcspn(a, "\n")) == 0, "%s: %.60s vs %.60s", names[i], a, b);
        cr_assert_str_empty(traced_run.err, "%s: %s", names[i], traced_run.err);
        unlink(path);
        run_free(&plain);
        run_free(&traced_run);
    }
    rmdir(dir);
}

Test(trace, help_lists_it_and_a_file_that_cannot_be_written_is_one_line)
{
    struct lesson_run h = RUN("lesson05", 5, "--help");
    assert_run(h, 0);
    assert_says(h, "--trace FILE");
    run_free(&h);
    struct lesson_run r = RUN("lesson05", 5, "--quick", "--trace", "/nonexistent/dir/t.tsv");
    assert_run(r, 1);
    cr_assert(strstr(r.err, "--trace /nonexistent/dir/t.tsv: cannot write it"), "%s", r.err);
    cr_assert_eq(count_of(r.err, "\n"), 1, "%s", r.err);
    cr_assert_null(strstr(r.out, "== 1."), "no part ran: %s", r.out);
    run_free(&r);
    struct lesson_run e = RUN("lesson05", 5, "--trace", "");
    assert_usage_error(e);
    run_free(&e);
}

/* 8 processes x 400 rows into one file at once: every row whole. */
Test(trace, rows_of_many_processes_never_tear)
{
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/many.tsv", dir);
    pid_t pid = test_fork();
    if (pid == 0) {
        char *argv[] = {"many", NULL};
        kit_trace_open(path, "many", "many writers", 1, argv);
        for (int w = 0; w < 8; w++)
            if (fork() == 0) {
                for (int i = 0; i < 400; i++)
                    kit_span_begin("row %d of a line long enough to be worth tearing %0200d", i, 0);
                _exit(0);
            }
        while (wait(NULL) > 0)
            ;
        kit_trace_close();
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *text = slurp(path);
    struct trace *t = malloc(sizeof *t);
    int lines = (int)count_of(text, "\n");
    parse("many", text, t);
    cr_assert_eq(t->rows, 1 + 8 * 401 + 1, "main start, 8 x (fork + 400), main exit: %d", t->rows);
    cr_assert_eq(t->n, 9);
    cr_assert_eq(lines, t->rows + 12, "11 header lines, the column line, the rows: %d", lines);
    free(t);
    free(text);
    unlink(path);
    rmdir(dir);
}

/* The chart script draws a lesson's trace, whole and part 1 alone, in both
 * formats, and gnuplot says nothing (no warning, no error). */
Test(trace, the_chart_script_renders)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        cr_skip_test("no gnuplot (make deps installs it)");
    char dir[64], path[128], cmd[512];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.tsv", dir);
    struct lesson_run r = RUN("lesson08", 60, "--quick", "--trace", path);
    assert_run(r, 0);
    run_free(&r);
    const char *formats[] = {"png", "svg"}, *parts[] = {"", "1"};
    for (int f = 0; f < 2; f++)
        for (int p = 0; p < 2; p++) {
            snprintf(cmd, sizeof cmd,
                     "gnuplot -e \"trace='%s'; out='%s/c.%s'; fmt='%s'; part='%s'\" "
                     "plots/timeline.gp >%s/gp.err 2>&1", path, dir, formats[f], formats[f],
                     parts[p], dir);
            cr_assert_eq(system(cmd), 0, "%s", cmd);
            char out[128], err[128];
            snprintf(out, sizeof out, "%s/c.%s", dir, formats[f]);
            snprintf(err, sizeof err, "%s/gp.err", dir);
            struct stat st;
            cr_assert(stat(out, &st) == 0 && st.st_size > 1000, "%s: no chart", cmd);
            cr_assert(stat(err, &st) == 0 && st.st_size == 0, "gnuplot said: %s", slurp(err));
            unlink(out);
            unlink(err);
        }
    unlink(path);
    rmdir(dir);
}
