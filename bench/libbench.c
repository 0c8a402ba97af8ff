/* libbench.c - the job, the split, timed process and thread runs, and the
 * data-file header that every mpkit benchmark shares. */
#include "bench.h"

#include <dirent.h>

#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <poll.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kit.h"

extern char **environ;

/* ONE compiled copy of the loop for every runner. Left to itself, gcc -O2
 * inlined the job into the sequential runner, the process child and the
 * thread body: three copies, each with its own registers and its own place
 * against the 16/32-byte fetch boundaries, and the thread's copy ran 8 %
 * faster than the sequential one (0.076 s against 0.082 s for n = 10^8 on
 * an AMD EPYC): speedups above the core count. noinline keeps one copy;
 * aligned(64) puts it at the same place in every build. */
__attribute__((noinline, aligned(64))) bench_u128 bench_job(uint64_t lo, uint64_t hi)
{
    bench_u128 res = 0;
    for (uint64_t i = lo; i < hi; i++) {
        /* An empty asm that "changes" i: the compiler can no longer see the
         * loop as a polynomial and replace it by its closed form, so the
         * benchmark really does the notes' 10 million steps. */
        __asm__ volatile("" : "+r"(i));
        uint64_t sq = i * i;            /* fits: i < 2^32 */
        res += i + sq + (bench_u128)sq * i;
    }
    return res;
}

bench_u128 bench_job_expected(uint64_t n)
{
    if (n == 0)
        return 0;
    /* sum i = n(n-1)/2, sum i^2 = (n-1)n(2n-1)/6, sum i^3 = (n(n-1)/2)^2 */
    bench_u128 m = n;
    bench_u128 s1 = m * (m - 1) / 2;
    bench_u128 s2 = (m - 1) * m * (2 * m - 1) / 6;
    return s1 + s2 + s1 * s1;
}

char *bench_u128_str(bench_u128 v, char *buf)
{
    char tmp[40];
    size_t len = 0;
    do {
        tmp[len++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < len; i++)
        buf[i] = tmp[len - 1 - i];
    buf[len] = '\0';
    return buf;
}

struct bench_range bench_split(uint64_t n, unsigned parts, unsigned k)
{
    /* q whole steps each, and the first r parts one more: no n * k product,
     * so no overflow however large n is. */
    uint64_t q = n / parts, r = n % parts;
    struct bench_range s;
    s.lo = k * q + (k < r ? k : r);
    s.hi = s.lo + q + (k < r ? 1 : 0);
    return s;
}

/* What every runner's worker does, sequential, process or thread: the same
 * call of the same function, so the three are timed over the same code. */
static void run_slices(const struct bench_range *rs, unsigned k, bench_u128 *sums)
{
    for (unsigned j = 0; j < k; j++)
        sums[j] = bench_job(rs[j].lo, rs[j].hi);
}

/* p children, child c running `each` slices from rs[c * each]. Returns the
 * wall time from the first fork to the last wait, or with `inner` the time
 * the (one) child spent in run_slices alone. */
static double fork_run(const struct bench_range *rs, unsigned p, unsigned each, bench_u128 *sums,
                       bool inner)
{
    /* One slot per slice in memory that parent and children share: fork
     * gives each child a copy of ordinary memory, so a result written
     * there would never reach the parent. */
    struct shared {
        double seconds;
        bench_u128 slot[];
    } *sh = kit_shared_alloc(sizeof *sh + p * each * sizeof sh->slot[0]);
    pid_t *pids = calloc(p, sizeof *pids);
    if (pids == NULL)
        kit_die("calloc");
    fflush(NULL);   /* nothing buffered may be copied into the children */

    double t0 = kit_now();
    unsigned started = 0;
    for (; started < p; started++) {
        pid_t pid = fork();
        if (pid == -1)
            break;
        if (pid == 0) {
            double c0 = kit_now();
            run_slices(&rs[started * each], each, &sh->slot[started * each]);
            sh->seconds = kit_now() - c0;
            free(pids);   /* the child's copy: _exit frees nothing, valgrind checks children */
            _exit(0);
        }
        pids[started] = pid;
    }
    int fork_errno = errno;
    bool all_ok = true;
    for (unsigned k = 0; k < started; k++) {   /* reap every child, even after a failure */
        int status = bench_wait(pids[k]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            all_ok = false;
    }
    double t = inner ? sh->seconds : kit_now() - t0;
    if (started < p)
        kit_die_err("fork", fork_errno);
    if (!all_ok)
        kit_fail("a benchmark child failed");
    for (unsigned k = 0; k < p * each; k++)
        sums[k] = sh->slot[k];
    free(pids);
    kit_shared_free(sh, sizeof *sh + p * each * sizeof sh->slot[0]);
    return t;
}

/* The sequential baseline is the job alone: the same child, the same
 * run_slices, the same compiled bench_job as P = 1 process, timed inside
 * the child, so no start-up cost is counted (the parallel runs count theirs:
 * that is what the work chart shows). */
double bench_seq(const struct bench_range *rs, unsigned k, bench_u128 *sums)
{
    return fork_run(rs, 1, k, sums, true);
}

double bench_procs(const struct bench_range *rs, unsigned p, bench_u128 *sums)
{
    return fork_run(rs, p, 1, sums, false);
}

int bench_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    return status;
}

void bench_reap(pid_t pid, const char *what)
{
    int status = bench_wait(pid);
    char text[64];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("%s %s", what, kit_status_str(status, text, sizeof text));
}

struct slice {
    pthread_t tid;
    struct bench_range range;
    bench_u128 sum;
};

static void *thread_job(void *arg)
{
    struct slice *s = arg;
    run_slices(&s->range, 1, &s->sum);   /* threads share memory: no copy */
    return NULL;
}

double bench_threads(const struct bench_range *rs, unsigned p, bench_u128 *sums)
{
    struct slice *sl = calloc(p, sizeof *sl);
    if (sl == NULL)
        kit_die("calloc");
    double t0 = kit_now();
    for (unsigned k = 0; k < p; k++) {
        sl[k].range = rs[k];
        kit_check(pthread_create(&sl[k].tid, NULL, thread_job, &sl[k]));
    }
    for (unsigned k = 0; k < p; k++) {
        kit_check(pthread_join(sl[k].tid, NULL));
    }
    double t = kit_now() - t0;
    for (unsigned k = 0; k < p; k++)
        sums[k] = sl[k].sum;
    free(sl);
    return t;
}

/* The split and the adding up are outside the timing in both runners, so
 * processes and threads are timed over exactly the same steps. */
static double run_split(uint64_t n, unsigned p, bench_u128 *sum,
                        double (*runner)(const struct bench_range *, unsigned, bench_u128 *))
{
    struct bench_range *rs = calloc(p, sizeof *rs);
    bench_u128 *sums = calloc(p, sizeof *sums);
    if (rs == NULL || sums == NULL)
        kit_die("calloc");
    for (unsigned k = 0; k < p; k++)
        rs[k] = bench_split(n, p, k);
    double t = runner(rs, p, sums);
    *sum = 0;
    for (unsigned k = 0; k < p; k++)
        *sum += sums[k];
    free(rs);
    free(sums);
    return t;
}

double bench_run_processes(uint64_t n, unsigned p, bench_u128 *sum)
{
    return run_split(n, p, sum, bench_procs);
}

double bench_run_threads(uint64_t n, unsigned p, bench_u128 *sum)
{
    return run_split(n, p, sum, bench_threads);
}

struct bench_stats bench_stats(double *v, size_t n)
{
    struct bench_stats s;
    s.med = kit_median(v, n);   /* sorts v */
    s.min = v[0];
    s.max = v[n - 1];
    return s;
}

double bench_amdahl_fit(const unsigned *p, const double *speedup, size_t n, int cores)
{
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        double q = p[i] < (unsigned)cores ? p[i] : (unsigned)cores;
        double x = 1 - 1 / q, y = 1 / speedup[i] - 1 / q;
        sxy += x * y;
        sxx += x * x;
    }
    if (sxx == 0)
        return 0;   /* one core: nothing to fit, no serial part seen */
    /* Amdahl knows no slowdown: a run slower than sequential (start-up
     * costs bigger than the work) fits as s = 1, "no gain at all" */
    double s = sxy / sxx;
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

void bench_find_cpus(int *a, int *b)
{
    *a = *b = -1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == -1)
        kit_die("sched_getaffinity");
    for (int c = 0; c < CPU_SETSIZE && *b == -1; c++)
        if (CPU_ISSET(c, &set)) {
            if (*a == -1)
                *a = c;
            else
                *b = c;
        }
}

void bench_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        kit_die("sched_setaffinity");
}

int bench_cores(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

const char *bench_cpu_model(void)
{
    static char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return model;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            snprintf(model, sizeof model, "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
    return model;
}

static void make_parent_dirs(const char *path)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) == -1 && errno != EEXIST)
            kit_die("mkdir");
        *p = '/';
    }
}

/* An interrupted run (Ctrl-C, kill, a closed terminal) removes its
 * half-written NAME.part files: the handler unlinks them (unlink is
 * async-signal-safe), puts back whatever handled the signal before (kit's
 * stop path, or death) and sends the signal again, to be handled so as we
 * return. Only the process that opened them does: a forked child must not. */
enum { MAX_PART_FILES = 4 };
static char part_files[MAX_PART_FILES][520];
static volatile sig_atomic_t part_files_n;
static pid_t part_owner;
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction stop_before[3];

static void remove_part_files(int sig)
{
    if (getpid() == part_owner)
        for (int i = 0; i < part_files_n; i++)
            unlink(part_files[i]);
    for (int k = 0; k < 3; k++)
        if (stop_signals[k] == sig)
            sigaction(sig, &stop_before[k], NULL);
    raise(sig);
}

static void guard_part_file(const char *part)
{
    if (part_files_n == MAX_PART_FILES)
        kit_fail("more than %d data files open at once", MAX_PART_FILES);
    snprintf(part_files[part_files_n], sizeof part_files[0], "%s", part);
    part_files_n = part_files_n + 1;
    if (part_files_n > 1)
        return;                        /* the handler is in place */
    part_owner = getpid();
    struct sigaction sa = {.sa_handler = remove_part_files};
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < 3; k++)
        sigaddset(&sa.sa_mask, stop_signals[k]);
    for (int k = 0; k < 3; k++) {
        if (sigaction(stop_signals[k], NULL, &stop_before[k]) == -1)
            kit_die("sigaction");
        if (stop_before[k].sa_handler == SIG_IGN)
            continue;                  /* ignored (a background job's SIGINT): stays so */
        if (sigaction(stop_signals[k], &sa, NULL) == -1)
            kit_die("sigaction");
    }
}

FILE *bench_data_open(const char *path, const char *what, int argc, char *const argv[])
{
    make_parent_dirs(path);
    /* Written as NAME.part and renamed when complete: a run that fails or
     * is interrupted never leaves a half file that make would take as fresh. */
    char part[520];
    snprintf(part, sizeof part, "%s.part", path);
    FILE *f = fopen(part, "w");
    if (f == NULL)
        kit_die("fopen");
    guard_part_file(part);
    struct utsname u;
    if (uname(&u) == -1)
        kit_die("uname");
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) == -1)
        load[0] = load[1] = load[2] = -1;
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));

    fprintf(f, "# mpkit %s\n# command:", what);
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\n# cores: %d\n# cpu: %s\n", bench_cores(), bench_cpu_model());
    fprintf(f, "# kernel: %s %s %s\n# date: %s\n", u.sysname, u.release, u.machine, date);
    fprintf(f, "# load average: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    return f;
}

void bench_data_close(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f) == EOF)
        kit_fail("writing %s failed", path);
    char part[520];
    snprintf(part, sizeof part, "%s.part", path);
    if (rename(part, path) == -1)
        kit_die("rename");
    /* Renamed: no longer ours to remove. The signals wait meanwhile. */
    sigset_t stop, old;
    sigemptyset(&stop);
    for (int k = 0; k < 3; k++)
        sigaddset(&stop, stop_signals[k]);
    sigprocmask(SIG_BLOCK, &stop, &old);
    for (int i = 0; i < part_files_n; i++)
        if (strcmp(part_files[i], part) == 0) {
            memcpy(part_files[i], part_files[part_files_n - 1], sizeof part_files[i]);
            part_files_n = part_files_n - 1;
            break;
        }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static const char *bench_name = "bench";

void bench_set_name(const char *name)
{
    bench_name = name;
}

void bench_progress(const char *fmt, ...)
{
    char line[512];
    int len = snprintf(line, sizeof line, "[%s %5.1f s] ", bench_name, kit_elapsed_ms() / 1000);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

void bench_parse(int argc, char *argv[], const char *name, const char *usage,
                 struct bench_opts *o)
{
    struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"quick", no_argument, NULL, 'q'},
        {"workers", required_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'n'},
        {"repeats", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"python", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    if (o->python == NULL)   /* only notes runs Python: elsewhere --python is unknown */
        longopts[sizeof longopts / sizeof longopts[0] - 2] = (struct option){NULL, 0, NULL, 0};
    kit_set_usage(usage);
    bench_set_name(name);
    o->dir = "plots/data";
    for (int opt; (opt = getopt_long(argc, argv, "hqw:n:r:o:", longopts, NULL)) != -1;) {
        switch (opt) {
        case 'h':
            fputs(usage, stdout);
            exit(EXIT_SUCCESS);
        case 'q':
            o->args.quick = true;
            break;
        case 'w':
            o->args.workers = kit_parse_long("--workers", optarg, o->args.workers_min,
                                             o->args.workers_max);
            break;
        case 'n':
            o->args.count = kit_parse_long("--count", optarg, o->args.count_min,
                                           o->args.count_max);
            break;
        case 'r':
            o->repeats = kit_parse_long("--repeats", optarg, 1, o->repeats_max);
            break;
        case 'o':
            o->dir = optarg;
            break;
        case 'P':
            o->python = optarg;
            break;
        default:             /* getopt has printed one line naming the bad option */
            fputs(usage, stderr);
            exit(2);
        }
    }
    if (optind < argc)
        kit_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->repeats == 0)
        o->repeats = o->args.quick ? 3 : 5;   /* >= 5 for every real point; quick is a preview */
    /* Ctrl-C or kill mid-run: every child (a runner, mpirun, python3) is
     * ended and reaped, and mpirun's ranks with it, before we die. */
    kit_stop_policy();
}

/* Busy and steal jiffies of all CPUs from /proc/stat's first line:
 * user nice system idle iowait irq softirq steal. */
static void cpu_jiffies(unsigned long long *busy, unsigned long long *steal)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (f != NULL) {
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) != 8)
            memset(v, 0, sizeof v);
        fclose(f);
    }
    *busy = v[0] + v[1] + v[2] + v[5] + v[6];
    *steal = v[7];
}

/* CPU seconds of a live child so far, from /proc/PID/stat: utime and stime
 * (fields 14, 15) and what its own reaped children used (16, 17). */
static double live_child_cpu(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;                     /* it ended meanwhile: RUSAGE_CHILDREN has it */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');   /* the name may hold spaces */
    unsigned long long t[4] = {0};
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                            &t[0], &t[1], &t[2], &t[3]) != 4)
        return 0;
    return (double)(t[0] + t[1] + t[2] + t[3]) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds used by this process (all threads), its reaped children, and
 * its children still running: a pool's workers live across a whole point,
 * and without them their work would count as other people's load. */
static double own_cpu(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct timeval t[4] = {self.ru_utime, self.ru_stime, kids.ru_utime, kids.ru_stime};
    double s = 0;
    for (int i = 0; i < 4; i++)
        s += (double)t[i].tv_sec + (double)t[i].tv_usec / 1e6;
    DIR *tasks = opendir("/proc/self/task");   /* a thread's children are listed under it */
    for (struct dirent *e; tasks != NULL && (e = readdir(tasks)) != NULL;) {
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = e->d_name[0] == '.' ? NULL : fopen(path, "r");
        for (long pid; f != NULL && fscanf(f, "%ld", &pid) == 1;)
            s += live_child_cpu(pid);
        if (f != NULL)
            fclose(f);
    }
    if (tasks != NULL)
        closedir(tasks);
    return s;
}

struct bench_noise bench_noise_start(void)
{
    struct bench_noise n = {0};
    double load[1];
    n.load_before = getloadavg(load, 1) == 1 ? load[0] : -1;
    cpu_jiffies(&n.busy0, &n.steal0);
    n.own0 = own_cpu();
    n.t0 = kit_now();
    return n;
}

void bench_noise_stop(struct bench_noise *n)
{
    double wall = kit_now() - n->t0;
    unsigned long long busy, steal;
    cpu_jiffies(&busy, &steal);
    double own = own_cpu() - n->own0;
    double hz = (double)sysconf(_SC_CLK_TCK);
    double capacity = wall * bench_cores();   /* CPU seconds the machine had */
    double others = (double)(busy - n->busy0) / hz - own;
    n->others = capacity > 0 && others > 0 ? others / capacity : 0;
    n->steal = capacity > 0 ? (double)(steal - n->steal0) / hz / capacity : 0;
    double load[1];
    n->load_after = getloadavg(load, 1) == 1 ? load[0] : -1;
    n->loaded = n->others > BENCH_OTHERS_MAX || n->steal > BENCH_STEAL_MAX;
}

bool bench_above_bound(double speedup, unsigned p)
{
    unsigned q = p < (unsigned)bench_cores() ? p : (unsigned)bench_cores();
    return speedup > q * 1.05;
}

void bench_noise_columns(FILE *f, const struct bench_noise *n, bool above)
{
    fprintf(f, "\t%.3f\t%.3f\t%.2f\t%.2f\t%d", n->others, n->steal, n->load_before,
            n->load_after, (n->loaded ? 1 : 0) + (above ? 2 : 0));
}

const char bench_noise_header[] = "\tothers_cpu\tsteal\tload_before\tload_after\tflag";

int bench_flagged_points;

void bench_noise_report(const struct bench_noise *n, bool above, const char *point)
{
    if (!n->loaded && !above)
        return;
    bench_flagged_points++;
    if (n->loaded)
        bench_progress("WARNING %s taken under load: other work used %.0f %% of the CPUs, "
                       "steal %.0f %%, load average %.2f -> %.2f: flagged", point,
                       100 * n->others, 100 * n->steal, n->load_before, n->load_after);
    if (above)
        bench_progress("WARNING %s: speedup above min(P, cores) x 1.05, impossible on an idle "
                       "machine: flagged", point);
}

void bench_noise_summary(FILE *f, const char *what)
{
    fprintf(f, "# flagged points: %d\n", bench_flagged_points);
    if (bench_flagged_points > 0)
        bench_progress("WARNING %s: %d point(s) flagged (under load, or above min(P, cores) x 1.05): "
                       "not reference figures; run again on an idle machine", what, bench_flagged_points);
    bench_flagged_points = 0;
}

bool bench_run_python(char *const argv[], double limit, char *out, size_t size, char *why,
                      size_t why_size)
{
    int fd[2];
    if (pipe(fd) == -1)
        kit_die("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    int e = posix_spawn_file_actions_init(&fa);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    if (e == 0)
        e = posix_spawn_file_actions_addclose(&fa, fd[0]);
    if (e == 0)
        e = posix_spawnattr_init(&at);
    if (e == 0)
        e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    if (e == 0)
        e = posix_spawnattr_setpgroup(&at, 0);
    if (e != 0)
        kit_die_err("posix_spawn setup", e);
    pid_t pid;
    fflush(NULL);
    e = posix_spawnp(&pid, "python3", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (close(fd[1]) == -1)     /* else read() would never see end-of-file */
        kit_die("close");
    if (e != 0) {
        close(fd[0]);
        snprintf(why, why_size, "python3 not found");
        if (e == ENOENT)
            return false;
        kit_die_err("posix_spawnp python3", e);
    }
    size_t len = 0;
    double deadline = kit_now() + limit;
    bool timed_out = false;
    for (;;) {
        int left = (int)((deadline - kit_now()) * 1000);
        struct pollfd pf = {.fd = fd[0], .events = POLLIN};
        int ready = left > 0 ? poll(&pf, 1, left) : 0;
        if (ready == -1 && errno == EINTR)
            continue;
        if (ready == -1)
            kit_die("poll");
        if (ready == 0) {
            timed_out = true;
            break;
        }
        ssize_t got = read(fd[0], out + len, size - 1 - len);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            kit_die("read");
        if (got == 0)
            break;
        len += (size_t)got;
        if (len == size - 1)
            break;
    }
    out[len] = '\0';
    if (close(fd[0]) == -1)
        kit_die("close");
    if (timed_out && kill(-pid, SIGKILL) == -1 && errno != ESRCH)
        kit_die("kill");
    int status = bench_wait(pid);
    if (timed_out) {
        snprintf(why, why_size, "python3 took more than %.0f s: killed", limit);
        return false;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(why, why_size, "python3 not found");
        return false;
    }
    char text[64];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("python3 %s: %s", argv[1], kit_status_str(status, text, sizeof text));
    return true;
}
