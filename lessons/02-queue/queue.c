/* queue.c - a process-shared bounded queue, built from a ring and semaphores
 *
 * Python (notes 000, 002, 004):
 *     q = mp.Queue(3); q.put(1); q.get(); q.put(x, timeout=1)  # queue.Full
 *     def job(q, res): q.put(res)      # a process has no return value
 *     item = in_queue.get(); if item == None: return          # one sentinel per worker
 * C: the queue is a ring of fixed-size records in one MAP_SHARED mapping made
 *    before fork, so every process sees the same slots. Two counting
 *    semaphores count the free slots and the filled ones: put waits for a
 *    free slot, get for a filled one (sem_wait, sem_timedwait, sem_trywait).
 *    Two more, started at 1, are the locks that keep two writers (or two
 *    readers) off one slot. Python's queue.Full and queue.Empty are return
 *    values.
 *
 * Usage: ./lesson02 [-q] [-w N] [-n N] [--api] [--results] [--prodcons]
 *                   [--sentinel] [--trap] [--stress] [--maxsize N]
 *
 * Watch for: put(timeout) and get(timeout) giving up after their timeout;
 * a get() that blocks until another process puts; the parent that joins a
 * child before draining its results, stuck until the watchdog; every stress
 * message arriving exactly once, in each producer's order, and how many per
 * second.
 * Try next: ./lesson02 --stress -w 1 --maxsize 1 (one slot: every message
 * is a hand-over). Compare with lesson 06 (pipes, Python's own Queue
 * transport) and lesson 08 (semaphores on their own).
 */
#include "legacy.h"

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson02 [options]\n"
    "Build Python's Queue from shared memory and semaphores, and pass results through it.\n"
    "With no mode option every part runs, in this order:\n"
    "      --api          Queue(3): put, get, timeouts, put_nowait, get_nowait, full, empty,\n"
    "                     qsize, close\n"
    "      --results      the notes' job(q, res): two processes put, the parent gets\n"
    "      --prodcons     a producer and a consumer; get() blocks until the put\n"
    "      --sentinel     the notes' workers: tasks, then one None per worker, results back\n"
    "      --trap         join before draining a full queue: a deadlock, cut by a watchdog\n"
    "      --stress       -w producers and -w consumers: exactly once, in order, msgs/s\n"
    "      --maxsize N    slots in the --stress queue (1..65536, default 64)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, smaller default count: well under a second\n"
    "  -w, --workers N    sentinel workers; stress producers and consumers (1..16, default 4)\n"
    "  -n, --count N      messages per stress producer (1..5000000; default 250000,\n"
    "                     with --quick 2000)\n";

enum { MAX_WORKERS = 16, TEXT = 32, TASKS = 12, SPIN = 100 };
static const double FOREVER = -1;   /* Python's timeout=None */
static const int NONE = -1;         /* msg.from of a sentinel: Python's None */

/* One record: fixed size, so the ring is a plain array and a put is a copy. */
struct msg {
    int from;                       /* who sent it, or NONE */
    long value;
    char text[TEXT];
};

/* ---- the queue --------------------------------------------------------------
 * Everything the processes share lives in one mapping, and every wait in it
 * is a semaphore: a counter that can be waited on. Two count the free and the
 * filled slots, which is exactly what put and get wait for, and the call has
 * a plain, a timed and a non-blocking form: Python's block and timeout. A
 * mutex and two condition variables would need a loop around each wait and
 * a hand-made timeout. The lock on each end is a semaphore too, started at 1
 * (a binary semaphore): whoever takes the 1 holds the lock. */
struct ring {
    size_t maxsize;
    /* Each on its own 64-byte cache line: what only producers touch, what
     * only consumers touch, and each semaphore that both touch. A core that
     * writes a line takes it away from the other core; two unrelated things
     * sharing a line would make them steal it for nothing (false sharing). */
    alignas(64) sem_t slots;        /* free slots: put waits here, get posts */
    alignas(64) sem_t items;        /* filled slots: get waits here, put posts */
    alignas(64) sem_t put_lock;     /* one writer at a time at the tail */
    size_t tail;
    alignas(64) sem_t get_lock;     /* one reader at a time at the head */
    size_t head;
    alignas(64) struct msg slot[];  /* maxsize records */
};

/* A process's handle: the ring plus what is private to this process. fork
 * copies the handle, so close() in one process leaves the others' open, as
 * in Python ("no more data will be put on this queue by this process"). */
struct queue {
    struct ring *r;
    bool closed;
};

enum q_result { Q_OK, Q_FULL, Q_EMPTY, Q_CLOSED };
static const char *const result_name[] = {"ok", "queue.Full", "queue.Empty",
                                          "ValueError: queue is closed"};

/* The queue runs in children as well as in the parent, so its errors use the
 * child-safe helper: _exit() without flushing stdio. Our output is never
 * buffered (every line is one write), so nothing is lost in the parent. */
static void post(sem_t *sem)
{
    if (sem_post(sem) == -1)
        kit_die("sem_post");
}

static int count(sem_t *sem)
{
    int n;
    if (sem_getvalue(sem, &n) == -1)
        kit_die("sem_getvalue");
    return n;
}

/* Python's block and timeout, for both ends: take one unit of sem. False
 * means "none came": at once (block=False) or when the timeout ran out. */
static bool take(sem_t *sem, bool block, double timeout)
{
    int r = sem_trywait(sem);       /* EAGAIN at once when the count is 0 */
    /* Sleeping in sem_wait and being woken by sem_post cost two system calls,
     * microseconds; the other process often puts or gets sooner. So a
     * blocking wait first retries for a moment without sleeping. */
    for (int i = 0; block && r == -1 && i < SPIN; i++)
        r = sem_trywait(sem);
    if (block && r == -1 && timeout < 0) {
        while ((r = sem_wait(sem)) == -1 && errno == EINTR)
            ;                       /* a signal handler ran: wait on */
    } else if (block && r == -1) {
        /* An absolute time on CLOCK_REALTIME, so that a wait restarted
         * after EINTR still ends at the same moment. */
        struct timespec when = kit_deadline(CLOCK_REALTIME, timeout);
        while ((r = sem_timedwait(sem, &when)) == -1 && errno == EINTR)
            ;
    }
    if (r == 0)
        return true;
    if (errno != EAGAIN && errno != ETIMEDOUT)
        kit_die(block ? "sem_timedwait" : "sem_trywait");
    return false;
}

/* Queue(maxsize): made before fork, so that every child inherits it. */
static struct queue q_new(size_t maxsize)
{
    struct ring *r = kit_shared_alloc(sizeof *r + maxsize * sizeof r->slot[0]);
    r->maxsize = maxsize;
    /* pshared = 1: the semaphore lives in shared memory and is used by
     * several processes; with 0 it may only be used by one process's threads. */
    if (sem_init(&r->slots, 1, (unsigned)maxsize) == -1 || sem_init(&r->items, 1, 0) == -1 ||
        sem_init(&r->put_lock, 1, 1) == -1 || sem_init(&r->get_lock, 1, 1) == -1)
        kit_die("sem_init");
    return (struct queue){.r = r};
}

/* put(m, block, timeout): wait for a free slot, fill it, count it as filled. */
static enum q_result q_put(struct queue *q, const struct msg *m, bool block, double timeout)
{
    if (q->closed)
        return Q_CLOSED;
    struct ring *r = q->r;
    if (!take(&r->slots, block, timeout))
        return Q_FULL;
    take(&r->put_lock, true, FOREVER);  /* lock: two producers never share a slot */
    r->slot[r->tail] = *m;
    r->tail = (r->tail + 1) % r->maxsize;
    post(&r->put_lock);             /* unlock */
    post(&r->items);                /* wakes one waiting get() */
    return Q_OK;
}

/* get(block, timeout): the mirror image. */
static enum q_result q_get(struct queue *q, struct msg *m, bool block, double timeout)
{
    if (q->closed)
        return Q_CLOSED;
    struct ring *r = q->r;
    if (!take(&r->items, block, timeout))
        return Q_EMPTY;
    take(&r->get_lock, true, FOREVER);
    *m = r->slot[r->head];
    r->head = (r->head + 1) % r->maxsize;
    post(&r->get_lock);
    post(&r->slots);                /* wakes one waiting put() */
    return Q_OK;
}

/* As in Python, these three are snapshots: another process may change the
 * answer right after it is given. Never decide "get() won't block" by them. */
static int q_qsize(const struct queue *q) { return count(&q->r->items); }
static bool q_empty(const struct queue *q) { return count(&q->r->items) == 0; }
static bool q_full(const struct queue *q) { return count(&q->r->slots) == 0; }
static void q_close(struct queue *q) { q->closed = true; }

/* What Python's garbage collector does when the last handle goes. */
static void q_free(struct queue *q)
{
    struct ring *r = q->r;
    if (sem_destroy(&r->slots) == -1 || sem_destroy(&r->items) == -1 ||
        sem_destroy(&r->put_lock) == -1 || sem_destroy(&r->get_lock) == -1)
        kit_die("sem_destroy");
    kit_shared_free(r, sizeof *r + r->maxsize * sizeof r->slot[0]);
}

/* ---- processes: start, join, and Ctrl-C ----------------------------------
 * Ctrl-C sends SIGINT to every process of the job; `kill PID` reaches the
 * parent alone. Either way the parent must not die first, leaving children
 * blocked in the queue for ever (or for init to reap). So it passes the
 * signal on to each child it has not joined yet, reaps them all, and only
 * then dies of the signal itself. Only async-signal-safe calls in here. */
static volatile sig_atomic_t kids[2 * MAX_WORKERS];   /* started, not yet joined */
static volatile sig_atomic_t kids_n;
static sigset_t stop_signals;                /* SIGINT and SIGTERM */

static void reap_then_die(int sig)
{
    for (int i = 0; i < kids_n; i++)
        kill(kids[i], sig);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    signal(sig, SIG_DFL);
    raise(sig);             /* blocked in here: it ends us when we return */
}

static void on_stop_signals(void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        kit_die("sigaction");
}

/* Lines are written with one write(2) each and never sit in a stdio buffer,
 * so fork() has no unflushed text to copy into the child. The stop signals
 * wait while we fork and note the child down: a Ctrl-C in between would
 * miss it, or run the parent's handler in the child. */
static pid_t start(const char *role, int id)
{
    sigset_t old;
    if (sigprocmask(SIG_BLOCK, &stop_signals, &old) == -1)
        kit_die("sigprocmask");
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");
    case 0:
        kit_set_role("%s %d", role, id);
        on_stop_signals(SIG_DFL);   /* a child just dies */
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            kit_die("sigprocmask");
        return 0;
    default:
        if (kids_n == 2 * MAX_WORKERS)
            kit_fail("more than %d children at once", 2 * MAX_WORKERS);
        kids[kids_n++] = pid;
        if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
            kit_die("sigprocmask");
        return pid;
    }
}

/* Reaped: no longer ours to signal. The last entry moves into the gap
 * before the count shrinks, so a handler running in between sees it twice
 * (a harmless second kill), never not at all. */
static void forget(pid_t pid)
{
    for (int i = 0; i < kids_n; i++)
        if (kids[i] == pid) {
            kids[i] = kids[kids_n - 1];
            kids_n--;
            return;
        }
}

/* join(): true when the child exited with status 0. */
static bool join(pid_t pid)
{
    int status;
    char text[64];
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    forget(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    kit_warn("child %ld %s", (long)pid, kit_status_str(status, text, sizeof text));
    return false;
}

/* ---- the parts of the lesson ------------------------------------------------
 * Python's put(x) and get() with their defaults: block, no timeout. */
static void put(struct queue *q, int from, long value)
{
    q_put(q, &(struct msg){.from = from, .value = value}, true, FOREVER);
}

static struct msg get(struct queue *q)
{
    struct msg m = {.from = NONE};  /* what a closed queue gives */
    q_get(q, &m, true, FOREVER);
    return m;
}

/* What the command line chose; --quick shortens the timeouts and the watchdog. */
static struct {
    int workers;
    long count;
    size_t maxsize;
    double tick, watchdog;
} opt;

static void api(void)
{
    kit_section("--api: q = Queue(3), the notes' example and every method");
    struct queue q = q_new(3);
    put(&q, 0, 1);
    kit_pace(0.5);                  /* the notes' sleep(0.5) */
    kit_expect(!q_empty(&q), "q.put(1); q.empty() -> False");
    put(&q, 0, 2);
    kit_expect(!q_full(&q), "q.put(2); q.full() -> False");
    put(&q, 0, 3);
    kit_expect(q_full(&q) && q_qsize(&q) == 3, "q.put(3); q.full() -> True, q.qsize() -> %d",
               q_qsize(&q));
    struct msg m = {.value = 4};
    enum q_result got = q_put(&q, &m, false, 0);
    kit_expect(got == Q_FULL, "q.put_nowait(4) -> %s, at once", result_name[got]);
    double t0 = kit_now();
    got = q_put(&q, &m, true, opt.tick);
    double ms = (kit_now() - t0) * 1e3;  /* a timed wait never ends early: a safe claim */
    kit_expect(got == Q_FULL && ms >= opt.tick * 950, "q.put(4, timeout=%.2f) -> %s after %.0f ms",
               opt.tick, result_name[got], ms);
    long a = get(&q).value, b = get(&q).value, c = get(&q).value;
    kit_expect(a == 1 && b == 2 && c == 3, "q.get() x3 -> %ld %ld %ld: first in, first out", a, b, c);
    got = q_get(&q, &m, false, 0);
    kit_expect(got == Q_EMPTY && q_empty(&q) && q_qsize(&q) == 0,
               "q.get_nowait() -> %s; empty() -> True, qsize() -> 0", result_name[got]);
    t0 = kit_now();
    got = q_get(&q, &m, true, opt.tick);
    ms = (kit_now() - t0) * 1e3;
    kit_expect(got == Q_EMPTY && ms >= opt.tick * 950, "q.get(timeout=%.2f) -> %s after %.0f ms",
               opt.tick, result_name[got], ms);
    q_close(&q);
    got = q_put(&q, &m, true, FOREVER);
    kit_expect(got == Q_CLOSED, "q.close(); q.put(4) -> %s (blocking put and get: below)",
               result_name[got]);
    q_free(&q);
}

/* Notes 000: def job(q, res): q.put(res), for res = 1 and 3; join, then get. */
static void results(void)
{
    kit_section("--results: a process has no return value, so it puts its result in a queue");
    struct queue q = q_new(8);      /* room for both: joining before get() is safe here */
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        if ((pid[i] = start("process", i + 1)) == 0) {
            long res = 1 + 2 * i;
            kit_pace(0.2 * (2 - i));    /* p2 finishes first, as in the notes' output */
            put(&q, i + 1, res);
            kit_say("job(q, %ld): q.put(%ld)", res, res);
            _exit(EXIT_SUCCESS);
        }
    }
    bool joined = join(pid[0]);     /* join both, even when the first failed */
    joined &= join(pid[1]);
    struct msg a = get(&q), b = get(&q);
    kit_say("res1 = q.get() -> %ld (from process %d); res2 = q.get() -> %ld (from process %d)",
            a.value, a.from, b.value, b.from);
    kit_expect(joined && a.value + b.value == 4 && a.value * b.value == 3,
               "both results arrived: 1 and 3, in the order the processes finished");
    q_free(&q);
}

/* Notes 002: fun1 puts {'a':1,'b':2} after a while; fun2 gets it. */
static void prodcons(void)
{
    kit_section("--prodcons: fun1 puts a message, fun2 waits for it in get()");
    struct queue q = q_new(4);
    static const char sent[] = "{'a': 1, 'b': 2}";
    pid_t fun2 = start("fun2", 2);
    if (fun2 == 0) {
        kit_say("q.get(): nothing there yet, so I block");
        double t0 = kit_now();
        struct msg m = get(&q);
        kit_say("收到消息: %s (after waiting %.0f ms)", m.text, (kit_now() - t0) * 1e3);
        _exit(strcmp(m.text, sent) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
    }
    pid_t fun1 = start("fun1", 1);
    if (fun1 == 0) {
        kit_pace(1.0);              /* the notes' time.sleep(1) */
        struct msg m = {.from = 1};
        snprintf(m.text, sizeof m.text, "%s", sent);
        q_put(&q, &m, true, FOREVER);
        kit_say("q.put(%s)", sent);
        _exit(EXIT_SUCCESS);
    }
    bool ok = join(fun1);
    ok &= join(fun2);
    kit_expect(ok, "fun2 received exactly what fun1 sent");
    q_free(&q);
}

/* Notes 004's do_work: take tasks until the sentinel None, send results back
 * (the notes append to a Manager list; a second queue does the same job). */
static void do_work(struct queue *work, struct queue *res, int id)
{
    int done = 0;
    for (struct msg item; (item = get(work)).from != NONE; done++) {
        kit_pace(0.1 + 0.05 * (double)(item.value % 3));   /* fake work */
        kit_say("finish task: %ld (qsize %d)", item.value, q_qsize(work));
        put(res, id, item.value);
    }
    kit_say("got None after %d task%s: exiting", done, done == 1 ? "" : "s");
}

static void sentinel(void)
{
    int workers = opt.workers;
    kit_section("--sentinel: %d workers, %d tasks, then one None per worker", workers, TASKS);
    /* The notes' work queue holds num_workers items; results get room for
     * every task, so joining the workers before reading them cannot hang. */
    struct queue work = q_new((size_t)workers), res = q_new(TASKS);
    pid_t pid[MAX_WORKERS];
    for (int i = 0; i < workers; i++) {
        if ((pid[i] = start("worker", i + 1)) == 0) {
            do_work(&work, &res, i + 1);
            _exit(EXIT_SUCCESS);
        }
    }
    for (int i = 1; i <= TASKS; i++) {
        put(&work, 0, i);           /* blocks while all the workers are busy */
        kit_say("execute task: %d", i);
    }
    for (int i = 0; i < workers; i++)
        put(&work, NONE, 0);
    kit_say("execute task: None, %d times", workers);
    bool ok = true;
    for (int i = 0; i < workers; i++)
        ok &= join(pid[i]);
    int done[TASKS + 1] = {0};
    char list[TASKS * 4 + 8] = "", *p = list;
    for (struct msg m; q_get(&res, &m, false, 0) == Q_OK; done[m.value]++)
        p += snprintf(p, (size_t)(list + sizeof list - p), "%s%ld", p == list ? "" : ", ", m.value);
    kit_say("results: [%s]", list);
    for (int t = 1; t <= TASKS; t++)
        ok &= done[t] == 1;
    kit_expect(ok, "every worker stopped at its None; each of the %d tasks came back once", TASKS);
    q_free(&work);
    q_free(&res);
}

/* The pitfall in Python's documentation: a child that has put items waits
 * for them to be taken, so joining it before getting them deadlocks. */
static pid_t flood(struct queue *q, int items)
{
    pid_t pid = start("child", 1);
    if (pid == 0) {
        for (int i = 0; i < items; i++)
            put(q, 1, i);
        kit_say("put all %d results, exiting", items);
        _exit(EXIT_SUCCESS);
    }
    return pid;
}

static int drain(struct queue *q, int items)
{
    int in_order = 0;
    for (int i = 0; i < items; i++)
        in_order += get(q).value == i;
    return in_order;
}

static void trap(void)
{
    double watchdog = opt.watchdog;
    enum { SIZE = 4, ITEMS = 10 };
    kit_section("--trap: the child puts %d results into Queue(%d); the parent joins first",
                ITEMS, SIZE);
    struct queue q = q_new(SIZE);
    pid_t pid = flood(&q, ITEMS);
    int status;
    kit_say("p.join() before q.get(): waiting at most %.1f s (the watchdog)", watchdog);
    bool ended = kit_wait_timeout(pid, &status, watchdog);
    if (ended)
        forget(pid);
    /* 10 puts into 4 slots need a get: the child cannot end, however slow
     * or fast the machine is, so this claim is safe. */
    kit_expect(!ended, "deadlock: after %.1f s the child still waits in put() on a full queue "
               "(qsize %d), the parent in join(); Python would wait forever", watchdog, q_qsize(&q));
    int got = drain(&q, ITEMS);     /* the rescue: take what it is waiting to hand over */
    bool ok = ended ? WIFEXITED(status) && WEXITSTATUS(status) == 0 : join(pid);
    kit_expect(ok && got == ITEMS, "draining frees it: %d results, then the child exited", got);
    kit_pace(0.5);

    kit_section("--trap, fixed: get every result first, then join");
    pid = flood(&q, ITEMS);
    got = drain(&q, ITEMS);
    ended = kit_wait_timeout(pid, &status, 5.0);   /* returns as soon as the child ends */
    if (ended)
        forget(pid);
    else
        join(pid);
    kit_expect(ended && got == ITEMS && WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "%d results in order, and join() returned at once", got);
    q_free(&q);
}

/* ---- --stress ---------------------------------------------------------------
 * Message (producer p, seq k) has a counter seen[p * n + k]: after the run,
 * 0 means lost, 2 or more means duplicated. */
struct tally {
    _Atomic long got, disorder, garbled;    /* summed over the consumers */
    _Atomic unsigned char seen[];
};

static void consume(struct queue *q, struct tally *t, int producers, long n)
{
    long last[MAX_WORKERS], got = 0, disorder = 0, garbled = 0;
    for (int p = 0; p < producers; p++)
        last[p] = -1;
    for (struct msg m; (m = get(q)).from != NONE;) {
        if (m.from < 0 || m.from >= producers || m.value < 0 || m.value >= n) {
            garbled++;              /* torn or overwritten: count it, keep consuming */
            continue;
        }
        /* One queue, first in first out: whichever consumer takes two
         * messages of one producer must see them in the order they were put. */
        disorder += m.value <= last[m.from];
        last[m.from] = m.value;
        atomic_fetch_add_explicit(&t->seen[m.from * n + m.value], 1, memory_order_relaxed);
        got++;
    }
    kit_say("received %ld messages, %ld out of order", got, disorder);
    atomic_fetch_add(&t->got, got);
    atomic_fetch_add(&t->disorder, disorder);
    atomic_fetch_add(&t->garbled, garbled);
}

static void stress(void)
{
    int w = opt.workers;
    long n = opt.count;
    size_t maxsize = opt.maxsize;
    const char *s = w == 1 ? "" : "s";
    kit_section("--stress: %d producer%s x %ld messages, %d consumer%s, Queue(%zu)", w, s, n, w,
                s, maxsize);
    struct queue q = q_new(maxsize);
    size_t total = (size_t)w * (size_t)n;
    struct tally *t = kit_shared_alloc(sizeof *t + total);
    pid_t pid[2 * MAX_WORKERS];
    double t0 = kit_now();
    for (int i = 0; i < w; i++) {
        if ((pid[w + i] = start("consumer", i + 1)) == 0) {
            consume(&q, t, w, n);
            _exit(EXIT_SUCCESS);
        }
    }
    for (int i = 0; i < w; i++) {
        if ((pid[i] = start("producer", i + 1)) == 0) {
            for (long seq = 0; seq < n; seq++)
                put(&q, i, seq);
            _exit(EXIT_SUCCESS);
        }
    }
    bool ok = true;
    for (int i = 0; i < w; i++)     /* the producers end once their last put is in */
        ok &= join(pid[i]);
    for (int i = 0; i < w; i++)     /* then one None per consumer, behind every message */
        put(&q, NONE, 0);
    for (int i = 0; i < w; i++)
        ok &= join(pid[w + i]);
    double seconds = kit_now() - t0;

    long lost = 0, dup = 0, disorder = atomic_load(&t->disorder);
    for (size_t k = 0; k < total; k++) {
        unsigned char c = atomic_load_explicit(&t->seen[k], memory_order_relaxed);
        lost += c == 0;
        dup += c > 1 ? c - 1 : 0;
    }
    kit_say("%zu sent, %ld received, %ld lost, %ld duplicated, %ld out of order, %ld garbled",
            total, atomic_load(&t->got), lost, dup, disorder, atomic_load(&t->garbled));
    kit_say("%.0f messages/s (%.1f ms, starting and reaping the %d processes included)",
            (double)total / seconds, seconds * 1e3, 2 * w);
    kit_expect(ok && lost == 0 && dup == 0 && atomic_load(&t->garbled) == 0,
               "every message arrived exactly once: 0 lost, 0 duplicated");
    kit_expect(ok && disorder == 0, "each consumer saw each producer's messages in the order sent");
    kit_shared_free(t, sizeof *t + total);
    q_free(&q);
}

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 4, .workers_min = 1, .workers_max = MAX_WORKERS,
                            .count = 0, .count_min = 1, .count_max = 5000000};
    /* The parts, in the order they run; the mode option of part i is 1 << i. */
    static void (*const part[])(void) = {api, results, prodcons, sentinel, trap, stress};
    enum { PARTS = sizeof part / sizeof part[0], MAXSIZE = 1 << PARTS };
    static const struct option longopts[] = {
        KIT_LONGOPTS,
        {"api", no_argument, NULL, 1}, {"results", no_argument, NULL, 2},
        {"prodcons", no_argument, NULL, 4}, {"sentinel", no_argument, NULL, 8},
        {"trap", no_argument, NULL, 16}, {"stress", no_argument, NULL, 32},
        {"maxsize", required_argument, NULL, MAXSIZE}, {0}};
    kit_set_usage(usage);
    int modes = 0;
    opt.maxsize = 64;
    for (int o; (o = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(o, &args))
            continue;
        if (o == MAXSIZE)
            opt.maxsize = (size_t)kit_parse_long("--maxsize", optarg, 1, 65536);
        else if (o >= 1 && o < MAXSIZE)
            modes |= o;
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    opt.workers = (int)args.workers;
    opt.count = args.count ? args.count : args.quick ? 2000 : 250000;
    opt.tick = args.quick ? 0.05 : 0.2;
    opt.watchdog = args.quick ? 0.2 : 1.0;
    kit_show_ms(true);
    if (sigemptyset(&stop_signals) == -1 || sigaddset(&stop_signals, SIGINT) == -1 ||
        sigaddset(&stop_signals, SIGTERM) == -1)
        kit_die("sigaddset");
    on_stop_signals(reap_then_die);
    for (int i = 0; i < PARTS; i++)
        if (modes == 0 || modes & 1 << i)   /* no mode option: every part */
            part[i]();
    kit_section("verdict");
    return kit_verdict();
}
