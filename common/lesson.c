/* lesson.c - one command line for every lesson, built from its table of parts.
 *
 * The lesson declares what it has (parts, -w/-n with their ranges, its own
 * options); this file turns that into getopt_long's table, the usage text,
 * --list, the intro screen, and the run of the chosen parts. So the
 * vocabulary is the same in every lesson, and the usage can never disagree
 * with what the program accepts.
 */
#include "kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_PARTS = 24, MAX_OWN = 12, MAX_LONGOPTS = 48, USAGE_BYTES = 6144 };
enum { OPT_LIST = 1000, OPT_PART, OPT_TRACE, OPT_PART0 = 1100, OPT_OWN0 = 1200 };

static char usage[USAGE_BYTES];
static size_t usage_len;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(usage + usage_len, sizeof usage - usage_len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof usage - usage_len)
        kit_fail("the usage text is longer than %d bytes", USAGE_BYTES);
    usage_len += (size_t)n;
}

/* "  -w, --workers N    help (1..16, default 2)": the range goes on a line
 * of its own when the whole would pass 100 columns. */
static void add_option(const char *names, const char *help, const char *range)
{
    add("  %-20s %s", names, help);
    if (range[0] == '\0')
        add("\n");
    else if (23 + strlen(help) + 1 + strlen(range) <= 100)   /* "  %-20s " is 23 wide */
        add(" %s\n", range);
    else
        add("\n  %-20s %s\n", "", range);
}

static void add_number(const char *names, const struct kit_number *num)
{
    char range[96];
    if (num->quick != 0 && num->quick != num->value)
        snprintf(range, sizeof range, "(%ld..%ld, default %ld, with --quick %ld)", num->min,
                 num->max, num->value, num->quick);
    else
        snprintf(range, sizeof range, "(%ld..%ld, default %ld)", num->min, num->max, num->value);
    add_option(names, num->help, range);
}

static int count_parts(const struct kit_lesson *l)
{
    int n = 0;
    while (l->parts[n].option != NULL)
        n++;
    if (n == 0 || n > MAX_PARTS)
        kit_fail("a lesson has 1 to %d parts, not %d", MAX_PARTS, n);
    return n;
}

static int count_own(const struct kit_lesson *l)
{
    int n = 0;
    while (l->options != NULL && l->options[n].name != NULL)
        n++;
    if (n > MAX_OWN)
        kit_fail("a lesson has at most %d options of its own", MAX_OWN);
    return n;
}

static void add_part_line(int i, const struct kit_part *p)
{
    add("  %2d  --%-16s %s%s\n", i + 1, p->option, p->title, p->by_default ? "" : " (*)");
}

static void build_usage(const struct kit_lesson *l, int parts, int own)
{
    bool all = true;
    for (int i = 0; i < parts; i++)
        all &= l->parts[i].by_default;
    add("usage: %s [options]\n%s: %s\n", l->name, l->title, l->idea);
    add("Parts (%s; pick some with their options or --part N):\n",
        all ? "all run by default" : "all but (*) run by default");
    for (int i = 0; i < parts; i++)
        add_part_line(i, &l->parts[i]);
    add("Options:\n");
    add_option("-h, --help", "show this help and exit", "");
    add_option("-q, --quick", "no pacing: finish in well under a second", "");
    if (l->workers.help != NULL)
        add_number("-w, --workers N", &l->workers);
    if (l->count.help != NULL)
        add_number("-n, --count N", &l->count);
    add_option("    --list", "list the parts and exit", "");
    add_option("    --part N", "run part N only (repeatable)", "");
    add_option("    --trace FILE", "write the run's timeline to FILE (tab-separated)", "");
    for (int j = 0; j < own; j++) {
        const struct kit_option *o = &l->options[j];
        char names[64], range[96] = "";
        snprintf(names, sizeof names, "    --%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        if (o->arg != NULL)
            snprintf(range, sizeof range, "(%ld..%ld, default %ld)", o->min, o->max, *o->value);
        add_option(names, o->help, range);
    }
}

/* The first screen: what the lesson is, before anything runs. */
static void print_intro(const struct kit_lesson *l)
{
    kit_section("%s: %s", l->name, l->title);
    const char *label[] = {"idea", "Python", "C", "watch"};
    const char *text[] = {l->idea, l->python, l->mechanism, l->watch};
    for (int i = 0; i < 4; i++) {
        const char *line = text[i];
        for (bool first = true; line != NULL && *line != '\0'; first = false) {
            size_t len = strcspn(line, "\n");
            kit_plain("  %-7s %.*s", first ? label[i] : "", (int)len, line);
            line += len + (line[len] == '\n');
        }
    }
}

/* getopt_long said ':' (a value is missing) or '?' (anything else wrong):
 * one line that says which, in our words. */
static noreturn void bad_option(int opt, const char *arg, const struct option *longopts)
{
    if (opt == ':')
        kit_usage_error("option %s needs a value", kit_visible(arg));
    if (strncmp(arg, "--", 2) != 0)    /* a short option, perhaps in a cluster: -qz */
        kit_usage_error("unknown option '-%s'", kit_visible((char[]){(char)optopt, '\0'}));
    size_t len = strcspn(arg + 2, "=");
    for (const struct option *o = longopts; o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0)
            kit_usage_error("option --%s takes no value", o->name);
    kit_usage_error("unknown or ambiguous option '%s'", kit_visible(arg));
}

int kit_main(const struct kit_lesson *l, int argc, char *argv[])
{
    int parts = count_parts(l), own = count_own(l);
    build_usage(l, parts, own);
    kit_set_usage(usage);

    struct option longopts[MAX_LONGOPTS] = {
        {"help", no_argument, NULL, 'h'},
        {"quick", no_argument, NULL, 'q'},
        {"list", no_argument, NULL, OPT_LIST},
        {"part", required_argument, NULL, OPT_PART},
        {"trace", required_argument, NULL, OPT_TRACE},
    };
    int n = 5;
    opterr = 0;                        /* we say what is wrong, in one line */
    char shortopts[8] = ":hq";         /* ':' first: a missing value is ':', not '?' */
    if (l->workers.help != NULL) {
        longopts[n++] = (struct option){"workers", required_argument, NULL, 'w'};
        strcat(shortopts, "w:");
    }
    if (l->count.help != NULL) {
        longopts[n++] = (struct option){"count", required_argument, NULL, 'n'};
        strcat(shortopts, "n:");
    }
    for (int i = 0; i < parts; i++)
        longopts[n++] = (struct option){l->parts[i].option, no_argument, NULL, OPT_PART0 + i};
    for (int j = 0; j < own; j++)
        longopts[n++] = (struct option){l->options[j].name,
                                        l->options[j].arg ? required_argument : no_argument,
                                        NULL, OPT_OWN0 + j};

    bool quick = false, list = false, chosen[MAX_PARTS] = {false}, any = false;
    long workers = 0, count = 0;       /* 0: not given */
    const char *trace = NULL;
    for (int opt; (opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;) {
        if (opt == 'h') {
            fputs(usage, stdout);
            exit(EXIT_SUCCESS);
        } else if (opt == 'q') {
            quick = true;
        } else if (opt == 'w') {
            workers = kit_parse_long("--workers", optarg, l->workers.min, l->workers.max);
        } else if (opt == 'n') {
            count = kit_parse_long("--count", optarg, l->count.min, l->count.max);
        } else if (opt == OPT_LIST) {
            list = true;
        } else if (opt == OPT_PART) {
            chosen[kit_parse_long("--part", optarg, 1, parts) - 1] = any = true;
        } else if (opt == OPT_TRACE) {
            if (optarg[0] == '\0')
                kit_usage_error("--trace needs a file name");
            trace = optarg;
        } else if (opt >= OPT_PART0 && opt < OPT_PART0 + parts) {
            chosen[opt - OPT_PART0] = any = true;
        } else if (opt >= OPT_OWN0 && opt < OPT_OWN0 + own) {
            const struct kit_option *o = &l->options[opt - OPT_OWN0];
            char name[64];
            snprintf(name, sizeof name, "--%s", o->name);
            *o->value = o->arg ? kit_parse_long(name, optarg, o->min, o->max) : 1;
        } else {
            bad_option(opt, argv[optind - 1], longopts);
        }
    }
    if (optind < argc)
        kit_usage_error("unexpected argument '%s'", kit_visible(argv[optind]));
    if (list) {
        usage_len = 0;
        for (int i = 0; i < parts; i++)
            add_part_line(i, &l->parts[i]);
        fputs(usage, stdout);
        exit(EXIT_SUCCESS);
    }

    struct kit_args args = {.quick = quick, .workers = workers, .count = count};
    if (workers == 0)
        args.workers = quick && l->workers.quick ? l->workers.quick : l->workers.value;
    if (count == 0)
        args.count = quick && l->count.quick ? l->count.quick : l->count.value;
    kit_set_quick(quick);
    kit_show_ms(l->show_ms);
    kit_stop_policy();
    if (trace != NULL)                 /* before the first child: they all inherit it */
        kit_trace_open(trace, l->name, l->title, argc, argv);
    print_intro(l);
    for (int i = 0; i < parts; i++) {
        if (any ? !chosen[i] : !l->parts[i].by_default)
            continue;
        kit_section("%d. %s", i + 1, l->parts[i].title);
        l->parts[i].run(&args);
        /* A part joins every child it starts; one left over is a bug. */
        if (kit_children() > 0)
            kit_join_all(1.0);
    }
    kit_section("verdict");
    int status = kit_verdict();
    kit_trace_close();
    return status;
}
