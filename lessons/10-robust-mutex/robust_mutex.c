/* robust_mutex.c - a process dies holding the lock: ordinary vs robust mutex
 *
 * Python (notes 001, 002: 进程锁 Lock):
 *     lock.acquire()            # the notes' code5 and writer1/writer2
 *     ...                       # a process killed here never calls
 *     lock.release()            # release(): every other acquire() waits for ever
 * C: a PTHREAD_PROCESS_SHARED mutex in a MAP_SHARED mapping, as in lesson 05.
 *    An ordinary one stays locked when its holder is killed. A robust one
 *    (pthread_mutexattr_setrobust, PTHREAD_MUTEX_ROBUST) is unlocked by the
 *    kernel when the holder dies, and the next pthread_mutex_lock() returns
 *    EOWNERDEAD: you hold the lock, and the data it guards may be half done.
 *    Repair it, then pthread_mutex_consistent(); unlock without that and the
 *    mutex is ENOTRECOVERABLE for ever. Python's Lock has no such thing.
 *
 * Usage: ./lesson10 [-q] [--list] [--part N] [--plain] [--robust] [--forget]
 * Watch for: the waiter that never gets the lock, cut short by the watchdog;
 * EOWNERDEAD and the half-done transfer put right; ENOTRECOVERABLE.
 * Try next: in fixer(), move pthread_mutex_consistent() after the unlock.
 * Compare with lesson 05 (the process-shared mutex itself) and lesson 08
 * (semaphores: a sem_post that never comes has no EOWNERDEAD).
 */
#include "kit.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { READ_END, WRITE_END };

/* One MAP_SHARED mapping: the three mutexes, and two accounts that a
 * transfer of 100 keeps at 2000 in all, when it is done in one piece. */
struct shared {
    pthread_mutex_t plain, robust, forget;
    long account[2], pending;
};

/* Set before each fork: the child gets a copy of these (fork copies
 * ordinary memory); what s points to is one copy for everybody. */
static struct shared *s;
static pthread_mutex_t *held;
static int ready[2];

static void init_mutex(pthread_mutex_t *m, bool robust)
{
    pthread_mutexattr_t attr;
    kit_check(pthread_mutexattr_init(&attr));
    kit_check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
    if (robust) {
        /* the kernel keeps a list of the robust mutexes each thread holds,
         * and marks them when it dies */
        kit_check(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST));
    }
    kit_check(pthread_mutex_init(m, &attr));
    kit_check(pthread_mutexattr_destroy(&attr));
}

/* The holder takes the lock, starts a transfer of 100 from account 0 to
 * account 1 (noting it as pending first), says it is ready, and waits
 * for the SIGKILL: the lock is never unlocked, the transfer never done. */
static void holder(int id)
{
    (void)id;
    if (close(ready[READ_END]) == -1)
        kit_die("close");
    kit_check(pthread_mutex_lock(held));
    s->pending = 100;
    s->account[0] -= 100;           /* ... and account[1] += 100 never happens */
    kit_say("locked; took 100 from account 0; now I wait, holding the lock");
    if (write(ready[WRITE_END], "h", 1) == -1)
        kit_die("write");
    for (;;)
        pause();
}

/* Starts the holder on m, waits until it holds the lock, kills it. */
static void holder_dies(pthread_mutex_t *m)
{
    s->account[0] = s->account[1] = 1000;
    s->pending = 0;
    held = m;
    if (pipe(ready) == -1)
        kit_die("pipe");
    pid_t pid = kit_start(holder, 0, "holder");
    if (close(ready[WRITE_END]) == -1)  /* or read() would never see end of file */
        kit_die("close");
    char c;
    ssize_t got;
    while ((got = read(ready[READ_END], &c, 1)) == -1 && errno == EINTR)
        ;
    if (got == -1)
        kit_die("read");
    if (got == 0)
        kit_fail("the holder ended without taking the lock");
    if (close(ready[READ_END]) == -1)
        kit_die("close");
    int status;
    char text[64];
    kit_kill_join(pid, &status);
    kit_say("holder %s, with the lock held", kit_status_str(status, text, sizeof text));
}

/* ---- 1. the ordinary mutex ----------------------------------------------- */
static void waiter(int id)
{
    (void)id;
    kit_say("pthread_mutex_lock(): waiting for a lock nobody will ever unlock");
    int e = pthread_mutex_lock(&s->plain);  /* blocks for ever: the owner is gone */
    kit_say("pthread_mutex_lock() returned %d: not expected", e);
}

static void plain(const struct kit_args *args)
{
    double watchdog = args->quick ? 0.2 : 1.0;
    init_mutex(&s->plain, false);
    holder_dies(&s->plain);
    pid_t pid = kit_start(waiter, 0, "waiter");
    int status;
    char text[64];
    bool ended = kit_join(pid, &status, watchdog);
    kit_expect(!ended, "watchdog: after %.1f s the waiter still has not got the lock", watchdog);
    if (!ended)
        kit_kill_join(pid, &status);   /* the watchdog's end */
    kit_say("%s: waiter %s", ended ? "not expected" : "watchdog",
            kit_status_str(status, text, sizeof text));
    kit_say("(Python's lock.acquire(), with no timeout, would wait for ever too)");
    /* s->plain stays locked by a dead process; destroying a locked mutex is
     * undefined, so it is left alone and goes away with the mapping. */
    kit_pace(0.5);
}

/* ---- 2. the robust mutex, repaired ---------------------------------------- */
static void fixer(int id)
{
    bool repair = id == 1;          /* part 3 starts a fixer that forgets */
    int e = pthread_mutex_lock(held);
    if (e != EOWNERDEAD)            /* the kernel tells the next locker of the death */
        kit_die_err("pthread_mutex_lock (expected EOWNERDEAD)", e);
    kit_say("pthread_mutex_lock() = EOWNERDEAD: I hold the lock; the holder died in it");
    kit_say("accounts %ld + %ld = %ld: a transfer of %ld is half done", s->account[0],
            s->account[1], s->account[0] + s->account[1], s->pending);
    if (repair) {
        s->account[0] += s->pending;   /* undo it */
        s->pending = 0;
        /* Only now is the data right again: say so before the unlock. */
        kit_check(pthread_mutex_consistent(held));
        kit_say("undone; pthread_mutex_consistent(): the mutex is usable again");
    } else {
        kit_say("unlocking without pthread_mutex_consistent()");
    }
    kit_check(pthread_mutex_unlock(held));
}

/* Starts the fixer; true when it exited with status 0 within 5 s. */
static bool run_fixer(bool repair)
{
    pid_t pid = kit_start(fixer, repair, "fixer");
    int status;
    char text[64];
    bool ended = kit_join(pid, &status, 5.0);   /* it should take a millisecond */
    if (!ended)
        kit_kill_join(pid, &status);
    return kit_expect(ended && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fixer %s",
                      ended ? kit_status_str(status, text, sizeof text) : "hung: killed");
}

static void robust(const struct kit_args *args)
{
    (void)args;
    init_mutex(&s->robust, true);
    holder_dies(&s->robust);
    run_fixer(true);
    int e = pthread_mutex_lock(&s->robust);
    kit_expect(e == 0, "the next pthread_mutex_lock() returns %s: business as usual",
               e == 0 ? "0" : strerrorname_np(e));
    kit_expect(s->account[0] + s->account[1] == 2000, "accounts %ld + %ld = 2000 again",
               s->account[0], s->account[1]);
    if (e == 0)
        e = pthread_mutex_unlock(&s->robust);
    if (e != 0)
        kit_die_err("pthread_mutex_unlock", e);
    kit_check(pthread_mutex_destroy(&s->robust));
    kit_pace(0.5);
}

/* ---- 3. the robust mutex, not marked consistent ---------------------------- */
static void forget(const struct kit_args *args)
{
    (void)args;
    init_mutex(&s->forget, true);
    holder_dies(&s->forget);
    run_fixer(false);
    /* Cannot block: a mutex that is not recoverable fails at once. */
    int e = pthread_mutex_lock(&s->forget);
    kit_expect(e == ENOTRECOVERABLE, "the next pthread_mutex_lock() returns %s: for ever",
               e == 0 ? "0" : strerrorname_np(e));
    if (e == 0)
        e = pthread_mutex_unlock(&s->forget);
    if (e != 0 && e != ENOTRECOVERABLE)
        kit_die_err("pthread_mutex_unlock", e);
    /* an unlocked mutex may be destroyed, recoverable or not */
    kit_check(pthread_mutex_destroy(&s->forget));
}

static const struct kit_part parts[] = {
    {"plain", "an ordinary mutex whose holder is killed", plain, true},
    {"robust", "a robust mutex: EOWNERDEAD, repair, pthread_mutex_consistent", robust, true},
    {"forget", "a robust mutex unlocked without consistent: ENOTRECOVERABLE", forget, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson10", .title = "Robust mutex 进程锁",
        .idea = "a process dies holding the lock: an ordinary mutex stays locked for ever",
        .python = "lock.acquire(); ...killed here...; lock.release()   (notes 001, 002)",
        .mechanism = "PTHREAD_MUTEX_ROBUST: EOWNERDEAD to the next locker, then\n"
                     "pthread_mutex_consistent() after the repair",
        .watch = "the waiter cut short by the watchdog; EOWNERDEAD; ENOTRECOVERABLE",
        .parts = parts, .show_ms = true};
    s = kit_shared_alloc(sizeof *s);
    int status = kit_main(&lesson, argc, argv);
    kit_shared_free(s, sizeof *s);
    return status;
}
