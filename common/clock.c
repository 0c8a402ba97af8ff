/* clock.c - time, pacing and deadlines.
 *
 * Durations are measured on CLOCK_MONOTONIC: it never jumps when someone
 * sets the wall clock. (clock() would be wrong twice over: it counts CPU
 * time, and only this process's, not its children's.)
 */
#include "kit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static double start;
static bool quick;

double kit_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
        kit_die("clock_gettime");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs before main(), so every process forked later shares this start. */
__attribute__((constructor)) static void remember_start(void) { start = kit_now(); }

double kit_elapsed_ms(void) { return (kit_now() - start) * 1000.0; }

static struct timespec to_timespec(double seconds)
{
    double whole = floor(seconds);
    struct timespec ts = {.tv_sec = (time_t)whole,
                          .tv_nsec = (long)((seconds - whole) * 1e9)};
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void kit_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    /* A signal handler can cut nanosleep short (EINTR); sleep the rest. */
    struct timespec left = to_timespec(seconds);
    while (nanosleep(&left, &left) == -1)
        if (errno != EINTR)
            kit_die("nanosleep");
}

void kit_set_quick(bool on) { quick = on; }
bool kit_quick(void) { return quick; }

void kit_pace(double seconds)
{
    if (!quick)
        kit_sleep(seconds);
}

struct timespec kit_deadline(clockid_t clock, double seconds)
{
    struct timespec now;
    if (clock_gettime(clock, &now) == -1)
        kit_die("clock_gettime");
    struct timespec add = to_timespec(seconds);
    now.tv_sec += add.tv_sec;
    now.tv_nsec += add.tv_nsec;
    if (now.tv_nsec >= 1000000000L) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000L;
    }
    return now;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double kit_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
