/* queue.c - Python's Queue, built from a shared-memory ring and POSIX semaphores
 *
 * What it shows: a process has no return value, so it hands its result back
 * through a queue; here we build that queue ourselves and watch it work.
 * Python (notes 000, 002, 004):
 *     q = mp.Queue(3); q.put(1); q.full(); q.get()
 *     def job(q, res): q.put(res)        # the parent: res1 = q.get()
 *     item = in_queue.get(); if item == None: return     # one None per worker
 * C: a ring of fixed-size records in one MAP_SHARED mapping made before fork,
 *    so every process sees the same slots. Unnamed semaphores live in it
 *    (sem_init with pshared = 1): `slots` counts the free slots, `items` the
 *    filled ones. put = sem_timedwait(&slots), copy in, sem_post(&items); get
 *    is the mirror image. Two more, started at 1, are locks (sem_wait/sem_post).
 * Usage: ./lesson02 [-q] [-w N] [-n N] [--list] [--part N] [--api] [--results]
 *        [--prodcons] [--sentinel] [--trap] [--stress] [--maxsize N]
 * Watch for: a timed get() giving up after its timeout, never before; a get()
 * that sleeps until another process puts; a parent that joins before it
 * drains, stuck until the watchdog; every stress message arriving once.
 * Try next: ./lesson02 --stress -w 1 --maxsize 1 (each message a hand-over).
 * Compare with lesson 06 (pipes: what Python's own Queue runs on) and lesson
 * 08 (semaphores on their own). Speed: bench/ipc.c (shm_ring vs pipe, mqueue).
 */
#include "kit.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { TEXT = 32, TASKS = 12, MAX_WORKERS = 16, TRAP_SIZE = 4, TRAP_ITEMS = 10 };
static const int NONE = -1;         /* msg.from of a sentinel: Python's None */
/* Python's put() and get() block for ever by default. Ours give up after
 * LIMIT seconds and end the process with an error: a partner that died
 * must not hang the class. */
static const double LIMIT = 5.0;

/* One record: fixed size, so the ring is a plain array and a put is a copy
 * (Python pickles any object; a ring holds what fits in a slot). */
struct msg {
    int from;                       /* who sent it, or NONE */
    long value;
    char text[TEXT];
};

/* Everything the processes share, in one mapping. A semaphore is a counter
 * that can be waited on: just what put ("a free slot?") and get ("a filled
 * slot?") wait for, and sem_timedwait gives Python's timeout. */
struct queue {
    size_t maxsize, head, tail;
    sem_t slots;                    /* free slots: put waits here, get posts */
    sem_t items;                    /* filled slots: get waits here, put posts */
    sem_t put_lock, get_lock;       /* at 1: one writer at the tail, one reader at the head */
    struct msg slot[];              /* maxsize records */
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

/* put(m, timeout): wait for a free slot, fill it, count it as filled. False
 * when none came free in time: Python raises queue.Full. The deadline is
 * absolute (CLOCK_REALTIME, as sem_timedwait wants), so a wait restarted
 * after EINTR still ends on time; an expired one still takes a free slot. */
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

/* qsize(); empty() is qsize() == 0, full() is qsize() == maxsize. As in
 * Python a snapshot: another process may change it the moment after. */
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

/* The queues of the running part. Set before kit_start forks: the child
 * gets a copy of the pointer (fork copies memory), pointing into the one
 * shared mapping. */
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
    double t0 = kit_now();
    bool done = q_put(q, &(struct msg){.value = 4}, tick);
    double ms = (kit_now() - t0) * 1e3;    /* a timed wait never ends early: a safe claim */
    kit_expect(!done && ms >= tick * 950, "q.put(4, timeout=%.2f) -> queue.Full after %.0f ms",
               tick, ms);
    long a = get(q).value, b = get(q).value, c = get(q).value;
    kit_expect(a == 1 && b == 2 && c == 3, "q.get() x3 -> %ld %ld %ld: first in, first out", a, b,
               c);
    t0 = kit_now();
    struct msg m;
    done = q_get(q, &m, tick);
    ms = (kit_now() - t0) * 1e3;
    kit_expect(!done && ms >= tick * 950 && q_qsize(q) == 0,
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
    char list[TASKS * 4] = "";
    size_t len = 0;
    struct msg m;
    while (q_get(q_res, &m, 0)) {   /* timeout 0: get_nowait(), Empty once all are read */
        done[m.value]++;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%ld", len ? ", " : "", m.value);
    }
    kit_say("results: [%s]", list);
    for (int t = 1; t <= TASKS; t++)
        ok &= done[t] == 1;
    kit_expect(ok, "every worker stopped at its None; each of the %d tasks came back once", TASKS);
    q_free(q_work);
    q_free(q_res);
}

/* The pitfall in Python's documentation: a child that has put items waits
 * for them to be taken, so joining it before getting them deadlocks. */
static void flood(int id)
{
    (void)id;
    for (int i = 0; i < TRAP_ITEMS; i++)
        put(q_work, (struct msg){.value = i});
    kit_say("put all %d results, exiting", TRAP_ITEMS);
}

static int drain(void)
{
    int in_order = 0;
    for (int i = 0; i < TRAP_ITEMS; i++)
        in_order += get(q_work).value == i;
    return in_order;
}

static void trap(const struct kit_args *args)
{
    double watchdog = args->quick ? 0.2 : 1.0;
    q_work = q_new(TRAP_SIZE);
    pid_t pid = kit_start(flood, 1, "child %d", 1);
    kit_say("the child puts %d results into Queue(%d); p.join() before q.get(), "
            "at most %.1f s", TRAP_ITEMS, TRAP_SIZE, watchdog);
    /* 10 puts into 4 slots need a get: the child cannot end, however slow
     * or fast the machine is, so this claim holds under any load. */
    kit_expect(!kit_join(pid, NULL, watchdog), "deadlock: after %.1f s the child still waits in "
               "put() (qsize %d), the parent in join()", watchdog, q_qsize(q_work));
    int got = drain();              /* the rescue: take what it waits to hand over */
    kit_expect(kit_join_all(LIMIT) && got == TRAP_ITEMS,
               "draining frees it: %d results, then the child exited", got);
    kit_pace(0.5);
    kit_say("the fix: get every result first, then join");
    kit_start(flood, 2, "child %d", 2);
    got = drain();
    kit_expect(kit_join_all(LIMIT) && got == TRAP_ITEMS,
               "%d results in order, then join() returned", got);
    q_free(q_work);
}

/* --stress: message (producer p, number k) has a counter seen[p * n + k],
 * added to by whichever consumer gets it: 0 is lost, 2 or more duplicated. */
static struct tally {
    _Atomic long got, disorder;     /* summed over the consumers */
    _Atomic unsigned char seen[];
} *tally;
static int producers;
static long per_producer;
static long maxsize = 64;

static void producer(int id)
{
    for (long k = 0; k < per_producer; k++)
        put(q_work, (struct msg){.from = id, .value = k});
    /* Our None goes in behind our last message. Each consumer stops at its
     * first None and there is one per consumer, so the last None in the
     * FIFO, behind every message, stops the last consumer: none is left. */
    put(q_work, (struct msg){.from = NONE});
}

static void consumer(int id)
{
    (void)id;
    long last[MAX_WORKERS], got = 0, disorder = 0;
    for (int p = 0; p < producers; p++)
        last[p] = -1;
    for (struct msg m = get(q_work); m.from != NONE; m = get(q_work)) {
        if (m.from < 0 || m.from >= producers || m.value < 0 || m.value >= per_producer)
            kit_fail("garbled message: from %d, number %ld", m.from, m.value);
        /* One FIFO: whichever consumer takes two messages of a producer
         * must see them in the order they were put. */
        disorder += m.value <= last[m.from];
        last[m.from] = m.value;
        atomic_fetch_add(&tally->seen[m.from * per_producer + m.value], 1);
        got++;
    }
    kit_say("received %ld messages, %ld out of order", got, disorder);
    atomic_fetch_add(&tally->got, got);
    atomic_fetch_add(&tally->disorder, disorder);
}

static void stress(const struct kit_args *args)
{
    producers = (int)args->workers;
    per_producer = args->count;
    size_t total = (size_t)producers * (size_t)per_producer;
    kit_say("%d producers x %ld messages, as many consumers, Queue(%ld)", producers,
            per_producer, maxsize);
    q_work = q_new((size_t)maxsize);
    tally = kit_shared_alloc(sizeof *tally + total);
    for (int i = 0; i < producers; i++) {
        kit_start(consumer, i, "consumer %d", i + 1);
        kit_start(producer, i, "producer %d", i + 1);
    }
    /* Bounded too, with room for a slow machine: 20,000 messages a second. */
    bool ok = kit_join_all(LIMIT + (double)total / 20000);
    long lost = 0, dup = 0;
    for (size_t k = 0; k < total; k++) {
        lost += tally->seen[k] == 0;
        dup += tally->seen[k] > 1 ? tally->seen[k] - 1 : 0;
    }
    kit_say("%zu sent, %ld received, %ld lost, %ld duplicated, %ld out of order", total,
            (long)tally->got, lost, dup, (long)tally->disorder);
    kit_expect(ok && lost == 0 && dup == 0, "every message arrived exactly once");
    kit_expect(ok && tally->disorder == 0, "each producer's messages arrived in the order sent");
    kit_shared_free(tally, sizeof *tally + total);
    q_free(q_work);
}

static const struct kit_part parts[] = {
    {"api", "Queue(3): put, get, full, empty, qsize, timeouts", api, true},
    {"results", "job(q, res): no return value, so each process puts its result", results, true},
    {"prodcons", "fun1 puts a message; fun2 waits for it in get()", prodcons, true},
    {"sentinel", "the notes' workers: tasks, then one None per worker", sentinel, true},
    {"trap", "join before draining a full queue: a deadlock, cut by a watchdog", trap, true},
    {"stress", "-w producers and -w consumers: every message once, in order", stress, true},
    {0}};
static const struct kit_option options[] = {
    {"maxsize", "N", "slots in the --stress queue", &maxsize, 1, 65536}, {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson02", .title = "Queue 队列",
        .idea = "a process has no return value: it puts its result in a queue (built here)",
        .python = "q = mp.Queue(3); q.put(res); res = q.get()   (notes 000, 002, 004)",
        .mechanism = "a ring in MAP_SHARED memory; sem_init(pshared=1) semaphores count free and\n"
                     "filled slots: put = sem_timedwait(&slots), copy in, sem_post(&items)",
        .watch = "get() asleep until a put; join-before-drain stuck until the watchdog;\n"
                 "every stress message arriving exactly once, in order",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"sentinel workers; stress producers (and consumers)", 4, 1, MAX_WORKERS, 0},
        .count = {"messages per stress producer", 100000, 1, 5000000, 2000}};
    return kit_main(&lesson, argc, argv);
}
