/* value_array.c - memory that parent and children really share
 *
 * Python (notes 000, 001, 003):
 *     v = mp.Value('i', 0); d = mp.Value('d', 3.14); mp.Value('f', 0.313).value
 *     a = mp.Array('i', [1, 2, 3, 4]); z = mp.Array('i', 5); s = mp.Array('c', b'Hello')
 *     shm = shared_memory.SharedMemory(create=True, size=4096)   # a named block
 * C: fork() copies the parent's memory, so a child's change to a global is
 *    its own. Memory mapped with mmap(MAP_SHARED) before the fork is the
 *    same pages in both: Value and Array are typed slots in such a mapping
 *    (Python carves them out of one shared heap too). A named block is a file
 *    in /dev/shm: shm_open + ftruncate + mmap, found again by its name,
 *    removed with shm_unlink.
 *
 * Usage: ./lesson04 [-q] [-w N] [-n N]    (--help for details)
 *
 * Watch for: the copied global still 1, the shared int 10000; the type
 * sizes that differ from the notes' table; 0.31299999356269836; b'hello'
 * changed by the child; the named object in /dev/shm, then gone while both
 * processes still use its memory.
 * Try next: `ls -l /dev/shm` in a second terminal while section 6 pauses.
 * Compare with lesson 01 (copied memory) and lesson 05 (a race on a Value).
 */
#include "legacy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

static const char usage[] =
    "usage: lesson04 [options]\n"
    "Shared memory: Value, Array and a named block (Python's Value, Array, SharedMemory).\n"
    "  -h, --help         show this help and exit\n"
    "  -q, --quick        no pacing: finish in well under a second\n"
    "  -w, --workers N    children that each add 1 to Value('i', 0), one after another\n"
    "                     (1..8, default 1)\n"
    "  -n, --count N      length of Array('i', N), zero-filled (1..64, default 5)\n";

enum { ROWS = 3, COLS = 4, MAX_N = 64, SHM_SIZE = 4096, READ_END = 0, WRITE_END = 1 };

/* Everything sections 1-5 share, in ONE anonymous shared mapping made before
 * any fork. Python does much the same: Value and Array are slots carved out
 * of a shared heap that multiprocessing maps once. */
struct shared {
    int number;                   /* section 1: the shared twin of `plain` */
    int vi;                       /* Value('i', 0) */
    double vd;                    /* Value('d', 3.14) */
    float vf;                     /* Value('f', 0.313) */
    int a4[4];                    /* Array('i', [1, 2, 3, 4]) */
    int zeros[MAX_N];             /* Array('i', N): never written, so still zero */
    char hello[5];                /* Array('c', b'Hello'): 5 bytes, no '\0' */
    int grid[ROWS][COLS];         /* a 2-D array, which Python's Array cannot be */
};

static int plain = 1;             /* an ordinary global: fork copies it */

/* Runs fn(s) in a child named `role` and waits for it. */
static void in_child(const char *role, void (*fn)(struct shared *s), struct shared *s)
{
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0) {
        kit_set_role("%s", role);
        fn(s);
        _exit(EXIT_SUCCESS);
    }
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    char text[64];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        kit_fail("%s %s", role, kit_status_str(status, text, sizeof text));
}

/* ---- what the children do ------------------------------------------------ */
static void set_both(struct shared *s)
{
    plain = 10000;
    s->number = 10000;
    kit_say("child: plain = %d, shared = %d", plain, s->number);
}

static void add_one(struct shared *s)
{
    s->vi += 1;                   /* value1.value += 1 (one child at a time) */
    s->vd *= 2;
    kit_say("child: Value('i').value += 1 -> %d; Value('d').value *= 2 -> %g", s->vi, s->vd);
}

static void to_lower(struct shared *s)
{
    kit_say("child: for i in shm: b'%c' b'%c' b'%c' b'%c' b'%c'", s->hello[0], s->hello[1],
            s->hello[2], s->hello[3], s->hello[4]);
    s->hello[0] = 'h';            /* shm[0] = b'h' */
}

static void fill_grid(struct shared *s)
{
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            s->grid[r][c] = 10 * r + c;
    kit_say("child: grid[r][c] = 10*r + c for all %d x %d cells", ROWS, COLS);
}

/* ---- Python's type codes, with the sizes on this machine ----------------- */
struct type_code {
    char code;
    const char *c_type;
    size_t notes_min, here;
};

static const struct type_code codes[] = {
    {'b', "signed char", 1, sizeof(signed char)},
    {'B', "unsigned char", 1, sizeof(unsigned char)},
    {'u', "wchar_t (Py_UNICODE)", 2, sizeof(wchar_t)},
    {'h', "short", 2, sizeof(short)},
    {'H', "unsigned short", 2, sizeof(unsigned short)},
    {'i', "int", 2, sizeof(int)},
    {'I', "unsigned int", 2, sizeof(unsigned int)},
    {'l', "long", 4, sizeof(long)},
    {'L', "unsigned long", 4, sizeof(unsigned long)},
    {'q', "long long", 8, sizeof(long long)},
    {'Q', "unsigned long long", 8, sizeof(unsigned long long)},
    {'f', "float", 4, sizeof(float)},
    {'d', "double", 8, sizeof(double)},
};

/* ---- section 6: a named block ------------------------------------------- */
static char shm_name[64];         /* set while the name exists in /dev/shm */

/* If we die (kit_die calls exit) while the name exists, remove it: a name
 * outlives every process until someone unlinks it. (Python's
 * resource_tracker does this job for SharedMemory.) */
static void unlink_at_exit(void)
{
    if (shm_name[0] != '\0')
        shm_unlink(shm_name);
}

/* `ls /dev/shm`, reduced to: how many entries, and is ours among them. */
static bool show_dev_shm(const char *when)
{
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL)
        kit_die("opendir");
    int entries = 0;
    bool ours = false;
    for (struct dirent *e; (errno = 0, e = readdir(dir)) != NULL;) {
        entries += e->d_name[0] != '.';
        ours |= strcmp(e->d_name, shm_name + 1) == 0;   /* the name without '/' */
    }
    if (errno != 0)
        kit_die("readdir");
    if (closedir(dir) == -1)
        kit_die("closedir");
    kit_say("ls /dev/shm %s: %s %s (%d names in all)", when, shm_name + 1,
            ours ? "is there" : "is not there", entries);
    return ours;
}

static void named_child(char *parent_view, const int have[2], const int go[2])
{
    kit_set_role("opener");
    if (close(have[READ_END]) == -1 || close(go[WRITE_END]) == -1)
        kit_die("close");
    /* Like SharedMemory(name=...) in another program: find it by name. We
     * do not touch the parent's mapping, which fork happened to copy. */
    int fd = shm_open(shm_name, O_RDWR, 0);
    if (fd == -1)
        kit_die("shm_open");
    struct stat st;
    if (fstat(fd, &st) == -1)
        kit_die("fstat");
    char *mine = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mine == MAP_FAILED)
        kit_die("mmap");
    if (close(fd) == -1)          /* the mapping keeps the memory; the fd is not needed */
        kit_die("close");
    kit_say("shm_open(\"%s\"): %lld bytes, mapped at %p (the parent's copy: %p)", shm_name,
            (long long)st.st_size, (void *)mine, (void *)parent_view);
    kit_say("read: \"%s\"", mine);
    char c;
    if (write(have[WRITE_END], "y", 1) == -1)   /* "I have it": the name can go */
        kit_die("write");
    if (read(go[READ_END], &c, 1) == -1)
        kit_die("read");
    snprintf(mine, SHM_SIZE, "hello from the opener, after the name was gone");
    if (munmap(mine, (size_t)st.st_size) == -1)
        kit_die("munmap");
    _exit(EXIT_SUCCESS);
}

static void named_block(void)
{
    kit_object_name(shm_name, sizeof shm_name, "shm");
    kit_section("6. a named block: SharedMemory(create=True, size=%d) is shm_open + ftruncate "
                "+ mmap", SHM_SIZE);
    kit_expect(!show_dev_shm("before"), "%s does not exist yet", shm_name);
    /* From creating the name to removing it, Ctrl-C (SIGINT) and kill
     * (SIGTERM) are held back: they would end us with the name still in
     * /dev/shm. Blocked, they wait, and strike once the name is gone. The
     * child inherits the mask, so it finishes its part too. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop, &old) == -1)
        kit_die("sigprocmask");
    int fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1) {
        shm_name[0] = '\0';       /* not ours to remove */
        kit_die("shm_open");
    }
    if (ftruncate(fd, SHM_SIZE) == -1)          /* a new object has size 0 */
        kit_die("ftruncate");
    char *mem = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED)
        kit_die("mmap");
    if (close(fd) == -1)
        kit_die("close");
    snprintf(mem, SHM_SIZE, "hello from the parent");
    kit_expect(show_dev_shm("after shm_open"), "%s is a file in /dev/shm now", shm_name);
    kit_pace(1.5);                /* time for `ls -l /dev/shm` in another terminal */

    int have[2], go[2];
    if (pipe(have) == -1 || pipe(go) == -1)
        kit_die("pipe");
    pid_t pid = fork();
    if (pid == -1)
        kit_die("fork");
    if (pid == 0)
        named_child(mem, have, go);
    if (close(have[WRITE_END]) == -1 || close(go[READ_END]) == -1)
        kit_die("close");
    char c;
    ssize_t got = read(have[READ_END], &c, 1);
    if (got == -1)
        kit_die("read");
    /* Every process that needs the block has it mapped: remove the name now.
     * The memory lives on until the last munmap. */
    if (shm_unlink(shm_name) == -1)
        kit_die("shm_unlink");
    bool still = show_dev_shm("after shm_unlink");
    shm_name[0] = '\0';
    if (close(go[WRITE_END]) == -1)             /* end of file: "go on" */
        kit_die("close");
    int status;
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            kit_die("waitpid");
    if (close(have[READ_END]) == -1)
        kit_die("close");
    char text[64];
    kit_expect(got == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the opener %s",
               kit_status_str(status, text, sizeof text));
    kit_expect(!still, "the name is gone from /dev/shm");
    kit_expect(strcmp(mem, "hello from the opener, after the name was gone") == 0,
               "the parent reads: \"%s\"", mem);
    if (munmap(mem, SHM_SIZE) == -1)            /* the last mapping: the memory is freed */
        kit_die("munmap");
    if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)   /* a held Ctrl-C strikes here */
        kit_die("sigprocmask");
}

int main(int argc, char *argv[])
{
    struct kit_old_args args = {.workers = 1, .workers_min = 1, .workers_max = 8,
                            .count = 5, .count_min = 1, .count_max = MAX_N};
    static const struct option longopts[] = {KIT_LONGOPTS, {0}};
    kit_set_usage(usage);
    for (int opt; (opt = getopt_long(argc, argv, KIT_SHORTOPTS, longopts, NULL)) != -1;)
        if (!kit_common_opt(opt, &args))
            kit_usage_error("unknown option");
    kit_no_operands(argc, argv);
    if (atexit(unlink_at_exit) != 0)
        kit_fail("atexit failed");
    kit_show_ms(true);
    struct shared *s = kit_shared_alloc(sizeof *s);

    kit_section("1. a plain global is copied at fork, a shared mapping is not");
    s->number = 1;
    kit_say("before: plain = %d, shared = %d", plain, s->number);
    in_child("child", set_both, s);
    kit_expect(plain == 1, "parent: plain = %d: the child changed its own copy", plain);
    kit_expect(s->number == 10000, "parent: shared = %d: the child changed OUR memory", s->number);
    kit_pace(1.0);

    kit_section("2. Python's type codes as C types (notes' minimum vs sizeof here)");
    int bigger = 0, too_small = 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const struct type_code *t = &codes[i];
        bigger += t->here > t->notes_min;
        too_small += t->here < t->notes_min;
        kit_say("'%c'  %-20s  notes: >= %zu  here: %zu%s", t->code, t->c_type, t->notes_min,
                t->here, t->here > t->notes_min ? "   <- bigger here" : "");
    }
    kit_expect(too_small == 0, "every type is at least its minimum; %d are bigger on this "
               "%zu-bit machine", bigger, 8 * sizeof(void *));
    kit_pace(1.0);

    kit_section("3. Value('i', 0), Value('d', 3.14), Value('f', 0.313)");
    s->vi = 0;
    s->vd = 3.14;
    s->vf = 0.313f;
    for (int i = 0; i < args.workers; i++)
        in_child("child", add_one, s);
    kit_expect(s->vi == args.workers, "parent: Value('i').value = %d: %ld child(ren) added 1",
               s->vi, args.workers);
    char shown[32];
    /* Python keeps a float Value as a C float (4 bytes, 24 significant
     * bits), reads it back into a Python float (a C double), and prints the
     * shortest decimal that reads back as that double: 17 digits here. */
    snprintf(shown, sizeof shown, "%.17g", (double)s->vf);
    kit_say("0.313 as a float is exactly %.27f", (double)s->vf);
    kit_expect(strcmp(shown, "0.31299999356269836") == 0,
               "Value('f', 0.313).value prints %s, as in the notes", shown);
    kit_say("Value('d', 0.313) would print %.17g: a double is close enough for 17 digits",
            0.313);
    kit_pace(1.0);

    kit_section("4. Array('i', [1, 2, 3, 4]), Array('i', %ld), Array('c', b'Hello')", args.count);
    memcpy(s->a4, (int[]){1, 2, 3, 4}, sizeof s->a4);
    kit_say("Array('i', [1, 2, 3, 4])[1] = %d", s->a4[1]);
    int nonzero = 0;
    for (int i = 0; i < args.count; i++)
        nonzero += s->zeros[i] != 0;
    kit_expect(nonzero == 0, "Array('i', %ld): %ld ints, all 0 (mmap hands out zeroed pages)",
               args.count, args.count);
    memcpy(s->hello, "Hello", sizeof s->hello);  /* 5 bytes: the '\0' does not fit */
    in_child("child", to_lower, s);
    kit_expect(memcmp(s->hello, "hello", 5) == 0, "parent: shm.value = b'%.5s'", s->hello);
    kit_pace(1.0);

    kit_section("5. Python's Array is one-dimensional; C lays out a %d x %d grid row by row",
                ROWS, COLS);
    in_child("child", fill_grid, s);
    const int *flat = &s->grid[0][0];  /* the same memory seen as Array('i', 12) */
    bool same = true;
    for (int r = 0; r < ROWS; r++) {
        kit_say("row %d: %2d %2d %2d %2d   = flat[%d..%d]", r, s->grid[r][0], s->grid[r][1],
                s->grid[r][2], s->grid[r][3], r * COLS, r * COLS + COLS - 1);
        for (int c = 0; c < COLS; c++)
            same &= &s->grid[r][c] == &flat[r * COLS + c] && flat[r * COLS + c] == 10 * r + c;
    }
    kit_expect(same, "grid[r][c] is flat[r*%d + c]: in Python, index a 1-D Array that way",
               COLS);
    kit_shared_free(s, sizeof *s);
    kit_pace(1.0);

    named_block();
    kit_section("verdict");
    return kit_verdict();
}
