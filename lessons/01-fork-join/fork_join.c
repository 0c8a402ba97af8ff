/* fork_join.c - start processes, join them, and read how they ended
 *
 * Python (notes 000, 002):
 *     p = mp.Process(target=job, args=(1, 2)); p.start(); p.join()
 *     p.is_alive(); p.join(3); class ClockProcess(Process): def run(self): ...
 *     "如果不使用join回收子进程则子进程退出后会成为僵尸进程" (not joined: a zombie)
 * C: fork() makes the child, a copy of the parent running the same code. It
 *    runs the target and ends with _exit(); the parent joins it with waitpid(),
 *    which reads its exit status and frees its process-table entry. An ended
 *    child nobody has waited for yet is a zombie.
 *
 * Usage: ./lesson01 [-q] [-w N] [-n N] [--list] [--part N]    (--help for more)
 *
 * Watch for: the child's parent pid; join(timeout) returning, the child alive;
 * chores reaped by length, not start order; exit status 3 vs SIGTERM; the
 * parent's global still 1; a zombie's state 'Z' in /proc before it is reaped.
 * Try next: drop part 7's last waitpid(); `ps -o pid,stat,cmd --ppid PID`.
 * Compare with lesson 04 (memory that IS shared) and lesson 07 (signals).
 */
#include "kit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Children sleep whole units so the order of events shows (--quick: shorter). */
static double unit(void) { return kit_quick() ? 0.02 : 0.5; }

/* Python's p.start(): fork, and run target(arg) in the child. */
static pid_t start(const char *name, void (*target)(int arg), int arg)
{
    /* fork() copies stdio buffers too: text printf left in stdout's buffer
     * would be printed twice. kit_say writes each line at once, so no buffer
     * holds any; with printf, call fflush(stdout) before fork(). */
    pid_t parent = getpid();
    pid_t pid;
    switch (pid = fork()) {
    case -1:
        kit_die("fork");
    case 0:                            /* the child: fork() returned 0 */
        kit_set_role("%s", name);
        /* Die with the parent if it is killed (kit_start does this elsewhere);
         * a parent already gone means we were adopted. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            kit_die("prctl");
        if (getppid() != parent)
            _exit(EXIT_FAILURE);
        target(arg);
        /* _exit, not exit or return: the child must not run the parent's
         * atexit handlers, flush copies of its buffers, or go on in main. */
        _exit(EXIT_SUCCESS);
    default:                           /* the parent: fork() returned the child's pid */
        return pid;
    }
}

/* p.join(). No signal handler of ours returns (the stop path ends the
 * program), so waitpid() is never interrupted (EINTR): one call will do. */
static int join(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) == -1)
        kit_die("waitpid");
    return status;
}

/* The claim every join makes: the child exited, with exactly this status. */
static bool exited_with(const char *name, pid_t pid, int status, int code)
{
    char text[64];
    return kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == code, "%s (pid %ld) %s", name,
                      (long)pid, kit_status_str(status, text, sizeof text));
}

/* ---- 1. Process(target=job, args=(1, 2)) --------------------------------- */
/* args=(1, 2), set before the fork: the child gets its own copy of them. */
static int job_args[2];

static void job(int arg)
{
    (void)arg;
    kit_say("job(a=%d, b=%d): my pid %ld, my parent %ld", job_args[0], job_args[1],
            (long)getpid(), (long)getppid());
}

static void start_join(const struct kit_args *args)
{
    (void)args;
    kit_say("my pid %ld, my parent (the shell) %ld", (long)getpid(), (long)getppid());
    job_args[0] = 1;
    job_args[1] = 2;
    pid_t pid = start("Process-1", job, 0);
    exited_with("Process-1", pid, join(pid), 0);
}

/* ---- 2. class ClockProcess(Process) with its own run() ------------------- */
/* Overriding run() is, in C, just another function for the child to run. */
static void clock_run(int ticks)
{
    for (int i = 1; i <= ticks; i++) {
        kit_say("run(): tick %d of %d", i, ticks);
        kit_sleep(unit() / 2);
    }
}

static void subclass(const struct kit_args *args)
{
    pid_t pid = start("ClockProcess", clock_run, (int)args->count);
    exited_with("ClockProcess", pid, join(pid), 0);
}

/* ---- 3. is_alive() and join(timeout) ------------------------------------- */
static void worker(int units)
{
    for (int i = 1; i <= 3; i++) {
        kit_sleep(units * unit());
        kit_say("I'm working... (%d of 3)", i);
    }
}

static void is_alive(const struct kit_args *args)
{
    (void)args;
    int status;
    pid_t pid = start("Worker", worker, 2);
    /* is_alive(): WNOHANG asks "ended?" without waiting (0: not yet). Not
     * kill(pid, 0): that succeeds on a zombie (part 7). */
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == -1)
        kit_die("waitpid");
    kit_say("name Worker, pid %ld, is_alive() = %s", (long)pid, r == 0 ? "True" : "False");
    /* join(timeout): waitpid(WNOHANG) in a loop until a deadline (kit_join).
     * When time is up it returns, the child still running: not an error. */
    double t = 3 * unit(), t0 = kit_now();
    if (!kit_join(pid, &status, t)) {   /* false: it had not ended at the deadline */
        kit_expect(kit_now() - t0 >= t, "join(%.2f s) returned after %.2f s; the worker is "
                   "still alive", t, kit_now() - t0);
        status = join(pid);
    } else {
        kit_say("the worker ended within join(%.2f s): a busy machine; not shown this run", t);
    }
    if (exited_with("Worker", pid, status, 0))
        kit_say("join() waited for the end: is_alive() = False");
}

/* ---- 4. chores started in a loop, reaped as they finish ------------------ */
enum { MAX_CHORES = 8 };
static struct kit_gate gate;

/* Steps of 0.25 s (--quick: 40 ms; a busy scheduler can swallow less). The
 * gate (a pipe nobody writes to, lesson 06) starts all chores at once. */
static void chore(int steps)
{
    kit_gate_wait(&gate);
    kit_sleep(steps * (kit_quick() ? 0.04 : 0.25));
    kit_say("done after %d steps", steps);
}

static void chores(const struct kit_args *args)
{
    static const char *const names[MAX_CHORES] = {"eat 吃饭", "sleep 睡觉", "play 打豆豆", "chore 4",
                                                  "chore 5", "chore 6", "chore 7", "chore 8"};
    static const int steps[MAX_CHORES] = {3, 2, 4, 5, 6, 7, 8, 9};  /* the notes': 3, 2, 4 */
    int n = (int)args->workers;
    pid_t pids[MAX_CHORES];
    kit_gate_init(&gate);
    for (int i = 0; i < n; i++)
        pids[i] = start(names[i], chore, steps[i]);
    kit_gate_open(&gate);
    /* waitpid(-1) joins whichever child ends first. (The notes join in start
     * order; every child is reaped either way, but here we see who ended when.) */
    int reaped = 0, last = 0;
    bool in_order = true;
    for (int done = 0; done < n; done++) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid == -1)
            kit_die("waitpid");
        for (int i = 0; i < n; i++)
            if (pids[i] == pid) {
                kit_say("reaped %s (pid %ld), %d steps long", names[i], (long)pid, steps[i]);
                reaped += WIFEXITED(status) && WEXITSTATUS(status) == 0;
                in_order &= steps[i] > last;
                last = steps[i];
            }
    }
    kit_expect(reaped == n, "%d of %d chores reaped, each exited with status 0", reaped, n);
    if (in_order)
        kit_say("they finished shortest first, not in start order");
    else
        kit_say("not in length order: a busy machine; not shown this run");
}

/* ---- 5. exit status (Python also has exitcode and terminate()) ---------- */
/* code >= 0: _exit(code) now; else sleep a minute (the SIGTERM comes first). */
static void end_with(int code)
{
    if (code >= 0)
        _exit(code);
    kit_sleep(60);
}

static void exit_status(const struct kit_args *args)
{
    (void)args;
    char text[64];
    pid_t pid = start("exit-3", end_with, 3);
    exited_with("exit-3", pid, join(pid), 3);
    pid = start("sleeper", end_with, -1);
    kit_pace(unit());
    if (kill(pid, SIGTERM) == -1)      /* what Python's terminate() sends */
        kit_die("kill");
    int status = join(pid);
    kit_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
               "sleeper %s (Python: exitcode -15)", kit_status_str(status, text, sizeof text));
}

/* ---- 6. each process has its own memory ---------------------------------- */
static int a = 1;

static void set_global(int arg)
{
    a = arg;
    kit_say("child: a = %d", a);
}

static void copy(const struct kit_args *args)
{
    (void)args;
    pid_t pid = start("copy", set_global, 10000);
    exited_with("copy", pid, join(pid), 0);
    kit_expect(a == 1, "parent: a = %d after the child set its copy to 10000", a);
}

/* ---- 7. a zombie 僵尸进程: ended, but not yet joined ---------------------- */
/* The state letter from /proc/PID/stat ('R', 'S', 'Z', ...), or '?' if gone. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');  /* the name may contain spaces */
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void zombie(const struct kit_args *args)
{
    (void)args;
    pid_t pid = start("zombie", job, 0);
    /* WNOWAIT: wait until it has exited, but leave it unreaped: a zombie. */
    siginfo_t info;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == -1)
        kit_die("waitid");
    char state = proc_state(pid);
    kit_expect(state == 'Z', "/proc/%ld/stat says state '%c' (Z = zombie)", (long)pid, state);
    kit_say("kill(pid, 0) = %d: it 'exists', although it has ended", kill(pid, 0));
    kit_pace(unit());
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    kit_expect(r == pid, "is_alive() = False: waitpid(WNOHANG) returned %ld and reaped it", (long)r);
    state = proc_state(pid);
    kit_expect(state == '?', "/proc/%ld is gone after reaping", (long)pid);
}

static const struct kit_part parts[] = {
    {"start-join", "Process(target=job, args=(1, 2)): start() is fork, join() is waitpid",
     start_join, true},
    {"subclass", "a Process subclass: ClockProcess with its own run()", subclass, true},
    {"is-alive", "is_alive() and join(timeout)", is_alive, true},
    {"chores", "chores started in a loop, reaped as they finish", chores, true},
    {"exit-status", "exit status; Python also has exitcode and terminate()", exit_status, true},
    {"copy", "each process has its own memory: a = 1 in the parent", copy, true},
    {"zombie", "a zombie 僵尸进程: ended, but not yet joined", zombie, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson01", .title = "Process 创建进程",
        .idea = "start a child process, join it, and read how it ended",
        .python = "p = mp.Process(target=job, args=(1, 2)); p.start(); p.join()   (notes 000, 002)",
        .mechanism = "fork() copies the process; the child _exit()s; waitpid() joins and reaps",
        .watch = "the child's parent pid; join(timeout) returning early; a zombie's 'Z'",
        .parts = parts, .show_ms = true,
        .workers = {"chores started in a loop", 3, 1, MAX_CHORES, 0},
        .count = {"ticks of the ClockProcess", 3, 1, 20, 0}};
    return kit_main(&lesson, argc, argv);
}
