/* run.c - run a lesson binary under a time limit and check what it left. */
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kit.h"

extern char **environ;

struct buffer {
    char *data;
    size_t len, cap;
};

static void append(struct buffer *b, const char *src, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL)
            kit_die("realloc");
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Reads what is there; false at end-of-file. */
static bool drain(int fd, struct buffer *b)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n == -1)
        kit_die("read");
    append(b, chunk, (size_t)n);
    return n > 0;
}

/* SIGKILLs every child of this process, whatever its group: a leftover
 * that left the lesson's group (setsid) is still ours, as subreaper. */
static void kill_our_children(void)
{
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL)
        return;
    for (struct dirent *t; (t = readdir(tasks)) != NULL;) {
        if (t->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        for (long child; fscanf(f, "%ld", &child) == 1;)
            kill((pid_t)child, SIGKILL);
        fclose(f);
    }
    closedir(tasks);
}

/* Reaps every child the lesson left to us; returns how many, and in
 * *running how many of them were still running (orphans, killed here)
 * rather than already dead (zombies). A process that is dying of the same
 * signal as the lesson (Ctrl-C reaches the whole group) gets a second to
 * finish before it counts as running. *group_left: a process of the
 * lesson's group was still there then. */
static int reap_leftovers(pid_t group, int *running, bool *group_left)
{
    int count = 0, status;
    pid_t pid;
    *running = 0;
    for (int tries = 0; tries < 100; tries++) {
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            count++;                     /* zombies re-parented to us */
        if (pid == -1)
            break;                       /* ECHILD: none left */
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    int wait_errno = errno;
    *group_left = kill(-group, 0) == 0;
    errno = wait_errno;
    if (pid == 0) {                      /* children still running: orphans */
        if (kill(-group, SIGKILL) == -1 && errno != ESRCH)
            kit_die("kill");
        kill_our_children();
        while ((pid = waitpid(-1, &status, 0)) > 0) {
            count++;
            ++*running;
        }
    }
    if (pid == -1 && errno != ECHILD)
        kit_die("waitpid");
    return count;
}

/* A process's state letter from /proc/PID/stat (R, S, D, T, Z, ...), or
 * '?' when it is gone. */
static char proc_state(long pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t len = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[len] = '\0';
    const char *end = strrchr(stat, ')');   /* "pid (comm) S ...": comm may hold spaces */
    return end == NULL || end[1] == '\0' ? '?' : end[2];
}

/* A process that has ended but is not reaped yet: a kill() still
 * "succeeds" on it, and changes nothing. */
static bool is_zombie(long pid)
{
    char state = proc_state(pid);
    return state == '?' || state == 'Z' || state == 'X';
}

/* SIGKILL that surely kills a live child: a SIGKILL sent to a child that
 * is already on its way out (past its _exit, not yet a zombie) changes
 * nothing, and the lesson would rightly pass. So stop it first: only a
 * live process stops (state T). Stopped, it dies of the SIGKILL for certain.
 * false (nothing sent) when it ended instead of stopping. */
static bool kill_live_child(pid_t child)
{
    if (kill(child, SIGSTOP) == -1)
        return false;                    /* gone already */
    for (double t0 = kit_now(); kit_now() - t0 < 0.5; kit_sleep(0.0002)) {
        char state = proc_state(child);
        if (state == 'T' || state == 't') {
            if (kill(child, SIGKILL) == -1)
                kit_die("kill");         /* a stopped child cannot go away by itself */
            return true;
        }
        if (state == '?' || state == 'Z' || state == 'X')
            return false;                /* it was ending: it ended */
    }
    if (kill(child, SIGKILL) == -1 && errno != ESRCH)   /* stuck in D for 0.5 s: kill anyway */
        kit_die("kill");
    return true;
}

/* The first running child /proc lists for the lesson's main thread, or 0. */
static pid_t first_child(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long child = 0, found = 0;
    while (found == 0 && fscanf(f, "%ld", &child) == 1)
        if (!is_zombie(child))
            found = child;
    fclose(f);
    return (pid_t)found;
}

/* Unlinks /dev/shm objects whose name carries -PID and lists them in out. */
static void shm_leftovers(pid_t pid, char *out, size_t size)
{
    char tag[32];
    snprintf(tag, sizeof tag, "-%ld", (long)pid);
    out[0] = '\0';
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL)
        return;                          /* no /dev/shm: nothing can be left there */
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const char *hit = strstr(e->d_name, tag);
        if (strstr(e->d_name, "mpkit") == NULL || hit == NULL)
            continue;
        char next = hit[strlen(tag)];
        if (next != '\0' && next != '-' && next != '.')
            continue;                    /* -4242 must not match -42420 */
        size_t used = strlen(out);
        if (snprintf(out + used, size - used, "%s%s", used ? " " : "", e->d_name) < 0)
            kit_die("snprintf");         /* too long a list is cut short: fine */
        if (unlinkat(dirfd(dir), e->d_name, 0) == -1)
            kit_die("unlinkat");
    }
    closedir(dir);
}

struct lesson_run run_lesson(const char *lesson, double limit, const char *const args[])
{
    return run_lesson_signal(lesson, limit, 0, true, NULL, args);
}

struct lesson_run run_lesson_signal(const char *lesson, double limit, int sig, bool group,
                                    const char *when, const char *const args[])
{
    struct run_fault f = {.sig = sig, .target = group ? RUN_TO_GROUP : RUN_TO_MAIN, .when = when};
    return run_lesson_fault(lesson, limit, &f, args);
}

struct lesson_run run_lesson_fault(const char *lesson, double limit, const struct run_fault *f,
                                   const char *const args[])
{
    struct lesson_run r = {.exit_code = -1};
    int sig = f->sig;
    double grace = f->grace > 0 ? f->grace : 0.5;
    double marked_at = -1;             /* when `when` was seen */

    /* Orphans of the lesson come to us, not to init, so we can count them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        kit_die("prctl");

    const char *dir = getenv("MPKIT_BIN");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : ".", lesson);
    const char *argv[64] = {path};
    size_t argc = 1;
    for (; args[argc - 1] != NULL && argc < 63; argc++)
        argv[argc] = args[argc - 1];
    argv[argc] = NULL;

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
        kit_die("pipe2");

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int e;
    if ((e = posix_spawn_file_actions_init(&fa)) != 0)
        kit_die_err("posix_spawn_file_actions_init", e);
    if ((e = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
        (e = posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO)) != 0 ||
        (e = posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO)) != 0)
        kit_die_err("posix_spawn_file_actions_add", e);
    if ((e = posix_spawnattr_init(&at)) != 0)
        kit_die_err("posix_spawnattr_init", e);

    /* Its own process group: a lesson that signals its whole group (Ctrl-C
     * goes to the foreground group) must not hit the test runner, and a
     * time-out can kill the lesson and all its children at once. Default
     * dispositions and an empty mask, whatever the runner had set. */
    sigset_t none, defaults;
    sigemptyset(&none);
    if (f->mask != NULL)
        none = *f->mask;
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    if ((e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                               POSIX_SPAWN_SETSIGDEF)) != 0 ||
        (e = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
        (e = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
        (e = posix_spawnattr_setsigdefault(&at, &defaults)) != 0)
        kit_die_err("posix_spawnattr_set", e);

    /* The extra variables first: they win over the runner's own. */
    size_t extra = 0, inherited = 0;
    while (f->env != NULL && f->env[extra] != NULL)
        extra++;
    while (environ[inherited] != NULL)
        inherited++;
    char **envp = calloc(extra + inherited + 1, sizeof *envp);
    if (envp == NULL)
        kit_die("calloc");
    for (size_t i = 0; i < extra; i++)
        envp[i] = (char *)f->env[i];
    for (size_t i = 0; i < inherited; i++)
        envp[extra + i] = environ[i];

    double start = kit_now();
    pid_t pid;
    e = posix_spawn(&pid, path, &fa, &at, (char *const *)argv, envp);
    free(envp);
    if (e != 0)
        kit_die_err("posix_spawn", e);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (close(out[1]) == -1 || close(err[1]) == -1)
        kit_die("close");

    struct buffer bo = {0}, be = {0};
    append(&bo, "", 0);
    append(&be, "", 0);
    struct pollfd fds[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    bool exited = false, main_killed = false;
    double exited_at = 0;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, 10) == -1 && errno != EINTR)
            kit_die("poll");
        for (int i = 0; i < 2; i++)
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) &&
                !drain(fds[i].fd, i == 0 ? &bo : &be))
                fds[i].fd = -1;          /* end of file */
        if (sig != 0 && !exited && marked_at < 0 && (f->when == NULL || strstr(bo.data, f->when)))
            marked_at = kit_now();
        if (sig != 0 && !exited && marked_at >= 0 && kit_now() - marked_at >= f->delay_ms / 1e3) {
            pid_t to = f->target == RUN_TO_GROUP ? -pid : pid;
            if (f->target == RUN_TO_CHILD)
                to = first_child(pid);
            if (to != 0) {               /* no child yet: try again next round */
                bool sent;
                if (f->target == RUN_TO_CHILD && sig == SIGKILL) {
                    sent = kill_live_child(to);   /* false: it was ending; try another */
                } else {
                    sent = kill(to, sig) == 0;
                    if (!sent && errno != ESRCH)
                        kit_die("kill");
                }
                if (sent) {
                    r.sent = true;
                    r.sent_at = kit_now() - start;
                    r.victim = f->target == RUN_TO_CHILD ? to : 0;
                }
                sig = r.sent || f->target != RUN_TO_CHILD ? 0 : sig;   /* once */
            }
        }
        if (f->then_main_ms > 0 && r.sent && !main_killed && !exited &&
            kit_now() - start - r.sent_at >= f->then_main_ms / 1e3) {
            if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
                kit_die("kill");
            main_killed = true;
        }
        if (!exited && waitpid(pid, &r.status, WNOHANG) == pid) {
            exited = true;
            exited_at = kit_now();
            r.seconds = exited_at - start;
        }
        if (exited && kit_now() - exited_at > grace)
            break;                       /* a leftover child still holds the pipes */
        if (!exited && !r.timed_out && kit_now() - start > limit) {
            r.timed_out = true;
            if (kill(-pid, SIGKILL) == -1 && errno != ESRCH)
                kit_die("kill");
        }
    }
    if (!exited) {
        if (waitpid(pid, &r.status, 0) == -1)
            kit_die("waitpid");
        r.seconds = kit_now() - start;
    }
    close(out[0]);
    close(err[0]);
    r.out = bo.data;
    r.err = be.data;
    if (WIFEXITED(r.status))
        r.exit_code = WEXITSTATUS(r.status);
    r.pid = pid;
    r.leftovers = reap_leftovers(pid, &r.running, &r.group_left);
    shm_leftovers(pid, r.shm_left, sizeof r.shm_left);
    return r;
}

void run_free(struct lesson_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

pid_t test_fork(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            kit_die("prctl");
        if (getppid() != parent)       /* the parent died before prctl */
            _exit(EXIT_FAILURE);
    }
    return pid;
}

size_t count_of(const char *text, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += len)
        n++;
    return n;
}

bool number_after(const char *text, const char *key, double *value)
{
    const char *p = strstr(text, key);
    if (p == NULL)
        return false;
    p += strlen(key);
    char *end;
    *value = strtod(p, &end);
    return end != p;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

int find_lessons(char names[][16], int max)
{
    DIR *dir = opendir("lessons");
    if (dir == NULL)
        kit_die("opendir lessons");
    const char *only = getenv("MPKIT_ONLY");
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL && n < max;)
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && e->d_name[2] == '-') {
            snprintf(names[n], 16, "lesson%.2s", e->d_name);
            if (only == NULL || strstr(only, names[n]) != NULL)
                n++;
        }
    closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    if (n == 0)
        kit_fail("no lesson found in lessons/%s", only ? " that MPKIT_ONLY names" : "");
    return n;
}
