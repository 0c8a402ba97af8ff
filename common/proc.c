/* proc.c - children: start, join, the stop path; shared memory; the gate;
 * guarded names.
 *
 * The stop path is the one Ctrl-C policy of the kit. Ctrl-C sends SIGINT to
 * every process of the terminal's job, `kill PID` (SIGTERM) reaches the
 * parent alone, a closed terminal sends SIGHUP. Either way the parent must
 * not die first and leave children blocked for ever (or for init to reap),
 * nor leave a name in /dev/shm. So it passes the signal on to every child it
 * has not joined yet, reaps them all, unlinks its names, and only then dies
 * of the signal itself, so that its own parent (the shell) sees how it ended.
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_CHILDREN = 256, MAX_NAMES = 16, PATH_BYTES = 96 };

/* Started, not joined yet. Read by the signal handler, hence volatile
 * sig_atomic_t (a pid_t is an int on Linux). */
static volatile sig_atomic_t children[MAX_CHILDREN];
static volatile sig_atomic_t children_n;

/* Guarded names, as the three paths they can have: shm_open() makes
 * /dev/shm/NAME, sem_open() /dev/shm/sem.NAME, mq_open() /dev/mqueue/NAME.
 * unlink() of a path is async-signal-safe; shm_unlink(), sem_unlink() and
 * mq_unlink() are not said to be. */
enum { PATHS = 3 };
static char guarded[MAX_NAMES][PATHS][PATH_BYTES];
static volatile sig_atomic_t guarded_n;

static void block_stop_signals(sigset_t *old)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &stop, old) == -1)
        kit_die("sigprocmask");
}

static void restore_mask(const sigset_t *old)
{
    if (sigprocmask(SIG_SETMASK, old, NULL) == -1)
        kit_die("sigprocmask");
}

/* ---- the stop path: only async-signal-safe calls ------------------------- */
static void pause_10ms(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Children forked with a bare fork() (lessons 01 and 07 show it) are in no
 * list of ours, but the kernel knows them: /proc/thread-self/children lists
 * a thread's running children. open, read and close are async-signal-safe;
 * the number is parsed by hand, as strtol is not said to be. */
static void signal_unlisted_children(int sig)
{
    int fd = open("/proc/thread-self/children", O_RDONLY);
    if (fd == -1)
        return;
    char buf[4096];
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    long pid = 0;
    for (ssize_t i = 0; i < len; i++) {
        if (buf[i] >= '0' && buf[i] <= '9') {
            pid = pid * 10 + (buf[i] - '0');
        } else {
            if (pid > 0)
                kill((pid_t)pid, sig);
            pid = 0;
        }
    }
}

static void stop_path(int sig)
{
    signal_unlisted_children(sig);
    int n = children_n;
    for (int i = 0; i < n; i++)
        kill(children[i], sig);
    /* A second to end by themselves (a child may clean up after SIGTERM). */
    for (int tries = 0; tries < 100; tries++) {
        bool left = false;
        for (int i = 0; i < n; i++)
            if (children[i] != 0) {
                pid_t r = waitpid(children[i], NULL, WNOHANG);
                if (r == 0)
                    left = true;
                else
                    children[i] = 0;   /* reaped, or not ours any more */
            }
        if (!left)
            break;
        pause_10ms();
    }
    for (int i = 0; i < n; i++)
        if (children[i] != 0) {
            kill(children[i], SIGKILL);
            while (waitpid(children[i], NULL, 0) == -1 && errno == EINTR)
                ;
        }
    /* Reap whatever is left, listed or not; then none is a zombie. */
    signal_unlisted_children(SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    children_n = 0;
    int g = guarded_n;
    for (int i = 0; i < g; i++) {
        for (int p = 0; p < PATHS; p++)
            unlink(guarded[i][p]);
    }
    guarded_n = 0;
}

static void on_stop_signal(int sig)
{
    int saved = errno;
    if (kit_is_main())
        stop_path(sig);
    /* Die of the signal: back to the default action, and send it again.
     * It is blocked while we are in here, so it arrives as we return. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
    errno = saved;
}

void kit_stop_children(int sig)
{
    sigset_t old;
    block_stop_signals(&old);
    stop_path(sig);
    restore_mask(&old);
}

void kit_stop_policy(void)
{
    sigset_t none;
    sigemptyset(&none);
    /* What an exec'd program inherits can be anything: a blocked or an
     * ignored SIGCHLD (then waitpid() finds no child at all) would break
     * every lesson. Set what we rely on. */
    if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
        kit_die("sigprocmask");
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) == -1)
        kit_die("sigaction");
    sa.sa_handler = on_stop_signal;
    sigaddset(&sa.sa_mask, SIGINT);    /* one stop at a time */
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
        sigaction(SIGHUP, &sa, NULL) == -1)
        kit_die("sigaction");
    /* A child's own children (lesson 19's clock, a pool's helpers) would go to
     * init when their parent dies first, where no stop path can reap them. As
     * a "child subreaper" this process adopts them instead (Linux 3.4), and the
     * stop path's waitpid(-1) reaps them too. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        kit_die("prctl");
}

/* ---- starting and joining ------------------------------------------------ */
pid_t kit_start(void (*body)(int id), int id, const char *role_fmt, ...)
{
    char role[64];
    va_list ap;
    va_start(ap, role_fmt);
    vsnprintf(role, sizeof role, role_fmt, ap);
    va_end(ap);
    if (children_n == MAX_CHILDREN)
        kit_fail("more than %d children at once", MAX_CHILDREN);

    /* The stop signals wait while we fork and note the child down: a
     * Ctrl-C in between would miss the child, or run the parent's handler
     * in the child. Output is one write(2) per line (out.c), so no stdio
     * buffer holds text that fork() would copy into the child. */
    sigset_t old;
    block_stop_signals(&old);
    pid_t parent = getpid();
    pid_t pid = fork();
    switch (pid) {
    case -1:
        kit_die("fork");               /* the stop path ends the children started so far */
    case 0: {
        children_n = 0;                /* the parent's children are not ours */
        guarded_n = 0;                 /* nor are its names */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigemptyset(&dfl.sa_mask);
        if (sigaction(SIGINT, &dfl, NULL) == -1 || sigaction(SIGTERM, &dfl, NULL) == -1 ||
            sigaction(SIGHUP, &dfl, NULL) == -1)
            kit_die("sigaction");
        /* Die with the parent, even of SIGKILL (no orphan). If it died
         * before this call, we were already adopted: getppid() changed. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            kit_die("prctl");
        if (getppid() != parent)
            _exit(EXIT_FAILURE);
        kit_set_role("%s", role);
        restore_mask(&old);
        kit_trace("start", role);
        body(id);
        kit_trace("exit", "body returned: _exit(0)");
        _exit(EXIT_SUCCESS);           /* never return into the parent's code */
    }
    default:
        children[children_n] = pid;
        children_n = children_n + 1;
        restore_mask(&old);
        return pid;
    }
}

/* Joined: no longer ours to signal. The last entry moves into the gap
 * before the count shrinks, so a handler running in between sees it twice
 * (a harmless second kill), never not at all. */
static void forget(pid_t pid, int status)
{
    if (kit_tracing()) {
        char text[96], how[64];
        snprintf(text, sizeof text, "joined %ld: %s", (long)pid,
                 kit_status_str(status, how, sizeof how));
        kit_trace("join", text);
    }
    for (int i = 0; i < children_n; i++)
        if (children[i] == pid) {
            children[i] = children[children_n - 1];
            children_n = children_n - 1;
            return;
        }
}

int kit_children(void) { return children_n; }

bool kit_join(pid_t pid, int *status, double seconds)
{
    int ignored;
    if (status == NULL)
        status = &ignored;
    if (seconds < 0) {
        while (waitpid(pid, status, 0) == -1)
            if (errno != EINTR)
                kit_die("waitpid");
        forget(pid, *status);
        return true;
    }
    /* Poll with WNOHANG every millisecond: simple, never early, and exact
     * enough for a watchdog whose limits are tenths of a second. */
    double deadline = kit_now() + seconds;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            forget(pid, *status);
            return true;
        }
        if (r == -1 && errno != EINTR)
            kit_die("waitpid");
        if (kit_now() >= deadline)
            return false;
        kit_sleep(0.001);
    }
}

void kit_kill_join(pid_t pid, int *status)
{
    if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
        kit_die("kill");
    kit_join(pid, status, -1);
}

bool kit_join_all(double seconds)
{
    double deadline = kit_now() + seconds;
    bool all_ok = true;
    char text[64];
    while (children_n > 0) {
        pid_t pid = children[0];
        int status;
        double left = deadline - kit_now();
        if (!kit_join(pid, &status, seconds < 0 ? -1 : left > 0 ? left : 0)) {
            kit_kill_join(pid, &status);
            kit_expect(false, "child %ld still running after %.1f s: killed", (long)pid, seconds);
            all_ok = false;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            kit_expect(false, "child %ld %s", (long)pid, kit_status_str(status, text, sizeof text));
            all_ok = false;
        }
    }
    return all_ok;
}

const char *kit_status_str(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (SIG%s)%s", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
                 WCOREDUMP(status) ? " (core dumped)" : "");
    else if (WIFSTOPPED(status))
        snprintf(buf, size, "stopped by signal %d", WSTOPSIG(status));
    else
        snprintf(buf, size, "unknown status 0x%x", (unsigned)status);
    return buf;
}

/* ---- shared memory ------------------------------------------------------- */
void *kit_shared_alloc(size_t size)
{
    /* MAP_SHARED: after fork, parent and child see the same pages.
     * (MAP_PRIVATE, like all ordinary memory, would be copied on write.) */
    void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED)
        kit_die("mmap");
    return addr;
}

void kit_shared_free(void *addr, size_t size)
{
    if (munmap(addr, size) == -1)
        kit_die("munmap");
}

/* ---- the starting gate --------------------------------------------------- */
enum { READ_END, WRITE_END };

void kit_gate_init(struct kit_gate *gate)
{
    if (pipe(gate->fd) == -1)
        kit_die("pipe");
}

void kit_gate_wait(struct kit_gate *gate)
{
    /* Our own copy of the write end first: a reader sees end of file only
     * when every write end is closed, ours included. */
    if (close(gate->fd[WRITE_END]) == -1)
        kit_die("close");
    char c;
    ssize_t n;
    kit_span_begin("gate");
    while ((n = read(gate->fd[READ_END], &c, 1)) == -1 && errno == EINTR)
        ;
    kit_span_end("gate");
    if (n == -1)
        kit_die("read");
    if (close(gate->fd[READ_END]) == -1)
        kit_die("close");
}

void kit_gate_open(struct kit_gate *gate)
{
    if (close(gate->fd[WRITE_END]) == -1 || close(gate->fd[READ_END]) == -1)
        kit_die("close");
}

/* ---- guarded names ------------------------------------------------------- */
const char *kit_object_name(char *buf, size_t size, const char *what)
{
    snprintf(buf, size, "/mpkit-%s-%ld", what, (long)getpid());
    if (guarded_n == MAX_NAMES)
        kit_fail("more than %d guarded names at once", MAX_NAMES);
    sigset_t old;
    block_stop_signals(&old);
    char (*paths)[PATH_BYTES] = guarded[guarded_n];
    snprintf(paths[0], PATH_BYTES, "/dev/shm%s", buf);
    snprintf(paths[1], PATH_BYTES, "/dev/shm/sem.%s", buf + 1);
    snprintf(paths[2], PATH_BYTES, "/dev/mqueue%s", buf);
    for (int i = 0; i < PATHS; i++)    /* a leftover of a killed run with our pid */
        if (unlink(paths[i]) == -1 && errno != ENOENT)
            kit_die("unlink");
    guarded_n = guarded_n + 1;
    restore_mask(&old);
    return buf;
}

void kit_object_unlinked(const char *name)
{
    sigset_t old;
    block_stop_signals(&old);
    for (int i = 0; i < guarded_n; i++)
        if (strcmp(guarded[i][0] + strlen("/dev/shm"), name) == 0) {
            memcpy(guarded[i], guarded[guarded_n - 1], sizeof guarded[i]);
            guarded_n = guarded_n - 1;
            break;
        }
    restore_mask(&old);
}
