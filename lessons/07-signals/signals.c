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
 *    unblocks and sleeps in one step. Standard signals do not queue: ten
 *    SIGCHLDs can arrive as one.
 *
 * Usage: ./lesson07 [-q] [-w N] [-n N] [--interactive] [--patience SEC]
 *
 * Watch for: SIGTERM ending a child and SIGKILL ending one that ignores
 * SIGTERM; a pause() that misses a signal and only a watchdog wakes; the
 * alarm that fires at 7 units, not 3; one SIGCHLD for twelve children, all
 * reaped; read() failing with EINTR, then not (SA_RESTART); "就不结束".
 * Try next: ./lesson07 --interactive, then press Ctrl-C twice.
 * Compare with lesson 01 (waitpid) and lesson 06 (SIGPIPE, EPIPE).
 */
#include "kit.h"

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

enum { MAX_HELPERS = 8, READ_END = 0, WRITE_END = 1 };

/* ONE handler for every signal we catch: it counts, and that is all.
 * The kernel can run it between any two instructions of main, even in the
 * middle of a printf that holds stdio's lock or a malloc that is halfway
 * through its lists; a printf in here could deadlock or corrupt them. So
 * it touches nothing but a volatile sig_atomic_t (a type read and written in
 * one go; volatile: main must re-read it from memory every time). */
static volatile sig_atomic_t got[NSIG];
static void count_signal(int sig) { got[sig]++; }

/* What children found out, in memory the parent shares (lesson 04). */
struct report {
    int kill_errno;           /* part 1: sigaction(SIGKILL) */
    int survived_ignored;     /* part 2 */
    int refused, helpers, helpers_by_sigint;   /* part 7 */
};

static double unit = 0.2;     /* seconds; --quick: 0.02. Timers count in units. */

/* sigaction with an empty sa_mask: handler is count_signal, SIG_IGN or
 * SIG_DFL. Without SA_RESTART a handled signal makes a blocking call fail
 * with EINTR; with it the kernel restarts the call (part 6). */
static void set_action(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        kit_die("sigaction");
}

/* Blocks (how = SIG_BLOCK) or unblocks sig; returns the mask before. */
static sigset_t mask(int how, int sig)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (sigprocmask(how, &set, &old) == -1)
        kit_die("sigprocmask");
    return old;
}

/* The race-free wait: sig is blocked; sigsuspend swaps in `during` (where it
 * is not) and sleeps, in one step, so the signal cannot slip in between. */
static void wait_for(int sig, sig_atomic_t n, const sigset_t *during)
{
    while (got[sig] < n && got[SIGALRM] == 0)   /* SIGALRM: the watchdog */
        if (sigsuspend(during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
}

/* The one real-time timer of a process, which alarm() also sets. Returns
 * how long the timer it replaces still had to run. */
static double arm(double seconds)
{
    struct itimerval old, t = {.it_value = {.tv_sec = (time_t)seconds,
                                             .tv_usec = (long)((seconds - (long)seconds) * 1e6)}};
    if (setitimer(ITIMER_REAL, &t, &old) == -1)
        kit_die("setitimer");
    return (double)old.it_value.tv_sec + (double)old.it_value.tv_usec / 1e6;
}

static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    return status;
}

static bool killed_by(int status, int sig) { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }

/* How a program that quits on Ctrl-C should end: by the signal itself, so
 * that whoever started it (a shell, make) sees "killed by SIGINT" and stops
 * too. Default action back, unblocked, raised. */
static noreturn void quit_by_sigint(void)
{
    set_action(SIGINT, SIG_DFL, 0);
    mask(SIG_UNBLOCK, SIGINT);
    raise(SIGINT);
    kit_fail("raise(SIGINT) returned");
}

/* ---- 1. kill(pid, sig) and the default actions --------------------------- */
static void part_kill(struct report *rep)
{
    kit_section("1. kill(pid, sig): the default action of SIGTERM, and SIGKILL that no one catches");
    char text[64];
    pid_t plain = fork();
    if (plain == -1)
        kit_die("fork");
    if (plain == 0) {
        for (;;)
            pause();          /* sleeps until a signal; SIGTERM's default ends it */
    }
    if (kill(plain, SIGTERM) == -1)
        kit_die("kill");
    int status = reap(plain);
    kit_expect(killed_by(status, SIGTERM), "kill(%d, SIGTERM): the child %s", (int)plain,
               kit_status_str(status, text, sizeof text));

    int ready[2];
    if (pipe(ready) == -1)
        kit_die("pipe");
    pid_t stubborn = fork();
    if (stubborn == -1)
        kit_die("fork");
    if (stubborn == 0) {
        kit_set_role("stubborn");
        set_action(SIGTERM, SIG_IGN, 0);
        struct sigaction sa = {.sa_handler = count_signal};
        if (sigaction(SIGKILL, &sa, NULL) == -1)    /* SIGKILL and SIGSTOP: never */
            rep->kill_errno = errno;
        kit_say("SIGTERM ignored; sigaction(SIGKILL) failed: %s", strerrorname_np(errno));
        if (close(ready[READ_END]) == -1 || write(ready[WRITE_END], "r", 1) != 1)
            kit_die_child("ready");
        for (;;)
            pause();
    }
    char c;
    if (close(ready[WRITE_END]) == -1 || read(ready[READ_END], &c, 1) != 1 ||
        close(ready[READ_END]) == -1)
        kit_die("ready");     /* it is set up: only now may we signal it */
    if (kill(stubborn, SIGTERM) == -1)
        kit_die("kill");
    bool ended = kit_wait_timeout(stubborn, &status, 2 * unit);
    kit_expect(!ended, "kill(%d, SIGTERM): still alive after %.2f s, it ignores SIGTERM",
               (int)stubborn, 2 * unit);
    if (!ended) {
        if (kill(stubborn, SIGKILL) == -1)  /* the notes' os.kill(pid, signal.SIGKILL) */
            kit_die("kill");
        status = reap(stubborn);
    }
    kit_expect(killed_by(status, SIGKILL) && rep->kill_errno == EINVAL,
               "kill(%d, SIGKILL): the child %s; it could not catch it (EINVAL)",
               (int)stubborn, kit_status_str(status, text, sizeof text));
}

/* ---- 2. SIG_IGN and SIG_DFL, as in the notes ------------------------------ */
static void part_ign_dfl(struct report *rep)
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
    char text[64];
    int status = reap(pid);
    kit_expect(rep->survived_ignored == 1, "with SIG_IGN the child lived through both signals");
    kit_expect(killed_by(status, SIGALRM), "with SIG_DFL the child %s",
               kit_status_str(status, text, sizeof text));
}

/* ---- 3. waiting for a signal: check-then-pause loses it, sigsuspend not --- */
static pid_t send_usr1_to_parent(void)
{
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        if (kill(getppid(), SIGUSR1) == -1)
            kit_die_child("kill");
        _exit(EXIT_SUCCESS);
    }
    return pid;
}

static void part_wait(void)
{
    kit_section("3. waiting for a signal: if (!flag) pause(); is a race, sigsuspend is not");
    set_action(SIGUSR1, count_signal, 0);
    got[SIGUSR1] = got[SIGALRM] = 0;
    kit_warn("deliberately broken: check the flag, then pause()");
    if (got[SIGUSR1] == 0) {
        kit_say("flag not set, so I will pause(). But in between, a child sends SIGUSR1...");
        reap(send_usr1_to_parent());    /* the window, held open on purpose */
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
    kit_say("the fix: SIGUSR1 blocked first; the same child, the same window");
    reap(send_usr1_to_parent());
    sigset_t pending;
    if (sigpending(&pending) == -1)
        kit_die("sigpending");
    bool held = sigismember(&pending, SIGUSR1);
    double t0 = kit_now();
    arm(5 * unit);
    wait_for(SIGUSR1, 1, &during);
    arm(0);
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
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
    double left = arm(5 * unit);
    kit_say("alarm(5 units): the first had %.2f units left; it is gone", left / unit);
    wait_for(SIGALRM, 1, &during);  /* the notes' pause(), without the race */
    double at = (kit_now() - t0) / unit;
    struct itimerval now;
    if (getitimer(ITIMER_REAL, &now) == -1)
        kit_die("getitimer");
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
    kit_expect(at >= 7 && got[SIGALRM] == 1 && now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0,
               "one SIGALRM, at %.2f units (2 + 5), none at 3; no timer left", at);
}

/* ---- 5. SIGCHLD: children exit together, their signals merge ------------- */
static void part_sigchld(int n)
{
    kit_section("5. SIGCHLD: %d children exit at once; how many signals arrive?", n);
    set_action(SIGCHLD, count_signal, SA_NOCLDSTOP);
    sigset_t during = mask(SIG_BLOCK, SIGCHLD);
    got[SIGCHLD] = got[SIGALRM] = 0;
    int gate[2];
    if (pipe(gate) == -1)
        kit_die("pipe");
    pid_t pid[64];
    for (int i = 0; i < n; i++) {
        switch (pid[i] = fork()) {
        case -1:
            kit_die("fork");
        case 0:
            if (close(gate[WRITE_END]) == -1 || read(gate[READ_END], &(char){0}, 1) == -1)
                kit_die_child("gate");  /* end of file: everyone goes at once */
            _exit(i + 1);
        default:
            break;
        }
    }
    if (close(gate[WRITE_END]) == -1 || close(gate[READ_END]) == -1)
        kit_die("close");     /* opens the gate */
    /* SIGCHLD is blocked, so each exit just marks it pending: a pending
     * standard signal is one bit, and a second one changes nothing. WNOWAIT
     * waits until a child has exited without reaping it. */
    for (int i = 0; i < n; i++) {
        siginfo_t info;
        while (waitid(P_PID, (id_t)pid[i], &info, WEXITED | WNOWAIT) == -1)
            if (errno != EINTR)
                kit_die("waitid");
    }
    kit_say("all %d have exited (zombies until reaped); now unblock SIGCHLD", n);
    arm(5 * unit);
    wait_for(SIGCHLD, 1, &during);
    arm(0);
    int handled = got[SIGCHLD], reaped = 0, status;
    /* So the handler's flag means "at least one child ended": reap until
     * waitpid says none is left (0) or there is no child at all (ECHILD). */
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0)
        reaped++;
    if (r == -1 && errno != ECHILD)
        kit_die("waitpid");
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
    set_action(SIGCHLD, SIG_DFL, 0);
    kit_expect(handled < n, "%d children exited, the handler ran %d time(s)", n, handled);
    kit_expect(reaped == n, "the waitpid(-1, WNOHANG) loop reaped %d of %d", reaped, n);
}

/* ---- 6. EINTR, with and without SA_RESTART -------------------------------- */
/* A read() on an empty pipe; SIGALRM comes after 1 unit, a child writes one
 * byte after 3. True when the signal struck while read() was blocked and
 * read() behaved as `restart` says it should. */
static bool read_through_alarm(bool restart)
{
    set_action(SIGALRM, count_signal, restart ? SA_RESTART : 0);
    int fd[2];
    if (pipe(fd) == -1)
        kit_die("pipe");
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        kit_sleep(3 * unit);
        if (write(fd[WRITE_END], "x", 1) != 1)
            kit_die_child("write");
        _exit(EXIT_SUCCESS);
    }
    if (close(fd[WRITE_END]) == -1)
        kit_die("close");
    got[SIGALRM] = 0;
    double t0 = kit_now();
    arm(unit);
    char c;
    bool early = got[SIGALRM] != 0;     /* not blocked in read() yet */
    ssize_t n = read(fd[READ_END], &c, 1);
    double t1 = kit_now() - t0;
    bool eintr = n == -1 && errno == EINTR, ok;
    if (eintr)
        kit_say("read() = -1 after %.2f s, errno = EINTR: the handler ran, read() gave up", t1);
    while (n == -1 && errno == EINTR)   /* the usual loop around a blocking call */
        n = read(fd[READ_END], &c, 1);
    if (n == -1)
        kit_die("read");
    if (n == 0)
        kit_fail("read: end of file before the byte came");
    if (restart && (ok = !early && got[SIGALRM] == 1))
        kit_say("read() = 1 ('%c') after %.2f s; the handler ran at %.2f s and SA_RESTART "
                "restarted read()", c, t1, unit);
    else if (!restart && (ok = eintr))
        kit_say("the loop called read() again: = 1 ('%c')", c);
    else
        kit_say("read() = 1 but the signal missed it (came too soon on a busy machine?)");
    reap(pid);
    if (close(fd[READ_END]) == -1)
        kit_die("close");
    set_action(SIGALRM, count_signal, 0);
    return ok;
}

static void part_eintr(void)
{
    kit_section("6. EINTR: a signal handled while read() is blocked");
    bool eintr = false, restarted = false;
    kit_say("without SA_RESTART:");
    for (int attempt = 0; attempt < 3 && !eintr; attempt++)
        eintr = read_through_alarm(false);
    kit_say("with SA_RESTART:");
    for (int attempt = 0; attempt < 3 && !restarted; attempt++)
        restarted = read_through_alarm(true);
    kit_expect(eintr, "without SA_RESTART read() failed with EINTR: the caller must loop");
    kit_expect(restarted, "with SA_RESTART the kernel restarted read(): no EINTR to handle");
}

/* ---- 7. Ctrl-C: 就不结束, then quit; it goes to the whole group ------------ */
/* Never leave a helper behind: one still alive (0: reaped) is killed and reaped. */
static void end_helpers(const pid_t *helper, int helpers)
{
    for (int i = 0; i < helpers; i++)
        if (helper[i] != 0 && (kill(helper[i], SIGKILL) == -1 || waitpid(helper[i], NULL, 0) == -1))
            kit_die_child("kill");
}

static void notes_program(bool self_driven, int helpers, int patience, struct report *rep)
{
    kit_set_role("notes");
    /* A job of its own, as a shell gives each command line: kill(0, ...)
     * then reaches this group only, never the shell or make that ran us. */
    if (self_driven && setpgid(0, 0) == -1)
        kit_die_child("setpgid");
    set_action(SIGINT, SIG_DFL, 0);     /* helpers are born with the default */
    pid_t helper[MAX_HELPERS];
    for (int i = 0; i < helpers; i++) {
        if ((helper[i] = fork()) == -1)
            kit_die_child("fork");
        if (helper[i] == 0)
            for (;;)
                pause();      /* SIGINT's default action ends it */
    }
    sigset_t during = mask(SIG_BLOCK, SIGINT);
    set_action(SIGINT, count_signal, 0);
    got[SIGINT] = 0;
    kit_say("Waiting for a signal (pid %d, %d helper(s), process group %d)", (int)getpid(),
            helpers, (int)getpgrp());
    for (int stroke = 1; stroke <= 2; stroke++) {
        got[SIGALRM] = 0;
        alarm((unsigned)patience);      /* the watchdog */
        if (self_driven) {
            kit_say("kill(0, SIGINT): what Ctrl-C does, to my whole process group");
            if (kill(0, SIGINT) == -1)
                kit_die_child("kill");
        } else {
            kit_say("press Ctrl-C (within %d s)", patience);
        }
        wait_for(SIGINT, stroke, &during);
        alarm(0);
        if (got[SIGINT] < stroke) {
            kit_say("no Ctrl-C within %d s", patience);
            break;
        }
        if (stroke == 2) {
            kit_say("SIGINT again: 好, 结束 (quitting, by the signal itself)");
            end_helpers(helper, helpers);
            quit_by_sigint();
        }
        rep->refused = 1;
        kit_say("SIGINT: 就不结束 (the handler ran; I go on)");
        for (int i = 0; i < helpers; i++) {
            int status;
            char text[64];
            if (!kit_wait_timeout(helper[i], &status, 1.0)) {
                kit_say("helper %d still alive: that SIGINT was not for the whole group", i + 1);
                continue;
            }
            helper[i] = 0;
            rep->helpers_by_sigint += killed_by(status, SIGINT);
            kit_say("helper %d %s", i + 1, kit_status_str(status, text, sizeof text));
        }
    }
    end_helpers(helper, helpers);
    _exit(EXIT_SUCCESS);
}

static void part_ctrl_c(bool self_driven, int helpers, int patience, struct report *rep)
{
    kit_section("7. Ctrl-C: 就不结束 on the first, quit on the second; %s",
                self_driven ? "the lesson sends both itself (--interactive: you do)"
                            : "press it yourself");
    memset(rep, 0, sizeof *rep);
    rep->helpers = helpers;
    /* Interactive: Ctrl-C reaches this process too; ignore it meanwhile. */
    if (!self_driven)
        set_action(SIGINT, SIG_IGN, 0);
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0)
        notes_program(self_driven, helpers, patience, rep);
    int status = reap(pid);
    set_action(SIGINT, count_signal, SA_RESTART);
    char text[64];
    kit_say("the notes program %s", kit_status_str(status, text, sizeof text));
    kit_expect(rep->refused == 1, "the first SIGINT ran the handler: 就不结束");
    kit_expect(rep->helpers_by_sigint == helpers,
               "it reached the whole group: %d of %d helpers killed by SIGINT",
               rep->helpers_by_sigint, helpers);
    if (self_driven || killed_by(status, SIGINT))
        kit_expect(killed_by(status, SIGINT), "the second SIGINT ended it, by SIGINT");
    else
        kit_say("no second Ctrl-C: it gave up waiting and exited");
}

/* Between parts: a real Ctrl-C (ours is caught, counted) stops the lesson
 * here, with every child already reaped. */
static void stop_if_interrupted(void)
{
    if (got[SIGINT] == 0)
        return;
    kit_say("Ctrl-C: stopping here; every child is reaped");
    quit_by_sigint();
}

int main(int argc, char *argv[])
{
    struct kit_args args = {.workers = 12, .workers_min = 2, .workers_max = 64,
                            .count = 2, .count_min = 1, .count_max = MAX_HELPERS};
    static const struct option longopts[] = {
        KIT_LONGOPTS, {"interactive", no_argument, NULL, 'i'},
        {"patience", required_argument, NULL, 'p'}, {0}};
    kit_set_usage(usage);
    bool interactive = false;
    int patience = 30;
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
    if (args.quick)
        unit = 0.02;
    kit_show_ms(true);
    /* Our own Ctrl-C handler from the start: a real Ctrl-C lets the part
     * that runs finish and reap its children, then stops (SA_RESTART: the
     * parts' blocking calls just carry on). */
    set_action(SIGINT, count_signal, SA_RESTART);
    set_action(SIGALRM, count_signal, 0);   /* every watchdog timer ends in it */
    struct report *rep = kit_shared_alloc(sizeof *rep);

    part_kill(rep);
    stop_if_interrupted();
    kit_pace(1.0);
    part_ign_dfl(rep);
    stop_if_interrupted();
    kit_pace(1.0);
    part_wait();
    stop_if_interrupted();
    kit_pace(1.0);
    part_alarm();
    stop_if_interrupted();
    kit_pace(1.0);
    part_sigchld((int)args.workers);
    stop_if_interrupted();
    kit_pace(1.0);
    part_eintr();
    stop_if_interrupted();
    kit_pace(1.0);
    part_ctrl_c(!interactive, (int)args.count, patience, rep);
    stop_if_interrupted();

    kit_shared_free(rep, sizeof *rep);
    kit_section("verdict");
    return kit_verdict();
}
