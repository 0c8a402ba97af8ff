/* fork_join.c - start processes, join them, and read how they ended
 *
 * Python (notes 000, 002, 004):
 *     p = mp.Process(target=job, args=(1, 2)); p.start(); p.join()
 *     p.is_alive(); p.join(3); p.terminate(); p.exitcode
 *     class ClockProcess(Process): def run(self): ...
 * C: fork() makes the child, a copy of the parent running the same code.
 *    The child runs the target and ends with _exit(); the parent "joins" it
 *    with waitpid(), which also reads its exit status and frees its entry in
 *    the process table. An exited child that nobody has waited for yet is a
 *    zombie.
 *
 * Usage: ./lesson01 [-q] [-w N] [-n N]    (--help for details)
 *
 * Watch for: the pid and ppid of each child; join(timeout) returning while
 * the child is still alive; three chores finishing in the order of their
 * lengths, not the order they started; a child killed by SIGTERM; the
 * parent's global still 1 after the child set it to 10000; a zombie's
 * state 'Z' read from /proc before it is reaped.
 * Try next: delete the waitpid() in zombie_demo and run `ps -o pid,stat,cmd`
 * while it sleeps. Compare with lesson 04 (memory that IS shared).
 */
#include "legacy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: lesson01 [options]\n"
    "Start child processes, join them, and read how they ended (Python's Process).\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing: finish in well under a second\n"
    "  -w, --workers N    children in the start-and-join loop (1..8, default 3)\n"
    "  -n, --count N      ticks of the ClockProcess (1..20, default 3)\n";

/* One time unit. Children sleep whole units so that the order of events is
 * visible; --quick shrinks the unit, the order stays the same. */
static double unit = 0.5;
/* A chore lasts a whole number of steps. With --quick the steps shrink less
 * than the unit: the finishing order is what the lesson checks, and a gap
 * much shorter than 40 ms can be swallowed by a busy machine's scheduler. */
static double step = 0.25;

/* ---- Python's Process, as a struct -------------------------------------- */
struct process {
    const char *name;
    void (*run)(struct process *self); /* Process.run(): by default, target(args) */
    void (*target)(const void *args);
    const void *args;
    pid_t pid;                         /* 0 until start() */
    int status;                        /* wait status, once joined */
    bool joined;
};

static void default_run(struct process *self) { self->target(self->args); }

static void process_start(struct process *p)
{
    /* fork() copies everything, stdio buffers included: text that printf
     * left in stdout's buffer would be printed by parent AND child. Our
     * output goes out with one write(2) per line (kit_say), so no buffer
     * holds anything here; with printf, call fflush(stdout) first. */
    switch (p->pid = fork()) {
    case -1:
        kit_die("fork");
    case 0:                            /* the child: run, then leave */
        kit_set_role("%s", p->name);
        p->run(p);
        /* _exit, not exit or return: the child must not run the parent's
         * atexit handlers or flush copies of the parent's stdio buffers. */
        _exit(EXIT_SUCCESS);
    default:                           /* the parent: carry on at once */
        return;
    }
}

/* join(timeout): wait up to `seconds` (< 0: forever). Returns true when the
 * child has ended; false means it is still alive after the timeout. */
static bool process_join(struct process *p, double seconds)
{
    if (p->joined)
        return true;
    double deadline = kit_now() + seconds;
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, seconds < 0 ? 0 : WNOHANG);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            kit_die("waitpid");
        if (r == p->pid)
            return p->joined = true;
        if (kit_now() >= deadline)
            return false;              /* like Python: no error, just still alive */
        kit_sleep(0.001);
    }
}

/* is_alive(): waitpid with WNOHANG answers "has it ended?" without blocking,
 * and reaps it if so. kill(pid, 0) would be wrong: it succeeds on a zombie. */
static bool process_is_alive(struct process *p)
{
    return p->pid != 0 && !process_join(p, 0);
}

/* ---- 1. Process(target=job, args=(1, 2)) ---------------------------------- */
struct job_args { int a, b; };

static void job(const void *args)
{
    const struct job_args *ja = args;
    kit_say("job(a=%d, b=%d): my pid %ld, my parent %ld", ja->a, ja->b,
            (long)getpid(), (long)getppid());
}

/* ---- 2. class ClockProcess(Process): run() overridden -------------------- */
struct clock_process {
    struct process base;               /* first member: a clock_process IS a process */
    int ticks;
};

static void clock_run(struct process *self)
{
    const struct clock_process *c = (const struct clock_process *)self;
    for (int i = 1; i <= c->ticks; i++) {
        kit_say("tick %d of %d", i, c->ticks);
        kit_sleep(unit / 2);
    }
}

/* ---- 3 and 4. workers that sleep, chores of different lengths ------------- */
static void worker(const void *args)
{
    int units = *(const int *)args;
    for (int i = 1; i <= 3; i++) {
        kit_sleep(units * unit);
        kit_say("I'm working... (%d of 3)", i);
    }
}

/* The starting gate: a pipe nobody writes to. Each chore blocks in read()
 * until the parent closes the write end after forking them all; read()
 * then returns 0 (end-of-file) in every child at once. So all chores start
 * together, however long each fork() took (lesson 06 explains pipes). */
enum { READ_END, WRITE_END };
static int gate[2];

static void chore(const void *args)
{
    char c;
    if (close(gate[WRITE_END]) == -1)  /* or we would wait for ourselves */
        kit_die("close");
    if (read(gate[READ_END], &c, 1) == -1)
        kit_die("read");
    kit_sleep(*(const int *)args * step);
    kit_say("done after %d steps", *(const int *)args);
}

/* ---- 6. copy-on-write: the child gets a copy of every global --------------- */
static int a = 1;

static void set_global(const void *args)
{
    (void)args;
    a = 10000;
    kit_say("child: a = %d", a);
}

static void sleep_long(const void *args)
{
    (void)args;
    kit_sleep(60);                     /* terminate() ends this long before */
}

static void exit_three(const void *args)
{
    (void)args;
    _exit(3);
}

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

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 3, .workers_min = 1, .workers_max = 8,
                            .count = 3, .count_min = 1, .count_max = 20};
    static const struct option longopts[] = {KIT_LONGOPTS, {0}};
    kit_set_usage(usage);
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;)
        if (!kit_common_opt(opt, &args))
            kit_usage_error("unknown option");
    kit_no_operands(argc, argv);
    if (args.quick) {
        unit = 0.02;
        step = 0.04;
    }
    kit_show_ms(true);
    char text[128];

    kit_section("1. Process(target=job, args=(1, 2)): start and join");
    kit_say("my pid %ld, my parent (the shell) %ld", (long)getpid(), (long)getppid());
    struct job_args ja = {1, 2};
    struct process p1 = {.name = "Process-1", .run = default_run, .target = job, .args = &ja};
    process_start(&p1);
    process_join(&p1, -1);
    kit_expect(WIFEXITED(p1.status) && WEXITSTATUS(p1.status) == 0,
               "Process-1 (pid %ld) %s", (long)p1.pid, kit_status_str(p1.status, text, sizeof text));

    kit_section("2. a Process subclass: ClockProcess with its own run()");
    struct clock_process clock = {.base = {.name = "ClockProcess", .run = clock_run},
                                  .ticks = (int)args.count};
    process_start(&clock.base);
    process_join(&clock.base, -1);
    kit_expect(WIFEXITED(clock.base.status), "ClockProcess ticked %d times and %s", clock.ticks,
               kit_status_str(clock.base.status, text, sizeof text));

    kit_section("3. is_alive() and join(timeout)");
    int two = 2;
    struct process w = {.name = "Worker", .run = default_run, .target = worker, .args = &two};
    process_start(&w);
    kit_say("name %s, pid %ld, is_alive() = %s", w.name, (long)w.pid,
            process_is_alive(&w) ? "True" : "False");
    bool ended = process_join(&w, 3 * unit);
    kit_expect(!ended && process_is_alive(&w),
               "join(%.2f s) returned while the worker is still alive", 3 * unit);
    process_join(&w, -1);
    kit_expect(!process_is_alive(&w), "join() waited for the end: is_alive() = False");

    kit_section("4. %ld chores started in a loop, reaped as they finish", args.workers);
    static const char *const names[] = {"eat 吃饭", "sleep 睡觉", "play 打豆豆"};
    static const int notes_len[] = {3, 2, 4};   /* the notes' sleep(3), sleep(2), sleep(4) */
    struct process chores[8];
    int length[8];
    char chore_name[8][32];
    if (pipe(gate) == -1)
        kit_die("pipe");
    for (int i = 0; i < args.workers; i++) {
        length[i] = i < 3 ? notes_len[i] : i + 2;
        snprintf(chore_name[i], sizeof chore_name[i], "%s", i < 3 ? names[i] : "chore");
        chores[i] = (struct process){.name = chore_name[i], .run = default_run,
                                     .target = chore, .args = &length[i]};
        process_start(&chores[i]);
    }
    if (close(gate[WRITE_END]) == -1 || close(gate[READ_END]) == -1)
        kit_die("close");                 /* opens the gate */
    /* waitpid(-1) returns whichever child ends first. (The notes join in
     * start order; every child is reaped either way, but here we see who
     * finished when.) */
    int finished[8];
    for (int done = 0; done < args.workers; done++) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, 0)) == -1 && errno == EINTR)
            ;
        if (pid == -1)
            kit_die("waitpid");
        for (int i = 0; i < args.workers; i++)
            if (chores[i].pid == pid) {
                chores[i].status = status;
                chores[i].joined = true;
                finished[done] = length[i];
                kit_say("reaped %s (pid %ld), %d steps long", chores[i].name,
                        (long)pid, length[i]);
            }
    }
    bool in_order = true;
    for (int i = 1; i < args.workers; i++)
        in_order &= finished[i - 1] < finished[i];
    kit_expect(in_order, "they finished shortest first, not in start order");

    kit_section("5. exit status: exitcode and terminate()");
    struct process e3 = {.name = "exit-3", .run = default_run, .target = exit_three};
    process_start(&e3);
    process_join(&e3, -1);
    kit_expect(WIFEXITED(e3.status) && WEXITSTATUS(e3.status) == 3,
               "exit-3 %s (Python: exitcode 3)", kit_status_str(e3.status, text, sizeof text));
    struct process t = {.name = "sleeper", .run = default_run, .target = sleep_long};
    process_start(&t);
    kit_pace(unit);
    if (kill(t.pid, SIGTERM) == -1)    /* what Python's terminate() sends */
        kit_die("kill");
    process_join(&t, -1);
    kit_expect(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGTERM,
               "sleeper %s (Python: exitcode -15)", kit_status_str(t.status, text, sizeof text));

    kit_section("6. each process has its own memory: a = 1 in the parent");
    struct process cw = {.name = "copy", .run = default_run, .target = set_global};
    process_start(&cw);
    process_join(&cw, -1);
    kit_expect(a == 1, "parent: a = %d after the child set its copy to 10000", a);

    kit_section("7. a zombie: ended, but not yet joined");
    struct process z = {.name = "zombie", .run = default_run, .target = job, .args = &ja};
    process_start(&z);
    /* WNOWAIT: wait until it has exited but leave it unreaped, a zombie. */
    siginfo_t info;
    while (waitid(P_PID, (id_t)z.pid, &info, WEXITED | WNOWAIT) == -1)
        if (errno != EINTR)
            kit_die("waitid");
    char state = proc_state(z.pid);
    kit_expect(state == 'Z', "/proc/%ld/stat says state '%c' (Z = zombie)", (long)z.pid, state);
    kit_say("kill(pid, 0) = %d: it 'exists', although it has ended", kill(z.pid, 0));
    kit_pace(unit);
    kit_expect(!process_is_alive(&z), "is_alive() = False, and that waitpid reaped it");
    state = proc_state(z.pid);
    kit_expect(state == '?', "/proc/%ld is gone after reaping", (long)z.pid);

    kit_section("verdict");
    return kit_verdict();
}
