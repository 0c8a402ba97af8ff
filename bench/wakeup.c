/* wakeup.c - how fast can one process wake another, and back?
 *
 * Lesson 08 (Semaphore(0) as a signal) and lesson 09 (Event) hand the turn
 * from one process to another. Each hand-over is a wake-up: the waiter
 * sleeps in the kernel until the other side posts. This program times a
 * ping-pong (one wake-up each way = one round trip) between two processes
 * for every way the kit knows:
 *   spin          both sides spin on one C11 atomic in shared memory: no
 *                 kernel at all, the physical limit (a cache line moving)
 *   futex         syscall(FUTEX_WAIT / FUTEX_WAKE) on a shared int: the
 *                 kernel call that sem_t, mutexes and condvars sleep in
 *   sem_t         two sem_init(pshared = 1) semaphores: sem_post, sem_wait
 *   condvar       lesson 09's Event: a PTHREAD_PROCESS_SHARED mutex + condition
 *                 variable and a flag
 *   pipe          two pipes, one byte each way
 *   py_semaphore  Python's multiprocessing Semaphore ping-pong (wakeup.py)
 *   py_event      Python's multiprocessing Event ping-pong (wakeup.py)
 * Each is measured with the two processes pinned to two CPUs and to one
 * CPU. On one CPU a spinner would burn its whole time slice waiting for a
 * process that cannot run, so there the spin loop calls sched_yield().
 * After a warm-up, a calibration sizes each repeat to about 0.2 s (0.02 s
 * with --quick); >= 5 repeats per point, min/median/max round trips/s.
 * Python runs in its own process group with a time limit; without python3
 * its rows are '?'.
 *
 * Usage: build/bench/wakeup [-q] [-r REPEATS] [-o DIR] [--python FILE|none]
 * Compare with: lessons/08-semaphore, lessons/09-event, bench/ipc.c.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"


enum { SPIN, FUTEX, SEM, CONDVAR, PIPE, PY_SEM, PY_EVENT, KINDS };
static const char *const kind_name[KINDS] = {"spin", "futex", "sem_t", "condvar", "pipe",
                                             "py_semaphore", "py_event"};
static const char *const kind_label[KINDS] = {
    "C11 atomic spin", "raw futex", "sem_t", "Event (09): condvar", "pipe pair",
    "Python Semaphore", "Python Event"};
enum { APART, SAME, PLACEMENTS };
enum { READ_END, WRITE_END };
#define MAX_REPEATS 32
#define WARM_UP 200

static const char usage[] =
    "usage: wakeup [-q] [-r REPEATS] [-o DIR] [--python FILE]\n"
    "Round trips per second between two processes (ping-pong), pinned to two CPUs and to one,\n"
    "for a spin on a C11 atomic, a raw futex, sem_t, mutex + condvar, a pipe pair and Python.\n"
    "  -q, --quick        about 0.02 s per repeat instead of 0.2 s: a few seconds in all\n"
    "  -r, --repeats R    timings per point (default 5; at most 32)\n"
    "  -o, --out DIR      where wakeup.tsv goes (default plots/data)\n"
    "      --python FILE  the Python ping-pong (default bench/wakeup.py); 'none' skips it\n"
    "  -h, --help         this text\n";

/* Everything both processes touch: one MAP_SHARED mapping made before fork. */
struct shared {
    _Atomic int turn;         /* spin: 1 = ping is out, 0 = pong is back */
    _Atomic uint32_t word;    /* futex: the same protocol, sleeping in the kernel */
    sem_t ping, pong;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int flag;                 /* condvar: 1 = ping is out, under the mutex */
    _Atomic int stop;         /* set before the last ping: the echo ends after it */
};

static struct shared *s;      /* set before the fork: the child's copy points at the same mapping */
static int pipes[2][2];       /* [0]: parent -> child, [1]: child -> parent */
static int kind;
static bool one_cpu;          /* both on one CPU: the spinner must yield */
static int cpu_a = -1, cpu_b = -1;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
    /* not FUTEX_PRIVATE_FLAG: the word is shared between processes */
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void futex_wait_for(_Atomic uint32_t *w, uint32_t want)
{
    for (uint32_t v; (v = atomic_load(w)) != want;)
        if (futex(w, FUTEX_WAIT, v) == -1 && errno != EAGAIN && errno != EINTR)
            kit_die("futex(FUTEX_WAIT)");   /* EAGAIN: it changed before we slept */
}

static void futex_set(_Atomic uint32_t *w, uint32_t v)
{
    atomic_store(w, v);
    if (futex(w, FUTEX_WAKE, 1) == -1)
        kit_die("futex(FUTEX_WAKE)");
}

static void spin_for(int want)
{
    while (atomic_load_explicit(&s->turn, memory_order_acquire) != want)
        if (one_cpu)
            sched_yield();    /* the other side cannot run while we spin */
}

static void cond_set_wait(int set, int want)
{
    int e = pthread_mutex_lock(&s->mutex);
    if (e != 0)
        kit_die_err("pthread_mutex_lock", e);
    s->flag = set;
    if ((e = pthread_cond_signal(&s->cond)) != 0)
        kit_die_err("pthread_cond_signal", e);
    while (s->flag != want)
        if ((e = pthread_cond_wait(&s->cond, &s->mutex)) != 0)
            kit_die_err("pthread_cond_wait", e);
    if ((e = pthread_mutex_unlock(&s->mutex)) != 0)
        kit_die_err("pthread_mutex_unlock", e);
}

static void sem_wait_checked(sem_t *sem)
{
    while (sem_wait(sem) == -1)
        if (errno != EINTR)
            kit_die("sem_wait");
}

static void byte_io(int fd, bool out)
{
    char c = 'x';
    ssize_t n;
    while ((n = out ? write(fd, &c, 1) : read(fd, &c, 1)) == -1 && errno == EINTR)
        ;
    if (n != 1)
        kit_fail("pipe %s: %s", out ? "write" : "read", n == 0 ? "end of file" : strerror(errno));
}

/* The parent's half of one round trip: ping, then sleep until the pong. */
static void round_trip(void)
{
    switch (kind) {
    case SPIN:
        atomic_store_explicit(&s->turn, 1, memory_order_release);
        spin_for(0);
        break;
    case FUTEX:
        futex_set(&s->word, 1);
        futex_wait_for(&s->word, 0);
        break;
    case SEM:
        if (sem_post(&s->ping) == -1)
            kit_die("sem_post");
        sem_wait_checked(&s->pong);
        break;
    case CONDVAR:
        cond_set_wait(1, 0);
        break;
    case PIPE:
        byte_io(pipes[0][WRITE_END], true);
        byte_io(pipes[1][READ_END], false);
        break;
    }
}

/* The child: wait for each ping, answer it, until the ping sent after `stop`.
 * stop is read between the ping and the pong: the parent sets it only
 * before a ping, never while we answer, so the last ping is always answered. */
static void echo(int id)
{
    (void)id;
    if (!one_cpu)
        bench_pin(cpu_b);           /* else it stays on cpu_a, inherited from the parent */
    if (kind == PIPE && (close(pipes[0][WRITE_END]) == -1 || close(pipes[1][READ_END]) == -1))
        kit_die("close");
    for (bool last = false; !last;) {
        switch (kind) {
        case SPIN:
            spin_for(1);
            last = atomic_load(&s->stop);
            atomic_store_explicit(&s->turn, 0, memory_order_release);
            break;
        case FUTEX:
            futex_wait_for(&s->word, 1);
            last = atomic_load(&s->stop);
            futex_set(&s->word, 0);
            break;
        case SEM:
            sem_wait_checked(&s->ping);
            last = atomic_load(&s->stop);
            if (sem_post(&s->pong) == -1)
                kit_die("sem_post");
            break;
        case CONDVAR: {
            int e = pthread_mutex_lock(&s->mutex);
            while (e == 0 && s->flag != 1)
                e = pthread_cond_wait(&s->cond, &s->mutex);
            if (e != 0)
                kit_die_err("pthread_cond_wait", e);
            last = atomic_load(&s->stop);
            s->flag = 0;
            if ((e = pthread_cond_signal(&s->cond)) != 0 ||
                (e = pthread_mutex_unlock(&s->mutex)) != 0)
                kit_die_err("pthread_cond_signal/unlock", e);
            break;
        }
        case PIPE:
            byte_io(pipes[0][READ_END], false);
            last = atomic_load(&s->stop);
            byte_io(pipes[1][WRITE_END], true);
            break;
        }
    }
}

static void init_shared(void)
{
    memset(s, 0, sizeof *s);
    if (sem_init(&s->ping, 1, 0) == -1 || sem_init(&s->pong, 1, 0) == -1)
        kit_die("sem_init");
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    int e = pthread_mutexattr_init(&ma);
    if (e == 0)
        e = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    if (e == 0)
        e = pthread_mutex_init(&s->mutex, &ma);
    if (e == 0)
        e = pthread_condattr_init(&ca);
    if (e == 0)
        e = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    if (e == 0)
        e = pthread_cond_init(&s->cond, &ca);
    if (e != 0)
        kit_die_err("pthread mutex/cond init", e);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_destroy(&ca);
}

static void destroy_shared(void)
{
    if (sem_destroy(&s->ping) == -1 || sem_destroy(&s->pong) == -1)
        kit_die("sem_destroy");
    int e = pthread_mutex_destroy(&s->mutex);
    if (e == 0)
        e = pthread_cond_destroy(&s->cond);
    if (e != 0)
        kit_die_err("pthread mutex/cond destroy", e);
}

/* One C point: rate[r] = round trips/s of repeat r. */
static void measure_c(int k, int where, double seconds, long repeats, double *rate)
{
    kind = k;
    one_cpu = where == SAME;
    init_shared();
    if (k == PIPE && (pipe(pipes[0]) == -1 || pipe(pipes[1]) == -1))
        kit_die("pipe");
    bench_pin(cpu_a);
    pid_t pid = kit_start(echo, 0, "echo");
    if (k == PIPE && (close(pipes[0][READ_END]) == -1 || close(pipes[1][WRITE_END]) == -1))
        kit_die("close");
    for (int i = 0; i < WARM_UP; i++)
        round_trip();
    double t0 = kit_now();
    for (int i = 0; i < WARM_UP; i++)
        round_trip();
    double per = (kit_now() - t0) / WARM_UP;
    long n = (long)(seconds / (per > 1e-9 ? per : 1e-9));
    n = n < 100 ? 100 : n > 50000000 ? 50000000 : n;
    for (long r = 0; r < repeats; r++) {
        t0 = kit_now();
        for (long i = 0; i < n; i++)
            round_trip();
        rate[r] = (double)n / (kit_now() - t0);
    }
    atomic_store(&s->stop, 1);   /* the child reads it on this last ping */
    round_trip();
    int status;
    char text[64];
    if (!kit_join(pid, &status, 10.0)) {
        kit_kill_join(pid, &status);
        kit_fail("%s: the echo process did not end", kind_name[k]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("%s: the echo process %s", kind_name[k], kit_status_str(status, text, sizeof text));
    if (k == PIPE && (close(pipes[0][WRITE_END]) == -1 || close(pipes[1][READ_END]) == -1))
        kit_die("close");
    destroy_shared();
}

/* One Python point: python3 SCRIPT MODE SECONDS REPEATS CPU_A CPU_B, in a
 * process group of its own so that a time-out can end its child too.
 * Returns false (why says it) when python3 is missing or fails. */
static bool measure_py(const char *script, int k, int where, double seconds, long repeats,
                       double *rate, char *why, size_t why_size)
{
    char sec[32], rep[32], ca[16], cb[16];
    snprintf(sec, sizeof sec, "%g", seconds);
    snprintf(rep, sizeof rep, "%ld", repeats);
    snprintf(ca, sizeof ca, "%d", cpu_a);
    snprintf(cb, sizeof cb, "%d", where == SAME ? -1 : cpu_b);
    char *argv[] = {"python3", (char *)script, k == PY_SEM ? "semaphore" : "event", sec, rep,
                    ca, cb, NULL};
    char out[4096];
    if (!bench_run_python(argv, 30 + 10 * seconds * (double)repeats, out, sizeof out, why,
                          why_size))
        return false;
    const char *line = out;
    for (long r = 0; r < repeats; r++) {
        long n;
        if (sscanf(line, "%lf %ld", &rate[r], &n) != 2 || rate[r] <= 0 || n <= 0)
            kit_fail("python3 %s: expected '<rate> <n>' lines, got '%s'", script, out);
        line = strchr(line, '\n');
        line = line ? line + 1 : "";
    }
    return true;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = 1, .count_min = 1,
                                    .count_max = 1},
                           .repeats = 5, .repeats_max = MAX_REPEATS,
                           .python = "bench/wakeup.py"};
    bench_parse(argc, argv, "wakeup", usage, &o);
    double seconds = o.args.quick ? 0.02 : 0.2;
    const char *script = o.python;
    char why[128] = "";
    bool python = strcmp(script, "none") != 0;
    if (!python)
        snprintf(why, sizeof why, "--python none");
    else if (access(script, R_OK) == -1)
        snprintf(why, sizeof why, "%s not readable", script);
    python = why[0] == '\0';

    bench_find_cpus(&cpu_a, &cpu_b);
    s = kit_shared_alloc(sizeof *s);
    char path[512];
    snprintf(path, sizeof path, "%s/wakeup.tsv", o.dir);
    FILE *f = bench_data_open(path, "wakeup: round trips per second between two processes",
                              argc, argv);
    fprintf(f, "# repeats: %ld\n# seconds per repeat: about %g\n", o.repeats, seconds);
    fprintf(f, "# cpus: %d and %d (two CPUs); %d (one CPU)\n", cpu_a, cpu_b, cpu_a);
    fprintf(f, "# spin on one CPU: sched_yield() in the spin loop\n");
    bench_progress("round trips/s, pinned to CPUs %d and %d / both on CPU %d", cpu_a, cpu_b,
                   cpu_a);
    double rate[KINDS][PLACEMENTS][3];   /* median, min, max; 0 = not measured */
    memset(rate, 0, sizeof rate);
    for (int k = 0; k < KINDS; k++) {
        for (int w = 0; w < PLACEMENTS; w++) {
            double r[MAX_REPEATS];
            if (w == APART && cpu_b == -1)
                continue;            /* one usable CPU: nothing to measure apart */
            if (k >= PY_SEM) {
                if (!python || !measure_py(script, k, w, seconds, o.repeats, r, why, sizeof why)) {
                    python = false;
                    continue;
                }
            } else {
                measure_c(k, w, seconds, o.repeats, r);
            }
            struct bench_stats st = bench_stats(r, (size_t)o.repeats);
            rate[k][w][0] = st.med;
            rate[k][w][1] = st.min;
            rate[k][w][2] = st.max;
        }
        bench_progress("%-13s two CPUs %10.0f/s   one CPU %10.0f/s", kind_name[k],
                       rate[k][APART][0], rate[k][SAME][0]);
    }
    if (!python)
        fprintf(f, "# python: skipped (%s)\n", why);
    else
        fprintf(f, "# python: %s\n", script);
    fprintf(f, "# kind\tlabel\ttwo_cpus\ttwo_cpus_min\ttwo_cpus_max\tone_cpu\tone_cpu_min"
               "\tone_cpu_max\t(round trips per second; ? = not measured)\n");
    for (int k = 0; k < KINDS; k++) {
        fprintf(f, "%s\t%s", kind_name[k], kind_label[k]);
        for (int w = 0; w < PLACEMENTS; w++)
            for (int i = 0; i < 3; i++)
                if (rate[k][w][i] > 0)
                    fprintf(f, "\t%.1f", rate[k][w][i]);
                else
                    fprintf(f, "\t?");
        fprintf(f, "\n");
    }
    bench_data_close(f, path);
    kit_shared_free(s, sizeof *s);

    printf("round trips per second between two processes (median of %ld; %s)\n", o.repeats,
           python ? "Python measured" : "Python skipped");
    printf("%-14s %12s %12s %17s\n", "", "two CPUs", "one CPU", "us/wake (2 CPUs)");
    for (int k = 0; k < KINDS; k++)
        if (rate[k][APART][0] > 0 || rate[k][SAME][0] > 0)
            printf("%-14s %12.0f %12.0f %17.2f\n", kind_name[k], rate[k][APART][0],
                   rate[k][SAME][0], rate[k][APART][0] > 0 ? 1e6 / rate[k][APART][0] / 2 : 0);
    if (!python)
        printf("Python skipped: %s\n", why);
    printf("wrote %s\n", path);
    return 0;
}
