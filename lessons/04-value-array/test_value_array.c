/* test_value_array.c - lesson 04's idea: Value, Array, a named shared block.
 * (--help, bad input, --list, --quick, Ctrl-C at part 1: the shared test in tests/.) */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "run.h"

TestSuite(lesson04, .timeout = 40);

Test(lesson04, global_is_copied_mapping_is_shared)
{
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--copy");
    assert_run(r, 0);
    assert_says(r, "child: plain = 10000, shared = 10000");
    assert_says(r, "ok   parent: plain = 1: the child changed its own copy");
    assert_says(r, "ok   parent: shared = 10000");
    run_free(&r);
}

Test(lesson04, type_sizes_are_this_machines)
{
    static const struct { char code; size_t size; } want[] = {
        {'b', sizeof(signed char)}, {'B', sizeof(unsigned char)}, {'u', sizeof(wchar_t)},
        {'h', sizeof(short)}, {'H', sizeof(unsigned short)}, {'i', sizeof(int)},
        {'I', sizeof(unsigned)}, {'l', sizeof(long)}, {'L', sizeof(unsigned long)},
        {'q', sizeof(long long)}, {'Q', sizeof(unsigned long long)}, {'f', sizeof(float)},
        {'d', sizeof(double)},
    };
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--part", "2");
    assert_run(r, 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char key[16];
        snprintf(key, sizeof key, "] '%c'  ", want[i].code);
        const char *line = strstr(r.out, key);
        cr_assert(line, "no row for '%c'\n%s", want[i].code, r.out);
        double here;
        cr_assert(number_after(line, "here: ", &here));
        cr_assert_eq((size_t)here, want[i].size, "'%c': printed %g, sizeof %zu", want[i].code,
                     here, want[i].size);
    }
    /* Linux x86-64 (LP64, 4-byte wchar_t): u, i, I, l, L exceed the notes' minimum */
    if (sizeof(long) == 8 && sizeof(wchar_t) == 4 && sizeof(int) == 4) {
        cr_assert_eq(count_of(r.out, "<- bigger here"), 5, "%s", r.out);
        cr_assert(strstr(r.out, "'l'  long                  notes: >= 4  here: 8   <- bigger here"));
        cr_assert(strstr(r.out, "'u'  wchar_t (Py_UNICODE)  notes: >= 2  here: 4   <- bigger here"));
    }
    assert_says(r, "ok   every type is at least its minimum");
    run_free(&r);
}

Test(lesson04, values_are_shared_and_float_prints_as_in_the_notes)
{
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--value", "-w", "3");
    assert_run(r, 0);
    cr_assert_eq(count_of(r.out, "child: Value('i').value += 1 -> "), 3, "%s", r.out);
    assert_says(r, "Value('d').value *= 2 -> 25.12");
    assert_says(r, "ok   parent: Value('i').value = 3: 3 child(ren) added 1");
    assert_says(r, "ok   Value('f', 0.313).value prints 0.31299999356269836");
    assert_says(r, "exactly 0.312999993562698364257812500");
    run_free(&r);
}

Test(lesson04, arrays_zero_filled_and_changed_by_a_child)
{
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--array", "-n", "64");
    assert_run(r, 0);
    assert_says(r, "Array('i', [1, 2, 3, 4])[1] = 2");
    assert_says(r, "ok   Array('i', 64): 64 ints, all 0");
    assert_says(r, "child: for i in shm: b'H' b'e' b'l' b'l' b'o'");
    assert_says(r, "ok   parent: shm.value = b'hello'");
    run_free(&r);
}

Test(lesson04, grid_is_row_major_over_one_flat_array)
{
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--grid");
    assert_run(r, 0);
    assert_says(r, "row 1: 10 11 12 13   = flat[4..7]");
    assert_says(r, "row 2: 20 21 22 23   = flat[8..11]");
    assert_says(r, "ok   grid[r][c] is flat[r*4 + c]");
    run_free(&r);
}

Test(lesson04, named_block_appears_then_is_gone_from_dev_shm)
{
    struct lesson_run r = RUN("lesson04", 10, "--quick", "--named");
    assert_run(r, 0);
    const char *before = strstr(r.out, "ls /dev/shm before: mpkit-shm-");
    const char *during = strstr(r.out, "ls /dev/shm after shm_open: mpkit-shm-");
    const char *after = strstr(r.out, "ls /dev/shm after shm_unlink: mpkit-shm-");
    cr_assert(before && during && after && before < during && during < after, "%s", r.out);
    cr_assert(strstr(before, " is not there\n") < during);
    cr_assert(strstr(during, " is there\n") < after);
    cr_assert(strstr(after, " is not there\n"), "%s", r.out);
    /* a second process found it by name and mapped it at an address of its own */
    const char *opened = strstr(r.out, "] by name: 4096 bytes at ");
    cr_assert(opened && strstr(r.out, "[opener ") && opened < after, "%s", r.out);
    assert_says(r, "read: \"hello from the parent\"");
    assert_says(r, "ok   the opener had it mapped; then the name went from /dev/shm");
    assert_says(r, "ok   the parent reads: \"hello from the opener, after the name was gone\"");
    assert_says(r, "VERDICT: PASS - all 3 checks held");
    run_free(&r);
}

/* A signal while the name exists (part 6 pauses after shm_open): the stop
 * path removes the guarded name, and the lesson dies of the signal. */
static void interrupt_while_named(int sig, bool group)
{
    static const char when[] = "after shm_open: mpkit-shm-";
    struct lesson_run r = run_lesson_signal("lesson04", 10, sig, group, when,
                                            (const char *const[]){"--named", NULL});
    cr_assert(!r.timed_out, "%s", r.out);
    cr_assert(strstr(r.out, when), "never reached the named block:\n%s", r.out);
    cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig, "status 0x%x\n%s", r.status,
              r.out);
    cr_assert(strstr(r.out, "VERDICT") == NULL, "the signal ended it:\n%s", r.out);
    cr_assert_str_empty(r.shm_left, "left in /dev/shm: %s", r.shm_left);
    cr_assert_eq(r.leftovers, 0, "%d process(es) left behind", r.leftovers);
    cr_assert_str_empty(r.err, "%s", r.err);
    run_free(&r);
}

Test(lesson04, ctrl_c_while_named_leaves_dev_shm_clean) { interrupt_while_named(SIGINT, true); }
Test(lesson04, kill_while_named_leaves_dev_shm_clean) { interrupt_while_named(SIGTERM, false); }
