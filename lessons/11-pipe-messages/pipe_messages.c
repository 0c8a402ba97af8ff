/* pipe_messages.c - a pipe is a byte stream: framing messages, PIPE_BUF
 *
 * Python (note 002):
 *     fd2.send([1, 2, 3, 4, 5])                # send() "can send Python data types"
 *     data = fd1.recv()                        # one whole object back, however big
 * Python also frames each message for you: Connection.send() writes the
 * pickled object's length, then the bytes.
 * C: the kernel keeps bytes, not messages: two write()s can come out of one
 *    read(), one big write() comes out in pieces. send_msg() writes a 4-byte
 *    length and the payload (one writev()), recv_msg() reads exactly that
 *    back. Several writers on one pipe: a write() of at most PIPE_BUF bytes
 *    goes in whole; a bigger one can be torn by another writer's bytes.
 *
 * Usage: ./lesson11 [-q] [-w N] [-n N] [--framing] [--atomic] [--trials K]
 * Watch for: one read() returning two messages glued, then part of one;
 * every framed message back exactly; 4096-byte records never torn, 100000-
 * byte records torn by the other writers.
 * Try next: ./lesson11 --atomic -w 1, then -w 16; records of PIPE_BUF + 1.
 * Compare with lesson 06 (Pipe itself: ends, end of file, SIGPIPE) and
 * lesson 02 (Queue: many writers, one lock). Speed: bench/ipc.c.
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { READ_END = 0, WRITE_END = 1, MAX_WRITERS = 16, BIG = 100000, CHUNK = 64 * 1024 };

/* The pipe of the part that runs, and what its writers send. Set before
 * kit_start(): fork() gives each child its own copy of these variables
 * (and of the descriptors in fd). */
static int fd[2];
static char blob[BIG];
static size_t rec_size;
static long rec_count;

/* A blocking write() to a pipe returns once all of it is in (only a signal
 * handler that returns could cut it short; none does). */
static void write_all(const void *buf, size_t n)
{
    ssize_t done = write(fd[WRITE_END], buf, n);
    if (done == -1)
        kit_die("write");
    if ((size_t)done != n)
        kit_fail("short write: %zd of %zu bytes", done, n);
}

/* Exactly n bytes; false at end of file before the first of them. */
static bool read_full(void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd[READ_END], (char *)buf + got, n - got);
        if (r == -1)
            kit_die("read");
        if (r == 0 && got == 0)
            return false;
        if (r == 0)
            kit_fail("end of file inside a message: %zu of %zu bytes", got, n);
        got += (size_t)r;
    }
    return true;
}

/* send(): the length (4 bytes in this machine's byte order: both ends run
 * here), then the payload, in one writev(): one system call. */
static void send_msg(const void *data, uint32_t len)
{
    struct iovec iov[2] = {{&len, sizeof len}, {(void *)data, len}};
    ssize_t done = writev(fd[WRITE_END], iov, 2);
    if (done == -1)
        kit_die("writev");
    if ((size_t)done != sizeof len + len)
        kit_fail("short writev: %zd of %zu bytes", done, sizeof len + len);
}

/* recv(): one message into buf; false at end of file between messages. */
static bool recv_msg(void *buf, size_t cap, uint32_t *len)
{
    if (!read_full(len, sizeof *len))
        return false;
    if (*len > cap)
        kit_fail("a %u-byte message for a %zu-byte buffer", (unsigned)*len, cap);
    if (!read_full(buf, *len))
        kit_fail("end of file inside a message");
    return true;
}

/* ---- 1. messages, not bytes ---------------------------------------------- */
static const uint32_t sizes[] = {5, 5, 0, 1, PIPE_BUF, PIPE_BUF + 1, BIG};
enum { MESSAGES = sizeof sizes / sizeof sizes[0] };

static void fill(char *buf, uint32_t len, int k)     /* message k's bytes */
{
    for (uint32_t j = 0; j < len; j++)
        buf[j] = (char)('a' + (k + j) % 26);
}

static void send_one_big(int id)
{
    (void)id;
    if (close(fd[READ_END]) == -1)               /* the parent is the one reader */
        kit_die("close");
    write_all(blob, BIG);
}

static void send_framed(int id)
{
    (void)id;
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    for (int k = 0; k < MESSAGES; k++) {
        fill(blob, sizes[k], k);
        send_msg(blob, sizes[k]);
    }
}

static void framing(const struct kit_args *args)
{
    (void)args;
    if (pipe(fd) == -1)                          /* first a pipe within one process */
        kit_die("pipe");
    write_all("hello", 5);
    write_all("world", 5);
    char buf[64];
    ssize_t n = read(fd[READ_END], buf, sizeof buf);
    if (n == -1)
        kit_die("read");
    if (close(fd[READ_END]) == -1 || close(fd[WRITE_END]) == -1)
        kit_die("close");
    kit_expect(n == 10, "two write()s of 5 bytes; one read() of up to 64 gets %zd: "
               "\"%.*s\"", n, (int)n, buf);
    kit_pace(0.7);

    if (pipe(fd) == -1)                          /* then a child writes one big message */
        kit_die("pipe");
    kit_start(send_one_big, 0, "sender");
    /* The parent's write end goes at once: read() returns 0 only when no
     * process holds one, so even a sender that died ends the loop below. */
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    int capacity = fcntl(fd[READ_END], F_GETPIPE_SZ);   /* Linux: what the pipe holds */
    if (capacity == -1)
        kit_die("fcntl");
    kit_say("fcntl(F_GETPIPE_SZ): this pipe holds %d bytes", capacity);
    static char in[BIG];
    long total = 0, first = 0;
    for (ssize_t got = 1; got != 0; total += got) {
        got = read(fd[READ_END], in, BIG);
        if (got == -1)
            kit_die("read");
        if (first == 0)
            first = got;
    }
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    bool joined = kit_join_all(-1);              /* end of file: the sender has exited */
    kit_expect(joined && first < BIG && total == BIG, "one write() of %d bytes; the first read() "
               "gets only %ld", BIG, first);
    kit_pace(0.7);

    if (pipe(fd) == -1)                          /* now framed: length, then payload */
        kit_die("pipe");
    kit_start(send_framed, 0, "sender");
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    int got = 0, exact = 0;
    uint32_t len;
    static char want[BIG];
    while (recv_msg(in, sizeof in, &len)) {
        if (got < MESSAGES) {
            fill(want, sizes[got], got);
            exact += len == sizes[got] && memcmp(in, want, len) == 0;
        }
        got++;
        kit_say("recv_msg() #%d: length %u, \"%.*s%s\"", got, (unsigned)len, len < 8 ? (int)len : 8,
                in, len > 8 ? "..." : "");
    }
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    joined = kit_join_all(-1);
    kit_expect(joined && got == MESSAGES && exact == MESSAGES, "framed: %d messages, %d exact in "
               "length and bytes, then end of file", got, exact);
}

/* ---- 2. PIPE_BUF: several writers on one pipe ----------------------------- */
static void write_records(int id)
{
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    memset(blob, 'A' + id, rec_size);            /* every byte names its writer */
    for (long i = 0; i < rec_count; i++)
        write_all(blob, rec_size);               /* one write() per record */
}

/* How many records were cut by another writer's bytes. The reader sees
 * runs of one writer's bytes; a run that ends in the middle of that
 * writer's record tears it (a record cut twice counts once). */
static long torn_records(int writers, size_t size, long count)
{
    rec_size = size;
    rec_count = count;
    if (pipe(fd) == -1)
        kit_die("pipe");
    for (int i = 0; i < writers; i++)
        kit_start(write_records, i, "writer %d", i + 1);
    if (close(fd[WRITE_END]) == -1)              /* or the loop below never ends */
        kit_die("close");
    long from[MAX_WRITERS] = {0}, cut_in[MAX_WRITERS] = {0}, torn = 0, total = 0;
    int cur = -1;
    for (ssize_t n = 1; n != 0; total += n) {
        n = read(fd[READ_END], blob, CHUNK);
        if (n == -1)
            kit_die("read");
        for (ssize_t i = 0; i < n; i++) {
            int id = blob[i] - 'A';
            if (id < 0 || id >= writers)
                kit_fail("byte %ld is '%c', from no writer", total + i, blob[i]);
            if (id != cur && cur >= 0 && from[cur] % (long)size != 0) {
                long rec = from[cur] / (long)size + 1;   /* cur's record 1, 2, ... is cut */
                torn += cut_in[cur] != rec;
                cut_in[cur] = rec;
            }
            cur = id;
            from[id]++;
        }
    }
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    if (!kit_join_all(-1) || total != writers * count * (long)size)
        kit_fail("%ld bytes arrived, %ld were sent", total, writers * count * (long)size);
    return torn;
}

static long trials = 1;

static void atomic(const struct kit_args *args)
{
    int writers = (int)args->workers;
    kit_say("PIPE_BUF = %d: a write() of at most that many bytes goes in whole", PIPE_BUF);
    long torn = 0;
    for (long t = 0; t < trials; t++)
        torn += torn_records(writers, PIPE_BUF, args->count);
    kit_expect(torn == 0, "records of %d bytes: %ld torn in %ld run(s) of %d x %ld", PIPE_BUF,
               torn, trials, writers, args->count);
    kit_pace(0.7);
    long big = args->count < 20 ? args->count : 20;
    torn = torn_records(writers, BIG, big);
    if (writers == 1)
        kit_expect(torn == 0, "records of %d bytes, one writer: %ld torn (nobody to tear them)",
                   BIG, torn);
    else if (torn > 0)
        kit_warn("records of %d bytes (> PIPE_BUF): %ld torn of %d x %ld", BIG, torn, writers,
                 big);
    else
        kit_say("records of %d bytes (> PIPE_BUF): tearing not shown this run (0 of %d x %ld)",
                BIG, writers, big);
}

int main(int argc, char *argv[])
{
    static const struct kit_part parts[] = {
        {"framing", "a pipe keeps no message boundaries; a length prefix restores them",
         framing, true},
        {"atomic", "several writers: PIPE_BUF-sized records whole, bigger ones torn", atomic,
         true},
        {0}};
    static const struct kit_option options[] = {
        {"trials", "K", "runs of the PIPE_BUF-sized records", &trials, 1, 1000}, {0}};
    static const struct kit_lesson lesson = {
        .name = "lesson11", .title = "Messages on a pipe 管道",
        .idea = "a pipe keeps bytes, not messages: a length prefix frames them; several\n"
                "writers share one pipe safely only with write()s of at most PIPE_BUF bytes",
        .python = "fd2.send([1, 2, 3, 4, 5]); data = fd1.recv()   (note 002: whole objects)\n"
                  "Python also: Connection.send() writes the pickle's length, then its bytes",
        .mechanism = "send_msg(): writev() of a 4-byte length and the payload; recv_msg():\n"
                     "read() until exactly that many bytes are in; PIPE_BUF writes are atomic",
        .watch = "one read() with two messages glued, then part of one; framed messages back\n"
                 "exactly; 4096-byte records never torn, 100000-byte ones torn",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"writers on one pipe", 5, 1, MAX_WRITERS, 0},
        .count = {"records per writer in --atomic", 1000, 1, 100000, 100}};
    return kit_main(&lesson, argc, argv);
}
