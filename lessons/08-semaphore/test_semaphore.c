/* test_semaphore.c - lesson 08 keeps every claim it prints. */
#include <criterion/criterion.h>

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

TestSuite(lesson08, .timeout = 60);

Test(lesson08, notes_demo_four_processes_three_places)
{
    struct lesson_run r = RUN("lesson08", 10, "--quick", "--notes");
    assert_run(r, 0);
    assert_says(r, "sem_init(&room, 1, 3): Semaphore(3) for 4 processes");
    cr_assert_eq(count_of(r.out, "] waiting for the semaphore\n"), 4, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] got in: "), 4, "%s", r.out);
    cr_assert_eq(count_of(r.out, "] released it\n"), 4, "%s", r.out);
    /* the limit, as the processes saw it: never a fourth inside */
    for (const char *p = strstr(r.out, "] got in: "); p; p = strstr(p + 1, "] got in: "))
        cr_assert(atoi(p + strlen("] got in: ")) <= 3, "%s", r.out);
    for (int id = 1; id <= 4; id++) {
        char tag[32];
        snprintf(tag, sizeof tag, "[process %d ", id);
        cr_assert_eq(count_of(r.out, tag), 3, "process %d:\n%s", id, r.out);
    }
    assert_says(r, "ok   never more than 3 inside");
    assert_says(r, "ok   at the end sem_getvalue = 3, the start value");
    assert_says(r, "ok   Semaphore(1): one process inside at a time (highest: 1)");
    run_free(&r);
}

/* The limit holds over many runs, with more processes than places. */
Test(lesson08, never_more_inside_than_the_limit_over_many_runs)
{
    static const char *const shapes[][2] = {{"4", "3"}, {"6", "2"}, {"16", "5"}, {"3", "1"}};
    int filled = 0, runs = 0;
    for (int rep = 0; rep < 2; rep++) {
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++, runs++) {
            struct lesson_run r = RUN("lesson08", 20, "--quick", "--notes", "-w", shapes[i][0],
                                      "-n", shapes[i][1]);
            assert_run(r, 0);
            double most, limit = atof(shapes[i][1]);
            cr_assert(number_after(r.out, "highest number inside at once: ", &most), "%s", r.out);
            cr_assert(most >= 1 && most <= limit, "%g inside with limit %g:\n%s", most, limit,
                      r.out);
            filled += most == limit;
            cr_assert(number_after(r.out, "Semaphore(1): one process inside at a time "
                                          "(highest: ", &most));
            cr_assert_eq(most, 1);
            assert_says(r, "VERDICT: PASS");
            run_free(&r);
        }
    }
    /* not asserted: on a busy machine a run may never fill the room */
    cr_log_info("the room filled up in %d of %d runs", filled, runs);
}

Test(lesson08, named_semaphore_is_in_dev_shm_until_unlinked)
{
    struct lesson_run r = RUN("lesson08", 10, "--quick", "--named");
    assert_run(r, 0);                   /* also: nothing left in /dev/shm */
    char name[64];
    snprintf(name, sizeof name, "after sem_open: sem.mpkit-sem-");
    cr_assert(strstr(r.out, name) && strstr(r.out, " is there"), "%s", r.out);
    assert_says(r, "after sem_unlink: sem.mpkit-sem-");
    assert_says(r, " is not there");
    assert_says(r, "[opener ");
    assert_says(r, "ok   its post after sem_unlink arrived");
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    /* the name is removed while the opener still uses it: its second post comes after */
    const char *gone = strstr(r.out, "after sem_unlink: sem.mpkit-sem-");
    cr_assert(gone && strstr(gone, "] the name is gone, my handle still works"), "%s", r.out);
    run_free(&r);
}

/* Ctrl-C or kill while the name exists: the stop path removes the guarded name. */
static void interrupt_while_named(int sig)
{
    struct lesson_run r = RUN_SIGNAL("lesson08", 10, sig, " is there", "--named");
    cr_assert(!r.timed_out, "%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig, "status 0x%x\n%s", r.status,
              r.out);
    cr_assert(strstr(r.out, "VERDICT") == NULL, "the signal ended it after the cleanup");
    cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
    cr_assert_str_empty(r.shm_left, "left in /dev/shm: %s", r.shm_left);
    run_free(&r);
}

Test(lesson08, ctrl_c_leaves_dev_shm_clean) { interrupt_while_named(SIGINT); }
Test(lesson08, sigterm_leaves_dev_shm_clean) { interrupt_while_named(SIGTERM); }

Test(lesson08, copied_semaphore_hangs_and_the_watchdog_ends_it)
{
    struct lesson_run r = RUN("lesson08", 10, "--quick", "--copied");
    assert_run(r, 0);
    cr_assert(r.seconds < 5.0, "took %.2f s", r.seconds);
    assert_says(r, "WARNING: deliberately broken");
    assert_says(r, "my copy now has value 1");
    assert_says(r, "ok   watchdog: the child still waits after 0.2 s");
    assert_says(r, "watchdog: child killed by signal 9 (SIGKILL)");
    run_free(&r);
}

Test(lesson08, timed_wait_times_out_after_the_timeout_and_trywait_never_blocks)
{
    struct lesson_run r = RUN("lesson08", 10, "--timed");   /* paced: a 0.5 s timeout */
    assert_run(r, 0);
    double ms;
    cr_assert(number_after(r.out, "nobody posts: ETIMEDOUT (Python: False) after ", &ms), "%s",
              r.out);
    cr_assert(ms >= 499 && ms < 5000, "timed out after %.1f ms, asked 500", ms);
    assert_says(r, "ok   it waited the whole timeout");
    assert_says(r, "ok   acquire(False): at 0, sem_trywait fails at once (EAGAIN)");
    assert_says(r, "ok   after a sem_post: sem_trywait takes it (True)");
    run_free(&r);
}

Test(lesson08, signal_lines_alternate_post_then_wake)
{
    struct lesson_run r = RUN("lesson08", 10, "--quick", "--signal");
    assert_run(r, 0);
    /* each wake comes after its post, and before the next post: the order of
     * the lines is fixed by the semaphores, not by luck */
    const char *p = r.out;
    for (int k = 1; k <= 3; k++) {
        char post[64], woke[64];
        snprintf(post, sizeof post, "] sem_post(ping) with message %d\n", k);
        snprintf(woke, sizeof woke, "] got ping: message %d; sem_post(pong) with reply %d\n", k,
                 10 * k);
        p = strstr(p, post);
        cr_assert(p, "no '%s' in order:\n%s", post, r.out);
        p = strstr(p, woke);
        cr_assert(p, "no '%s' in order:\n%s", woke, r.out);
    }
    assert_says(r, "ok   3 of 3 replies came back right");
    run_free(&r);
}

/* The mechanism itself: a sem_t in a MAP_SHARED mapping wakes another
 * process; the same sem_t in copied memory does not. */
static bool waiter_woken(sem_t *sem)
{
    pid_t pid = test_fork();
    if (pid == 0)
        _exit(sem_wait(sem) == 0 ? 0 : 1);
    usleep(10000);                      /* give it time to sleep; not needed for correctness */
    cr_assert_eq(sem_post(sem), 0);
    int status;
    bool ended = kit_join(pid, &status, 2.0);
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return ended && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Test(lesson08, shared_sem_wakes_a_process_a_copied_one_does_not)
{
    sem_t *shared = kit_shared_alloc(sizeof *shared);
    cr_assert_eq(sem_init(shared, 1, 0), 0);
    cr_assert(waiter_woken(shared), "a process-shared sem_t in MAP_SHARED memory");
    cr_assert_eq(sem_destroy(shared), 0);
    kit_shared_free(shared, sizeof *shared);

    sem_t *copied = malloc(sizeof *copied);   /* ordinary memory: fork copies it */
    cr_assert_not_null(copied);
    cr_assert_eq(sem_init(copied, 1, 0), 0);
    cr_assert(!waiter_woken(copied), "the child woke on its own copy?");
    int v;
    cr_assert_eq(sem_getvalue(copied, &v), 0);
    cr_assert_eq(v, 1, "the post stayed in the parent's copy");
    cr_assert_eq(sem_destroy(copied), 0);
    free(copied);
}

Test(lesson08, timedwait_with_a_past_deadline_returns_at_once)
{
    sem_t sem;
    cr_assert_eq(sem_init(&sem, 0, 0), 0);
    struct timespec past = kit_deadline(CLOCK_REALTIME, -1.0);
    double t0 = kit_now();
    cr_assert_eq(sem_timedwait(&sem, &past), -1);
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert(kit_now() - t0 < 1.0);
    cr_assert_eq(sem_post(&sem), 0);
    cr_assert_eq(sem_timedwait(&sem, &past), 0, "a free place is taken even after the deadline");
    cr_assert_eq(sem_destroy(&sem), 0);
}
