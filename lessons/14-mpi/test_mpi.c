/* test_mpi.c - lesson 14 under mpirun: the ranks, the queue's order, the exact
 * total, a dead rank ending the job, and Ctrl-C of mpirun leaving nothing.
 * (--help, bad input, --list, --quick, signals of a lone rank: tests/test_lessons.c.)
 * mpirun runs with --oversubscribe (this machine may have fewer cores than
 * ranks) and, as root (CI), --allow-run-as-root. Every process of a run
 * carries MPKIT_MPI_MARK=<test pid> in its environment; /proc finds any left. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

TestSuite(lesson14, .timeout = 120);

struct mpi_run { int status; char out[65536]; int left; };

/* Processes whose environment holds our mark: still running after the job. */
static int marked_processes(bool kill_them)
{
    char mark[64];
    snprintf(mark, sizeof mark, "MPKIT_MPI_MARK=%ld", (long)getpid());
    int n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[300], env[32768];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t len = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
            env[len] = '\0';
            if (strcmp(env + i, mark) == 0 && atol(e->d_name) != getpid()) {
                n++;
                if (kill_them)
                    kill(atol(e->d_name), SIGKILL);
            }
        }
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* mpirun -np <np> lesson14 <args>, stdout and stderr together; with sig,
 * that signal goes to mpirun's process group once `when` is printed. */
static void mpi_run(struct mpi_run *r, int np, int sig, const char *when, const char *const args[])
{
    char nps[16], bin[256], mark[32];
    snprintf(nps, sizeof nps, "%d", np);
    snprintf(bin, sizeof bin, "%s/lesson14", getenv("MPKIT_BIN") ? getenv("MPKIT_BIN") : ".");
    snprintf(mark, sizeof mark, "%ld", (long)getpid());
    const char *argv[32] = {"mpirun", "--oversubscribe"};
    int k = 2;
    if (geteuid() == 0)
        argv[k++] = "--allow-run-as-root";
    argv[k++] = "-np";
    argv[k++] = nps;
    argv[k++] = bin;
    for (int i = 0; args[i] != NULL && k < 31; i++)
        argv[k++] = args[i];
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = test_fork();
    if (pid == 0) {
        setpgid(0, 0);                   /* a job of its own, as a shell makes it */
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        setenv("MPKIT_MPI_MARK", mark, 1);
        setenv("NO_COLOR", "1", 1);
        execvp("mpirun", (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(fd[1]);
    size_t len = 0;
    bool sent = sig == 0;
    for (int waited = 0; waited < 600;) {  /* 60 s in all */
        struct pollfd p = {.fd = fd[0], .events = POLLIN};
        if (poll(&p, 1, 100) == 0) {
            waited++;
            continue;
        }
        ssize_t n = read(fd[0], r->out + len, sizeof r->out - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        r->out[len] = '\0';
        if (!sent && strstr(r->out, when) != NULL) {
            kill(-pid, sig);
            sent = true;
        }
    }
    r->out[len] = '\0';
    close(fd[0]);
    cr_assert_eq(waitpid(pid, &r->status, 0), pid);
    r->left = marked_processes(false);
    for (int i = 0; i < 20 && r->left > 0; i++) {   /* give the kernel 2 s to end them */
        usleep(100000);
        r->left = marked_processes(false);
    }
    marked_processes(true);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        r->left++;                               /* a zombie re-parented to us */
}

Test(lesson14, four_ranks_pass_with_every_figure_right)
{
    static struct mpi_run r;
    mpi_run(&r, 4, 0, NULL, (const char *const[]){"--quick", NULL});
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status 0x%x\n%s", r.status,
              r.out);
    cr_assert(strstr(r.out, "VERDICT: PASS - all 6 checks held"), "%s", r.out);
    cr_assert(strstr(r.out, "MPI_Comm_size: 4 ranks"), "%s", r.out);
    long pid[4], ppid[4];
    for (int k = 0; k < 4; k++) {
        char key[32];
        snprintf(key, sizeof key, "] rank %d: pid ", k);
        const char *p = strstr(r.out, key);
        cr_assert(p && sscanf(p + strlen(key), "%ld, parent pid %ld", &pid[k], &ppid[k]) == 2);
        for (int j = 0; j < k; j++)
            cr_assert_neq(pid[j], pid[k], "ranks %d and %d share a pid", j, k);
        cr_assert_eq(ppid[k], ppid[0], "every rank is mpirun's child");
        cr_assert_neq(ppid[k], pid[0], "no rank is rank 0's child");
    }
    cr_assert(strstr(r.out, "all 12 arrived, each rank's in its own order (0 out of place)"));
    cr_assert(strstr(r.out, "map: [0, 1, 4, ..., 225], all 16 are f(x)"), "%s", r.out);
    /* the notes' n = 10,000,000: the sum past 2^64 that note 001 prints */
    cr_assert(strstr(r.out, "total 2499999833333358333330000000"), "%s", r.out);
    cr_assert_eq(r.left, 0, "%d process(es) left behind", r.left);
}

Test(lesson14, the_total_is_exact_for_awkward_n_and_rank_counts)
{
    static struct mpi_run r;
    mpi_run(&r, 3, 0, NULL, (const char *const[]){"-q", "--reduce", "-n", "1000003", NULL});
    cr_assert(strstr(r.out, "MPI_Reduce adds 3 part(s)"), "%s", r.out);
    /* sum of i + i^2 + i^3 for i < 1000003, from the closed form */
    cr_assert(strstr(r.out, "total 250002833345583357000017"), "%s", r.out);
    cr_assert(strstr(r.out, "VERDICT: PASS"), "%s", r.out);
    mpi_run(&r, 2, 0, NULL, (const char *const[]){"-q", "--reduce", "-n", "1", NULL});
    cr_assert(strstr(r.out, "total 0\n") && strstr(r.out, "VERDICT: PASS"), "%s", r.out);
}

Test(lesson14, a_rank_that_dies_ends_the_whole_job)
{
    static struct mpi_run r;
    mpi_run(&r, 3, 0, NULL, (const char *const[]){"-q", "--rank-dies", NULL});
    cr_assert(strstr(r.out, "rank 2 dies now"), "%s", r.out);
    cr_assert_null(strstr(r.out, "VERDICT"), "the job went on:\n%s", r.out);
    cr_assert(strstr(r.out, "signal 9"), "mpirun names the signal:\n%s", r.out);
    cr_assert(!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0, "mpirun exit 0");
    cr_assert_eq(r.left, 0, "%d process(es) left behind", r.left);
}

Test(lesson14, ctrl_c_of_mpirun_leaves_nothing_behind)
{
    static struct mpi_run r;
    /* paced: the producers still send, and rank 0 waits in MPI_Recv, when it comes */
    mpi_run(&r, 4, SIGINT, "producer rank(s) send",
            (const char *const[]){"--send-recv", "--barrier", NULL});
    cr_assert_null(strstr(r.out, "VERDICT"), "Ctrl-C came too late:\n%s", r.out);
    cr_assert(!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0, "%s", r.out);
    cr_assert_eq(r.left, 0, "%d process(es) left behind after Ctrl-C\n%s", r.left, r.out);
}
