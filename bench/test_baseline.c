/* test_baseline.c - one honest baseline (issue 14): P = 1 process and
 * P = 1 thread take the sequential time, within noise, because all three run
 * the same compiled bench_job through the same run_slices. Timing is only
 * asserted on an idle machine (the noise guard says whether it was); on a
 * loaded one the test says so and skips, as a loaded machine proves nothing. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "kit.h"

TestSuite(bench_baseline, .timeout = 120);

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(bench_baseline, one_process_and_one_thread_match_the_sequential_time)
{
    const uint64_t n = 150000000;   /* ~0.11 s a run: >= 100 ms */
    struct bench_range all = {0, n};
    double seq[5], proc[5], thr[5];
    bench_u128 s;
    bench_seq(&all, 1, &s);   /* warm-up */
    struct bench_noise noise = bench_noise_start();
    for (int r = 0; r < 5; r++) {   /* interleaved: a burst of load hits all three */
        seq[r] = bench_seq(&all, 1, &s);
        cr_assert(s == bench_job_expected(n));
        proc[r] = bench_run_processes(n, 1, &s);
        cr_assert(s == bench_job_expected(n));
        thr[r] = bench_run_threads(n, 1, &s);
        cr_assert(s == bench_job_expected(n));
    }
    bench_noise_stop(&noise);
    qsort(seq, 5, sizeof seq[0], by_value);
    qsort(proc, 5, sizeof proc[0], by_value);
    qsort(thr, 5, sizeof thr[0], by_value);
    double sp_proc = seq[2] / proc[2], sp_thr = seq[2] / thr[2];
    cr_log_info("P = 1 speedups: process %.3f, thread %.3f (others used %.0f %% of the CPUs)",
                sp_proc, sp_thr, 100 * noise.others);
    if (noise.loaded)
        cr_skip_test("machine loaded (others %.0f %%, steal %.0f %%): P = 1 speedups %.3f, %.3f "
                     "not judged", 100 * noise.others, 100 * noise.steal, sp_proc, sp_thr);
    cr_expect(sp_proc >= 0.95 && sp_proc <= 1.05, "P = 1 process speedup %.3f", sp_proc);
    cr_expect(sp_thr >= 0.95 && sp_thr <= 1.05, "P = 1 thread speedup %.3f", sp_thr);
}

/* The guard itself: a point timed while another process burns a CPU is
 * marked loaded. The burner is our own child but is NOT reaped inside the
 * window, so its CPU time counts as another's. */
Test(bench_baseline, the_noise_guard_sees_a_busy_cpu)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        double t0 = kit_now();
        while (kit_now() - t0 < 0.6)
            ;
        _exit(0);
    }
    struct bench_noise n = bench_noise_start();
    double t0 = kit_now();
    while (kit_now() - t0 < 0.4)   /* we sleep; the child burns */
        usleep(10000);
    bench_noise_stop(&n);
    bench_reap(pid, "the burner");
    cr_assert(n.loaded && n.others >= 0.2, "others %.2f of the CPUs: not seen as load", n.others);
}

Test(bench_baseline, a_speedup_above_min_p_cores_is_flagged)
{
    int cores = bench_cores();
    cr_assert(bench_above_bound(1.06, 1));
    cr_assert(!bench_above_bound(1.04, 1));
    cr_assert(bench_above_bound(cores * 1.06, (unsigned)cores + 3));
    cr_assert(!bench_above_bound(cores * 1.04, (unsigned)cores + 3));
}
