/* shared_file.c - a file shared by processes: one offset after fork, and a Lock for lines
 *
 * Python (note 002: 父子进程分别复制文件的上半部分和下半部分; Lock 锁):
 *     # f = open(filename, 'rb')    # 如果子进程使用父进程的对象,那么相互之间有偏移量的影响
 *     def copy2(): f = open(filename, 'rb'); f.seek(size // 2, 0); ...   # each its own open
 *     def writer1(): lock.acquire(); for i in range(20): sys.stdout.write(...); lock.release()
 * C: fork copies the descriptors, not the open file behind them: parent and children
 *    share one open file description, one offset, so one child's lseek() or read()
 *    moves the other's. open() in the child gives it its own (pread() uses none).
 *    Appends through one descriptor never overwrite; a line in pieces needs a lock.
 * Usage: ./lesson16 [-q] [-w N] [-n KIB] [--lines N] [--list] [--part N]
 * Watch for: blocks out of place with one offset, cmp equal with two, torn lines.
 * Try next: --no-lock --lines 1000; --shared-offset -n 8. Compare with 05 (Lock), 11 (pipe).
 */
#include "kit.h"

#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 1024, MAX_WRITERS = 16, RACE = 100 };
static long lines = 20;

/* ---- the private directory, removed on every way out ---------------------
 * The kit's stop path (Ctrl-C, kill, a fatal error) knows no files. Our handler calls
 * the kit's (it reaps the children and raises the signal again, held until we return),
 * then removes our files (unlink, rmdir: async-signal-safe). atexit: after kit_die. */
static char dir[40], original[64], copy[64];
static struct sigaction kits[NSIG];         /* the kit's handler, by signal */

static void remove_files(void)
{
    unlink(original);               /* not there: ENOENT, nothing to do */
    unlink(copy);
    rmdir(dir);
}

static void on_stop(int sig)
{
    kits[sig].sa_handler(sig);
    remove_files();
}

static void make_dir(void)
{
    if (kits[SIGINT].sa_handler == NULL) {  /* once: again, it would save our own */
        struct sigaction sa = {.sa_handler = on_stop};
        sigfillset(&sa.sa_mask);            /* one stop at a time */
        if (sigaction(SIGINT, &sa, &kits[SIGINT]) == -1 ||
            sigaction(SIGTERM, &sa, &kits[SIGTERM]) == -1 || sigaction(SIGHUP, &sa, &kits[SIGHUP]) == -1)
            kit_die("sigaction");
        if (atexit(remove_files) != 0)
            kit_fail("atexit failed");
    }
    snprintf(dir, sizeof dir, "/tmp/mpkit-lesson16-XXXXXX");
    if (mkdtemp(dir) == NULL)       /* a new directory, mode 0700: ours alone */
        kit_die("mkdtemp");
    snprintf(original, sizeof original, "%s/original", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
}

static int open_file(const char *path, int flags)
{
    int fd = open(path, flags, 0600);
    if (fd == -1)
        kit_die("open");
    return fd;
}

/* ---- the copy: the notes' copy1 and copy2, of 1 KiB blocks ("block 000007 ...") --- */
static bool own;                    /* each child opens the original itself */
static int shared_src;              /* opened before fork: one offset for all */
static off_t size, copied;          /* the original's size; the copy's, after cmp */
static long in_place;               /* after cmp: the copy's blocks in place */
static struct {
    sem_t lock;                     /* the writers' Lock(): in Python a semaphore at 1 */
    _Atomic int arrived;            /* the starting line */
} *shm;

/* The starting line: spin until all are there, so they run at once (lesson 05). */
static void start_line(int parties)
{
    atomic_fetch_add(&shm->arrived, 1);
    for (double give_up = kit_now() + 2; atomic_load(&shm->arrived) < parties; sched_yield())
        if (kit_now() > give_up)    /* a partner killed on its way never arrives */
            kit_fail("not every process reached the starting line within 2 s");
}

static void copy_half(int half)
{
    int src = own ? open_file(original, O_RDONLY) : shared_src;
    int dst = open_file(copy, O_WRONLY);   /* fw = open(...): each child its own */
    off_t at = half == 0 ? 0 : size / 2, end = half == 0 ? size / 2 : size;
    start_line(2);
    /* copy2: f.seek(size // 2, 0), which on a shared descriptor moves copy1's offset too */
    if (half == 1 && (lseek(dst, at, SEEK_SET) == -1 || lseek(src, at, SEEK_SET) == -1))
        kit_die("lseek");
    while (at < end) {
        char buf[BLOCK];
        size_t want = end - at < BLOCK ? (size_t)(end - at) : BLOCK;
        ssize_t n = read(src, buf, want);
        if (n == -1)
            kit_die("read");
        if (n == 0)
            break;                  /* end of file: the notes' "if not data: break" */
        if (write(dst, buf, (size_t)n) != n)
            kit_die("write");
        at += n;
    }
    if ((own && close(src) == -1) || close(dst) == -1)
        kit_die("close");
}

/* cmp in C: the offset of the first byte that differs, or -1 when the files are equal. */
static off_t compare(void)
{
    int a = open_file(original, O_RDONLY), b = open_file(copy, O_RDONLY);
    off_t diff = -1;
    copied = in_place = 0;
    for (off_t at = 0;; at += BLOCK) {
        char x[BLOCK], y[BLOCK];
        ssize_t n = pread(a, x, BLOCK, at), m = pread(b, y, BLOCK, at);
        if (n == -1 || m == -1)
            kit_die("pread");
        if (n == 0 && m == 0)
            break;
        ssize_t k = 0;
        while (k < n && k < m && x[k] == y[k])
            k++;
        copied += m;
        if (k == n && k == m)
            in_place++;
        else if (diff == -1)
            diff = at + k;
    }
    if (close(a) == -1 || close(b) == -1)
        kit_die("close");
    return diff;
}

/* One run of copy1 and copy2, then cmp; the files go at once. */
static off_t run_copy(bool own_open, long kib)
{
    make_dir();
    int fd = open_file(original, O_WRONLY | O_CREAT | O_EXCL);
    for (long b = 0; b < kib; b++) {
        char block[BLOCK];
        memset(block, 'a' + (int)(b % 26), BLOCK);
        block[snprintf(block, BLOCK, "block %06ld", b)] = ' ';
        block[BLOCK - 1] = '\n';
        if (write(fd, block, BLOCK) != BLOCK)
            kit_die("write");
    }
    size = kib * BLOCK;
    /* The parent makes the copy, empty: children only open files that exist. */
    if (close(fd) == -1 || close(open_file(copy, O_WRONLY | O_CREAT | O_EXCL)) == -1)
        kit_die("close");
    own = own_open;
    shared_src = own ? -1 : open_file(original, O_RDONLY);
    shm->arrived = 0;
    kit_say("copy1 and copy2: %ld KiB in two halves, %s", kib, own ? "each its own open()" : "one fd");
    kit_start(copy_half, 0, "copy1");
    kit_start(copy_half, 1, "copy2");
    kit_join_all(60.0);
    if (shared_src != -1 && close(shared_src) == -1)
        kit_die("close");
    off_t diff = compare();
    remove_files();
    return diff;
}

static void shared_offset(const struct kit_args *args)
{
    off_t diff = run_copy(false, args->count);
    if (diff == -1)
        kit_say("the copy came out right: not shown this run (copy1 was done before copy2)");
    else
        kit_warn("deliberately broken: cmp: differ at byte %lld; %ld of %ld blocks in place",
                 (long long)diff, in_place, args->count);
    /* what holds under any load: bytes are misplaced or lost, never made up */
    kit_expect(copied <= size, "the copy has %lld of %lld bytes, never more",
               (long long)copied, (long long)size);
}

static void own_open(const struct kit_args *args)
{
    off_t diff = run_copy(true, args->count);
    kit_expect(diff == -1 && copied == size, "cmp: the copy equals the original, %lld bytes,"
               " %ld blocks in place", (long long)copied, in_place);
}

/* ---- two writers, one file: note 002's writer1 and writer2 -------------- */
static int lines_fd;
static bool locked;
static long writers, per_writer;    /* no lock: RACE x --lines, so that the race can show */

/* A line in two pieces, "writer1" and "想先向终端写入 7 of 1\n": two write()s.
 * Each goes in whole at the end (O_APPEND, one shared offset); the line may not. */
#define WHO "writer%d"
#define REST "想先向终端写入 %ld of %d\n"

static void writer(int id)
{
    start_line((int)writers);
    if (locked && sem_wait(&shm->lock) == -1)    /* lock.acquire(), for all the lines */
        kit_die("sem_wait");
    for (long i = 0; i < per_writer; i++) {
        char who[24], rest[64];
        int n = snprintf(who, sizeof who, WHO, id + 1);
        int m = snprintf(rest, sizeof rest, REST, i, id + 1);
        if (write(lines_fd, who, (size_t)n) != n || write(lines_fd, rest, (size_t)m) != m)
            kit_die("write");
    }
    if (locked && sem_post(&shm->lock) == -1)    /* lock.release() */
        kit_die("sem_post");
}

/* Starts the writers, then reads the file back: are all bytes there, are lines whole? */
static void run_writers(bool with_lock, int w)
{
    make_dir();
    lines_fd = open_file(copy, O_RDWR | O_CREAT | O_EXCL | O_APPEND);
    if (unlink(copy) == -1 || rmdir(dir) == -1)   /* at once: the descriptor keeps the file */
        kit_die("unlink");
    locked = with_lock;
    shm->arrived = 0;
    writers = w;
    per_writer = with_lock ? lines : RACE * lines;
    for (int id = 0; id < w; id++)
        kit_start(writer, id, "writer%d", id + 1);
    kit_join_all(60.0);
    off_t bytes = lseek(lines_fd, 0, SEEK_END), expected = 0;
    char *text = malloc((size_t)bytes + 1);
    if (bytes == -1 || text == NULL || pread(lines_fd, text, (size_t)bytes, 0) != bytes)
        kit_die("pread");
    text[bytes] = '\0';
    long total = 0, whole = 0;
    for (char *p = strtok(text, "\n"); p != NULL; p = strtok(NULL, "\n"), total++) {
        int k, k2, end = 0;         /* whole: one writer's two pieces, nothing else */
        long i;
        if (sscanf(p, "writer%d想先向终端写入 %ld of %d%n", &k, &i, &k2, &end) == 3 && k == k2 &&
            p[end] == '\0')
            whole++;
        else if (total - whole < 2)
            kit_say("a torn line: \"%.60s\"", p);
    }
    for (int id = 0; id < w; id++)
        for (long i = 0; i < per_writer; i++)
            expected += snprintf(NULL, 0, WHO, id + 1) + snprintf(NULL, 0, REST, i, id + 1);
    free(text);
    if (close(lines_fd) == -1)
        kit_die("close");
    /* True under any load: appends through one offset never overwrite */
    kit_expect(bytes == expected, "all %lld bytes are there: no append overwrote another",
               (long long)expected);
    if (with_lock)
        kit_expect(whole == w * lines && total == w * lines, "with the lock: %ld lines, %ld whole",
                   total, whole);
    else if (whole < total)
        kit_warn("deliberately broken, no lock: %ld of %ld lines torn", total - whole, total);
    else
        kit_say("no lock: all %ld lines whole: the race is not shown this run", total);
}

static void no_lock(const struct kit_args *args) { run_writers(false, (int)args->workers); }
static void with_lock(const struct kit_args *args) { run_writers(true, (int)args->workers); }
static const struct kit_part parts[] = {
    {"shared-offset", "the notes' warning: copy1 and copy2 share f's offset", shared_offset, true},
    {"own-open", "the notes' fix: each child opens the file itself", own_open, true},
    {"no-lock", "two writers append lines to one file, no lock", no_lock, true},
    {"lock", "the notes' Lock around each writer's lines", with_lock, true},
    {0}};
static const struct kit_option options[] = {
    {"lines", "N", "lines per writer (the notes: 20; --no-lock: 100 x N)", &lines, 1, 1000}, {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson16", .title = "Shared file 共享文件",
        .idea = "after fork, parent and children share each open file's offset",
        .python = "f = open(filename, 'rb') before Process(): 相互之间有偏移量的影响  (note 002)",
        .mechanism = "fork copies descriptors, not the open file: one offset; a sem_t Lock",
        .watch = "blocks out of place with one offset; cmp equal with two; torn lines unlocked",
        .parts = parts, .options = options,
        .workers = {"writers in --no-lock and --lock", 2, 1, MAX_WRITERS, 0},
        .count = {"KiB in the file to copy", 1024, 2, 65536, 256}};
    shm = kit_shared_alloc(sizeof *shm);
    if (sem_init(&shm->lock, 1, 1) == -1)   /* pshared = 1: it lives in shared memory */
        kit_die("sem_init");
    int status = kit_main(&lesson, argc, argv);
    if (sem_destroy(&shm->lock) == -1)
        kit_die("sem_destroy");
    kit_shared_free(shm, sizeof *shm);
    return status;
}
