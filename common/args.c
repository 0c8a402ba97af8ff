/* args.c - the command-line vocabulary every lesson shares.
 *
 * Numbers are parsed with strtol/strtod and checked completely: no digits,
 * trailing junk, overflow and out-of-range all get one line that names the
 * option, then the usage, on stderr, and exit status 2 (the convention for
 * "you called me wrong"). atoi() would silently turn "abc" into 0.
 */
#include "kit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *usage_text = "";

void kit_set_usage(const char *usage) { usage_text = usage; }

noreturn void kit_usage_error(const char *fmt, ...)
{
    fprintf(stderr, "%s: ", program_invocation_short_name);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage_text);
    exit(2);
}

long kit_parse_long(const char *name, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *text == ' ' || *text == '\t')
        kit_usage_error("%s: '%s' is not a whole number", name, text);
    if (*end != '\0')
        kit_usage_error("%s: '%s' has junk after the number", name, text);
    if (errno == ERANGE || value < min || value > max)
        kit_usage_error("%s: '%s' is out of range (%ld to %ld)", name, text, min, max);
    return value;
}

double kit_parse_double(const char *name, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *text == ' ' || *text == '\t')
        kit_usage_error("%s: '%s' is not a number", name, text);
    if (*end != '\0')
        kit_usage_error("%s: '%s' has junk after the number", name, text);
    if (errno == ERANGE || !isfinite(value) || value < min || value > max)
        kit_usage_error("%s: '%s' is out of range (%g to %g)", name, text, min, max);
    return value;
}

bool kit_common_opt(int opt, struct kit_args *args)
{
    switch (opt) {
    case 'h':
        fputs(usage_text, stdout);
        exit(EXIT_SUCCESS);
    case 'q':
        args->quick = true;
        kit_set_quick(true);
        return true;
    case 'w':
        args->workers = kit_parse_long("--workers", optarg, args->workers_min,
                                       args->workers_max);
        return true;
    case 'n':
        args->count = kit_parse_long("--count", optarg, args->count_min, args->count_max);
        return true;
    case '?':  /* getopt has already printed one line naming the bad option */
        fputs(usage_text, stderr);
        exit(2);
    default:
        return false;
    }
}

void kit_no_operands(int argc, char *const argv[])
{
    if (optind < argc)
        kit_usage_error("unexpected argument '%s'", argv[optind]);
}
