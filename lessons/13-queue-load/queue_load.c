/* queue_load.c - a full queue blocks put(): deadly when nobody gets, harmless when many do
 *
 * Lesson 02's queue (a shared-memory ring and POSIX semaphores) under load.
 * Python (note 002: "block 默认队列满时会阻塞"; the trap is in Python's docs):
 *     q = mp.Queue(4); p = Process(target=put_ten, args=(q,)); p.start()
 *     p.join()                     # deadlock: p waits in put() for a get()
 *     results = [q.get() for _ in range(10)]; p.join()     # the fix
 * C: the same ring in one MAP_SHARED mapping, `slots` and `items` counting
 *    semaphores (sem_init, pshared = 1), a binary semaphore per end as the lock.
 *    The watchdog is a join with a time limit (kit_join); the stress run keeps
 *    a shared counter per message to prove each arrived exactly once.
 * Usage: ./lesson13 [-q] [-w N] [-n N] [--list] [--part N] [--trap] [--stress]
 *        [--maxsize N]
 * Watch for: the join that is still waiting when the watchdog ends it; every
 * stress message counted once, each producer's in the order sent.
 * Try next: ./lesson13 --stress -w 1 --maxsize 1 (each message a hand-over);
 * in q_put, move the sem_post(&items) before the copy and run --stress again.
 * Compare with lesson 02 (the queue itself) and lesson 05 (a lost update).
 * Speed: bench/ipc.c (shm_ring against pipe and mqueue).
 */
#include "kit.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>

enum { MAX_WORKERS = 16, TRAP_SIZE = 4, TRAP_ITEMS = 10 };
static const int NONE = -1;         /* msg.from of a sentinel: Python's None */
/* Python's put() and get() wait for ever; ours give up after LIMIT s and end
 * the process with an error, so a partner that died cannot hang the class. */
static const double LIMIT = 3.0;

struct msg {                        /* fixed size: a put is a copy */
    int from;                       /* the producer, or NONE */
    long value;
};

struct queue {                      /* all in one shared mapping */
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

/* put: wait for a free slot (this is where a full queue blocks), lock, copy,
 * unlock, count one more filled slot (wakes a get). get is the mirror image.
 * The deadline is absolute, on CLOCK_REALTIME as sem_timedwait wants: a wait
 * restarted after EINTR still ends on time. */
static void put(struct queue *q, struct msg m)
{
    struct timespec when = kit_deadline(CLOCK_REALTIME, LIMIT);
    int r;
    while ((r = sem_timedwait(&q->slots, &when)) == -1 && errno == EINTR)
        ;
    if (r == -1 && errno == ETIMEDOUT)
        kit_fail("put(): no free slot for %.0f s: is every consumer gone?", LIMIT);
    if (r == -1)
        kit_die("sem_timedwait");
    while (sem_wait(&q->put_lock) == -1)    /* two producers never fill one slot */
        if (errno != EINTR)
            kit_die("sem_wait");
    q->slot[q->tail] = m;
    q->tail = (q->tail + 1) % q->maxsize;
    if (sem_post(&q->put_lock) == -1 || sem_post(&q->items) == -1)
        kit_die("sem_post");
}

static struct msg get(struct queue *q)
{
    struct timespec when = kit_deadline(CLOCK_REALTIME, LIMIT);
    int r;
    while ((r = sem_timedwait(&q->items, &when)) == -1 && errno == EINTR)
        ;
    if (r == -1 && errno == ETIMEDOUT)
        kit_fail("get(): nothing came for %.0f s: is every producer gone?", LIMIT);
    if (r == -1)
        kit_die("sem_timedwait");
    while (sem_wait(&q->get_lock) == -1)    /* two consumers never take one slot */
        if (errno != EINTR)
            kit_die("sem_wait");
    struct msg m = q->slot[q->head];
    q->head = (q->head + 1) % q->maxsize;
    if (sem_post(&q->get_lock) == -1 || sem_post(&q->slots) == -1)
        kit_die("sem_post");
    return m;
}

static int q_qsize(struct queue *q)  /* a snapshot, as in Python */
{
    int n;
    if (sem_getvalue(&q->items, &n) == -1)
        kit_die("sem_getvalue");
    return n;
}

/* The running part's queue, set before kit_start forks: the child gets a
 * copy of the pointer (fork copies memory) into the one shared mapping. */
static struct queue *q_work;

/* The pitfall in Python's documentation: a child that has put items waits
 * for them to be taken, so joining it before getting them deadlocks. */
static void flood(int id)
{
    for (int i = 0; i < TRAP_ITEMS; i++) {
        kit_span_begin("put");      /* --trace: shows where the child waits */
        put(q_work, (struct msg){.from = id, .value = i});
        kit_span_end("put");
    }
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
    kit_say("the child puts %d results into Queue(%d); the parent joins it first", TRAP_ITEMS,
            TRAP_SIZE);
    kit_say("p.join() before q.get(): waiting at most %.1f s (the watchdog)", watchdog);
    /* 10 puts into 4 slots need a get: the child cannot end, however slow
     * or fast the machine is, so this claim holds under any load. */
    bool ended = kit_join(pid, NULL, watchdog);
    kit_expect(!ended, "deadlock: after %.1f s the child still waits in put() (qsize %d)",
               watchdog, q_qsize(q_work));
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

/* --stress: message k of producer p has a counter seen[p * n + k], added to
 * by whichever consumer gets it: 0 afterwards is lost, 2 or more duplicated. */
static struct tally {
    _Atomic long disorder;          /* summed over the consumers */
    _Atomic unsigned char seen[];
} *tally;
static int producers;
static long per_producer, maxsize = 64;

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
    long last[MAX_WORKERS], got = 0, disorder = 0;
    for (int p = 0; p < producers; p++)
        last[p] = -1;
    for (struct msg m = get(q_work); m.from != NONE; m = get(q_work)) {
        if (m.from < 0 || m.from >= producers || m.value < 0 || m.value >= per_producer)
            kit_fail("consumer %d: garbled message (from %d, number %ld)", id, m.from, m.value);
        /* One FIFO: whichever consumer takes two messages of a producer
         * must see them in the order they were put. */
        disorder += m.value <= last[m.from];
        last[m.from] = m.value;
        atomic_fetch_add(&tally->seen[m.from * per_producer + m.value], 1);
        got++;
    }
    kit_say("received %ld messages, %ld out of order", got, disorder);
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
    long received = 0, lost = 0, disorder = tally->disorder;
    for (size_t k = 0; k < total; k++) {
        received += tally->seen[k];
        lost += tally->seen[k] == 0;
    }
    long dup = received - ((long)total - lost);
    kit_say("%zu sent, %ld received, %ld lost, %ld duplicated, %ld out of order", total, received,
            lost, dup, disorder);
    kit_expect(ok && lost == 0 && dup == 0, "every message arrived exactly once");
    kit_expect(ok && disorder == 0, "each producer's messages arrived in the order sent");
    kit_shared_free(tally, sizeof *tally + total);
    q_free(q_work);
}

static const struct kit_part parts[] = {
    {"trap", "join before draining a full queue: a deadlock, cut by a watchdog", trap, true},
    {"stress", "-w producers and -w consumers: every message once, in order", stress, true},
    {0}};
static const struct kit_option options[] = {
    {"maxsize", "N", "slots in the --stress queue", &maxsize, 1, 65536}, {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson13", .title = "Queue under load 队列满时会阻塞",
        .idea = "a full queue blocks put(): fatal if nobody gets, fine when many do",
        .python = "p.join() before q.get()  ->  hangs; get every result first, then join",
        .mechanism = "lesson 02's ring: sem_timedwait(&slots) blocks put on a full queue; a\n"
                     "binary semaphore per end keeps two producers off one slot",
        .watch = "the join still waiting when the watchdog ends it; 0 lost, 0 duplicated",
        .parts = parts, .options = options, .show_ms = true,
        .workers = {"stress producers, and as many consumers", 4, 1, MAX_WORKERS, 0},
        .count = {"messages per stress producer", 100000, 1, 5000000, 2000}};
    return kit_main(&lesson, argc, argv);
}
