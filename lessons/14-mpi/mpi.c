/* mpi.c - beyond one machine: the kit's ideas on MPI ranks (Open MPI)
 *
 * Past one machine, Python also has mpi4py (the notes stop at one machine):
 *     comm.send(x, dest=0) / comm.recv(source=MPI.ANY_SOURCE)   # the Queue
 *     comm.gather(f(comm.scatter(chunks)))   # pool.map; comm.reduce(part, op=MPI.SUM)
 * C: `mpirun -np 4 ./lesson14` starts 4 copies of this program, the ranks; no fork.
 *    Each learns its number (MPI_Comm_rank) and the job's size (MPI_Comm_size).
 *    Rank 0 runs the lesson; ranks 1..N-1 wait in MPI_Bcast for the part to join,
 *    so all output comes from rank 0 (a rank's stdout reaches mpirun in no order).
 * Usage: make lesson14 && mpirun -np 4 ./lesson14 [-q] [-n N] [--items K]   (alone: 1 rank)
 * Watch for: every rank's parent is mpirun; one rank's messages in the order sent;
 * an exact 128-bit total; a dead rank ends the job. Try: mpirun -np 3 ./lesson14
 * --rank-dies. Compare: lessons 01, 02, 03. Speed: bench/speedup.c (MPI series).
 */
#include "kit.h"
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
enum { TAG_ITEM = 1, SHOW_MAX = 12 };
__extension__ typedef unsigned __int128 u128;   /* the job's sum passes 2^64 */
static int rank, size;              /* this process's number, and the job's size */
static long items = 4;              /* --items: what each rank sends or maps */

/* Rank 0's last word, however it exits (also --help, bad input): stop. */
static void end_job(void)
{
    long stop[4] = {-1, 0, 0, 0};
    MPI_Bcast(stop, 4, MPI_LONG, 0, MPI_COMM_WORLD);
    MPI_Finalize();
}

static void mpi_up(void)
{
    if (size > 0)                       /* MPI_Init ran already */
        return;
    setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);  /* alone: no helper daemon */
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
        atexit(end_job);
}

/* Rank 0 names the part (and -q, -n, --items) in one MPI_Bcast; the others wait in theirs. */
static void together(long part, const struct kit_args *a)
{
    mpi_up();
    long order[4] = {part, a->quick, a->count, items};
    if (rank == 0)
        MPI_Bcast(order, 4, MPI_LONG, 0, MPI_COMM_WORLD);
}

static void *zalloc(size_t n, size_t each)
{
    void *p = calloc(n, each);
    if (p == NULL)
        kit_die("calloc");
    return p;
}
/* ---- 1. ranks instead of forked children -------------------------------- */
struct who { long rank, pid, ppid; char host[MPI_MAX_PROCESSOR_NAME]; };
static void ranks(const struct kit_args *a)
{
    together(0, a);
    struct who me = {.rank = rank, .pid = getpid(), .ppid = getppid()};
    MPI_Get_processor_name(me.host, &(int){0});
    struct who *all = zalloc((size_t)size, sizeof *all);
    /* each rank's record lands in slot `rank` of rank 0's array */
    MPI_Gather(&me, sizeof me, MPI_BYTE, all, sizeof me, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        kit_say("MPI_Comm_size: %d rank%s", size, size == 1 ? " (no mpirun: a job of one)" : "s");
        int in_place = 0, children = 0;
        for (int r = 0; r < size; r++) {
            if (r < SHOW_MAX)
                kit_say("rank %d: pid %ld, parent pid %ld, on host %.40s", r, all[r].pid,
                        all[r].ppid, all[r].host);
            in_place += all[r].rank == r;
            children += r > 0 && all[r].ppid == me.pid;
        }
        kit_expect(in_place == size, "%d of %d ranks answered, each in its own slot", in_place,
                   size);
        kit_expect(children == 0, "no rank is rank 0's child: mpirun started them all (%d are)",
                   children);
    }
    free(all);
}

/* ---- 2. point-to-point: the Queue of lesson 02 ------------------------- */
static void send_recv(const struct kit_args *a)
{
    together(1, a);
    if (rank != 0) {                     /* a producer: q.put((rank, i)) */
        for (long i = 0; i < items; i++) {
            long msg[2] = {rank, i};
            kit_pace(0.1);
            MPI_Send(msg, 2, MPI_LONG, 0, TAG_ITEM, MPI_COMM_WORLD);
        }
        return;
    }
    int producers = size > 1 ? size - 1 : 1;   /* alone, rank 0 is its own producer */
    long *next = zalloc((size_t)size, sizeof *next), total = producers * items, bad = 0;
    kit_say("%d producer rank(s) send %ld items each; rank 0 receives from MPI_ANY_SOURCE",
            producers, items);
    for (long k = 0; k < total; k++) {
        long got[2], mine[2] = {0, k};
        MPI_Request req = MPI_REQUEST_NULL;
        if (size == 1)   /* a blocking send to oneself could wait for ever: post it */
            MPI_Isend(mine, 2, MPI_LONG, 0, TAG_ITEM, MPI_COMM_WORLD, &req);
        MPI_Status st;   /* who sent it: st.MPI_SOURCE */
        MPI_Recv(got, 2, MPI_LONG, MPI_ANY_SOURCE, TAG_ITEM, MPI_COMM_WORLD, &st);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        bad += got[0] != st.MPI_SOURCE || got[1] != next[st.MPI_SOURCE];
        next[st.MPI_SOURCE] = got[1] + 1;
        if (k < SHOW_MAX)
            kit_say("get: item %ld from rank %d", got[1], st.MPI_SOURCE);
    }
    kit_expect(bad == 0, "all %ld arrived, each rank's in its own order (%ld out of place)",
               total, bad);
    free(next);
}

/* ---- 3. MPI_Scatter and MPI_Gather: pool.map(f, range(n)) -------------- */
static void scatter_gather(const struct kit_args *a)
{
    together(2, a);
    long n = items * size, *x = NULL, *y = NULL, *mine = zalloc((size_t)items, sizeof *mine);
    if (rank == 0) {
        x = zalloc((size_t)n, sizeof *x);
        y = zalloc((size_t)n, sizeof *y);
        for (long i = 0; i < n; i++)
            x[i] = i;
        kit_say("pool.map(f, range(%ld)) with f(x) = x*x: %ld values to each of %d ranks", n,
                items, size);
    }
    /* chunk r of x goes to rank r; rank 0 keeps chunk 0 */
    MPI_Scatter(x, (int)items, MPI_LONG, mine, (int)items, MPI_LONG, 0, MPI_COMM_WORLD);
    for (long i = 0; i < items; i++)
        mine[i] *= mine[i];       /* f(x) = x*x, on every rank at once */
    MPI_Gather(mine, (int)items, MPI_LONG, y, (int)items, MPI_LONG, 0, MPI_COMM_WORLD);
    long wrong = 0;
    for (long i = 0; i < n && rank == 0; i++)
        wrong += y[i] != i * i;
    if (rank == 0)
        kit_expect(wrong == 0, "map: [%ld, %ld, %ld, ..., %ld], all %ld are f(x), in x's order"
                   " (%ld wrong)", y[0], y[1], y[2], y[n - 1], n, wrong);
    free(x);
    free(y);
    free(mine);
}

/* ---- 4. MPI_Reduce: note 001's job split over the ranks ----------------- */
static u128 job(u128 lo, u128 hi)       /* res += i + i**2 + i**3, for i in [lo, hi) */
{
    u128 res = 0;
    for (u128 i = lo; i < hi; i++)
        res += i + i * i + i * i * i;
    return res;
}

static u128 expected(u128 n)            /* the same sum from the closed forms */
{
    u128 m = n ? n - 1 : 0, s1 = m * (m + 1) / 2, s2 = m * (m + 1) / 2 * (2 * m + 1) / 3;
    return s1 + s2 + s1 * s1;
}

static const char *text_of(u128 v, char *buf)   /* buf: 48 bytes; v < 10^38 */
{
    const u128 e19 = (u128)10000000000000000000ULL;   /* printf has no 128-bit format */
    if (v < e19)
        snprintf(buf, 48, "%llu", (unsigned long long)v);
    else
        snprintf(buf, 48, "%llu%019llu", (unsigned long long)(v / e19),
                 (unsigned long long)(v % e19));
    return buf;
}

static void add_u128(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    for (int k = 0; k < *len; k++)
        ((u128 *)inout)[k] += ((const u128 *)in)[k];
}

static void reduce(const struct kit_args *a)
{
    together(3, a);
    u128 n = (u128)a->count, lo = n * rank / size, hi = n * (rank + 1) / size;
    u128 part = job(lo, hi), total = 0;
    MPI_Datatype two_words;   /* MPI has no 128-bit integer: two 64-bit words, */
    MPI_Op sum128;            /* and the sum is ours */
    MPI_Type_contiguous(2, MPI_UINT64_T, &two_words);
    MPI_Type_commit(&two_words);
    MPI_Op_create(add_u128, 1, &sum128);   /* 1: commutative, any order will do */
    MPI_Reduce(&part, &total, 1, two_words, sum128, 0, MPI_COMM_WORLD);
    MPI_Op_free(&sum128);
    MPI_Type_free(&two_words);
    if (rank == 0) {
        char got[48], want[48];
        kit_say("n = %ld: each rank sums a slice of range(n); MPI_Reduce adds %d part(s)",
                a->count, size);
        kit_say("total %s", text_of(total, got));
        kit_expect(total == expected(n), "the total is exact: the closed form gives %s",
                   text_of(expected(n), want));
    }
}

/* ---- 5. MPI_Barrier ---------------------------------------------------- */
static void barrier(const struct kit_args *a)
{
    together(4, a);
    double times[2];
    kit_pace(0.25 * rank);               /* rank r arrives r quarters of a second late */
    times[0] = kit_now();
    MPI_Barrier(MPI_COMM_WORLD);
    times[1] = kit_now();
    double *all = zalloc(2 * (size_t)size, sizeof *all), last_in = 0, first_out = 1e300;
    MPI_Gather(times, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    for (int r = 0; r < size && rank == 0; r++) {
        last_in = all[2 * r] > last_in ? all[2 * r] : last_in;
        first_out = all[2 * r + 1] < first_out ? all[2 * r + 1] : first_out;
        if (r < SHOW_MAX)
            kit_say("rank %d: arrived at %+7.1f ms, left at %+7.1f ms (from rank 0's arrival)",
                    r, 1e3 * (all[2 * r] - all[0]), 1e3 * (all[2 * r + 1] - all[0]));
    }
    /* CLOCK_MONOTONIC: one clock for the processes of one host, not across hosts */
    if (rank == 0)
        kit_expect(first_out >= last_in, "no rank left before the last one arrived (%.1f ms"
                   " later; one host)", 1e3 * (first_out - last_in));
    free(all);
}

/* ---- 6. a rank that dies ---------------------------------------------- */
static void rank_dies(const struct kit_args *a)
{
    together(5, a);
    if (size == 1) {   /* every part makes a claim: this one is all there is to say */
        kit_expect(true, "alone: no rank to lose, not shown (try: mpirun -np 3 ... --rank-dies)");
        return;
    }
    if (rank == size - 1) {
        kit_pace(0.5);
        raise(SIGKILL);                 /* as the OOM killer or a crashed host would */
    }
    if (rank == 0)
        kit_say("rank %d dies now; the other ranks wait for it in MPI_Barrier", size - 1);
    MPI_Barrier(MPI_COMM_WORLD);        /* never returns: mpirun ends the whole job */
    if (rank == 0)
        kit_expect(false, "the job went on without rank %d", size - 1);
}

static const struct kit_part parts[] = {
    {"ranks", "ranks instead of forked children: MPI_Comm_rank, MPI_Comm_size", ranks, true},
    {"send-recv", "MPI_Send / MPI_Recv: the Queue of lesson 02", send_recv, true},
    {"scatter-gather", "MPI_Scatter / MPI_Gather: pool.map", scatter_gather, true},
    {"reduce", "MPI_Reduce: note 001's job split over the ranks, exact", reduce, true},
    {"barrier", "MPI_Barrier: nobody leaves before the last one arrives", barrier, true},
    {"rank-dies", "a rank that dies ends the whole job", rank_dies, false},
    {0}};
static const struct kit_option options[] = {
    {"items", "K", "items each rank sends (2) and maps (3)", &items, 3, 10000}, {0}};

/* Ranks 1..N-1: take rank 0's orders until it says stop (part -1). */
static void serve(void)
{
    for (;;) {
        long order[4];
        MPI_Bcast(order, 4, MPI_LONG, 0, MPI_COMM_WORLD);
        if (order[0] < 0)
            return;
        struct kit_args a = {.quick = order[1], .count = order[2]};
        items = order[3];
        kit_set_quick(a.quick);
        parts[order[0]].run(&a);
    }
}

int main(int argc, char *argv[])
{
    /* mpirun tells its ranks by the environment; alone, we are rank 0 and start
     * MPI at the first part, so --help and bad input cost no MPI_Init */
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE"))
        mpi_up();
    kit_set_role("rank %d", rank);
    if (rank != 0) {
        serve();
        return MPI_Finalize();
    }
    static const struct kit_lesson lesson = {
        .name = "lesson14", .title = "MPI: beyond one machine 分布式",
        .idea = "one program run as N ranks by mpirun, on one host or many",
        .python = "mpi4py: comm.send/recv, scatter/gather, reduce, Barrier (Python also has)",
        .mechanism = "Open MPI: MPI_Send/Recv, MPI_Scatter/Gather, MPI_Reduce, MPI_Barrier",
        .watch = "one rank per pid, no forking; an exact 128-bit total; a dead rank ends all",
        .parts = parts, .options = options, .show_ms = true,
        .count = {"steps of note 001's job (range(n))", 10000000, 1, 4000000000L, 0}};
    return kit_main(&lesson, argc, argv);
}
