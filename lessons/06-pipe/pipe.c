/* pipe.c - Pipe(): one-way and duplex, end of file, a writer with no reader
 *
 * Python (notes 002, 003):
 *     fd1, fd2 = Pipe(False)                   # one-way: fd1 only reads, fd2 only writes
 *     def fun(): time.sleep(3); fd2.send([1, 2, 3, 4, 5])
 *     for i in range(5): Process(target=fun).start()
 *     for i in range(5): print(fd1.recv())     # recv() blocks while the pipe is empty
 * C: pipe() gives a read end and a write end; fork() copies both into every
 *    child, so each process closes the end it does not use at once. Pipe()
 *    duplex is a socketpair(): both ends read and write. read() returns 0 (end
 *    of file) once every write end in every process is closed; a write() with
 *    no reader left raises SIGPIPE, or fails with EPIPE when SIGPIPE is ignored.
 *    Every message here has a size both ends know (5 ints, a 64-byte text);
 *    lesson 11 frames messages of any size with a length prefix.
 *
 * Usage: ./lesson06 [-q] [-w N] [--one-way] [--duplex] [--eof] [--sigpipe] [--part N]
 * Watch for: recv() blocking until the lists come; a reader stuck while the
 * parent keeps a write end open; a writer killed by SIGPIPE, then the same
 * writer getting EPIPE.
 * Try next: delete the parent's close(fd[WRITE_END]) in one_way(), run --one-way.
 * Compare with lesson 11 (messages of any size, PIPE_BUF), lesson 02 (Queue),
 * lesson 07 (signals). Speed (MB/s, round trips): bench/ipc.c.
 */
#include "kit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { READ_END = 0, WRITE_END = 1 };       /* pipe(fd): fd[0] reads, fd[1] writes */
enum { PARENT_END = 0, CHILD_END = 1 };     /* socketpair(sv): both ends read and write */
enum { TEXT = 64 };                         /* one duplex message: a text padded to 64 bytes */

/* The pipe (or socket pair) of the part that runs. It is set before
 * kit_start(), and fork() gives the child a copy of this variable and of
 * the descriptors in it: that is how the child gets its end. */
static int fd[2], sv[2];

/* A blocking write() to a pipe or a stream socket returns once all of it is
 * in (only a signal handler that returns could cut it short; none does). */
static void write_all(int to, const void *buf, size_t n)
{
    ssize_t done = write(to, buf, n);
    if (done == -1)
        kit_die("write");
    if ((size_t)done != n)
        kit_fail("short write: %zd of %zu bytes", done, n);
}

/* Exactly n bytes; false at end of file before the first of them. read()
 * returns what is there, up to n: it may be less, so it loops. */
static bool read_full(int from, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(from, (char *)buf + got, n - got);
        if (r == -1)
            kit_die("read");
        if (r == 0 && got == 0)
            return false;
        if (r == 0)
            kit_fail("end of file after %zu of %zu bytes", got, n);
        got += (size_t)r;
    }
    return true;
}

/* ---- 1. Pipe(False): the notes' children each send a list -------------- */
static const int list[5] = {1, 2, 3, 4, 5};

static void send_list(int id)
{
    (void)id;
    /* A writer keeps no read end: the parent must be the only reader. */
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    kit_pace(1.0);                               /* the notes' time.sleep(3), shortened */
    write_all(fd[WRITE_END], list, sizeof list);
    kit_say("send([1, 2, 3, 4, 5]): one write() of %zu bytes", sizeof list);
}

static void one_way(const struct kit_args *args)
{
    if (pipe(fd) == -1)
        kit_die("pipe");
    for (int i = 0; i < args->workers; i++)
        kit_start(send_list, i, "child %d", i + 1);
    /* The parent only reads, and its copy of the write end goes now: read()
     * returns 0 only when no process holds a write end, the parent included. */
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    bool refused = write(fd[READ_END], "x", 1) == -1 && errno == EBADF;
    kit_expect(refused, "write() on the read end fails with EBADF: one-way, like Pipe(False)");
    int got[5], n = 0, same = 0;
    while (read_full(fd[READ_END], got, sizeof got)) {   /* blocks while the pipe is empty */
        n++;
        same += memcmp(got, list, sizeof list) == 0;
        kit_say("recv() #%d: [%d, %d, %d, %d, %d]", n, got[0], got[1], got[2], got[3], got[4]);
    }
    kit_say("recv() #%d: end of file: every child has exited, no write end is left", n + 1);
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    bool joined = kit_join_all(-1);              /* end of file: they have all closed */
    kit_expect(joined && n == args->workers && same == n,
               "%d lists received, %d of them [1, 2, 3, 4, 5] as sent, then end of file", n, same);
}

/* ---- 2. Pipe(): duplex, a socketpair -------------------------------------
 * A text goes as TEXT bytes, padded with zeros. A stream socket keeps no
 * message boundaries either; a size both ends know makes each read_full()
 * exactly one message. */
static void send_text(int to, const char *text)
{
    char buf[TEXT] = {0};
    snprintf(buf, sizeof buf, "%s", text);
    write_all(to, buf, sizeof buf);
}

static void recv_text(int from, char buf[TEXT])
{
    if (!read_full(from, buf, TEXT))
        kit_fail("end of file: the other end has gone");
    buf[TEXT - 1] = '\0';
}

static void duplex_child(int id)
{
    (void)id;
    if (close(sv[PARENT_END]) == -1)             /* the parent's end is the parent's */
        kit_die("close");
    char buf[TEXT];
    recv_text(sv[CHILD_END], buf);
    kit_say("recv() request \"%s\"; send() the list", buf);
    send_text(sv[CHILD_END], "[42, None, 'hello']"); /* the notes' child_conn.send(...) */
    send_text(sv[CHILD_END], "your pid?");            /* and a request the other way */
    recv_text(sv[CHILD_END], buf);
    kit_say("recv() reply \"%s\"", buf);
    if (strtol(buf, NULL, 10) != getppid())
        kit_fail("the reply is not my parent's pid");
}

static void duplex(const struct kit_args *args)
{
    (void)args;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
        kit_die("socketpair");
    pid_t pid = kit_start(duplex_child, 0, "child");
    /* Our copy of the child's end goes: with it open, a child that died would
     * never give us end of file, and recv_text() would wait for ever. */
    if (close(sv[CHILD_END]) == -1)
        kit_die("close");
    char buf[TEXT];
    send_text(sv[PARENT_END], "send me the list");
    recv_text(sv[PARENT_END], buf);
    kit_expect(strcmp(buf, "[42, None, 'hello']") == 0, "parent_conn.recv() = %s", buf);
    recv_text(sv[PARENT_END], buf);
    kit_say("recv() request \"%s\"; send() my pid on the same end", buf);
    snprintf(buf, sizeof buf, "%ld", (long)getpid());
    send_text(sv[PARENT_END], buf);
    if (close(sv[PARENT_END]) == -1)
        kit_die("close");
    int status;
    char text[64];
    kit_join(pid, &status, -1);
    kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child got my pid back "
               "on the same socket and %s", kit_status_str(status, text, sizeof text));
}

/* ---- 3. end of file ------------------------------------------------------ */
static void count_until_eof(int id)
{
    (void)id;
    /* Its own copy of the write end first: while that is open, read() could
     * never return 0, and the reader would wait for itself. */
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    char job[4];
    int n = 0;
    while (read_full(fd[READ_END], job, sizeof job))
        n++;
    kit_say("end of file after %d messages: every write end is closed", n);
    _exit(n);                                    /* the exit status hands the count back */
}

static void eof_run(bool forget, double watchdog)
{
    if (pipe(fd) == -1)
        kit_die("pipe");
    pid_t pid = kit_start(count_until_eof, 0, "reader");
    if (close(fd[READ_END]) == -1)               /* the parent only writes */
        kit_die("close");
    for (int i = 0; i < 3; i++)
        write_all(fd[WRITE_END], "job", 4);
    int status;
    bool ended = false;
    if (forget) {
        kit_warn("deliberately broken: sent 3 messages and kept my write end open");
        ended = kit_join(pid, &status, watchdog);
        kit_expect(!ended, "watchdog: after %.1f s the reader is still blocked in read()",
                   watchdog);
    }
    /* said before the close: the reader's end-of-file line comes after it */
    kit_say(forget ? "now I close my write end" : "sent 3 messages; now I close my write end");
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    if (!ended && !kit_join(pid, &status, 10.0))
        kit_kill_join(pid, &status);             /* only if end of file never came */
    char text[64];
    kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 3, "the reader read 3 messages, "
               "saw end of file and %s", kit_status_str(status, text, sizeof text));
}

static void eof(const struct kit_args *args)
{
    eof_run(true, args->quick ? 0.2 : 1.0);
    kit_pace(0.5);
    eof_run(false, 0);
}

/* ---- 4. a writer whose reader has gone ----------------------------------- */
static void flood(int ignore)
{
    /* A writer that kept a read end would itself count as a reader: no
     * SIGPIPE would ever come, it would just block once the pipe is full. */
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    /* Set either way: an ignored signal stays ignored across fork and exec,
     * so whoever started us may have left SIGPIPE at SIG_IGN. */
    struct sigaction sa = {.sa_handler = ignore ? SIG_IGN : SIG_DFL};
    if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGPIPE, &sa, NULL) == -1)
        kit_die("sigaction");
    kit_say("SIGPIPE set to %s; writing 1 KiB at a time", ignore ? "SIG_IGN" : "SIG_DFL");
    static char kib[1024];
    long n = 0;
    while (write(fd[WRITE_END], kib, sizeof kib) != -1)  /* blocks whenever the pipe is full */
        n++;
    if (errno != EPIPE)
        kit_die("write");
    kit_say("write() = -1, errno EPIPE after %ld KiB: the reader has gone, I stop", n);
}

static void sigpipe(const struct kit_args *args)
{
    (void)args;
    for (int ignore = 0; ignore <= 1; ignore++) {
        if (pipe(fd) == -1)
            kit_die("pipe");
        pid_t pid = kit_start(flood, ignore, "writer");
        if (close(fd[WRITE_END]) == -1)          /* the parent only reads */
            kit_die("close");
        char buf[1024];
        if (!read_full(fd[READ_END], buf, sizeof buf))
            kit_fail("end of file before the first KiB");
        kit_say("read 1 KiB; now I close the read end: nobody will ever read again");
        if (close(fd[READ_END]) == -1)
            kit_die("close");
        int status;
        char text[64];
        kit_join(pid, &status, -1);              /* no hang: the kernel wakes the writer */
        kit_status_str(status, text, sizeof text);
        if (ignore)
            kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                       "SIGPIPE ignored: write() got EPIPE; the writer %s", text);
        else
            kit_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
                       "the writer was %s: SIGPIPE's default action", text);
        kit_pace(0.3);
    }
}

int main(int argc, char *argv[])
{
    static const struct kit_part parts[] = {
        {"one-way", "Pipe(False): the notes' children each send a list to the parent", one_way,
         true},
        {"duplex", "Pipe(): a socketpair, a request and a reply each way", duplex, true},
        {"eof", "the reader never sees end of file while a write end is open", eof, true},
        {"sigpipe", "writing with no reader: SIGPIPE, then EPIPE with SIGPIPE ignored", sigpipe,
         true},
        {0}};
    static const struct kit_lesson lesson = {
        .name = "lesson06", .title = "Pipe 管道通信",
        .idea = "a pipe joins processes, one-way or duplex; end of file comes only once\n"
                "every write end is closed; a writer with no reader left gets SIGPIPE",
        .python = "fd1, fd2 = Pipe(False); 5 x Process(target=fun).start(); fd1.recv() (note 002)\n"
                  "parent_conn, child_conn = Pipe(); child_conn.send([42, None, 'hello']) (003)",
        .mechanism = "pipe() then fork(): each process closes the end it does not use;\n"
                     "Pipe() duplex is socketpair(AF_UNIX, SOCK_STREAM)",
        .watch = "recv() blocks until the lists come; a reader stuck while a write end is open;\n"
                 "SIGPIPE kills the writer, or write() fails with EPIPE",
        .parts = parts, .show_ms = true,
        .workers = {"children sending a list (the notes: 5)", 5, 1, 16, 0}};
    return kit_main(&lesson, argc, argv);
}
