/* process_options.c - Process(name=..., kwargs={...}) and p.daemon (创建进程)
 *
 * Python (note 002):
 *     p = Process(target=worker, args=(2,), kwargs={'name': 'Daivl'}, name="Worker")
 *     p = Process(target=tm); p.daemon = True; p.start(); sleep(5); print("main process exit")
 *     # daemon True: "子进程会随着主进程结束而结束"; False (the default): the child goes on
 * C: a child gets its arguments the way every child does, as memory fork() copied:
 *    kwargs become a struct with named fields, filled by a designated initializer
 *    (.name = "Daivl"), the fields left out zero. C has no daemon flag: when
 *    Python's main process ends, its atexit handler terminate()s (SIGTERM) every
 *    daemon child and joins every child. The notes' main process here does that.
 * Usage: ./lesson19 [-q] [--list] [--part N] [--kwargs] [--daemon] [--not-daemon]
 * Watch for: I'm Daivl three times; the daemon's clock stopping at "main process
 * exit", killed by SIGTERM; the other child ticking on after it, then joined.
 * Try next: delete the kill() in main_program and run --daemon: who ends the
 * clock now? (kit_start's PR_SET_PDEATHSIG: SIGKILL when its parent is gone.)
 * Compare with lesson 01 (start, join, exit status) and lesson 07 (SIGTERM).
 */
#include "kit.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double unit(void) { return kit_quick() ? 0.02 : 0.4; }   /* the notes' seconds */

/* What the children saw, in shared memory (lesson 04): ordinary memory is copied. */
static struct report {
    char name[16];
    double sec;
    int lines, ticks, ticks_at_exit, status;
} *rep;

/* ---- 1. args=(2,), kwargs={'name': 'Daivl'}, name="Worker" ------------------ */
/* worker(sec, name): the keyword arguments, as one struct. Set before the fork:
 * the child gets its own copy of it, as of every global. */
static struct worker_kwargs { double sec; const char *name; } kwargs;

static void worker(int id)
{
    (void)id;
    snprintf(rep->name, sizeof rep->name, "%s", kwargs.name);
    rep->sec = kwargs.sec;
    for (int i = 0; i < 3; i++) {
        kit_sleep(kwargs.sec * unit() / 2);
        kit_say("I'm %s", kwargs.name);
        kit_say("I'm working...");
        rep->lines++;
    }
}

static void kwargs_part(const struct kit_args *args)
{
    (void)args;
    kwargs = (struct worker_kwargs){.sec = 2, .name = "Daivl"};   /* args=(2,), kwargs={...} */
    pid_t pid = kit_start(worker, 0, "Worker");                   /* name="Worker" */
    kit_say("Process name: Worker, PID: %ld", (long)pid);
    int status;
    kit_join(pid, &status, -1);
    char text[64];
    kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "Worker %s",
               kit_status_str(status, text, sizeof text));
    kit_expect(strcmp(rep->name, "Daivl") == 0 && rep->sec == 2 && rep->lines == 3,
               "the child got sec = %g, name = '%s', and said so %d times", rep->sec, rep->name,
               rep->lines);
}

/* ---- 2 and 3. p.daemon = True, and the default False ------------------------ */
static int alive_fd = -1;       /* the write end of a pipe: only the clock keeps it open */

/* The notes' tm(): print the time every 2 s. The daemon's runs for ever. */
static void tm(int forever)
{
    for (int i = 0; forever || i < 3; i++) {
        kit_sleep(2 * unit());
        char now[32];
        time_t t = time(NULL);
        strftime(now, sizeof now, "%a %b %e %H:%M:%S %Y", localtime(&t));   /* ctime() */
        kit_say("%s (tick %d)", now, i + 1);
        rep->ticks++;
    }
}

/* The notes' main process: start the clock, sleep 5, print, end. */
static void main_program(int daemon)
{
    pid_t pid = kit_start(tm, daemon, "tm");
    if (close(alive_fd) == -1)  /* ours: now only the clock holds the pipe open */
        kit_die("close");
    kit_sleep(5 * unit());
    kit_say("main process exit");
    rep->ticks_at_exit = rep->ticks;
    /* What Python's atexit handler does as the main process ends: terminate()
     * each daemon child, then join every child, daemon or not. */
    if (daemon && kill(pid, SIGTERM) == -1)
        kit_die("kill");
    kit_join(pid, &rep->status, -1);
}

static void run_main(int daemon)
{
    int fd[2];
    if (pipe(fd) == -1)
        kit_die("pipe");
    alive_fd = fd[1];
    rep->ticks = 0;
    pid_t pid = kit_start(main_program, daemon, "main");
    if (close(fd[1]) == -1)
        kit_die("close");
    int status;
    kit_join(pid, &status, -1);
    char text[64];
    kit_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the main process %s",
               kit_status_str(status, text, sizeof text));
    /* End of file on the pipe: every process that held its write end is gone. */
    struct pollfd p = {.fd = fd[0], .events = POLLIN};
    char byte;
    bool gone = poll(&p, 1, 1000) == 1 && read(fd[0], &byte, 1) == 0;
    kit_expect(gone, "no clock left: EOF on the pipe only the clock held open");
    if (close(fd[0]) == -1)
        kit_die("close");
}

static void daemon_part(const struct kit_args *args)
{
    (void)args;
    run_main(1);
    char text[64];
    kit_expect(WIFSIGNALED(rep->status) && WTERMSIG(rep->status) == SIGTERM,
               "daemon: clock %s at main's exit, %d ticks",
               kit_status_str(rep->status, text, sizeof text), rep->ticks);
}

static void not_daemon_part(const struct kit_args *args)
{
    (void)args;
    run_main(0);
    char text[64];
    kit_expect(WIFEXITED(rep->status) && WEXITSTATUS(rep->status) == 0 && rep->ticks == 3,
               "not a daemon: the clock ticked 3 times and %s", kit_status_str(rep->status, text,
               sizeof text));
    if (rep->ticks_at_exit < 3)
        kit_say("%d of its ticks came after 'main process exit'", 3 - rep->ticks_at_exit);
    else
        kit_say("all 3 ticks came before 'main process exit': a busy machine; not shown this run");
}

static const struct kit_part parts[] = {
    {"kwargs", "Process(target=worker, args=(2,), kwargs={'name': 'Daivl'}, name='Worker')",
     kwargs_part, true},
    {"daemon", "p.daemon = True: the child ends with the main process", daemon_part, true},
    {"not-daemon", "daemon False, the default: the child goes on after main's end", not_daemon_part,
     true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson19", .title = "Process options 创建进程",
        .idea = "a child's keyword arguments, and a daemon child that ends with its parent",
        .python = "Process(target=worker, args=(2,), kwargs={'name': 'Daivl'}, name='Worker')\n"
                  "p.daemon = True; p.start()   (note 002)",
        .mechanism = "a struct with named fields, copied by fork(); SIGTERM + waitpid at main's end",
        .watch = "I'm Daivl three times; the clock stopping at 'main process exit', or not",
        .parts = parts, .show_ms = true};
    rep = kit_shared_alloc(sizeof *rep);
    int verdict = kit_main(&lesson, argc, argv);
    kit_shared_free(rep, sizeof *rep);
    return verdict;
}
