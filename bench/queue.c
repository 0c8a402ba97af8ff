/* queue.c - lesson 02's Queue against a plain mutex + condvar ring, and
 * Python's multiprocessing.Queue, in one run (issue 14).
 *
 * One producer process puts N records, one consumer process gets them
 * (checking each arrives once, in order); msgs/s from the first put to the
 * last get. The three queues move the same record (lesson 02's struct msg,
 * 48 bytes) through the same slot count (1024):
 *   kit_queue  lesson 02's ring: semaphores `slots` and `items` count free
 *              and filled slots, two more at 1 lock each end. COPIED from
 *              lessons/02-queue/queue.c (bench/ may not include a lesson):
 *              keep the two in step (q_new, q_put, q_get, the struct). Its
 *              parts sit on 64-byte cache lines of their own: packed into
 *              one line, put's and get's fields made two CPUs pass that line
 *              to and fro on every message (false sharing), 2-3x slower
 *   ring       the usual ring: one mutex, two condition variables
 *   python     mp.Queue(1024) between two processes (bench/mpqueue.py)
 * Rounds interleaved (kit, ring, python, kit, ...), median of R.
 *
 * Usage: build/bench/queue [-q] [-n N] [-r REPEATS] [-o DIR] [--python FILE|none]
 * Compare with: ipc.c (pipes, sockets, mqueue, a bare shm ring by size),
 * wakeup.c (the cost of one wake-up, which a queue pays when it runs dry).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

enum { SLOTS = 1024 };
static const double LIMIT = 30.0;   /* a partner gone: give up, never hang */

static const char usage[] =
    "usage: queue [-q] [-n N] [-r REPEATS] [-o DIR] [--python FILE]\n"
    "  -q, --quick        200,000 messages, 3 repeats: a preview\n"
    "  -n, --count N      messages per run (default 1,000,000; Python gets N / 20)\n"
    "  -r, --repeats R    timings per queue (default 5, quick 3)\n"
    "  -o, --out DIR      where queue.tsv goes (default plots/data)\n"
    "      --python FILE  the Python side (default bench/mpqueue.py); 'none' skips it\n"
    "  -h, --help         this text\n";

/* ---- lesson 02's queue (copied: see the header) ---------------------- */
struct msg {
    int from;
    long value;
    char text[32];
};

struct queue {
    size_t maxsize;
    /* _Alignas(64): each part on a cache line of its own (false sharing: see the header) */
    _Alignas(64) size_t tail;
    sem_t put_lock;
    _Alignas(64) size_t head;
    sem_t get_lock;
    _Alignas(64) sem_t slots;
    _Alignas(64) sem_t items;
    _Alignas(64) struct msg slot[];
};

static struct queue *q_new(size_t maxsize)
{
    struct queue *q = kit_shared_alloc(sizeof *q + maxsize * sizeof q->slot[0]);
    q->maxsize = maxsize;
    if (sem_init(&q->slots, 1, (unsigned)maxsize) == -1 || sem_init(&q->items, 1, 0) == -1 ||
        sem_init(&q->put_lock, 1, 1) == -1 || sem_init(&q->get_lock, 1, 1) == -1)
        kit_die("sem_init");
    return q;
}

static void q_free(struct queue *q)
{
    if (sem_destroy(&q->slots) == -1 || sem_destroy(&q->items) == -1 ||
        sem_destroy(&q->put_lock) == -1 || sem_destroy(&q->get_lock) == -1)
        kit_die("sem_destroy");
    kit_shared_free(q, sizeof *q + q->maxsize * sizeof q->slot[0]);
}

static bool q_put(struct queue *q, const struct msg *m, double timeout)
{
    struct timespec when = kit_deadline(CLOCK_REALTIME, timeout);
    int r;
    while ((r = sem_timedwait(&q->slots, &when)) == -1 && errno == EINTR)
        ;
    if (r == -1 && errno == ETIMEDOUT)
        return false;
    if (r == -1)
        kit_die("sem_timedwait");
    while (sem_wait(&q->put_lock) == -1)
        if (errno != EINTR)
            kit_die("sem_wait");
    q->slot[q->tail] = *m;
    q->tail = (q->tail + 1) % q->maxsize;
    if (sem_post(&q->put_lock) == -1 || sem_post(&q->items) == -1)
        kit_die("sem_post");
    return true;
}

static bool q_get(struct queue *q, struct msg *m, double timeout)
{
    struct timespec when = kit_deadline(CLOCK_REALTIME, timeout);
    int r;
    while ((r = sem_timedwait(&q->items, &when)) == -1 && errno == EINTR)
        ;
    if (r == -1 && errno == ETIMEDOUT)
        return false;
    if (r == -1)
        kit_die("sem_timedwait");
    while (sem_wait(&q->get_lock) == -1)
        if (errno != EINTR)
            kit_die("sem_wait");
    *m = q->slot[q->head];
    q->head = (q->head + 1) % q->maxsize;
    if (sem_post(&q->get_lock) == -1 || sem_post(&q->slots) == -1)
        kit_die("sem_post");
    return true;
}

/* ---- the reference: a mutex + 2 condvar ring of the same records ------ */
struct ring {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    size_t head, count;
    struct msg slot[SLOTS];
};

static struct ring *ring_new(void)
{
    struct ring *r = kit_shared_alloc(sizeof *r);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    kit_check(pthread_mutexattr_init(&ma));
    kit_check(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    kit_check(pthread_mutex_init(&r->lock, &ma));
    kit_check(pthread_condattr_init(&ca));
    kit_check(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    kit_check(pthread_cond_init(&r->not_full, &ca));
    kit_check(pthread_cond_init(&r->not_empty, &ca));
    kit_check(pthread_mutexattr_destroy(&ma));
    kit_check(pthread_condattr_destroy(&ca));
    return r;
}

static void ring_free(struct ring *r)
{
    kit_check(pthread_cond_destroy(&r->not_full));
    kit_check(pthread_cond_destroy(&r->not_empty));
    kit_check(pthread_mutex_destroy(&r->lock));
    kit_shared_free(r, sizeof *r);
}

static void ring_put(struct ring *r, const struct msg *m)
{
    kit_check(pthread_mutex_lock(&r->lock));
    while (r->count == SLOTS)
        kit_check(pthread_cond_wait(&r->not_full, &r->lock));
    r->slot[(r->head + r->count) % SLOTS] = *m;
    r->count++;
    kit_check(pthread_cond_signal(&r->not_empty));
    kit_check(pthread_mutex_unlock(&r->lock));
}

static void ring_get(struct ring *r, struct msg *m)
{
    kit_check(pthread_mutex_lock(&r->lock));
    while (r->count == 0)
        kit_check(pthread_cond_wait(&r->not_empty, &r->lock));
    *m = r->slot[r->head];
    r->head = (r->head + 1) % SLOTS;
    r->count--;
    kit_check(pthread_cond_signal(&r->not_full));
    kit_check(pthread_mutex_unlock(&r->lock));
}

/* ---- one timed run ---------------------------------------------------- */
enum { KIT, RING, PY, KINDS };
static const char *const kind_name[KINDS] = {"kit_queue", "ring", "python_mp_queue"};

static struct queue *kq;   /* set before the fork: the child's copy points at the same mapping */
static struct ring *rq;

static void produce(int kind, long n)
{
    for (long i = 0; i < n; i++) {
        struct msg m = {.from = 1, .value = i};
        if (kind == KIT && !q_put(kq, &m, LIMIT))
            kit_fail("put: no free slot in %.0f s", LIMIT);
        if (kind == RING)
            ring_put(rq, &m);
    }
}

/* msgs/s for n records from a child producer to this process. */
static double run_c(int kind, long n)
{
    fflush(NULL);
    double t0 = kit_now();
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        produce(kind, n);
        _exit(0);
    }
    for (long i = 0; i < n; i++) {
        struct msg m;
        if (kind == KIT && !q_get(kq, &m, LIMIT))
            kit_fail("get: nothing came in %.0f s", LIMIT);
        if (kind == RING)
            ring_get(rq, &m);
        if (m.value != i)
            kit_fail("%s: message %ld arrived as %ld", kind_name[kind], i, m.value);
    }
    double t = kit_now() - t0;
    bench_reap(pid, "the producer");
    return (double)n / t;
}

/* Python: python3 SCRIPT N SLOTS prints "<msgs/s> <n>". false (why says it)
 * when python3 is missing or fails. */
static bool run_py(const char *script, long n, double *rate, char *why, size_t why_size)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "timeout 120 python3 '%s' %ld %d 2>&1", script, n, SLOTS);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        kit_die("popen");
    char out[256] = "";
    if (fgets(out, sizeof out, p) == NULL)
        out[0] = '\0';
    int status = pclose(p);
    long got = 0;
    if (status != 0 || sscanf(out, "%lf %ld", rate, &got) != 2 || got != n) {
        out[strcspn(out, "\n")] = '\0';
        snprintf(why, why_size, "python3 %s failed: %s", script, out[0] ? out : "no output");
        return false;
    }
    return true;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.count_min = 1000, .count_max = 100000000},
                           .repeats_max = 64, .python = "bench/mpqueue.py"};
    bench_parse(argc, argv, "queue", usage, &o);
    long n = o.args.count ? o.args.count : o.args.quick ? 200000 : 1000000;
    long n_py = n / 20 > 1000 ? n / 20 : 1000;   /* Python is ~50x slower: same run length */
    const char *script = o.python;
    char why[300] = "";
    bool python = strcmp(script, "none") != 0;
    if (!python)
        snprintf(why, sizeof why, "--python none");

    kq = q_new(SLOTS);
    rq = ring_new();
    double rate[KINDS][64];
    bench_progress("%ld records of %zu bytes through %d slots, %ld repeats", n, sizeof(struct msg),
                   SLOTS, o.repeats);
    struct bench_noise noise = bench_noise_start();
    for (long r = 0; r < o.repeats; r++) {
        for (int k = 0; k < KINDS; k++) {
            int kind = (int)((r + k) % KINDS);
            if (kind != PY)
                rate[kind][r] = run_c(kind, n);
            else if (python && !run_py(script, n_py, &rate[PY][r], why, sizeof why))
                python = false;
        }
        bench_progress("round %ld: kit_queue %.2fM msgs/s, ring %.2fM%s", r + 1,
                       rate[KIT][r] / 1e6, rate[RING][r] / 1e6, python ? "" : " (no Python)");
    }
    bench_noise_stop(&noise);
    q_free(kq);
    ring_free(rq);

    char path[512];
    snprintf(path, sizeof path, "%s/queue.tsv", o.dir);
    FILE *f = bench_data_open(path, "queue: lesson 02's Queue, a mutex + condvar ring, mp.Queue",
                              argc, argv);
    fprintf(f, "# records: %ld (python %ld) of %zu bytes, %d slots, 1 producer, 1 consumer\n", n,
            n_py, sizeof(struct msg), SLOTS);
    fprintf(f, "# repeats: %ld\n", o.repeats);
    fprintf(f, "# python: %s\n", python ? script : why);
    fprintf(f, "# kind\tmsgs_med\tmsgs_min\tmsgs_max%s\n", bench_noise_header);
    struct bench_stats st[KINDS];
    for (int k = 0; k < KINDS; k++) {
        if (k == PY && !python)
            continue;
        st[k] = bench_stats(rate[k], (size_t)o.repeats);
        fprintf(f, "%s\t%.0f\t%.0f\t%.0f", kind_name[k], st[k].med, st[k].min, st[k].max);
        bench_noise_columns(f, &noise, false);
        fprintf(f, "\n");
    }
    double vs_ring = st[KIT].med / st[RING].med;
    fprintf(f, "# kit_queue / ring: %.2f (target >= 0.70)\n", vs_ring);
    printf("kit_queue %.2fM msgs/s, ring %.2fM msgs/s: kit/ring %.2f (target >= 0.70)\n",
           st[KIT].med / 1e6, st[RING].med / 1e6, vs_ring);
    if (python) {
        double vs_py = st[KIT].med / st[PY].med;
        fprintf(f, "# kit_queue / python: %.1f (target >= 20)\n", vs_py);
        printf("python mp.Queue %.3fM msgs/s: kit/python %.1f (target >= 20)\n", st[PY].med / 1e6,
               vs_py);
    } else {
        printf("python skipped: %s\n", why);
    }
    bench_noise_report(&noise, false, "the run");
    bench_noise_summary(f, path);
    bench_data_close(f, path);
    printf("wrote %s\n", path);
    return 0;
}
