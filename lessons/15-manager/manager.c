/* manager.c - Python's Manager(): a server process owns the list; the others call it
 *
 * Python (note 004, 创建4个进程，执行12个任务):
 *     manager = Manager(); results = manager.list(); work = manager.Queue(num_workers)
 *     item = in_queue.get(); if item == None: return; out_list.append(result)   # a worker
 *     for item in itertools.chain([1, ..., 12], (None,) * num_workers): work.put(item)
 * C: a server process keeps the list and the queue in its own memory; the others call
 *    it through AF_UNIX sockets (a socketpair each), one request and one reply in a tiny
 *    text format ("append 7" -> "#RETURN None"); a get() waits until its reply comes.
 * Usage: ./lesson15 [-q] [-w N] [-n N] [--appends N] [--list] [--part N]
 * Watch for: put() waits while the queue holds 4; each result in the list once.
 * Try next: strace -f -e trace=sendto,recvfrom ./lesson15 --notes -q -n 3 -w 2
 * Compare with 02 (a Queue in shared memory), 05 (the lock), 11 (pipe messages).
 */
#include "kit.h"

#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_WORKERS = 16, MAX_CLIENTS = MAX_WORKERS + 1, MAX_TASKS = 200, TEXT = 80 };
enum { NONE = 0, MAX_ITEMS = MAX_WORKERS * 10000 };   /* tasks are 1..n: 0 is None */
static long appends = 500;

/* ---- messages: one per packet (SOCK_SEQPACKET keeps the boundaries; a pipe
 * would not: lesson 11). MSG_NOSIGNAL: a peer gone gives EPIPE, not SIGPIPE. */
static void __attribute__((format(printf, 2, 3))) send_msg(int fd, const char *fmt, ...)
{
    char text[TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (send(fd, text, strlen(text), MSG_NOSIGNAL) == -1)
        kit_die("send");
}

/* A method call, as a Python proxy makes it: returns what follows "#RETURN ". */
static const char *__attribute__((format(printf, 2, 3))) call(int fd, const char *fmt, ...)
{
    static char reply[TEXT];        /* each process has its own copy */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reply, sizeof reply, fmt, ap);   /* the request, then the reply, in it */
    va_end(ap);
    send_msg(fd, "%s", reply);
    ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
    if (n == -1)
        kit_die("recv");
    reply[n] = '\0';
    if (n == 0 || strncmp(reply, "#RETURN ", 8) != 0)
        kit_fail("the manager answered \"%s\"", n == 0 ? "(it has gone)" : reply);
    return reply + 8;
}

/* ---- the server: the list and the queue are in its memory. A put() or get() the
 * queue cannot take yet is parked: no reply, so its caller waits in recv(). */
struct parked { int fd; long item; };      /* whose call, and what it puts */
static struct {
    long list[MAX_ITEMS];
    size_t len;                            /* results = manager.list() */
    long queue[MAX_WORKERS];
    int count, maxsize;                    /* work = manager.Queue(maxsize) */
    struct parked getters[MAX_CLIENTS], putters[MAX_CLIENTS];
    int n_getters, n_putters;              /* served last first: any order will do */
} sv;

/* One request. Items go as text: a number, or None. */
static void serve(int fd, const char *request)
{
    char op[16] = "", arg[24] = "";
    sscanf(request, "%15s %23s", op, arg);
    long item = strtol(arg, NULL, 10);     /* "None" gives 0: NONE */
    if (strcmp(op, "append") == 0 && sv.len < MAX_ITEMS) {
        sv.list[sv.len++] = item;
        send_msg(fd, "#RETURN None");
    } else if (strcmp(op, "put") == 0) {  /* parked, then answered below if it can be */
        sv.putters[sv.n_putters++] = (struct parked){fd, item};
    } else if (strcmp(op, "get") == 0) {
        sv.getters[sv.n_getters++] = (struct parked){fd, NONE};
    } else if (strcmp(op, "len") == 0) {
        send_msg(fd, "#RETURN %zu", sv.len);
    } else if (strcmp(op, "qsize") == 0) {
        send_msg(fd, "#RETURN %d", sv.count);
    } else if (strcmp(op, "getitem") == 0 && item >= 0 && (size_t)item < sv.len) {
        send_msg(fd, "#RETURN %ld", sv.list[item]);        /* results[i] */
    } else {
        send_msg(fd, "#ERROR no such method, or out of range");
    }
    for (;;) {                             /* answer the parked calls the queue now allows */
        if (sv.n_putters > 0 && sv.count < sv.maxsize) {
            struct parked p = sv.putters[--sv.n_putters];
            sv.queue[sv.count++] = p.item;
            send_msg(p.fd, "#RETURN None");
        } else if (sv.n_getters > 0 && sv.count > 0) {
            long item = sv.queue[0];       /* first in, first out */
            memmove(sv.queue, sv.queue + 1, (size_t)--sv.count * sizeof item);
            send_msg(sv.getters[--sv.n_getters].fd, item ? "#RETURN %ld" : "#RETURN None", item);
        } else {
            return;
        }
    }
}

/* A socketpair per client: [SERVER] for the manager, [CLIENT] for one worker. */
enum { SERVER, CLIENT };
static int pairs[MAX_CLIENTS][2], n_clients;

static void server(int clients)
{
    struct pollfd fds[MAX_CLIENTS];
    int n = clients;
    for (int c = 0; c < clients; c++) {
        close(pairs[c][CLIENT]);   /* the clients' ends are theirs, not ours */
        fds[c] = (struct pollfd){.fd = pairs[c][SERVER], .events = POLLIN};
    }
    for (;;) {
        if (poll(fds, (nfds_t)n, -1) == -1)   /* no handler in this process: no EINTR */
            kit_die("poll");
        for (int i = 0; i < n; i++) {
            char request[64];
            if (fds[i].revents == 0)
                continue;
            ssize_t len = recv(fds[i].fd, request, sizeof request - 1, 0);
            if (len == -1)
                kit_die("recv");
            if (len == 0) {        /* end of file: that client has ended */
                close(fds[i].fd);
                fds[i--] = fds[--n];
                if (n == 0)
                    return;        /* the last one: the manager ends (Python: shutdown()) */
                continue;
            }
            request[len] = '\0';
            serve(fds[i].fd, request);
        }
    }
}

/* manager = Manager(): the pairs, then the server, which keeps the [SERVER] ends. */
static void manager_start(int clients, int maxsize)
{
    n_clients = clients;
    for (int c = 0; c < clients; c++)
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pairs[c]) == -1)
            kit_die("socketpair");
    sv.maxsize = maxsize;
    kit_start(server, clients, "manager");
    for (int c = 0; c < clients; c++)
        close(pairs[c][SERVER]);
}

static pid_t start_worker(void (*body)(int id), int id)
{
    pid_t pid = kit_start(body, id, "worker %d", id + 1);
    if (n_clients > 0)
        close(pairs[id][CLIENT]);  /* the parent's copy: that end is the worker's now */
    return pid;
}

/* In a worker: close the ends it inherited of later clients, or no EOF reaches the manager. */
static int my_end(int id)
{
    for (int c = id + 1; c < n_clients; c++)
        close(pairs[c][CLIENT]);
    return pairs[id][CLIENT];
}

static void manager_shutdown(void)
{
    close(pairs[n_clients - 1][CLIENT]);   /* the last client: the manager ends */
    n_clients = 0;
    kit_join_all(-1);              /* a FAIL line unless it exited 0 */
}

/* ---- part 1: the notes' program ------------------------------------------ */
static void do_work(int id)
{
    int fd = my_end(id);
    for (;;) {
        long item = strtol(call(fd, "get"), NULL, 10);
        if (item == NONE)
            return;                /* exit signal */
        kit_pace(0.7);             /* fake work: the notes sleep 5 s */
        kit_say("finish task: %ld (in_queue.qsize() = %s)", item, call(fd, "qsize"));
        call(fd, "append %ld", item);
    }
}

static void notes(const struct kit_args *args)
{
    int w = (int)args->workers, n = (int)args->count;
    pid_t pids[MAX_WORKERS];
    manager_start(w + 1, w);
    for (int id = 0; id < w; id++)
        pids[id] = start_worker(do_work, id);
    int fd = pairs[w][CLIENT];
    for (int i = 1; i <= n + w; i++) {     /* chain([1, ..., n], (None,) * w) */
        call(fd, i <= n ? "put %d" : "put None", i);   /* blocks while the queue is full */
        kit_say(i <= n ? "execute task: %d" : "execute task: None", i);
    }
    for (int id = 0; id < w; id++)
        kit_join(pids[id], NULL, -1);      /* wait until all child processes terminate */
    long len = strtol(call(fd, "len"), NULL, 10), once = 0, seen[MAX_TASKS + 1] = {0};
    for (long i = 0; i < len; i++) {       /* results[i]: a message each */
        long v = strtol(call(fd, "getitem %ld", i), NULL, 10);
        once += v >= 1 && v <= n && ++seen[v] == 1;
    }
    kit_expect(len == n && once == n, "the list: len %ld, %ld of 1..%d exactly once", len, once, n);
    manager_shutdown();
}

/* ---- part 2: the same appends through shared memory and a lock ----------- */
static struct {
    sem_t lock;                    /* Python's Lock() is a semaphore at 1 (lesson 08) */
    long len, list[];              /* w x --appends slots */
} *shm;
static struct kit_gate gate;
static bool managed;

static void append(int id)
{
    int fd = managed ? my_end(id) : -1;
    kit_gate_wait(&gate);
    for (long i = 0; i < appends; i++) {
        if (managed) {
            call(fd, "append %ld", id * appends + i);   /* a round trip each */
            continue;
        }
        if (sem_wait(&shm->lock) == -1)   /* no handler in a child: no EINTR */
            kit_die("sem_wait");
        shm->list[shm->len++] = id * appends + i;
        if (sem_post(&shm->lock) == -1)
            kit_die("sem_post");
    }
}

/* Seconds, gate to last join. The manager starts first: its copy would keep the gate shut. */
static double timed_run(int w, bool through_manager)
{
    managed = through_manager;
    pid_t pids[MAX_WORKERS];
    kit_gate_init(&gate);
    for (int id = 0; id < w; id++)
        pids[id] = start_worker(append, id);
    double start = kit_now();
    kit_gate_open(&gate);
    for (int id = 0; id < w; id++)
        kit_join(pids[id], NULL, -1);
    return kit_now() - start;
}

static void compare(const struct kit_args *args)
{
    int w = (int)args->workers;
    long total = w * appends;
    size_t size = sizeof *shm + (size_t)total * sizeof shm->list[0];
    shm = kit_shared_alloc(size);
    if (sem_init(&shm->lock, 1, 1) == -1)   /* pshared = 1: it lives in shared memory */
        kit_die("sem_init");
    double shared = timed_run(w, false);
    kit_expect(shm->len == total, "shared memory + a lock: %ld appends, len %ld", total, shm->len);
    manager_start(w + 1, 1);
    double took = timed_run(w, true);
    long len = strtol(call(pairs[w][CLIENT], "len"), NULL, 10);
    kit_expect(len == total, "the Manager: %ld appends, len(results) = %ld", total, len);
    manager_shutdown();
    kit_say("faster: shared memory; the Manager took %.0fx as long (this run; not a check)",
            took / shared);
    if (sem_destroy(&shm->lock) == -1)
        kit_die("sem_destroy");
    kit_shared_free(shm, size);
}

static const struct kit_part parts[] = {
    {"notes", "the notes' program: workers, a Manager's list and Queue(4)", notes, true},
    {"compare", "the same appends: the Manager against shared memory + a lock", compare, true},
    {0}};
static const struct kit_option options[] = {
    {"appends", "N", "appends per worker in --compare", &appends, 1, 10000},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson15", .title = "Manager 进程间通信",
        .idea = "a server process owns the list and the queue; the others call it by message",
        .python = "manager = Manager(); results = manager.list(); work = manager.Queue(4)  (004)",
        .mechanism = "a server process, a SOCK_SEQPACKET socketpair per client, text requests\n"
                     "and replies (\"append 7\" -> \"#RETURN None\"), poll() over the clients",
        .watch = "put() waits while the queue holds 4; every result once; shared memory faster",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"worker processes (and the queue's maxsize)", 4, 1, MAX_WORKERS, 0},
        .count = {"tasks in --notes", 12, 1, MAX_TASKS, 0}};
    return kit_main(&lesson, argc, argv);
}
