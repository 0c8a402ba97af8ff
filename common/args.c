/* args.c - numbers from the command line, and the one way to reject input.
 *
 * Numbers are parsed with strtol/strtod and checked completely: no digits,
 * white space, trailing junk, overflow and out-of-range all get one line
 * that names the option, then the usage, on stderr, and exit status 2 (the
 * convention for "you called me wrong"). atoi() would silently turn "abc"
 * into 0.
 */
#include "kit.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *kit_visible(const char *text)
{
    /* Four buffers in turn, so one message can show two arguments. */
    static char bufs[4][100];
    static int next;
    char *buf = bufs[next++ % 4];
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (len > sizeof bufs[0] - 8) {
            memcpy(buf + len, "...", 4);
            return buf;
        }
        if (*p < 0x20 || *p >= 0x7f)
            len += (size_t)snprintf(buf + len, 5, "\\x%02x", *p);
        else
            buf[len++] = (char)*p;
    }
    buf[len] = '\0';
    return buf;
}

/* strtol and strtod skip leading white space of every kind (' ', '\t',
 * '\n', ...): a number must start right away. */
static bool starts_with_space(const char *text) { return isspace((unsigned char)*text); }

long kit_parse_long(const char *name, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || starts_with_space(text))
        kit_usage_error("%s: '%s' is not a whole number", name, kit_visible(text));
    if (*end != '\0')
        kit_usage_error("%s: '%s' has junk after the number", name, kit_visible(text));
    if (errno == ERANGE || value < min || value > max)
        kit_usage_error("%s: '%s' is out of range (%ld to %ld)", name, kit_visible(text), min,
                        max);
    return value;
}

double kit_parse_double(const char *name, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || starts_with_space(text))
        kit_usage_error("%s: '%s' is not a number", name, kit_visible(text));
    if (*end != '\0')
        kit_usage_error("%s: '%s' has junk after the number", name, kit_visible(text));
    if (errno == ERANGE || !isfinite(value) || value < min || value > max)
        kit_usage_error("%s: '%s' is out of range (%g to %g)", name, kit_visible(text), min, max);
    return value;
}
