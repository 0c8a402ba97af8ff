/* soak.c - `make soak`: every lesson's --quick, many times, idle and loaded.
 *
 * A check that holds once may fail one run in fifty, or only when the CPUs
 * are busy. So every lesson runs --quick RUNS times (default 30) on the
 * machine as it is, then RUNS times with every CPU saturated by a busy
 * loop, and each run is counted by what went wrong:
 *   FAIL      the verdict said FAIL
 *   wrong     the verdict said PASS but a line said FAIL (a lie)
 *   exit      a non-zero exit status (FAIL verdicts included)
 *   hang      still running after 20 s (killed)
 *   left      a process, zombie or /dev/shm name left behind (run.c)
 *   stderr    anything on stderr
 * One table per phase; the exit status is 1 if any count is not zero.
 *
 * The runs come from a child process (run.c makes it a subreaper and reaps
 * every child it has), so the busy loops are its siblings, not its
 * children: the controller below starts and ends them.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"
#include "run.h"

enum { MAX_LESSONS = 40, COLUMNS = 6 };
static const char *const column[COLUMNS] = {"FAIL", "wrong", "exit", "hang", "left", "stderr"};


/* One phase, in the runner process: the table; returns the bad runs. */
static int soak(const char *phase, int runs)
{
    char names[MAX_LESSONS][16];
    int n = find_lessons(names, MAX_LESSONS), bad_total = 0;
    printf("\n%s: %d runs of --quick per lesson\n%-9s", phase, runs, "lesson");
    for (int c = 0; c < COLUMNS; c++)
        printf(" %6s", column[c]);
    printf(" %8s %8s\n", "mean s", "max s");
    for (int i = 0; i < n; i++) {
        int count[COLUMNS] = {0};
        double sum = 0, most = 0;
        char first[600] = "";
        for (int k = 0; k < runs; k++) {
            struct lesson_run r = RUN(names[i], 20, "--quick");
            bool faults[COLUMNS] = {
                strstr(r.out, "VERDICT: FAIL") != NULL,
                strstr(r.out, "VERDICT: PASS") != NULL && strstr(r.out, "FAIL") != NULL,
                !r.timed_out && r.exit_code != 0,
                r.timed_out,
                r.leftovers > 0 || r.shm_left[0] != '\0',
                r.err[0] != '\0',
            };
            bool any = false;
            for (int c = 0; c < COLUMNS; c++) {
                count[c] += faults[c];
                any |= faults[c];
            }
            if (any && first[0] == '\0') {   /* the first bad run's lines, for the log */
                const char *fail = strstr(r.out, "FAIL");
                snprintf(first, sizeof first, "exit %d, %d left (%d running), shm '%.80s': %.300s",
                         r.exit_code, r.leftovers, r.running, r.shm_left, fail ? fail : r.err);
            }
            bad_total += any;
            sum += r.seconds;
            most = r.seconds > most ? r.seconds : most;
            run_free(&r);
        }
        printf("%-9s", names[i]);
        for (int c = 0; c < COLUMNS; c++)
            printf(" %6d", count[c]);
        printf(" %8.3f %8.3f\n", sum / runs, most);
        if (first[0] != '\0')
            printf("  first bad run: %.500s\n", first);
        fflush(stdout);
    }
    return bad_total;
}

/* Runs one phase in a child; returns its bad runs (capped at 255 by exit). */
static int phase_in_child(const char *phase, int runs)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        int bad = soak(phase, runs);
        fflush(stdout);
        _exit(bad > 255 ? 255 : bad);
    }
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

int main(int argc, char *argv[])
{
    int runs = argc > 1 ? (int)kit_parse_long("runs", argv[1], 1, 10000) : 30;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    double load[1] = {-1};
    getloadavg(load, 1);
    printf("make soak: %d runs per lesson and phase; %ld CPUs; load average %.2f at start\n", runs,
           cpus, load[0]);
    int idle = phase_in_child("idle (the machine as it is)", runs);

    pid_t busy[256];
    int nbusy = cpus > 256 ? 256 : (int)cpus;
    for (int i = 0; i < nbusy; i++) {
        busy[i] = fork();
        if (busy[i] == -1)
            kit_die("fork");
        if (busy[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no busy loop outlives us */
            for (volatile unsigned long spin = 0;; spin++)
                ;
        }
    }
    char phase[64];
    snprintf(phase, sizeof phase, "loaded (%d busy loops, one per CPU)", nbusy);
    int loaded = phase_in_child(phase, runs);
    for (int i = 0; i < nbusy; i++) {
        kill(busy[i], SIGKILL);
        waitpid(busy[i], NULL, 0);
    }
    printf("\nmake soak: %d bad runs idle, %d loaded, of %d each per lesson\n", idle, loaded, runs);
    return idle + loaded == 0 ? 0 : 1;
}
