/* value_array.c - memory that parent and children really share
 *
 * Python (notes 000, 001, 002):
 *     v = mp.Value('i', 0); d = mp.Value('d', 3.14); mp.Value('f', 0.313).value
 *     a = mp.Array('i', [1, 2, 3, 4]); z = mp.Array('i', 5); s = mp.Array('c', b'Hello')
 * Python also has shared_memory.SharedMemory(create=True, size=4096): a named block.
 * C: fork() copies memory, so a child's change to a global is its own; pages
 *    mapped with mmap(MAP_SHARED) before the fork are the same in both, and
 *    Value and Array are typed slots in them. A named block is a file in
 *    /dev/shm: shm_open + ftruncate + mmap, found by name, gone at shm_unlink.
 * Usage: ./lesson04 [-q] [-w N] [-n N] [--list] [--part N]    (--help for more)
 * Watch for: the copied global still 1, the shared int 10000; the type sizes
 * that differ from the notes' table; 0.31299999356269836; b'hello' changed by
 * the child; the named object in /dev/shm, then gone while both still use it.
 * Try next: `ls -l /dev/shm` in a second terminal while part 6 pauses.
 * Compare with lesson 01 (copied memory) and lesson 05 (a race on a Value).
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

enum { ROWS = 3, COLS = 4, MAX_N = 64, SHM_SIZE = 4096, READ_END = 0, WRITE_END = 1 };

/* Parts 1-5 share one anonymous shared mapping made before the fork (Python
 * too carves Value and Array out of a shared heap it maps once). */
struct shared {
    int number;                   /* part 1: the shared twin of `plain` */
    int vi;                       /* Value('i', 0) */
    double vd;                    /* Value('d', 3.14) */
    float vf;                     /* Value('f', 0.313) */
    int a4[4];                    /* Array('i', [1, 2, 3, 4]) */
    int zeros[MAX_N];             /* Array('i', N): never written, so still zero */
    char hello[5];                /* Array('c', b'Hello'): 5 bytes, no '\0' */
    int grid[ROWS][COLS];         /* a 2-D array, which Python's Array cannot be */
};

/* Set before the fork: the child gets a copy of the pointer, not of the pages. */
static struct shared *s;
static int plain = 1;             /* an ordinary global: fork copies it */

/* One child at a time: start it, join it (a bad exit: a FAIL line). */
static void in_child(void (*body)(int id), int id)
{
    kit_start(body, id, "child");
    kit_join_all(-1);
}

/* ---- 1. a plain global is copied, a shared mapping is not --------------- */
static void set_both(int value)
{
    plain = value;
    s->number = value;
    kit_say("child: plain = %d, shared = %d", plain, s->number);
}

static void copied_or_shared(const struct kit_args *args)
{
    (void)args;
    s = kit_shared_alloc(sizeof *s);
    s->number = 1;
    kit_say("before: plain = %d, shared = %d", plain, s->number);
    in_child(set_both, 10000);
    kit_expect(plain == 1, "parent: plain = %d: the child changed its own copy", plain);
    kit_expect(s->number == 10000, "parent: shared = %d: the child changed OUR memory", s->number);
    kit_shared_free(s, sizeof *s);
    kit_pace(1.0);
}

/* ---- 2. Python's type codes, with the sizes on this machine -------------- */
static const struct { char code; const char *c_type; size_t notes_min, here; } codes[] = {
    {'b', "signed char", 1, sizeof(signed char)}, {'B', "unsigned char", 1, sizeof(unsigned char)},
    {'u', "wchar_t (Py_UNICODE)", 2, sizeof(wchar_t)},
    {'h', "short", 2, sizeof(short)}, {'H', "unsigned short", 2, sizeof(unsigned short)},
    {'i', "int", 2, sizeof(int)}, {'I', "unsigned int", 2, sizeof(unsigned int)},
    {'l', "long", 4, sizeof(long)}, {'L', "unsigned long", 4, sizeof(unsigned long)},
    {'q', "long long", 8, sizeof(long long)},
    {'Q', "unsigned long long", 8, sizeof(unsigned long long)},
    {'f', "float", 4, sizeof(float)}, {'d', "double", 8, sizeof(double)},
};

static void type_codes(const struct kit_args *args)
{
    (void)args;
    int bigger = 0, too_small = 0;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        bigger += codes[i].here > codes[i].notes_min;
        too_small += codes[i].here < codes[i].notes_min;
        kit_say("'%c'  %-20s  notes: >= %zu  here: %zu%s", codes[i].code, codes[i].c_type,
                codes[i].notes_min, codes[i].here,
                codes[i].here > codes[i].notes_min ? "   <- bigger here" : "");
    }
    kit_expect(too_small == 0, "every type is at least its minimum; %d are bigger on this "
               "%zu-bit machine", bigger, 8 * sizeof(void *));
    kit_pace(1.0);
}

/* ---- 3. Value ------------------------------------------------------------ */
static void add_one(int n)
{
    s->vi += n;                   /* value1.value += 1 (one child at a time) */
    s->vd *= 2;
    kit_say("child: Value('i').value += 1 -> %d; Value('d').value *= 2 -> %g", s->vi, s->vd);
}

static void values(const struct kit_args *args)
{
    s = kit_shared_alloc(sizeof *s);
    s->vi = 0;
    s->vd = 3.14;
    s->vf = 0.313f;
    for (int i = 0; i < args->workers; i++)
        in_child(add_one, 1);
    kit_expect(s->vi == args->workers, "parent: Value('i').value = %d: %ld child(ren) added 1",
               s->vi, args->workers);
    /* A C float read back as a double; Python prints its shortest decimal. */
    char shown[32];
    snprintf(shown, sizeof shown, "%.17g", (double)s->vf);
    kit_say("0.313 as a float is exactly %.27f", (double)s->vf);
    kit_expect(strcmp(shown, "0.31299999356269836") == 0,
               "Value('f', 0.313).value prints %s, as in the notes", shown);
    kit_shared_free(s, sizeof *s);
    kit_pace(1.0);
}

/* ---- 4. Array ------------------------------------------------------------ */
static void to_lower(int letter)
{
    kit_say("child: for i in shm: b'%c' b'%c' b'%c' b'%c' b'%c'", s->hello[0], s->hello[1],
            s->hello[2], s->hello[3], s->hello[4]);
    s->hello[0] = (char)letter;   /* shm[0] = b'h' */
}

static void arrays(const struct kit_args *args)
{
    s = kit_shared_alloc(sizeof *s);
    memcpy(s->a4, (int[]){1, 2, 3, 4}, sizeof s->a4);
    kit_say("Array('i', [1, 2, 3, 4])[1] = %d", s->a4[1]);
    int nonzero = 0;
    for (int i = 0; i < args->count; i++)
        nonzero += s->zeros[i] != 0;
    kit_expect(nonzero == 0, "Array('i', %ld): %ld ints, all 0 (mmap hands out zeroed pages)",
               args->count, args->count);
    memcpy(s->hello, "Hello", sizeof s->hello);  /* 5 bytes: the '\0' does not fit */
    in_child(to_lower, 'h');
    kit_expect(memcmp(s->hello, "hello", 5) == 0, "parent: shm.value = b'%.5s'", s->hello);
    kit_shared_free(s, sizeof *s);
    kit_pace(1.0);
}

/* ---- 5. a 2-D grid over one flat block ----------------------------------- */
static void fill_grid(int tens)
{
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            s->grid[r][c] = tens * r + c;
    kit_say("child: grid[r][c] = %d*r + c for all %d x %d cells", tens, ROWS, COLS);
}

static void grid(const struct kit_args *args)
{
    (void)args;
    s = kit_shared_alloc(sizeof *s);
    in_child(fill_grid, 10);
    const int *flat = &s->grid[0][0];  /* the same memory seen as Array('i', 12) */
    bool same = true;
    for (int r = 0; r < ROWS; r++) {
        kit_say("row %d: %2d %2d %2d %2d   = flat[%d..%d]", r, s->grid[r][0], s->grid[r][1],
                s->grid[r][2], s->grid[r][3], r * COLS, r * COLS + COLS - 1);
        for (int c = 0; c < COLS; c++)
            same &= flat[r * COLS + c] == 10 * r + c;
    }
    kit_expect(same, "grid[r][c] is flat[r*%d + c]: in Python, index a 1-D Array that way", COLS);
    kit_shared_free(s, sizeof *s);
    kit_pace(1.0);
}

/* ---- 6. a named block ---------------------------------------------------- */
#define REPLY "hello from the opener, after the name was gone"
static char shm_name[64];
static char *parent_view;         /* the parent's mapping: fork copies the pointer */
static int have[2];               /* opener -> parent: "I have it mapped" */
static struct kit_gate go;        /* parent -> opener: "go on", once the name is gone */

/* `ls /dev/shm/NAME`: is the name there? */
static bool in_dev_shm(const char *when)
{
    char path[96];
    snprintf(path, sizeof path, "/dev/shm%s", shm_name);
    bool there = access(path, F_OK) == 0;
    if (!there && errno != ENOENT)
        kit_die("access");
    kit_say("ls /dev/shm %s: %s %s", when, shm_name + 1, there ? "is there" : "is not there");
    return there;
}

static void opener(int id)
{
    (void)id;
    if (close(have[READ_END]) == -1)
        kit_die("close");
    /* By name, as SharedMemory(name=...) would (not by the copied mapping). */
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
    kit_say("by name: %lld bytes at %p (parent's: %p)", (long long)st.st_size, (void *)mine,
            (void *)parent_view);
    kit_say("read: \"%s\"", mine);
    if (write(have[WRITE_END], "y", 1) == -1)   /* the name can go now */
        kit_die("write");
    kit_gate_wait(&go);
    snprintf(mine, SHM_SIZE, REPLY);
    if (munmap(mine, (size_t)st.st_size) == -1)
        kit_die("munmap");
}

static void named(const struct kit_args *args)
{
    (void)args;
    /* A name outlives every process until unlinked. Guarded, Ctrl-C, kill or
     * a fatal error removes it (Python's resource_tracker's job). */
    kit_object_name(shm_name, sizeof shm_name, "shm");
    bool before = in_dev_shm("before");
    int fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1)
        kit_die("shm_open");
    if (ftruncate(fd, SHM_SIZE) == -1)          /* a new object has size 0 */
        kit_die("ftruncate");
    parent_view = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (parent_view == MAP_FAILED)
        kit_die("mmap");
    if (close(fd) == -1)
        kit_die("close");
    snprintf(parent_view, SHM_SIZE, "hello from the parent");
    kit_expect(!before && in_dev_shm("after shm_open"), "shm_open made a file in /dev/shm");
    kit_pace(1.5);                /* time for `ls -l /dev/shm` in another terminal */

    if (pipe(have) == -1)
        kit_die("pipe");
    kit_gate_init(&go);
    kit_start(opener, 1, "opener");
    if (close(have[WRITE_END]) == -1)
        kit_die("close");
    ssize_t got = read(have[READ_END], (char[1]){0}, 1);  /* 0: the opener died first */
    if (got == -1)
        kit_die("read");
    /* Every process that needs the block has it mapped: remove the name now.
     * The memory lives on until the last munmap. */
    if (shm_unlink(shm_name) == -1)
        kit_die("shm_unlink");
    kit_object_unlinked(shm_name);
    bool still = in_dev_shm("after shm_unlink");
    kit_gate_open(&go);
    kit_join_all(-1);                           /* a bad exit: a FAIL line */
    if (close(have[READ_END]) == -1)
        kit_die("close");
    kit_expect(got == 1 && !still, "the opener had it mapped; then the name went from /dev/shm");
    kit_expect(strcmp(parent_view, REPLY) == 0, "the parent reads: \"%s\"", parent_view);
    if (munmap(parent_view, SHM_SIZE) == -1)    /* the last mapping: the memory is freed */
        kit_die("munmap");
}

static const struct kit_part parts[] = {
    {"copy", "a plain global is copied at fork, a shared mapping is not", copied_or_shared, true},
    {"types", "Python's type codes as C types (notes' minimum vs sizeof here)", type_codes, true},
    {"value", "Value('i', 0), Value('d', 3.14), Value('f', 0.313)", values, true},
    {"array", "Array('i', [1, 2, 3, 4]), Array('i', N), Array('c', b'Hello')", arrays, true},
    {"grid", "Python's Array is one-dimensional; C lays out a 3 x 4 grid row by row", grid, true},
    {"named", "a named block (Python also has SharedMemory): shm_open + mmap", named, true},
    {0}};

int main(int argc, char *argv[])
{
    static const struct kit_lesson lesson = {
        .name = "lesson04", .title = "Value and Array 共享内存",
        .idea = "memory that a parent and its children really share (fork copies the rest)",
        .python = "v = mp.Value('i', 0); a = mp.Array('i', [1, 2, 3, 4])   (notes 000, 001, 002)",
        .mechanism = "mmap(MAP_SHARED | MAP_ANONYMOUS) before fork; named: shm_open + mmap",
        .watch = "the copied global still 1, the shared one 10000; 0.31299999356269836",
        .parts = parts, .show_ms = true,
        .workers = {"children adding 1 to Value('i', 0), one after another", 1, 1, 8, 0},
        .count = {"length of Array('i', N), zero-filled", 5, 1, MAX_N, 0}};
    return kit_main(&lesson, argc, argv);
}
