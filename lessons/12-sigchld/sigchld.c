/* sigchld.c - SIGCHLD when many children exit at once, and EINTR
 *
 * Python (note 002):
 *     SIGCHLD 子进程状态改变时给父进程发出    # sent when a child changes state
 *     p.join()   # 如果不使用join回收子进程则子进程退出后会成为僵尸进程
 * C: an exiting child posts SIGCHLD to its parent and stays a zombie (僵尸进程)
 *    until waitpid() collects it. A pending standard signal is one bit, so twelve
 *    exits can make one signal: the handler loops waitpid(-1, &st, WNOHANG)
 *    until no exited child is left. A handler that runs while a call is
 *    blocked makes the call fail with EINTR, unless it has SA_RESTART.
 *
 * Usage: ./lesson12 [-q] [-w N] [--list] [--part N]
 *
 * Watch for: one handler run for twelve exits; a handler reaping one child
 * per signal leaves eleven zombies; EINTR without SA_RESTART, none with it.
 * Try next: ./lesson12 -w 64, and --live a few times: how many signals come?
 * Compare with lesson 07 (signals, sigsuspend) and lesson 01 (fork, waitpid).
 */
#include "kit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_BURST = 64 };

/* What the SIGCHLD handlers did: they run in the middle of main, so they
 * touch only volatile sig_atomic_t counters and async-signal-safe calls
 * (waitpid is one). errno is saved: main may be about to read its own. */
static volatile sig_atomic_t runs, reaped, abnormal, alarms;

static void count(int status)   /* abnormal: not ended by exit(0), killed from outside */
{
    reaped++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        abnormal++;
}

/* Broken on purpose: one signal, one child. */
static void reap_one(int sig)
{
    (void)sig;
    int saved = errno, status;
    runs++;
    if (waitpid(-1, &status, WNOHANG) > 0)
        count(status);
    errno = saved;
}

/* The fix: a signal means "at least one child ended"; reap until waitpid
 * says none has (0), or that there is no child at all (-1, ECHILD). */
static void reap_all(int sig)
{
    (void)sig;
    int saved = errno, status;
    runs++;
    while (waitpid(-1, &status, WNOHANG) > 0)
        count(status);
    errno = saved;
}

static void count_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* handler: reap_one, reap_all, count_alarm or SIG_DFL; flags: SA_RESTART or 0. */
static void set_action(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == -1)
        kit_die("sigaction");
}

static double unit(void) { return kit_quick() ? 0.02 : 0.15; }   /* seconds */

/* n children that exit at once, after the gate opens (or at once, gate NULL).
 * stdout needs no flush before fork: kit lines are one write(2) each. */
static void burst(pid_t *pid, int n, struct kit_gate *gate)
{
    for (int i = 0; i < n; i++) {
        switch (pid[i] = fork()) {
        case -1:
            kit_die("fork");
        case 0:
            if (gate != NULL)
                kit_gate_wait(gate);
            _exit(EXIT_SUCCESS);
        default:
            break;
        }
    }
}

/* Main's own loop after the handler: what it leaves are zombies. */
static int reap_leftovers(void)
{
    int left = 0, status;
    while (waitpid(-1, &status, WNOHANG) > 0) {
        left++;
        abnormal += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    return left;
}

/* ---- 1 and 2. every child exits while SIGCHLD is blocked ---------------- */
static int blocked_burst(int n, void (*handler)(int))  /* returns the zombies left */
{
    set_action(SIGCHLD, handler, SA_NOCLDSTOP);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, NULL) == -1)      /* their SIGCHLDs wait, pending */
        kit_die("sigprocmask");
    runs = reaped = abnormal = 0;
    pid_t pid[MAX_BURST];
    burst(pid, n, NULL);
    /* WNOWAIT: wait until each has exited, and leave it to be reaped. */
    siginfo_t info;
    for (int i = 0; i < n; i++)
        if (waitid(P_PID, (id_t)pid[i], &info, WEXITED | WNOWAIT) == -1)
            kit_die("waitid");
    kit_say("all %d exited: %d zombies, SIGCHLD pending once; now unblock it", n, n);
    if (sigprocmask(SIG_UNBLOCK, &chld, NULL) == -1)   /* the handler runs here */
        kit_die("sigprocmask");
    int left = reap_leftovers();
    set_action(SIGCHLD, SIG_DFL, 0);
    kit_expect(abnormal == 0, "%d of the %d ended otherwise than by exit(0)", (int)abnormal, n);
    return left;
}

static void one_per_signal(const struct kit_args *args)
{
    int n = (int)args->workers;
    kit_warn("deliberately broken: the handler reaps one child per signal");
    int left = blocked_burst(n, reap_one);
    kit_expect(runs == 1 && reaped == 1, "%d children exited: the handler ran %d time(s), "
               "reaped %d", n, (int)runs, (int)reaped);
    kit_expect(left == n - 1, "%d zombies left behind for main's own loop to reap", left);
    kit_pace(0.7);                      /* pauses only give the class time to read */
}

static void reap_loop(const struct kit_args *args)
{
    int n = (int)args->workers;
    int left = blocked_burst(n, reap_all);
    kit_expect(runs == 1 && reaped == n, "%d exited: the handler ran %d time(s); its waitpid loop "
               "reaped %d", n, (int)runs, (int)reaped);
    kit_expect(left == 0, "%d zombies left", left);
    kit_pace(0.7);
}

/* ---- 3. live: SIGCHLD unblocked while they exit -------------------------- */
static void live(const struct kit_args *args)
{
    int n = (int)args->workers;
    set_action(SIGCHLD, reap_all, SA_NOCLDSTOP);
    runs = reaped = abnormal = 0;
    struct kit_gate gate;
    kit_gate_init(&gate);
    pid_t pid[MAX_BURST];
    burst(pid, n, &gate);
    kit_gate_open(&gate);               /* all go at once; the handler runs as they end */
    /* Wait as lesson 07 does: block, test, sigsuspend. */
    sigset_t chld, during;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &during) == -1)
        kit_die("sigprocmask");
    while (reaped < n)
        if (sigsuspend(&during) == -1 && errno != EINTR)
            kit_die("sigsuspend");
    if (sigprocmask(SIG_SETMASK, &during, NULL) == -1)
        kit_die("sigprocmask");
    set_action(SIGCHLD, SIG_DFL, 0);
    kit_expect(abnormal == 0, "%d of the %d ended otherwise than by exit(0)", (int)abnormal, n);
    kit_expect(reaped == n && runs >= 1 && runs <= n, "%d children exited, the handler ran %d "
               "time(s) and reaped all %d", n, (int)runs, (int)reaped);
    if (runs < n)
        kit_say("%d exits, %d signals: they merged while one was pending", n, (int)runs);
    else
        kit_say("not shown this run: every exit came as a signal of its own");
    kit_pace(0.7);
}

/* ---- 4. EINTR, with and without SA_RESTART -------------------------------- */
static void arm(double seconds)         /* the one real-time timer of a process */
{
    long us = (long)(seconds * 1e6);
    struct itimerval t = {.it_value = {.tv_sec = us / 1000000, .tv_usec = us % 1000000}};
    if (setitimer(ITIMER_REAL, &t, NULL) == -1)
        kit_die("setitimer");
}

/* waitpid() for a child that ends after 3 units; SIGALRM comes after 1.
 * Returns 1: waitpid() failed with EINTR; 0: it returned the child after
 * the handler ran; -1: the signal missed the blocked call (try again). */
static int wait_through_alarm(bool restart)
{
    set_action(SIGALRM, count_alarm, restart ? SA_RESTART : 0);
    pid_t pid;
    switch (pid = fork()) {
    case -1:
        kit_die("fork");
    case 0:
        kit_sleep(3 * unit());
        _exit(EXIT_SUCCESS);
    default:
        break;
    }
    alarms = 0;
    double t0 = kit_now();
    arm(unit());
    bool early = alarms != 0;           /* not blocked in waitpid() yet: no test */
    int status;
    pid_t r = waitpid(pid, &status, 0);
    bool eintr = r == -1 && errno == EINTR;
    if (r == -1 && !eintr)
        kit_die("waitpid");
    if (eintr) {
        kit_say("waitpid() = -1 with EINTR after %.2f s: the handler ran; call it again",
                kit_now() - t0);
        while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
            ;                           /* the usual loop around a blocking call */
        if (r == -1)
            kit_die("waitpid");
    }
    char how[64];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("the child did not exit 0: it %s", kit_status_str(status, how, sizeof how));
    /* Struck: the alarm came while waitpid() was blocked. Without SA_RESTART
     * that must end in EINTR; a miss is the signal landing just before. */
    bool struck = !early && alarms == 1 && (restart || eintr);
    if (struck)
        kit_say("reaped after %.2f s (the alarm was due at %.2f s)%s", kit_now() - t0,
                unit(), restart && !eintr ? ", waitpid() restarted" : "");
    return struck ? eintr : -1;
}

static void eintr(const struct kit_args *args)
{
    (void)args;
    for (int restart = 0; restart < 2; restart++) {
        kit_say(restart ? "with SA_RESTART:" : "without SA_RESTART:");
        int shown = -1;
        for (int attempt = 0; attempt < 3 && shown < 0; attempt++)
            shown = wait_through_alarm(restart);
        if (shown < 0)
            kit_say("not shown this run: the alarm never came while waitpid() was blocked");
        else if (restart)
            kit_expect(shown == 0, "with SA_RESTART no EINTR: the kernel restarted waitpid()");
        else
            kit_expect(shown == 1, "without SA_RESTART waitpid() failed with EINTR: loop on it");
    }
    set_action(SIGALRM, SIG_DFL, 0);
}

/* ---- 5. kill -l: the signals by number, name and meaning ------------------ */
static void list_part(const struct kit_args *args)
{
    (void)args;
    int named = 0;                              /* two columns: sig, sig + 16; then 34 */
    for (int sig = 1; sig <= 16; sig++) {
        int r = sig + 16 <= SIGSYS ? sig + 16 : SIGRTMIN;
        named += (sigabbrev_np(sig) != NULL) + (sigabbrev_np(r) != NULL);
        kit_say("%2d SIG%-6s %-24s %2d SIG%-6s %s", sig, sigabbrev_np(sig), strsignal(sig), r,
                r == SIGRTMIN ? "RTMIN" : sigabbrev_np(r), strsignal(r));
    }
    kit_expect(named == SIGSYS, "%d signals: number, name, text; real-time: %d..%d", named,
               SIGRTMIN, SIGRTMAX);
}

static const struct kit_part parts[] = {
    {"one-per-signal", "SIGCHLD: a handler that reaps one child per signal (broken)",
     one_per_signal, true},
    {"reap-loop", "SIGCHLD: the handler loops waitpid(-1, WNOHANG) until none is left",
     reap_loop, true},
    {"live", "SIGCHLD unblocked while they all exit: how many signals come?", live, true},
    {"eintr", "EINTR: a signal handled while waitpid() is blocked; SA_RESTART", eintr, true},
    {"kill-l", "kill -l (note 002): every signal's number, name and meaning", list_part, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson12", .title = "SIGCHLD and EINTR 信号",
        .idea = "SIGCHLDs merge: reap in a loop; a handled signal interrupts a blocked call",
        .python = "SIGCHLD 子进程状态改变时给父进程发出; p.join() reaps (note 002)",
        .mechanism = "sigaction(SIGCHLD) handler looping waitpid(-1, &st, WNOHANG); EINTR, "
                     "SA_RESTART",
        .watch = "one handler run for N exits; N-1 zombies when it reaps one; EINTR, then none",
        .parts = parts, .show_ms = true,
        .workers = {"children exiting at once in the burst", 12, 2, MAX_BURST, 0}};
    return kit_main(&lesson, argc, argv);
}
