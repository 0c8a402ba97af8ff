/* queue.c - Python's Queue, built from a shared-memory ring and POSIX semaphores
 *
 * A process has no return value, so it hands its result back through a queue;
 * here we build that queue ourselves. Python (notes 000, 002, 004):
 *     q = mp.Queue(3); q.put(1); q.full(); q.get()
 *     def job(q, res): q.put(res)        # the parent: res1 = q.get()
 *     item = in_queue.get(); if item == None: return     # one None per worker
 * C: a ring of fixed-size records in one MAP_SHARED mapping made before fork,
 *    and unnamed semaphores in it (sem_init, pshared = 1): `slots` counts the
 *    free slots, `items` the filled ones. put = sem_timedwait(&slots), copy in,
 *    sem_post(&items); get is the mirror image; two more, at 1, are locks.
 * Usage: ./lesson02 [-q] [-w N] [--list] [--part N] [--api] [--results]
 *        [--prodcons] [--sentinel]
 * Watch for: a timed put() or get() ending after its timeout, never before;
 * get() asleep until another process puts; each worker stopping at its None.
 * Try next: ./lesson02 --sentinel -w 1, then -w 16. Lesson 13 puts this queue
 * under load: a join-before-drain deadlock, many producers and consumers.
 * Compare with lesson 06 (pipes, under Python's own Queue) and lesson 08
 * (semaphores alone). Speed: bench/ipc.c (shm_ring against pipe and mqueue).
 */
#include "kit.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

enum { TASKS = 12, MAX_WORKERS = 16 };
static const int NONE = -1;         /* msg.from of a sentinel: Python's None */
/* Python's put() and get() wait for ever; ours give up after LIMIT s and end
 * the process with an error, so a partner that died cannot hang the class. */
static const double LIMIT = 3.0;

/* A fixed-size record (Python pickles any object): a put is a copy. */
struct msg {
    int from;                       /* who sent it, or NONE */
    long value;
    char text[32];
};

/* All in one shared mapping. A semaphore is a counter one can wait on: just
 * what put (a free slot) and get (a filled one) wait for. */
struct queue {
    size_t maxsize;
    /* _Alignas(64): each part on a cache line of its own. If put's and get's fields shared
     * one, two CPUs would pass it to and fro on every message (2-3x slower: bench/queue). */
    _Alignas(64) size_t tail;       /* put's end */
    sem_t put_lock;                 /* at 1: one writer at the tail */
    _Alignas(64) size_t head;       /* get's end */
    sem_t get_lock;                 /* at 1: one reader at the head */
    _Alignas(64) sem_t slots;       /* free slots: put waits here, get posts */
    _Alignas(64) sem_t items;       /* filled slots: get waits here, put posts */
    _Alignas(64) struct msg slot[]; /* maxsize records */
};

/* Queue(maxsize): made before fork, so that every child inherits it. */
static struct queue *q_new(size_t maxsize)
{
    struct queue *q = kit_shared_alloc(sizeof *q + maxsize * sizeof q->slot[0]);
    q->maxsize = maxsize;
    /* pshared = 1: used by several processes (0: by one process's threads). */
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

/* put(m, timeout): wait for a free slot, fill it, count it as filled; false
 * (Python's queue.Full) when none came free in time. The deadline is absolute,
 * on CLOCK_REALTIME as sem_timedwait wants: a wait restarted after EINTR still
 * ends on time. */
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
    while (sem_wait(&q->put_lock) == -1)    /* lock: two producers never share a slot */
        if (errno != EINTR)
            kit_die("sem_wait");
    q->slot[q->tail] = *m;
    q->tail = (q->tail + 1) % q->maxsize;
    if (sem_post(&q->put_lock) == -1 || sem_post(&q->items) == -1)  /* unlock; wake a get() */
        kit_die("sem_post");
    return true;
}

/* get(timeout): the mirror image; false is Python's queue.Empty. */
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
    if (sem_post(&q->get_lock) == -1 || sem_post(&q->slots) == -1)  /* unlock; wake a put() */
        kit_die("sem_post");
    return true;
}

/* qsize(); empty() is qsize() == 0, full() qsize() == maxsize. A snapshot,
 * as in Python: another process may change it the moment after. */
static int q_qsize(struct queue *q)
{
    int n;
    if (sem_getvalue(&q->items, &n) == -1)
        kit_die("sem_getvalue");
    return n;
}

/* Python's q.put(x) and q.get(), bounded by LIMIT (see above). */
static void put(struct queue *q, struct msg m)
{
    if (!q_put(q, &m, LIMIT))
        kit_fail("put(): no slot came free in %.0f s: is every consumer gone?", LIMIT);
}

static struct msg get(struct queue *q)
{
    struct msg m;
    if (!q_get(q, &m, LIMIT))
        kit_fail("get(): nothing came in %.0f s: is every producer gone?", LIMIT);
    return m;
}

/* The running part's queues, set before kit_start forks: the child gets a
 * copy of the pointer (fork copies memory) into the one shared mapping. */
static struct queue *q_work, *q_res;

static void api(const struct kit_args *args)
{
    double tick = args->quick ? 0.05 : 0.2;
    struct queue *q = q_new(3);
    put(q, (struct msg){.value = 1});
    kit_pace(0.5);                  /* the notes' sleep(0.5) */
    kit_expect(q_qsize(q) != 0, "q.put(1); q.empty() -> False");
    put(q, (struct msg){.value = 2});
    kit_expect(q_qsize(q) != 3, "q.put(2); q.full() -> False");
    put(q, (struct msg){.value = 3});
    kit_expect(q_qsize(q) == 3, "q.put(3); q.full() -> True, q.qsize() -> %d", q_qsize(q));
    double t0 = kit_now();          /* a timed wait never ends early: a safe claim */
    bool full = !q_put(q, &(struct msg){.value = 4}, tick);
    double ms = (kit_now() - t0) * 1e3;
    kit_expect(full && ms >= tick * 950, "q.put(4, timeout=%.2f) -> queue.Full after %.0f ms",
               tick, ms);
    long a = get(q).value, b = get(q).value, c = get(q).value;
    kit_expect(a == 1 && b == 2 && c == 3, "q.get() x3 -> %ld %ld %ld: first in, first out", a, b,
               c);
    struct msg m;
    t0 = kit_now();
    bool empty = !q_get(q, &m, tick);
    ms = (kit_now() - t0) * 1e3;
    kit_expect(empty && ms >= tick * 950 && q_qsize(q) == 0,
               "q.get(timeout=%.2f) -> queue.Empty after %.0f ms; q.empty() -> True", tick, ms);
    q_free(q);
}

/* Notes 000: def job(q, res): q.put(res), for res = 1 and 3. */
static void job(int id)
{
    long res = 2 * id - 1;
    kit_pace(0.2 * (3 - id));       /* process 2 finishes first, as in the notes' output */
    put(q_work, (struct msg){.from = id, .value = res});
    kit_say("job(q, %ld): q.put(%ld)", res, res);
}

static void results(const struct kit_args *args)
{
    (void)args;
    q_work = q_new(8);              /* room for both: joining before get() is safe here */
    kit_start(job, 1, "process %d", 1);
    kit_start(job, 2, "process %d", 2);
    bool joined = kit_join_all(LIMIT);
    struct msg a = get(q_work), b = get(q_work);
    kit_say("res1 = q.get() -> %ld (from process %d); res2 = q.get() -> %ld (from process %d)",
            a.value, a.from, b.value, b.from);
    kit_expect(joined && a.value + b.value == 4 && a.value * b.value == 3,
               "both results arrived: 1 and 3, in the order the processes finished");
    q_free(q_work);
}

/* Notes 002: fun1 puts {'a':1,'b':2} after a second; fun2 gets it. */
#define SENT "{'a': 1, 'b': 2}"

static void fun1(int id)
{
    kit_pace(1.0);                  /* the notes' time.sleep(1) */
    put(q_work, (struct msg){.from = id, .text = SENT});
    kit_say("q.put(%s)", SENT);
}

static void fun2(int id)
{
    (void)id;
    kit_say("q.get(): nothing there yet, so I block");
    double t0 = kit_now();
    struct msg m = get(q_work);     /* asleep in sem_timedwait: no polling */
    kit_say("收到消息: %s (after waiting %.0f ms)", m.text, (kit_now() - t0) * 1e3);
    if (strcmp(m.text, SENT) != 0)
        kit_fail("fun2 got %s, not what fun1 sent", m.text);
}

static void prodcons(const struct kit_args *args)
{
    (void)args;
    q_work = q_new(4);
    kit_start(fun2, 2, "fun2 %d", 2);
    kit_start(fun1, 1, "fun1 %d", 1);
    kit_expect(kit_join_all(LIMIT), "fun2 received exactly what fun1 sent");
    q_free(q_work);
}

/* Notes 004's do_work: take tasks until the sentinel None, send results back
 * (the notes append to a Manager list; a second queue does the same job). */
static void do_work(int id)
{
    int done = 0;
    for (struct msg item = get(q_work); item.from != NONE; item = get(q_work)) {
        kit_pace(0.1 + 0.05 * (double)(item.value % 3));   /* fake work */
        kit_say("finish task: %ld (qsize %d)", item.value, q_qsize(q_work));
        put(q_res, (struct msg){.from = id, .value = item.value});
        done++;
    }
    kit_say("got None after %d task%s: exiting", done, done == 1 ? "" : "s");
}

static void sentinel(const struct kit_args *args)
{
    int workers = (int)args->workers;
    kit_say("%d workers, %d tasks, then one None per worker", workers, TASKS);
    /* The notes' work queue holds num_workers items; the results get room
     * for every task, so joining the workers before reading them is safe. */
    q_work = q_new((size_t)workers);
    q_res = q_new(TASKS);
    for (int i = 1; i <= workers; i++)
        kit_start(do_work, i, "worker %d", i);
    for (int i = 1; i <= TASKS; i++) {
        put(q_work, (struct msg){.value = i});   /* waits while every worker is busy */
        kit_say("execute task: %d", i);
    }
    for (int i = 0; i < workers; i++)
        put(q_work, (struct msg){.from = NONE});
    kit_say("execute task: None, %d times", workers);
    bool ok = kit_join_all(LIMIT);
    int done[TASKS + 1] = {0};
    struct msg m;
    while (q_get(q_res, &m, 0))     /* timeout 0: Empty at once when all are read */
        done[m.value]++;
    for (int t = 1; t <= TASKS; t++)
        ok &= done[t] == 1;
    kit_expect(ok, "every worker stopped at its None; each of the %d tasks came back once", TASKS);
    q_free(q_work);
    q_free(q_res);
}

static const struct kit_part parts[] = {
    {"api", "Queue(3): put, get, full, empty, qsize, timeouts", api, true},
    {"results", "job(q, res): no return value, so each process puts its result", results, true},
    {"prodcons", "fun1 puts a message; fun2 waits for it in get()", prodcons, true},
    {"sentinel", "the notes' workers: tasks, then one None per worker", sentinel, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson02", .title = "Queue 队列",
        .idea = "a process has no return value: it puts its result in a queue (built here)",
        .python = "q = mp.Queue(3); q.put(res); res = q.get()   (notes 000, 002, 004)",
        .mechanism = "a ring in MAP_SHARED memory; sem_init(pshared=1) semaphores count free and\n"
                     "filled slots: put = sem_timedwait(&slots), copy in, sem_post(&items)",
        .watch = "a timed get() gives up after its timeout, never before; get() sleeps until\n"
                 "another process puts; each worker stops at its own None",
        .parts = parts, .show_ms = true,
        .workers = {"the sentinel part's workers", 4, 1, MAX_WORKERS, 0}};
    return kit_main(&lesson, argc, argv);
}
