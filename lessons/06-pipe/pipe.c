/* pipe.c - Pipe(): a byte stream between processes, framed into messages
 *
 * Python (notes 002, 003):
 *     fd1, fd2 = Pipe(False)                   # one-way: fd1 only reads, fd2 only writes
 *     def fun(): time.sleep(3); fd2.send([1, 2, 3, 4, 5])
 *     for i in range(5): Process(target=fun).start()
 *     for i in range(5): print(fd1.recv())     # recv() blocks while the pipe is empty
 * C: pipe() gives a read end and a write end; fork() copies both into the
 *    child. The kernel keeps bytes, not messages, so send() writes a 4-byte
 *    length and the payload (one writev) and recv() reads exactly that back.
 *    Pipe() duplex is a socketpair(). read() returns 0 (end of file) once every
 *    write end in every process is closed; writing with no reader left raises
 *    SIGPIPE, or fails with EPIPE; a write of <= PIPE_BUF bytes never tears.
 *
 * Usage: ./lesson06 [-q] [-w N] [-n N] [--one-way] [--duplex] [--framing]
 *                   [--eof] [--sigpipe] [--atomic] [--trials K] [--bench]
 *
 * Watch for: one read() returning two messages glued, then part of one; a
 * reader stuck until the parent closes its write end; a writer killed by
 * SIGPIPE, then the same writer getting EPIPE; 4096-byte records never torn,
 * 100000-byte records torn by the other writers.
 * Try next: ./lesson06 --bench, then shrink struct reader's buffer to 16 bytes.
 * Compare with lesson 02 (Queue: many readers, one lock) and lesson 07 (signals).
 */
#include "legacy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson06 [options]\n"
    "Messages through pipes (Python's Pipe). With no mode, all but --bench run, in order:\n"
    "      --one-way      Pipe(False): the notes' children each send a list to the parent\n"
    "      --duplex       Pipe(): a socketpair, a request and a reply each way\n"
    "      --framing      a pipe keeps no message boundaries; a length prefix restores them\n"
    "      --eof          the reader never sees end of file while a write end is open\n"
    "      --sigpipe      writing with no reader left: SIGPIPE, then EPIPE with SIGPIPE ignored\n"
    "      --atomic       several writers: PIPE_BUF-sized records whole, bigger ones torn\n"
    "      --trials K     the PIPE_BUF-sized records K times (1..1000, default 1)\n"
    "      --bench        MB/s and round trips/s, bare write/read vs framed (median of 5)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, smaller counts: well under a second\n"
    "  -w, --workers N    children writing to one pipe (1..16, default 5, as in the notes)\n"
    "  -n, --count N      records per writer in --atomic (1..100000, default 1000, quick 100)\n";

enum { READ_END = 0, WRITE_END = 1, MAX_WORKERS = 16, BIG = 100000, CHUNK = 64 * 1024, REPS = 5 };

/* Helpers run in parent and children; a child must die with _exit (no atexit
 * handlers, no stdio flushed twice: kit_die_child), so they ask this flag. */
static bool in_child;
#define DIE(call) kit_die_at(__FILE__, __LINE__, (call), errno)

static char blob[BIG];          /* payloads; after fork each process has its own copy */

/* ---- children ------------------------------------------------------------
 * A child runs fn(fd, arg) on the end it keeps, then exits. It closes the
 * end it does not use at once: a stray write end keeps a reader from ever
 * seeing end of file (--eof), a stray read end keeps SIGPIPE from coming.
 * Lines go out with one write() each and no stdio buffer, so nothing needs
 * flushing before fork. */
typedef void child_fn(int fd, int arg);

static pid_t spawn(const char *role, int n, child_fn *fn, int arg, int fd, int other)
{
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");
    case 0:
        in_child = true;
        if (n > 0)
            kit_set_role("%s %d", role, n);
        else
            kit_set_role("%s", role);
        if (close(other) == -1)
            kit_die("close");
        fn(fd, arg);
        _exit(EXIT_SUCCESS);
    default:
        return pid;
    }
}

static void close_fd(int fd)
{
    if (close(fd) == -1)
        DIE("close");
}

/* A new pipe and n children writing into it, child i running fn(fd, arg + i).
 * Returns the read end: the parent only reads, so it closes its write end at
 * once (or it would never see end of file: --eof). */
static int start_writers(pid_t *pid, int n, const char *role, child_fn *fn, int arg)
{
    int fd[2];
    if (pipe(fd) == -1)
        kit_die("pipe");
    for (int i = 0; i < n; i++)
        pid[i] = spawn(role, n > 1 ? i + 1 : 0, fn, arg + i, fd[WRITE_END], fd[READ_END]);
    close_fd(fd[WRITE_END]);
    return fd[READ_END];
}

static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    return status;
}

/* Reaps every child (a failed one has said why on stderr), then says
 * whether all of them exited with 0. */
static bool reap_all(const pid_t *pid, int n)
{
    bool all_ok = true;
    for (int i = 0; i < n; i++) {
        int status = reap(pid[i]);
        all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return all_ok;
}

/* ---- messages on a byte stream -------------------------------------------
 * A blocking write() to a pipe or a stream socket returns once all of it is
 * written (only a signal handler could cut it short, and there is none). */
static void write_all(int fd, const void *data, size_t n)
{
    ssize_t done = write(fd, data, n);
    if (done == -1)
        DIE("write");
    if ((size_t)done != n)
        kit_fail("short write: %zd of %zu bytes", done, n);
}

/* send(): the length (4 bytes in this machine's byte order: both ends run
 * here), then the payload, in one writev(): one system call, like write(). */
static void send_msg(int fd, const void *data, uint32_t len)
{
    struct iovec iov[2] = {{&len, sizeof len}, {(void *)data, len}};
    ssize_t done = writev(fd, iov, 2);
    if (done == -1)
        DIE("writev");
    if ((size_t)done != sizeof len + len)
        kit_fail("short writev: %zd of %zu bytes", done, sizeof len + len);
}

/* recv() reads through a small buffer, so that a small message (length and
 * payload) costs one read(); a big payload goes straight into place. */
struct reader {
    int fd;
    size_t head, tail;          /* buf[head..tail) is read but not yet used */
    char buf[4096];
};

/* Exactly n bytes; false at end of file before the first of them. */
static bool read_exact(struct reader *r, void *dst, size_t n)
{
    char *p = dst;
    size_t want = n;
    while (want > 0) {
        if (r->head < r->tail) {                 /* what is buffered first */
            size_t k = r->tail - r->head < want ? r->tail - r->head : want;
            memcpy(p, r->buf + r->head, k);
            r->head += k, p += k, want -= k;
            continue;
        }
        bool direct = want >= sizeof r->buf;
        ssize_t got = read(r->fd, direct ? p : r->buf, direct ? want : sizeof r->buf);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            DIE("read");
        if (got == 0 && want == n)
            return false;
        if (got == 0)
            kit_fail("end of file inside a message: %zu of %zu bytes missing", want, n);
        if (direct)
            p += got, want -= (size_t)got;
        else
            r->head = 0, r->tail = (size_t)got;
    }
    return true;
}

/* One message into buf; false at end of file (no more messages). */
static bool recv_msg(struct reader *r, void *buf, size_t cap, uint32_t *len)
{
    if (!read_exact(r, len, sizeof *len))
        return false;
    if (*len > cap)
        kit_fail("a %u-byte message for a %zu-byte buffer", (unsigned)*len, cap);
    if (!read_exact(r, buf, *len) && *len > 0)
        kit_fail("end of file inside a message");
    return true;
}

/* ---- Pipe(False): the notes' five children ------------------------------- */
static const int list[5] = {1, 2, 3, 4, 5};

static void send_list(int fd, int arg)
{
    (void)arg;
    kit_pace(1.0);                               /* the notes' time.sleep(3), shortened */
    send_msg(fd, list, sizeof list);
    kit_say("send([1, 2, 3, 4, 5])");
}

static void one_way(int workers)
{
    kit_section("Pipe(False) (--one-way): %d children send a list, the parent recv()s", workers);
    pid_t pid[MAX_WORKERS];
    int fd = start_writers(pid, workers, "child", send_list, 0);
    bool refused = write(fd, "x", 1) == -1 && errno == EBADF;
    kit_expect(refused, "write() on the read end fails with EBADF: pipe() is one-way, like Pipe(False)");
    struct reader r = {.fd = fd};
    int got[8] = {0}, messages = 0, whole = 0;
    uint32_t len;
    while (recv_msg(&r, got, sizeof got, &len)) {   /* blocks while the pipe is empty */
        whole += len == sizeof list && memcmp(got, list, sizeof list) == 0;
        kit_say("recv() #%d: [%d, %d, %d, %d, %d] (%u bytes)", ++messages, got[0], got[1],
                got[2], got[3], got[4], (unsigned)len);
    }
    kit_say("recv() #%d: end of file: the children have exited, no write end is left",
            messages + 1);
    close_fd(fd);
    bool ok = reap_all(pid, workers);
    kit_expect(ok && messages == workers && whole == workers,
               "%d messages, each the whole list, then end of file", messages);
}

/* ---- Pipe(): duplex, a socketpair ------------------------------------------ */
static const char notes_list[] = "[42, None, 'hello']";

/* Sends text (unless NULL), then receives a short text message into buf[64]. */
static char *send_recv(struct reader *r, const char *text, char *buf)
{
    uint32_t len;
    if (text != NULL)
        send_msg(r->fd, text, (uint32_t)strlen(text));
    if (!recv_msg(r, buf, 63, &len))
        kit_fail("end of file: no message came");
    buf[len] = '\0';
    return buf;
}

static void duplex_child(int fd, int arg)
{
    (void)arg;
    struct reader r = {.fd = fd};
    char buf[64];
    kit_say("recv() request \"%s\"; send() the reply", send_recv(&r, NULL, buf));
    send_msg(fd, notes_list, sizeof notes_list - 1);
    send_recv(&r, "your pid?", buf);             /* now a request the other way */
    kit_say("recv() reply \"%s\"", buf);
    if (strtol(buf, NULL, 10) != getppid())
        kit_fail("the reply is not my parent's pid");
}

static void duplex(void)
{
    kit_section("Pipe() (--duplex): socketpair(), both ends read and write");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        kit_die("socketpair");
    pid_t pid = spawn("child", 0, duplex_child, 0, sv[1], sv[0]);
    close_fd(sv[1]);
    struct reader r = {.fd = sv[0]};
    char buf[64];
    kit_expect(strcmp(send_recv(&r, "send me the list", buf), notes_list) == 0,
               "parent_conn.recv() = %s", buf);
    kit_say("recv() request \"%s\"; send() the reply", send_recv(&r, NULL, buf));
    snprintf(buf, sizeof buf, "%ld", (long)getpid());
    send_msg(sv[0], buf, (uint32_t)strlen(buf));
    close_fd(sv[0]);
    kit_expect(reap_all(&pid, 1), "the child got my pid back on the same socket and exited with 0");
}

/* ---- messages, not bytes ------------------------------------------------- */
static void sender(int fd, int framed)
{
    if (framed)
        send_msg(fd, "hello", 5), send_msg(fd, "world", 5), send_msg(fd, blob, BIG);
    else
        write_all(fd, blob, BIG);
}

static void framing(void)
{
    kit_section("messages, not bytes (--framing): a pipe keeps no boundaries");
    int pair[2];                                 /* first a pipe within one process */
    if (pipe(pair) == -1)
        kit_die("pipe");
    write_all(pair[WRITE_END], "hello", 5);
    write_all(pair[WRITE_END], "world", 5);
    char buf[64];
    ssize_t n = read(pair[READ_END], buf, sizeof buf);
    if (n == -1)
        kit_die("read");
    close_fd(pair[READ_END]), close_fd(pair[WRITE_END]);
    kit_expect(n == 10, "two write()s of 5 bytes, then one read() of up to 64 returns %zd: "
               "\"%.*s\", two messages glued", n, (int)n, buf);

    pid_t pid;                                   /* then a child writes one big message */
    int fd = start_writers(&pid, 1, "sender", sender, false);
    int capacity = fcntl(fd, F_GETPIPE_SZ);      /* Linux: how much the pipe holds */
    if (capacity == -1)
        kit_die("fcntl");
    long total = 0, first = 0;
    for (; (n = read(fd, blob, BIG)) != 0; total += n)
        if (n == -1)
            kit_die("read");
        else if (first == 0)
            first = n;
    close_fd(fd);
    bool ok = reap_all(&pid, 1);
    kit_expect(ok && first < BIG && total == BIG, "one write() of %d bytes; the first read() of up "
               "to %d returns %ld, part of a message (the pipe holds %d)", BIG, BIG, first, capacity);

    memset(blob, 'x', BIG);                      /* the sender's copy gets this too */
    fd = start_writers(&pid, 1, "sender", sender, true);
    struct reader r = {.fd = fd};
    static char in[BIG];
    uint32_t len[4] = {0};
    int messages = 0;
    while (messages < 4 && recv_msg(&r, in, sizeof in, &len[messages]))
        messages++;
    close_fd(fd);
    ok = reap_all(&pid, 1) && messages == 3 && memcmp(in, blob, BIG) == 0;
    kit_expect(ok && len[0] == 5 && len[1] == 5 && len[2] == BIG,
               "framed: recv() returns messages of %u, %u and %u bytes, then end of file",
               (unsigned)len[0], (unsigned)len[1], (unsigned)len[2]);
}

/* ---- end of file --------------------------------------------------------- */
static void count_until_eof(int fd, int arg)
{
    (void)arg;
    struct reader r = {.fd = fd};
    char buf[16];
    uint32_t len;
    int n = 0;
    while (recv_msg(&r, buf, sizeof buf, &len))
        n++;
    kit_say("end of file after %d messages: every write end is closed", n);
}

static void eof(bool forget, double watchdog)
{
    kit_section("end of file (--eof), %s", forget ? "broken: the parent forgets its write end"
                                                   : "fixed: the parent closes its write end");
    int fd[2], status;
    if (pipe(fd) == -1)
        kit_die("pipe");
    pid_t pid = spawn("reader", 0, count_until_eof, 0, fd[READ_END], fd[WRITE_END]);
    close_fd(fd[READ_END]);
    for (int i = 0; i < 3; i++)
        send_msg(fd[WRITE_END], "job", 3);
    if (forget)
        kit_warn("deliberately broken: sent 3 messages and kept my write end open");
    bool ended = forget && kit_wait_timeout(pid, &status, watchdog);
    if (forget)
        kit_expect(!ended, "watchdog: after %.1f s the reader is still blocked in read(): "
                   "while a write end is open, more could come", watchdog);
    /* said before the close: the reader's end-of-file line comes after it */
    kit_say(forget ? "now I close my write end" : "sent 3 messages; now I close my write end");
    close_fd(fd[WRITE_END]);
    ended = ended || kit_wait_timeout(pid, &status, 5.0);
    if (!ended && kill(pid, SIGKILL) == -1)
        kit_die("kill");
    status = ended ? status : reap(pid);
    char text[64];
    kit_expect(ended && WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "the reader saw end of file at once and %s", kit_status_str(status, text, sizeof text));
}

/* ---- a writer whose reader has gone -------------------------------------- */
static void flood(int fd, int ignore)
{
    /* Set either way: an ignored signal stays ignored across fork and exec, so
     * whoever started us may have left SIGPIPE at SIG_IGN. */
    struct sigaction sa = {.sa_handler = ignore ? SIG_IGN : SIG_DFL};
    if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
        kit_die("sigaction");
    kit_say("SIGPIPE %s; writing 1 KiB at a time", ignore ? "set to SIG_IGN" : "set to SIG_DFL");
    long kib = 0;
    while (write(fd, blob, 1024) != -1)          /* blocks whenever the pipe is full */
        kib++;
    if (errno != EPIPE)
        kit_die("write");
    kit_say("write() = -1, errno EPIPE after %ld KiB: the reader has gone, I stop", kib);
}

static void sigpipe(void)
{
    kit_section("a writer whose reader has gone (--sigpipe)");
    char text[64], buf[1024];
    for (int ignore = 0; ignore < 2; ignore++) {
        pid_t pid;
        int fd = start_writers(&pid, 1, "writer", flood, ignore), status;
        if (read(fd, buf, sizeof buf) == -1)
            kit_die("read");
        kit_say("read 1 KiB; now I close the read end: nobody will ever read again");
        close_fd(fd);
        status = reap(pid);                      /* no hang: the kernel wakes the writer */
        kit_status_str(status, text, sizeof text);
        if (ignore)
            kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                       "with SIGPIPE ignored, write() failed with EPIPE; the writer %s", text);
        else
            kit_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
                       "the writer was %s: the default action of SIGPIPE", text);
        kit_pace(0.3);
    }
}

/* ---- PIPE_BUF atomicity -------------------------------------------------- */
static size_t rec_size;
static long rec_count;

static void write_records(int fd, int id)
{
    memset(blob, 'A' + id, rec_size);            /* every byte names its writer */
    for (long i = 0; i < rec_count; i++)
        write_all(fd, blob, rec_size);           /* one write() per record */
}

/* Several writers, one pipe. Returns how often a record was cut by another
 * writer's bytes: the reader sees runs of one writer's bytes, and a run that
 * ends in the middle of that writer's record is a tear. */
static long torn_records(int workers, size_t size, long count)
{
    pid_t pid[MAX_WORKERS];
    rec_size = size, rec_count = count;
    int fd = start_writers(pid, workers, "writer", write_records, 0), cur = -1;
    long got[MAX_WORKERS] = {0}, torn = 0, total = 0;
    for (ssize_t n; (n = read(fd, blob, CHUNK)) != 0; total += n) {
        if (n == -1)
            kit_die("read");
        for (ssize_t i = 0; i < n; i++) {
            int id = blob[i] - 'A';
            if (id < 0 || id >= workers)
                kit_fail("byte %ld is '%c', from no writer", total + i, blob[i]);
            if (id != cur && cur >= 0 && got[cur] % (long)size != 0)
                torn++;                          /* cur's record was cut here */
            cur = id;
            got[id]++;
        }
    }
    close_fd(fd);
    if (!reap_all(pid, workers) || total != workers * count * (long)size)
        kit_fail("%ld bytes arrived, expected %ld", total, workers * count * (long)size);
    return torn;
}

static void atomic(int workers, long count, int trials)
{
    kit_section("PIPE_BUF atomicity (--atomic): %d writers, one pipe", workers);
    kit_say("PIPE_BUF = %d: a write() of at most that many bytes goes into the pipe whole",
            PIPE_BUF);
    long torn = 0, big_count = count < 20 ? count : 20;
    for (int t = 0; t < trials; t++)
        torn += torn_records(workers, PIPE_BUF, count);
    kit_expect(torn == 0, "records of %d bytes: %ld torn in %d run(s) of %d x %ld records",
               PIPE_BUF, torn, trials, workers, count);
    torn = torn_records(workers, BIG, big_count);
    if (torn > 0)
        kit_warn("records of %d bytes (> PIPE_BUF): %ld torn in %d x %ld: another writer's bytes "
                 "in the middle", BIG, torn, workers, big_count);
    else
        kit_say("records of %d bytes (> PIPE_BUF): 0 torn in %d x %ld this time; nothing "
                "guarantees it (one writer? a quiet machine?)", BIG, workers, big_count);
}

/* ---- --bench ---------------------------------------------------------------
 * A child streams 64 KiB messages through a pipe, or echoes 8-byte numbers
 * over a socketpair: bare write()/read() of the bytes, or framed. The pipe
 * gets 1 MiB for both: at 64 KiB a framed message (64 KiB + 4) never fits
 * whole, and each one would wait for the reader twice. */
enum { FRAMED = 1, PING = 2 };
static long bench_bytes, bench_trips;

static void put(int fd, int how, const void *p, uint32_t n)
{
    if (how & FRAMED)
        send_msg(fd, p, n);
    else
        write_all(fd, p, n);
}

static bool get(struct reader *r, int how, void *p, uint32_t n)
{
    uint32_t len;
    return how & FRAMED ? recv_msg(r, p, n, &len) && len == n : read_exact(r, p, n);
}

static void bench_child(int fd, int how)
{
    struct reader r = {.fd = fd};
    long v;
    if (how & PING)                              /* send back every number */
        while (get(&r, how, &v, sizeof v))
            put(fd, how, &v, sizeof v);
    else
        for (long sent = 0; sent < bench_bytes; sent += CHUNK)
            put(fd, how, blob, CHUNK);
}

/* One run: MB/s or round trips/s; *right counts the runs that came back whole. */
static double bench_run(int how, int *right)
{
    int fd[2];
    if ((how & PING ? socketpair(AF_UNIX, SOCK_STREAM, 0, fd) : pipe(fd)) == -1)
        kit_die("pipe or socketpair");
    if (!(how & PING) && fcntl(fd[READ_END], F_SETPIPE_SZ, 1 << 20) == -1)
        kit_die("fcntl");
    double start = kit_now();
    pid_t pid = spawn("bench", 0, bench_child, how, fd[WRITE_END], fd[READ_END]);
    close_fd(fd[WRITE_END]);
    struct reader r = {.fd = fd[READ_END]};
    long done = 0, v = -1;
    if (how & PING)                              /* a socket end reads and writes */
        for (long i = 0; i < bench_trips; i++) {
            put(fd[READ_END], how, &i, sizeof i);
            done += get(&r, how, &v, sizeof v) && v == i;
        }
    else
        while (get(&r, how, blob, CHUNK))
            done++;
    double seconds = kit_now() - start;
    close_fd(fd[READ_END]);
    *right += reap_all(&pid, 1) && done == (how & PING ? bench_trips : bench_bytes / CHUNK);
    return how & PING ? (double)done / seconds : (double)done * CHUNK / seconds / 1e6;
}

static void bench(bool quick)
{
    bench_bytes = (quick ? 16L : 64L) << 20;
    bench_trips = quick ? 2000 : 10000;
    kit_section("--bench: bare write()/read() vs framed send()/recv(), median of %d runs", REPS);
    /* Parent and child on one CPU (the child inherits this): whether the
     * scheduler puts the pair on one core or two changes a round trip
     * fivefold from run to run, and that, not the framing, would decide. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    if (sched_setaffinity(0, sizeof one, &one) == -1)
        kit_die("sched_setaffinity");
    double v[4][REPS];
    int right = 0;
    for (int k = 0; k < REPS; k++)               /* interleaved: load hits all four alike */
        for (int how = 0; how < 4; how++)
            v[how][k] = bench_run(how, &right);
    for (int how = 0; how < 4; how += PING) {
        double bare = kit_median(v[how], REPS), framed = kit_median(v[how | FRAMED], REPS);
        kit_say("%s: bare %.0f, framed %.0f = %.0f%% (target >= 80%%: %s)", how & PING
                ? "ping-pong, 8-byte messages, round trips/s" : "one-way pipe, 64 KiB messages, MB/s",
                bare, framed, 100 * framed / bare, framed >= 0.8 * bare ? "met" : "missed");
    }
    kit_expect(right == 4 * REPS, "%d of %d runs delivered every byte or every number (%ld MiB, "
               "%ld round trips each)", right, 4 * REPS, bench_bytes >> 20, bench_trips);
}

enum { ONE_WAY = 1, DUPLEX = 2, FRAMING = 4, EOF_ = 8, SIGPIPE_ = 16, ATOMIC = 32, BENCH = 64 };

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 5, .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 0, .count_min = 1, .count_max = 100000};
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"one-way", no_argument, NULL, ONE_WAY}, {"duplex", no_argument, NULL, DUPLEX},
        {"framing", no_argument, NULL, FRAMING}, {"eof", no_argument, NULL, EOF_},
        {"sigpipe", no_argument, NULL, SIGPIPE_}, {"atomic", no_argument, NULL, ATOMIC},
        {"bench", no_argument, NULL, BENCH}, {"trials", required_argument, NULL, 't'}, {0}};
    kit_set_usage(usage);
    int modes = 0, trials = 1;
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == 't')
            trials = (int)kit_parse_long("--trials", optarg, 1, 1000), modes |= ATOMIC;
        else if (opt >= ONE_WAY && opt <= BENCH)
            modes |= opt;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    if (modes == 0)
        modes = ONE_WAY | DUPLEX | FRAMING | EOF_ | SIGPIPE_ | ATOMIC;
    kit_show_ms(true);
    if (modes & ONE_WAY)
        one_way((int)args.workers), kit_pace(0.5);   /* pauses only give a class time to read */
    if (modes & DUPLEX)
        duplex(), kit_pace(0.5);
    if (modes & FRAMING)
        framing(), kit_pace(0.5);
    if (modes & EOF_)
        eof(true, args.quick ? 0.2 : 1.0), kit_pace(0.5), eof(false, 0), kit_pace(0.5);
    if (modes & SIGPIPE_)
        sigpipe(), kit_pace(0.5);
    if (modes & ATOMIC)
        atomic((int)args.workers, args.count ? args.count : args.quick ? 100 : 1000, trials);
    if (modes & BENCH)
        bench(args.quick);
    kit_section("verdict");
    return kit_verdict();
}
