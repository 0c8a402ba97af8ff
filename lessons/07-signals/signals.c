/* signals.c - the only asynchronous message one process can send another
 *
 * Python (note 002):
 *     os.kill(pid, signal.SIGKILL); signal.alarm(3); time.sleep(2); signal.alarm(5); signal.pause()
 *     signal.signal(SIGALRM, SIG_IGN)   # SIG_DFL: a line the notes leave commented out
 *     def handler(sig, frame): print("就不结束")    # every Ctrl-C: "I just won't quit"
 * C: kill() posts a signal; the receiver's handler runs between two of its
 *    instructions, so it only sets a flag. The program blocks the signal until it
 *    is ready (sigprocmask), then sigsuspend unblocks and sleeps in one step.
 * Usage: ./lesson07 [-q] [-n N] [--list] [--part N] [--interactive] [--patience SEC]
 * Watch for: SIGKILL ending a child that ignores SIGTERM; a pause() woken by a
 * watchdog; the alarm at 7 units, not 3; "就不结束" while the helpers die.
 * Try next: ./lesson07 --interactive, and press Ctrl-C as often as you like.
 * Compare with lessons 12 (SIGCHLD, EINTR), 01 (waitpid) and 06 (SIGPIPE).
 */
#include "kit.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_HELPERS = 8, SELF_SENT = 2, STUBBORN = -1 };

/* ONE handler for every signal we catch: it counts. It can run between any two
 * instructions, even in a printf holding stdio's lock (a printf here could
 * deadlock): it touches only a volatile sig_atomic_t (one store; re-read). */
static volatile sig_atomic_t got[NSIG];
static void count_signal(int sig) { got[sig]++; }

/* What children found out, in shared memory (lesson 04). The pointer is set
 * before the fork; a child gets a copy of it, as of all the parent's memory. */
static struct report { int survived_ignored, refused, by_sigint; } *rep;

static double unit(void) { return kit_quick() ? 0.02 : 0.15; }   /* timers count in units */
static long interactive, patience = 30, helpers;   /* --interactive, --patience, -n */

static void set_action(int sig, void (*handler)(int))
{
    struct sigaction sa = {.sa_handler = handler};
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        kit_die("sigaction");
}
static sigset_t set_of(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return set;
}
/* alarm()'s timer to the microsecond; returns what the one it replaces had left. */
static double arm(double seconds)
{
    long us = (long)(seconds * 1e6);
    struct itimerval old, t = {.it_value = {.tv_sec = us / 1000000, .tv_usec = us % 1000000}};
    if (setitimer(ITIMER_REAL, &t, &old) == -1)
        kit_die("setitimer");
    return (double)old.it_value.tv_sec + (double)old.it_value.tv_usec / 1e6;
}

static bool killed_by(int status, int s) { return WIFSIGNALED(status) && WTERMSIG(status) == s; }
static const char *status_str(int s) { static char t[64]; return kit_status_str(s, t, sizeof t); }

/* ---- 1. kill(pid, sig) and the default actions --------------------------- */
static void sleeper(int id)             /* STUBBORN ignores SIGTERM */
{
    if (id == STUBBORN)
        set_action(SIGTERM, SIG_IGN);   /* a SIGTERM already pending is thrown away */
    sigset_t term = set_of(SIGTERM);    /* and SIGINT: part 5's helpers are born with it blocked */
    sigaddset(&term, SIGINT);
    if (sigprocmask(SIG_UNBLOCK, &term, NULL) == -1)
        kit_die("sigprocmask");
    for (;;)
        pause();                        /* sleeps until a signal ends it */
}

static void kill_part(const struct kit_args *args)
{
    (void)args;
    struct sigaction sa = {.sa_handler = count_signal};
    sigemptyset(&sa.sa_mask);
    int e = sigaction(SIGKILL, &sa, NULL) == -1 ? errno : 0;
    kit_expect(e == EINVAL, "sigaction(SIGKILL) failed: %s", e ? strerrorname_np(e) : "no");
    /* Blocked across the forks: a SIGTERM sent before SIG_IGN waits; SIG_IGN drops it. */
    sigset_t term = set_of(SIGTERM), old;
    if (sigprocmask(SIG_BLOCK, &term, &old) == -1)
        kit_die("sigprocmask");
    pid_t plain = kit_start(sleeper, 0, "plain");
    pid_t stubborn = kit_start(sleeper, STUBBORN, "stubborn");
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        kit_die("sigprocmask");
    if (kill(plain, SIGTERM) == -1 || kill(stubborn, SIGTERM) == -1)
        kit_die("kill");
    int status;
    kit_join(plain, &status, -1);
    kit_expect(killed_by(status, SIGTERM), "kill(%d, SIGTERM): %s", plain, status_str(status));
    bool ended = kit_join(stubborn, &status, 2 * unit());
    kit_expect(!ended, "kill(%d, SIGTERM): alive after %.2fs: it ignores it", stubborn, 2 * unit());
    if (!ended && kill(stubborn, SIGKILL) == -1)    /* the notes' os.kill(pid, SIGKILL) */
        kit_die("kill");
    if (!ended)
        kit_join(stubborn, &status, -1);
    kit_expect(killed_by(status, SIGKILL), "kill(%d, SIGKILL): %s", stubborn, status_str(status));
    kit_pace(0.7);                      /* pauses only give the class time to read */
}

/* ---- 2. SIG_IGN as in the notes, then SIG_DFL ---------------------------- */
static void ign_dfl_child(int id)
{
    (void)id;
    set_action(SIGALRM, SIG_IGN);
    set_action(SIGINT, SIG_IGN);
    raise(SIGALRM);                     /* default action: terminate. Ignored: thrown away */
    raise(SIGINT);
    rep->survived_ignored = 1;
    kit_say("raised SIGALRM and SIGINT while both are SIG_IGN: still here");
    set_action(SIGALRM, SIG_DFL);       /* and raise it again */
    raise(SIGALRM);                     /* should it live on, it exits 0: the claim fails */
}

static void ign_dfl_part(const struct kit_args *args)
{
    (void)args;
    int status;
    kit_join(kit_start(ign_dfl_child, 0, "child"), &status, -1);   /* its waitpid() */
    kit_expect(rep->survived_ignored == 1, "with SIG_IGN the child lived through both signals");
    kit_expect(killed_by(status, SIGALRM), "with SIG_DFL the child %s", status_str(status));
    kit_pace(0.7);
}

/* ---- 3. waiting for a signal: check-then-pause loses it, sigsuspend not --- */
static void wait_part(const struct kit_args *args)
{
    (void)args;
    got[SIGUSR1] = got[SIGALRM] = 0;
    kit_warn("deliberately broken: check the flag, then pause()");
    if (got[SIGUSR1] == 0) {
        kit_say("flag not set, so I will pause(). But just then, SIGUSR1 arrives...");
        if (kill(getpid(), SIGUSR1) == -1)  /* bad luck on a busy machine; here every time */
            kit_die("kill");
        kit_say("...the handler ran already (flag = %d); now pause(), watchdog in %.2f s",
                (int)got[SIGUSR1], 5 * unit());
        double t0 = kit_now();
        arm(5 * unit());
        pause();                        /* waits for a signal that has come and gone */
        arm(0);
        kit_expect(got[SIGALRM] == 1, "pause() slept %.2f s until the watchdog: SIGUSR1 was lost",
                   kit_now() - t0);
    }
    got[SIGUSR1] = got[SIGALRM] = 0;
    sigset_t usr1 = set_of(SIGUSR1), during;
    if (sigprocmask(SIG_BLOCK, &usr1, &during) == -1)   /* blocked: it waits for us */
        kit_die("sigprocmask");
    kit_say("the fix: SIGUSR1 blocked first; it arrives at the same moment");
    if (kill(getpid(), SIGUSR1) == -1)
        kit_die("kill");
    int before = got[SIGUSR1];          /* 0: blocked, it waits, pending */
    double t0 = kit_now();
    arm(2.0);                           /* only a safety net now */
    /* The race-free wait: sigsuspend swaps in `during` (where SIGUSR1 is not
     * blocked) and sleeps, in one step: the signal cannot slip in between. */
    while (got[SIGUSR1] == 0 && got[SIGALRM] == 0)   /* SIGALRM: the watchdog */
        if (sigsuspend(&during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
    arm(0);
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
    kit_expect(before == 0 && got[SIGUSR1] == 1 && got[SIGALRM] == 0,
               "SIGUSR1 waited (handler runs: %d) until sigsuspend() took it, %.1f ms on",
               before, (kit_now() - t0) * 1e3);
}

/* ---- 4. alarm: one timer per process ------------------------------------- */
static void alarm_part(const struct kit_args *args)
{
    (void)args;
    unsigned first = alarm(3), second = alarm(5), third = alarm(0);
    kit_expect(first == 0 && second == 3 && third == 5,
               "alarm(3) = %u, alarm(5) = %u (left of the 3), alarm(0) = %u", first, second, third);
    /* The notes again, in units: whole seconds would make this part 7 s. */
    sigset_t alrm = set_of(SIGALRM), during;
    if (sigprocmask(SIG_BLOCK, &alrm, &during) == -1)
        kit_die("sigprocmask");
    got[SIGALRM] = 0;
    double t0 = kit_now();
    arm(3 * unit());
    kit_sleep(2 * unit());
    double was = arm(5 * unit()) / unit();
    kit_say("alarm(3 units), sleep(2 units), alarm(5 units): the first had %.2f left", was);
    while (got[SIGALRM] == 0)           /* the notes' pause(), without the race */
        if (sigsuspend(&during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
    double at = (kit_now() - t0) / unit(), left = arm(0);    /* 0: no timer left */
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
    if (was == 0)                       /* a stall of over a unit: the 3 had fired */
        kit_say("not shown this run: the first alarm fired before the second came");
    else
        kit_expect(at > 6.9 && got[SIGALRM] == 1 && left == 0,
                   "one SIGALRM, at %.2f units (2 + 5), none at 3; no timer left", at);
}

/* ---- 5. Ctrl-C and the notes' handler: 就不结束, every time ------------- */
/* The notes' program: alarm(5), one handler for SIGALRM and SIGINT, a loop
 * (while True in the notes; ours ends at the alarm, after its own SIGINTs;
 * no SIGINT ends it), and helpers in its group, as Pool workers would be. */
static void notes_program(int to_send)    /* SIGINTs it sends itself (0: you press) */
{
    got[SIGINT] = got[SIGALRM] = 0;
    set_action(SIGINT, count_signal);   /* SIGALRM's: inherited from main */
    /* Self-driven: a job of its own (a shell gives one to each command line),
     * so kill(0, ...) reaches this group only, never the shell or make. */
    if (!interactive && setpgid(0, 0) == -1)
        kit_die("setpgid");
    pid_t helper_pid[MAX_HELPERS];
    for (int i = 0; i < helpers; i++)   /* born with SIGINT at its default */
        helper_pid[i] = kit_start(sleeper, i + 1, "helper %d", i + 1);
    sigset_t alrm = set_of(SIGALRM), during;
    if (sigprocmask(SIG_BLOCK, &alrm, &during) == -1)
        kit_die("sigprocmask");
    sigdelset(&during, SIGINT);         /* blocked since birth; sigsuspend lets it in */
    arm(interactive ? (double)patience : 5 * unit());    /* the notes' alarm(5) */
    for (int sent = 0; got[SIGALRM] == 0 || sent < to_send;) {
        kit_say(interactive ? "Waiting for a signal: press Ctrl-C (the notes' alarm: %ld s)"
                            : "Waiting for a signal", patience);
        if (sent < to_send) {
            kit_say("kill(0, SIGINT): what Ctrl-C does, to my whole process group");
            sent++;
            if (kill(0, SIGINT) == -1)
                kit_die("kill");
        }
        if (sigsuspend(&during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
        for (; rep->refused < got[SIGINT]; rep->refused++)
            kit_say("SIGINT: 就不结束 (the handler ran; I go on)");
    }
    kit_say("SIGALRM: 接收到时钟信号; my loop ends here");
    for (int i = 0, status; i < helpers; i++) {   /* after a SIGINT they die when next run */
        if (!kit_join(helper_pid[i], &status, rep->refused > 0 ? 5.0 : 0))
            kit_kill_join(helper_pid[i], &status);
        rep->by_sigint += killed_by(status, SIGINT);
        kit_say("helper %d %s", i + 1, status_str(status));
    }
}

static void ctrl_c_part(const struct kit_args *args)
{
    helpers = args->count;
    rep->refused = rep->by_sigint = 0;
    if (interactive)    /* your Ctrl-C reaches this process too: ignore it meanwhile */
        set_action(SIGINT, SIG_IGN);
    /* Born with SIGINT blocked: no Ctrl-C finds it before its handler is set. */
    sigset_t intr = set_of(SIGINT), old;
    if (sigprocmask(SIG_BLOCK, &intr, &old) == -1)
        kit_die("sigprocmask");
    pid_t pid = kit_start(notes_program, interactive ? 0 : SELF_SENT, "notes");
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
        kit_die("sigprocmask");
    int status;
    kit_join(pid, &status, -1);
    kit_stop_policy();                  /* the kit's Ctrl-C policy back */
    kit_expect(interactive ? rep->refused >= 1 : rep->refused == SELF_SENT, "%s, the handler said "
               "就不结束 %d time(s)", interactive ? "you pressed Ctrl-C" : "2 SIGINTs sent", rep->refused);
    kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "it never quit on SIGINT: it %s when its loop ended", status_str(status));
    kit_expect(rep->by_sigint == helpers, "the group got it: %d of %ld helpers killed by SIGINT",
               rep->by_sigint, helpers);
}

static const struct kit_part parts[] = {
    {"kill", "kill(pid, sig): SIGTERM's default action; SIGKILL no one catches", kill_part, 1},
    {"ign-dfl", "SIG_IGN, as the notes do with SIGALRM; then SIG_DFL", ign_dfl_part, 1},
    {"sigsuspend", "if (!flag) pause(); is a race, sigsuspend is not", wait_part, 1},
    {"alarm", "alarm(): one clock per process, a second call replaces the first", alarm_part, 1},
    {"ctrl-c", "Ctrl-C and the notes' handler: 就不结束 each time", ctrl_c_part, 1},
    {0}};

static const struct kit_option options[] = {
    {"interactive", NULL, "part 5 waits for YOU to press Ctrl-C", &interactive, 0, 1},
    {"patience", "SEC", "with --interactive: the notes' alarm after SEC s", &patience, 1, 600},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson07", .title = "Signals 信号通信",
        .idea = "a signal interrupts a process anywhere: default action, SIG_IGN, or a handler",
        .python = "os.kill(pid, SIGKILL); signal.alarm(5); signal.pause()\n"
                  "signal(SIGINT, handler)  # handler prints 就不结束   (note 002)",
        .mechanism = "sigaction() with a flag-only handler; kill(); sigprocmask + sigsuspend",
        .watch = "SIGKILL ends a child that ignores SIGTERM; pause() loses a signal; 就不结束",
        .parts = parts, .options = options, .show_ms = true,
        .count = {"helpers in the notes program's process group (part 5)", 2, 1, MAX_HELPERS, 0}};
    set_action(SIGUSR1, count_signal);
    set_action(SIGALRM, count_signal);  /* every timer of the lesson ends here */
    rep = kit_shared_alloc(sizeof *rep);    /* the mapping goes with the process */
    return kit_main(&lesson, argc, argv);
}
