/* signals.c - the only asynchronous message one process can send another
 *
 * Python (note 002):
 *     os.kill(pid, signal.SIGKILL); signal.alarm(3); time.sleep(2); signal.alarm(5); signal.pause()
 *     signal.signal(SIGALRM, SIG_IGN); signal.signal(SIGINT, SIG_DFL)
 *     def handler(sig, frame): print("就不结束")        # Ctrl-C: "I just won't quit"
 * C: kill() posts a signal; the kernel runs the receiver's handler between
 *    two of its instructions, whatever it was doing. So a handler only sets a
 *    volatile sig_atomic_t flag, and the program blocks a signal
 *    (sigprocmask) until it is ready, then waits with sigsuspend, which
 *    unblocks and sleeps in one step. Standard signals do not queue: twelve
 *    SIGCHLDs can arrive as one.
 *
 * Usage: ./lesson07 [-q] [-w N] [-n N] [--interactive] [--patience SEC]
 *
 * Watch for: SIGKILL ending a child that ignores SIGTERM; a pause() woken
 * only by a watchdog; the alarm at 7 units, not 3; one SIGCHLD for twelve
 * children, all reaped; EINTR, then none (SA_RESTART); "就不结束".
 * Try next: ./lesson07 --interactive, then press Ctrl-C twice.
 * Compare with lesson 01 (waitpid) and lesson 06 (SIGPIPE, EPIPE).
 */
#include "legacy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson07 [options]\n"
    "Signals: kill, handlers, SIG_IGN/SIG_DFL, alarm, sigsuspend, SIGCHLD, EINTR, Ctrl-C.\n"
    "By default the lesson drives itself: it sends every signal, the SIGINTs too.\n"
    "      --interactive  part 7 waits for YOU to press Ctrl-C (twice) at the terminal\n"
    "      --patience SEC how long --interactive waits for each Ctrl-C (1..600, default 30)\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing, short timers: well under a second\n"
    "  -w, --workers N    children exiting at once in the SIGCHLD part (2..64, default 12)\n"
    "  -n, --count N      helper children that Ctrl-C reaches in part 7 (1..8, default 2)\n";

enum { MAX_BURST = 64, MAX_HELPERS = 8 };

/* ONE handler for every signal we catch: it counts, and that is all. The
 * kernel can run it between any two instructions of main, even inside a
 * printf that holds stdio's lock or a malloc halfway through its lists; a
 * printf in here could deadlock or corrupt them. So it touches nothing but a
 * volatile sig_atomic_t (read and written in one go; volatile: main re-reads it). */
static volatile sig_atomic_t got[NSIG];
static void count_signal(int sig) { got[sig]++; }

/* What children found out, in memory the parent shares (lesson 04). */
static struct report {
    int kill_errno;                   /* part 1: sigaction(SIGKILL) */
    int survived_ignored;             /* part 2 */
    int refused, helpers_by_sigint;   /* part 7 */
} *rep;

static double unit = 0.15;    /* seconds; --quick: 0.02. Timers count in units. */
static int burst = 12, helpers = 2, patience = 30;   /* -w, -n, --patience */
static bool interactive;

/* handler: count_signal, SIG_IGN or SIG_DFL. flags: SA_RESTART or 0 (part 6). */
static void set_action(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        kit_die("sigaction");
}

/* Blocks (SIG_BLOCK) or unblocks (SIG_UNBLOCK) sig; returns the mask before. */
static sigset_t mask(int how, int sig)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (sigprocmask(how, &set, &old) == -1)
        kit_die("sigprocmask");
    return old;
}

static void restore(const sigset_t *old)
{
    if (sigprocmask(SIG_SETMASK, old, NULL) == -1)
        kit_die("sigprocmask");
}

/* The race-free wait: sig is blocked; sigsuspend swaps in `during` (where it
 * is not) and sleeps, in one step, so the signal cannot slip in between. */
static void wait_for(int sig, sig_atomic_t n, const sigset_t *during)
{
    while (got[sig] < n && got[SIGALRM] == 0)   /* SIGALRM: the watchdog */
        if (sigsuspend(during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
}

/* The one real-time timer of a process, the one alarm() sets too, in
 * microseconds. Returns what the timer it replaces still had to run. */
static double arm(double seconds)
{
    long us = (long)(seconds * 1e6);
    struct itimerval old, t = {.it_value = {.tv_sec = us / 1000000, .tv_usec = us % 1000000}};
    if (setitimer(ITIMER_REAL, &t, &old) == -1)
        kit_die("setitimer");
    return (double)old.it_value.tv_sec + (double)old.it_value.tv_usec / 1e6;
}

static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)   /* EINTR: a handled signal without SA_RESTART (part 6) */
            kit_die("waitpid");
    return status;
}

static bool killed_by(int status, int s) { return WIFSIGNALED(status) && WTERMSIG(status) == s; }

static const char *status_str(int status)
{
    static char text[64];
    return kit_status_str(status, text, sizeof text);
}

/* A program that quits on Ctrl-C should end by the signal itself, so that
 * whoever started it (a shell, make) sees "killed by SIGINT" and stops too. */
static noreturn void quit_by_sigint(void)
{
    set_action(SIGINT, SIG_DFL, 0);
    mask(SIG_UNBLOCK, SIGINT);
    raise(SIGINT);
    kit_fail("raise(SIGINT) returned");
}

/* ---- 1. kill(pid, sig) and the default actions --------------------------- */
static pid_t sleeper(bool stubborn)
{
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid != 0)
        return pid;
    if (stubborn) {
        kit_set_role("stubborn");
        set_action(SIGTERM, SIG_IGN, 0);
        struct sigaction sa = {.sa_handler = count_signal};
        if (sigaction(SIGKILL, &sa, NULL) == -1)    /* SIGKILL and SIGSTOP: never */
            rep->kill_errno = errno;
        kit_say("SIGTERM ignored; sigaction(SIGKILL) failed: %s", strerrorname_np(rep->kill_errno));
    }
    mask(SIG_UNBLOCK, SIGTERM);
    for (;;)
        pause();              /* sleeps until a signal ends it */
}

static void part_kill(void)
{
    kit_section("1. kill(pid, sig): SIGTERM's default action, and SIGKILL that no one catches");
    /* SIGTERM blocked across each fork: should ours come before the child
     * has set SIG_IGN, it waits, pending, and SIG_IGN then discards it. */
    sigset_t old = mask(SIG_BLOCK, SIGTERM);
    pid_t plain = sleeper(false), stubborn = sleeper(true);
    restore(&old);
    if (kill(plain, SIGTERM) == -1 || kill(stubborn, SIGTERM) == -1)
        kit_die("kill");
    int status = reap(plain);
    kit_expect(killed_by(status, SIGTERM), "kill(%d, SIGTERM): the child %s", (int)plain,
               status_str(status));
    bool ended = kit_wait_timeout(stubborn, &status, 2 * unit);
    kit_expect(!ended, "kill(%d, SIGTERM): still alive after %.2f s, it ignores SIGTERM",
               (int)stubborn, 2 * unit);
    if (!ended && kill(stubborn, SIGKILL) == -1)   /* the notes' os.kill(pid, SIGKILL) */
        kit_die("kill");
    status = ended ? status : reap(stubborn);
    kit_expect(killed_by(status, SIGKILL) && rep->kill_errno == EINVAL,
               "kill(%d, SIGKILL): the child %s; it could not catch it", (int)stubborn,
               status_str(status));
}

/* ---- 2. SIG_IGN and SIG_DFL, as in the notes ------------------------------ */
static void part_ign_dfl(void)
{
    kit_section("2. SIG_IGN, then SIG_DFL: the notes ignore SIGALRM and SIGINT, then restore");
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        kit_set_role("child");
        set_action(SIGALRM, SIG_IGN, 0);
        set_action(SIGINT, SIG_IGN, 0);
        raise(SIGALRM);       /* default action: terminate. Ignored: thrown away */
        raise(SIGINT);
        rep->survived_ignored = 1;
        kit_say("raised SIGALRM and SIGINT while both are SIG_IGN: still here");
        set_action(SIGALRM, SIG_DFL, 0);
        kit_say("SIGALRM back to SIG_DFL; raising it again");
        raise(SIGALRM);
        _exit(EXIT_SUCCESS);  /* not reached */
    }
    int status = reap(pid);
    kit_expect(rep->survived_ignored == 1, "with SIG_IGN the child lived through both signals");
    kit_expect(killed_by(status, SIGALRM), "with SIG_DFL the child %s", status_str(status));
}

/* ---- 3. waiting for a signal: check-then-pause loses it, sigsuspend not --- */
static void part_wait(void)
{
    kit_section("3. waiting for a signal: if (!flag) pause(); is a race, sigsuspend is not");
    set_action(SIGUSR1, count_signal, 0);
    got[SIGUSR1] = got[SIGALRM] = 0;
    kit_warn("deliberately broken: check the flag, then pause()");
    if (got[SIGUSR1] == 0) {
        kit_say("flag not set, so I will pause(). But just then, SIGUSR1 arrives...");
        if (kill(getpid(), SIGUSR1) == -1)  /* bad luck on a busy machine; here every time */
            kit_die("kill");
        kit_say("...the handler ran already (flag = %d); now pause(), watchdog in %.2f s",
                (int)got[SIGUSR1], 5 * unit);
        double t0 = kit_now();
        arm(5 * unit);
        pause();              /* waits for a signal that has come and gone */
        arm(0);
        kit_expect(got[SIGALRM] == 1, "pause() slept %.2f s until the watchdog's SIGALRM: "
                   "the SIGUSR1 it waited for was lost", kit_now() - t0);
    }
    got[SIGUSR1] = got[SIGALRM] = 0;
    sigset_t during = mask(SIG_BLOCK, SIGUSR1);     /* blocked: it waits for us */
    kit_say("the fix: SIGUSR1 blocked first; it arrives at the same moment");
    if (kill(getpid(), SIGUSR1) == -1)
        kit_die("kill");
    sigset_t pending;
    if (sigpending(&pending) == -1)
        kit_die("sigpending");
    double t0 = kit_now();
    arm(5 * unit);
    wait_for(SIGUSR1, 1, &during);
    arm(0);
    restore(&during);
    bool held = sigismember(&pending, SIGUSR1);
    kit_expect(held && got[SIGUSR1] == 1 && got[SIGALRM] == 0,
               "SIGUSR1 waited, pending (sigpending: %s); sigsuspend() took it in %.1f ms",
               held ? "yes" : "no", (kit_now() - t0) * 1e3);
}

/* ---- 4. alarm: one timer per process ------------------------------------- */
static void part_alarm(void)
{
    kit_section("4. alarm(): one clock per process, a second call replaces the first");
    unsigned first = alarm(3), second = alarm(5), third = alarm(0);
    kit_say("alarm(3) = %u, alarm(5) = %u (what was left of the 3), alarm(0) = %u (cancelled)",
            first, second, third);
    kit_expect(first == 0 && second == 3 && third == 5, "alarm() returned 0, 3, 5");
    /* The notes again, in units: whole seconds would make this part 7 s. */
    sigset_t during = mask(SIG_BLOCK, SIGALRM);
    got[SIGALRM] = 0;
    double t0 = kit_now();
    arm(3 * unit);
    kit_say("alarm(3 units); sleep(2 units)");
    kit_sleep(2 * unit);
    kit_say("alarm(5 units): the first had %.2f units left; it is gone", arm(5 * unit) / unit);
    wait_for(SIGALRM, 1, &during);  /* the notes' pause(), without the race */
    double at = (kit_now() - t0) / unit, left = arm(0);    /* 0: no timer left */
    restore(&during);
    kit_expect(at > 6.9 && got[SIGALRM] == 1 && left == 0,
               "one SIGALRM, at %.2f units (2 + 5), none at 3; no timer left", at);
}

/* ---- 5. SIGCHLD: children exit together, their signals merge ------------- */
static void part_sigchld(void)
{
    kit_section("5. SIGCHLD: %d children exit together; how many signals arrive?", burst);
    set_action(SIGCHLD, count_signal, SA_NOCLDSTOP);
    /* Blocked, as it is while the handler runs or main is busy: then each
     * exit only marks SIGCHLD pending. A pending standard signal is one bit,
     * and a second one changes nothing. */
    sigset_t during = mask(SIG_BLOCK, SIGCHLD);
    got[SIGCHLD] = got[SIGALRM] = 0;
    pid_t pid[MAX_BURST];
    for (int i = 0; i < burst; i++) {
        if ((pid[i] = fork()) == -1)
            kit_die("fork");
        if (pid[i] == 0)
            _exit(i + 1);
    }
    /* WNOWAIT: wait until a child has exited, but leave it to be reaped. */
    siginfo_t info;
    for (int i = 0; i < burst; i++)
        if (waitid(P_PID, (id_t)pid[i], &info, WEXITED | WNOWAIT) == -1)
            kit_die("waitid");
    kit_say("all %d have exited (zombies until reaped); now unblock SIGCHLD", burst);
    arm(5 * unit);
    wait_for(SIGCHLD, 1, &during);
    arm(0);
    /* So the handler's flag means "at least one child ended": reap until
     * waitpid says none is left (0) or there is no child at all (ECHILD). */
    int handled = got[SIGCHLD], reaped = 0;
    pid_t r;
    while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
        reaped++;
    if (r == -1 && errno != ECHILD)
        kit_die("waitpid");
    restore(&during);
    set_action(SIGCHLD, SIG_DFL, 0);
    kit_expect(handled < burst, "%d children exited, the handler ran %d time(s)", burst, handled);
    kit_expect(reaped == burst, "the waitpid(-1, WNOHANG) loop reaped %d of %d", reaped, burst);
}

/* ---- 6. EINTR, with and without SA_RESTART -------------------------------- */
/* waitpid() for a child that ends after 3 units; SIGALRM comes after 1. True
 * when the signal struck while waitpid() was blocked, and waitpid() did what
 * `restart` says. */
static bool wait_through_alarm(bool restart)
{
    set_action(SIGALRM, count_signal, restart ? SA_RESTART : 0);
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        kit_sleep(3 * unit);
        _exit(EXIT_SUCCESS);
    }
    got[SIGALRM] = 0;
    double t0 = kit_now();
    arm(unit);
    bool early = got[SIGALRM] != 0;     /* not blocked in waitpid() yet: no test */
    pid_t r = waitpid(pid, NULL, 0);
    bool eintr = r == -1 && errno == EINTR, ok = !early && (restart ? got[SIGALRM] == 1 : eintr);
    if (r == -1 && !eintr)
        kit_die("waitpid");
    if (eintr)
        kit_say("waitpid() = -1 after %.2f s, errno = EINTR: the handler ran, waitpid() gave up;"
                " reap() loops and calls it again", kit_now() - t0);
    if (eintr)
        reap(pid);            /* the usual loop around a blocking call */
    if (ok)
        kit_say("the child reaped after %.2f s; the handler ran at %.2f s%s", kit_now() - t0,
                unit, restart ? ", and SA_RESTART restarted waitpid()" : "");
    else
        kit_say("the signal missed the blocked call (a busy machine?); again");
    set_action(SIGALRM, count_signal, 0);
    return ok;
}

static void part_eintr(void)
{
    kit_section("6. EINTR: a signal handled while waitpid() is blocked");
    bool held[2] = {false, false};
    for (int restart = 0; restart < 2; restart++) {
        kit_say(restart ? "with SA_RESTART:" : "without SA_RESTART:");
        for (int attempt = 0; attempt < 3 && !held[restart]; attempt++)
            held[restart] = wait_through_alarm(restart);
    }
    kit_expect(held[0], "without SA_RESTART waitpid() failed with EINTR: the caller must loop");
    kit_expect(held[1], "with SA_RESTART the kernel restarted waitpid(): no EINTR to handle");
}

/* ---- 7. Ctrl-C: 就不结束, then quit; it goes to the whole group ------------ */
static void end_helpers(const pid_t *helper)     /* kill and reap any left (0: reaped) */
{
    for (int i = 0; i < helpers; i++)
        if (helper[i] && (kill(helper[i], SIGKILL) == -1 || waitpid(helper[i], NULL, 0) == -1))
            kit_die("kill");
}

/* The notes' program: a handler that refuses the first Ctrl-C, and helper
 * children (as Pool workers would be) in the same process group. */
static noreturn void notes_program(void)
{
    kit_set_role("notes");
    /* A job of its own, as a shell gives each command line: kill(0, ...)
     * then reaches this group only, never the shell or make that ran us. */
    if (!interactive && setpgid(0, 0) == -1)
        kit_die("setpgid");
    set_action(SIGINT, SIG_DFL, 0);     /* helpers are born with the default */
    pid_t helper[MAX_HELPERS];
    for (int i = 0; i < helpers; i++) {
        if ((helper[i] = fork()) == -1)
            kit_die("fork");
        if (helper[i] == 0)
            for (;;)
                pause();      /* SIGINT's default action ends it */
    }
    sigset_t during = mask(SIG_BLOCK, SIGINT);
    set_action(SIGINT, count_signal, 0);
    got[SIGINT] = 0;
    kit_say("Waiting for a signal (%d helper(s), process group %d)", helpers, (int)getpgrp());
    for (int stroke = 1; stroke <= 2; stroke++) {
        got[SIGALRM] = 0;
        alarm((unsigned)patience);      /* the watchdog */
        kit_say(interactive ? "press Ctrl-C (within %d s)"
                            : "kill(0, SIGINT): what Ctrl-C does, to my whole process group",
                patience);
        if (!interactive && kill(0, SIGINT) == -1)
            kit_die("kill");
        wait_for(SIGINT, stroke, &during);
        alarm(0);
        if (got[SIGINT] < stroke) {
            kit_say("no Ctrl-C within %d s", patience);
            break;
        }
        if (stroke == 2) {
            kit_say("SIGINT again: 好, 结束 (quitting, by the signal itself)");
            end_helpers(helper);
            quit_by_sigint();
        }
        rep->refused = 1;
        kit_say("SIGINT: 就不结束 (the handler ran; I go on)");
        for (int i = 0, status; i < helpers; i++)   /* alive: not sent to the group */
            if (kit_wait_timeout(helper[i], &status, 1.0)) {
                helper[i] = 0;
                rep->helpers_by_sigint += killed_by(status, SIGINT);
                kit_say("helper %d %s", i + 1, status_str(status));
            }
    }
    end_helpers(helper);
    _exit(EXIT_SUCCESS);
}

static void part_ctrl_c(void)
{
    kit_section("7. Ctrl-C: 就不结束 on the first, quit on the second; %s",
                interactive ? "press it yourself" : "the lesson sends both (--interactive: you)");
    if (interactive)          /* Ctrl-C reaches this process too: ignore it meanwhile */
        set_action(SIGINT, SIG_IGN, 0);
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0)
        notes_program();
    int status = reap(pid);
    set_action(SIGINT, count_signal, SA_RESTART);
    kit_say("the notes program %s", status_str(status));
    kit_expect(rep->refused == 1, "the first SIGINT ran the handler: 就不结束");
    kit_expect(rep->helpers_by_sigint == helpers,
               "it reached the whole group: %d of %d helpers killed by SIGINT",
               rep->helpers_by_sigint, helpers);
    if (!interactive || killed_by(status, SIGINT))
        kit_expect(killed_by(status, SIGINT), "the second SIGINT ended it, by SIGINT");
    else if (rep->refused)
        kit_say("no second Ctrl-C: it gave up waiting and exited");
}

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = burst, .workers_min = 2, .workers_max = MAX_BURST,
                            .count = helpers, .count_min = 1, .count_max = MAX_HELPERS};
    static const struct option longopts[] = {
        KIT_LONGOPTS, {"interactive", no_argument, NULL, 'i'},
        {"patience", required_argument, NULL, 'p'}, {0}};
    kit_set_usage(usage);
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;) {
        if (kit_common_opt(opt, &args))
            continue;
        if (opt == 'i')
            interactive = true;
        else if (opt == 'p')
            patience = (int)kit_parse_long("--patience", optarg, 1, 600);
        else
            kit_usage_error("unknown option");
    }
    kit_no_operands(argc, argv);
    burst = (int)args.workers;
    helpers = (int)args.count;
    unit = args.quick ? 0.02 : unit;
    kit_show_ms(true);
    /* Our own Ctrl-C handler from the start: a real Ctrl-C lets the running
     * part finish and reap its children, then stops the lesson (SA_RESTART:
     * meanwhile the blocking calls just carry on). Children inherit it. */
    set_action(SIGINT, count_signal, SA_RESTART);
    set_action(SIGALRM, count_signal, 0);   /* every watchdog timer ends here */
    rep = kit_shared_alloc(sizeof *rep);
    static void (*const parts[])(void) = {part_kill,    part_ign_dfl, part_wait, part_alarm,
                                          part_sigchld, part_eintr,   part_ctrl_c};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (i > 0)
            kit_pace(0.7);    /* pauses only give the class time to read */
        parts[i]();
        if (got[SIGINT] != 0) {     /* a real Ctrl-C: stop between two parts */
            kit_say("Ctrl-C: stopping here; every child is reaped");
            quit_by_sigint();
        }
    }
    kit_shared_free(rep, sizeof *rep);
    kit_section("verdict");
    return kit_verdict();
}
