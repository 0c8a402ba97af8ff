/* ipc.c - what does it cost to move data between two processes?
 *
 * multiprocessing moves every argument and result between processes
 * (Queue, Pipe, Pool). The kernel offers several ways; this program times
 * four of them, from one process to another, for messages of 8 B .. 1 MiB:
 *   pipe        pipe(2): a byte stream through the kernel (what Queue uses)
 *   socketpair  socketpair(AF_UNIX): what multiprocessing.Pipe() uses
 *   shm ring    a ring of slots in shared memory, two semaphores counting
 *               empty and full slots (the kit's Queue lesson idea)
 *   mqueue      POSIX message queue (mq_open): whole messages, kernel-kept
 * Throughput: the child sends `count` messages, the parent receives them
 * (MB/s, from the median time). Latency: ping-pong, one message each way
 * (the median round trip, in microseconds), measured twice: with the two
 * processes pinned to two different CPUs (as parallel workers run), and
 * to one CPU (the cost of the calls and the switch alone). Left to the
 * scheduler, each run lands on one or the other, and on a VM the two
 * differ by a cross-CPU wake-up of tens of microseconds. Every message carries its sequence number,
 * checked on arrival. A message queue larger than the system's limit
 * (/proc/sys/fs/mqueue/msgsize_max, often 8 KiB) is skipped: '?' in the data.
 *
 * Usage: build/bench/ipc [-q] [-r REPEATS] [-o DIR]
 * Compare with: lessons/02-queue, lessons/06-pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

enum { READ_END, WRITE_END };
enum { PIPE, SOCKET, RING, MQUEUE, KINDS };
static const char *const kind_name[KINDS] = {"pipe", "socketpair", "shm_ring", "mqueue"};
#define RING_SLOTS 8
#define MAX_REPEATS 16
#define WARM_UP 50   /* untimed round trips before each latency measurement */

static const char usage[] =
    "usage: ipc [-q] [-r REPEATS] [-o DIR]\n"
    "  -q, --quick        fewer and smaller transfers, 3 repeats: a few seconds\n"
    "  -r, --repeats R    timings per point (default 5, quick 3; at most 16)\n"
    "  -o, --out DIR      where ipc.tsv goes (default plots/data)\n"
    "  -h, --help         this text\n";

struct ring {               /* in shared memory: both processes see one copy */
    sem_t empty, full;      /* free slots, filled slots */
    char slots[];           /* RING_SLOTS x size bytes */
};

/* One direction, writer -> reader. After fork each process has its own copy
 * of this struct, so `next` is private: the writer's next slot to fill, the
 * reader's next slot to empty. The semaphores keep the two in step. */
struct chan {
    int kind;
    size_t size;
    int fd[2];              /* pipe: [READ_END], [WRITE_END]; socketpair: the two ends */
    mqd_t mq;
    struct ring *ring;
    size_t ring_bytes;
    unsigned next;
};

static bool chan_open(struct chan *c, int kind, size_t size)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->size = size;
    if (kind == PIPE && pipe(c->fd) == -1)
        kit_die("pipe");
    if (kind == SOCKET && socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd) == -1)
        kit_die("socketpair");
    if (kind == RING) {
        c->ring_bytes = sizeof *c->ring + RING_SLOTS * size;
        c->ring = kit_shared_alloc(c->ring_bytes);
        if (sem_init(&c->ring->empty, 1, RING_SLOTS) == -1 || sem_init(&c->ring->full, 1, 0) == -1)
            kit_die("sem_init");   /* pshared = 1: shared between processes */
    }
    if (kind == MQUEUE) {
        char name[64];
        kit_object_name(name, sizeof name, "ipc-mq");
        struct mq_attr attr = {.mq_maxmsg = RING_SLOTS, .mq_msgsize = (long)size};
        c->mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
        if (c->mq == (mqd_t)-1) {
            if (errno == EINVAL || errno == ENOMEM || errno == EMFILE) {
                kit_object_unlinked(name);   /* nothing was made */
                return false;      /* over this system's message queue limits */
            }
            kit_die("mq_open");
        }
        /* The descriptor is inherited by fork: the name is not needed any
         * more, and unlinking now means nothing is left even after a crash. */
        if (mq_unlink(name) == -1)
            kit_die("mq_unlink");
        kit_object_unlinked(name);
    }
    return true;
}

/* After fork: keep only this side's end, so end-of-file works if the other
 * process dies (a reader sees EOF only when every write end is closed). */
static void chan_side(struct chan *c, bool writer)
{
    if (c->kind == PIPE || c->kind == SOCKET) {
        int unused = c->kind == PIPE ? (writer ? READ_END : WRITE_END) : (writer ? 0 : 1);
        if (close(c->fd[unused]) == -1)
            kit_die("close");
        c->fd[unused] = -1;
    }
}

static void chan_close(struct chan *c)
{
    for (int i = 0; i < 2; i++)
        if (c->fd[i] > 0 && close(c->fd[i]) == -1)
            kit_die("close");
    if (c->kind == MQUEUE && mq_close(c->mq) == -1)
        kit_die("mq_close");
    if (c->kind == RING)
        kit_shared_free(c->ring, c->ring_bytes);
}

static void sem_wait_intr(sem_t *s)
{
    while (sem_wait(s) == -1)
        if (errno != EINTR)
            kit_die("sem_wait");
}

static void chan_send(struct chan *c, const char *buf)
{
    if (c->kind == PIPE || c->kind == SOCKET) {
        int fd = c->fd[c->kind == PIPE ? WRITE_END : 1];
        for (size_t off = 0; off < c->size;) {   /* big messages go in several pieces */
            ssize_t put = write(fd, buf + off, c->size - off);
            if (put == -1 && errno == EINTR)
                continue;
            if (put == -1)
                kit_die("write");
            off += (size_t)put;
        }
    } else if (c->kind == RING) {
        sem_wait_intr(&c->ring->empty);
        memcpy(c->ring->slots + c->next * c->size, buf, c->size);
        c->next = (c->next + 1) % RING_SLOTS;
        if (sem_post(&c->ring->full) == -1)
            kit_die("sem_post");
    } else {
        while (mq_send(c->mq, buf, c->size, 0) == -1)
            if (errno != EINTR)
                kit_die("mq_send");
    }
}

static void chan_recv(struct chan *c, char *buf)
{
    if (c->kind == PIPE || c->kind == SOCKET) {
        int fd = c->fd[c->kind == PIPE ? READ_END : 0];
        for (size_t off = 0; off < c->size;) {
            ssize_t got = read(fd, buf + off, c->size - off);
            if (got == -1 && errno == EINTR)
                continue;
            if (got == -1)
                kit_die("read");
            if (got == 0)
                kit_fail("%s: the other process went away", kind_name[c->kind]);
            off += (size_t)got;
        }
    } else if (c->kind == RING) {
        sem_wait_intr(&c->ring->full);
        memcpy(buf, c->ring->slots + c->next * c->size, c->size);
        c->next = (c->next + 1) % RING_SLOTS;
        if (sem_post(&c->ring->empty) == -1)
            kit_die("sem_post");
    } else {
        ssize_t got;
        while ((got = mq_receive(c->mq, buf, c->size, NULL)) == -1)
            if (errno != EINTR)
                kit_die("mq_receive");
        if ((size_t)got != c->size)
            kit_fail("mqueue: short message");
    }
}

static void stamp(char *buf, uint64_t seq)
{
    memcpy(buf, &seq, sizeof seq);   /* every message is at least 8 bytes */
}

static void check_stamp(const char *buf, uint64_t seq, int kind)
{
    uint64_t got;
    memcpy(&got, buf, sizeof got);
    if (got != seq)
        kit_fail("%s: message %llu arrived as %llu", kind_name[kind], (unsigned long long)seq,
                 (unsigned long long)got);
}

static pid_t start_child(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    /* if the parent dies (Ctrl-C), a child blocked on a semaphore would
     * wait forever: the kernel kills it instead */
    if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
        kit_die("prctl");
    return pid;
}

/* The child streams count messages per repeat; the parent times each
 * repeat from its "go" to the last message in. Returns false if the kind
 * cannot carry messages this big here. */
static bool throughput(int kind, size_t size, uint64_t count, int repeats, double *t)
{
    struct chan c;
    if (!chan_open(&c, kind, size))
        return false;
    int go[2];
    if (pipe(go) == -1)
        kit_die("pipe");
    char *buf = calloc(1, size);
    if (buf == NULL)
        kit_die("calloc");
    pid_t pid = start_child();
    if (pid == 0) {
        chan_side(&c, true);
        if (close(go[WRITE_END]) == -1)
            kit_die("close");
        for (int r = 0; r < repeats; r++) {
            char g;
            if (read(go[READ_END], &g, 1) != 1)
                kit_die("read go");
            for (uint64_t i = 0; i < count; i++) {
                stamp(buf, i);
                chan_send(&c, buf);
            }
        }
        free(buf);   /* _exit frees nothing itself; valgrind checks the children too */
        _exit(0);
    }
    chan_side(&c, false);
    if (close(go[READ_END]) == -1)
        kit_die("close");
    for (int r = 0; r < repeats; r++) {
        double t0 = kit_now();
        if (write(go[WRITE_END], "g", 1) != 1)
            kit_die("write go");
        for (uint64_t i = 0; i < count; i++) {
            chan_recv(&c, buf);
            check_stamp(buf, i, kind);
        }
        t[r] = kit_now() - t0;
    }
    bench_reap(pid, "an ipc child");
    if (close(go[WRITE_END]) == -1)
        kit_die("close");
    chan_close(&c);
    free(buf);
    return true;
}

/* Where the two processes of a ping-pong run: CPU numbers, or -1 when the
 * machine lets us use only one (then APART is not measured). */
enum { APART, SAME, PLACEMENTS };
static int cpu_a = -1, cpu_b = -1;

static void unpin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_a, &set);
    if (cpu_b != -1)
        CPU_SET(cpu_b, &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        kit_die("sched_setaffinity");
}

/* Ping-pong: the parent sends, the child sends the same message back.
 * t[r] is the median round trip of repeat r. */
static bool latency(int kind, size_t size, uint64_t rounds, int repeats, double *t, int where)
{
    if (where == APART && cpu_b == -1)
        return false;
    bench_pin(cpu_a);                          /* the child inherits it */
    struct chan there, back;
    if (!chan_open(&there, kind, size))
        return false;
    if (!chan_open(&back, kind, size)) {
        chan_close(&there);
        return false;
    }
    char *buf = calloc(1, size);
    if (buf == NULL)
        kit_die("calloc");
    pid_t pid = start_child();
    if (pid == 0) {
        if (where == APART)
            bench_pin(cpu_b);
        chan_side(&there, false);
        chan_side(&back, true);
        for (uint64_t i = 0; i < WARM_UP + rounds * (uint64_t)repeats; i++) {
            chan_recv(&there, buf);
            chan_send(&back, buf);
        }
        free(buf);
        _exit(0);
    }
    chan_side(&there, true);
    chan_side(&back, false);
    double *rt = calloc(rounds, sizeof *rt);
    if (rt == NULL)
        kit_die("calloc");
    for (uint64_t i = 0; i < WARM_UP; i++) {   /* untimed: the first round trips wake */
        stamp(buf, i);                           /* both processes from a deep sleep */
        chan_send(&there, buf);
        chan_recv(&back, buf);
        check_stamp(buf, i, kind);
    }
    for (int r = 0; r < repeats; r++) {
        for (uint64_t i = 0; i < rounds; i++) {
            double t0 = kit_now();
            stamp(buf, i);
            chan_send(&there, buf);
            chan_recv(&back, buf);
            rt[i] = kit_now() - t0;
            check_stamp(buf, i, kind);
        }
        /* the median round trip: on a busy machine a few round trips wait
         * a whole time slice for the other process, and a mean would be
         * mostly those */
        t[r] = kit_median(rt, rounds);
    }
    free(rt);
    bench_reap(pid, "an ipc child");
    unpin();
    chan_close(&there);
    chan_close(&back);
    free(buf);
    return true;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int main(int argc, char *argv[])
{
    struct bench_opts o = {.args = {.workers_min = 1, .workers_max = 1, .count_min = 1,
                                    .count_max = 1},
                           .repeats_max = MAX_REPEATS};
    bench_parse(argc, argv, "ipc", usage, &o);
    struct bench_args args = o.args;
    long repeats = o.repeats;
    const char *dir = o.dir;
    /* bytes per throughput repeat and message caps: small messages are
     * capped by count (each costs system calls), big ones by bytes */
    uint64_t bytes = args.quick ? 2u << 20 : 64u << 20, max_msgs = args.quick ? 2000 : 50000;
    uint64_t rt_bytes = args.quick ? 1u << 20 : 16u << 20, max_rounds = args.quick ? 300 : 2000;

    bench_find_cpus(&cpu_a, &cpu_b);
    bench_progress("MB/s, then round trips on two CPUs (%d, %d) / on one CPU", cpu_a, cpu_b);
    char path[512];
    snprintf(path, sizeof path, "%s/ipc.tsv", dir);
    FILE *f = bench_data_open(path, "ipc: throughput and latency between two processes", argc, argv);
    fprintf(f, "# repeats: %ld\n# ring slots and mqueue depth: %d\n", repeats, RING_SLOTS);
    fprintf(f, "# per kind: MB/s (from median, min..max time), round trip us on two CPUs (median, "
               "min, max), round trip us on one CPU (median, min, max); ? = not possible here\n");
    fprintf(f, "# cpus for the round trips: %d and %d\n", cpu_a, cpu_b);
    fprintf(f, "# size");
    for (int k = 0; k < KINDS; k++)
        fprintf(f, "\t%s_mbs\t%s_mbs_lo\t%s_mbs_hi\t%s_us\t%s_us_min\t%s_us_max"
                   "\t%s_us1\t%s_us1_min\t%s_us1_max", kind_name[k], kind_name[k], kind_name[k],
                kind_name[k], kind_name[k], kind_name[k], kind_name[k], kind_name[k], kind_name[k]);
    fprintf(f, "\n");

    static const size_t sizes[] = {8, 64, 512, 4096, 32768, 262144, 1048576};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t size = sizes[si];
        uint64_t count = clamp(bytes / size, 16, max_msgs);
        uint64_t rounds = clamp(rt_bytes / size, 8, max_rounds);
        fprintf(f, "%zu", size);
        char line[256];
        int len = snprintf(line, sizeof line, "%7zu B:", size);
        for (int k = 0; k < KINDS; k++) {
            double tt[MAX_REPEATS], tl[PLACEMENTS][MAX_REPEATS];
            if (!throughput(k, size, count, (int)repeats, tt) ||
                !latency(k, size, rounds, (int)repeats, tl[SAME], SAME)) {
                fprintf(f, "\t?\t?\t?\t?\t?\t?\t?\t?\t?");
                len += snprintf(line + len, sizeof line - (size_t)len, "  %s -", kind_name[k]);
                continue;
            }
            struct bench_stats st = bench_stats(tt, (size_t)repeats);
            double mb = (double)(count * size) / 1e6;
            fprintf(f, "\t%.3f\t%.3f\t%.3f", mb / st.med, mb / st.max, mb / st.min);
            double apart = 0;
            if (latency(k, size, rounds, (int)repeats, tl[APART], APART)) {
                struct bench_stats sl = bench_stats(tl[APART], (size_t)repeats);
                fprintf(f, "\t%.3f\t%.3f\t%.3f", sl.med * 1e6, sl.min * 1e6, sl.max * 1e6);
                apart = sl.med * 1e6;
            } else {
                fprintf(f, "\t?\t?\t?");
            }
            struct bench_stats s1 = bench_stats(tl[SAME], (size_t)repeats);
            fprintf(f, "\t%.3f\t%.3f\t%.3f", s1.med * 1e6, s1.min * 1e6, s1.max * 1e6);
            len += snprintf(line + len, sizeof line - (size_t)len, "  %s %.0f MB/s %.1f/%.1f us",
                            kind_name[k], mb / st.med, apart, s1.med * 1e6);
        }
        fprintf(f, "\n");
        bench_progress("%s", line);
    }
    bench_data_close(f, path);
    printf("wrote %s\n", path);
    return 0;
}
