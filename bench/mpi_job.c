/* mpi_job.c - note 001's job split over MPI ranks, for speedup.c's MPI series.
 *
 * Run by bench/speedup (not by hand, though it works):
 *     mpirun --oversubscribe --bind-to none -np P build/bench/mpi_job N REPEATS
 * Each repeat: MPI_Barrier (every rank ready), rank 0 reads MPI_Wtime, each
 * rank sums its slice of [0, N) (bench_split, the same slices the processes
 * get), MPI_Reduce adds the 128-bit parts on rank 0 (a user-defined sum: MPI
 * has no 128-bit integer), rank 0 reads MPI_Wtime again, checks the total
 * against the closed form and prints the seconds, one line per repeat.
 * What is timed is the work and the reduction, not mpirun's start-up (about
 * half a second here, to compare with fork's ~0.1 ms): speedup.c says so.
 * Exit status 2 on bad arguments, 1 on a wrong sum.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

static void add_u128(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    for (int k = 0; k < *len; k++)
        ((bench_u128 *)inout)[k] += ((const bench_u128 *)in)[k];
}

static long number(const char *text, long max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "mpi_job: '%s' is not a number in 1..%ld\n", text, max);
        exit(2);
    }
    return v;
}

int main(int argc, char *argv[])
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc != 3) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np P mpi_job N REPEATS\n");
        MPI_Finalize();
        return 2;
    }
    uint64_t n = (uint64_t)number(argv[1], BENCH_N_MAX);
    long repeats = number(argv[2], 1000);
    MPI_Datatype two_words;
    MPI_Op sum;
    MPI_Type_contiguous(2, MPI_UINT64_T, &two_words);
    MPI_Type_commit(&two_words);
    MPI_Op_create(add_u128, 1, &sum);
    struct bench_range mine = bench_split(n, (unsigned)size, (unsigned)rank);
    int status = 0;
    for (long r = 0; r < repeats && status == 0; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        bench_u128 part = bench_job(mine.lo, mine.hi), total = 0;
        MPI_Reduce(&part, &total, 1, two_words, sum, 0, MPI_COMM_WORLD);
        double t = MPI_Wtime() - t0;
        if (rank == 0 && total != bench_job_expected(n)) {
            char got[40], want[40];
            fprintf(stderr, "mpi_job: wrong sum %s, expected %s\n", bench_u128_str(total, got),
                    bench_u128_str(bench_job_expected(n), want));
            status = 1;
        }
        if (rank == 0 && status == 0)
            printf("%.9f\n", t);
        /* every rank learns whether to go on: no rank waits in a barrier alone */
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    fflush(stdout);
    MPI_Op_free(&sum);
    MPI_Type_free(&two_words);
    MPI_Finalize();
    return status;
}
