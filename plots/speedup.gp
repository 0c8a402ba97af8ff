# speedup.gp - speedup of note 001's job against the number of workers P,
# processes, threads and MPI ranks on this machine (when bench/speedup found
# mpirun: the header says "# mpi series: yes"), with the ideal line, an
# Amdahl fit and the noise guard's flagged points circled.
# data: speedup.tsv
load 'plots/style.inc'
f = data.'/speedup.tsv'
cores = int(header(f, 'cores'))
n = header(f, 'n')
fit_line = header(f, 'amdahl serial fraction')
s_proc = real(word(fit_line, 2))
s_thr = real(word(fit_line, 4))
if (fmt eq "png") print sprintf("speedup.gp: Amdahl fit, serial fraction: processes %.4f, threads %.4f", s_proc, s_thr)

q(p) = p < cores ? p : cores                      # workers that can run at once
amdahl(p, s) = 1 / (s + (1 - s) / q(p))

has_mpi = header(f, 'mpi series') eq 'yes'
set title sprintf("Speedup of note 001's job (n = %s) over %s\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  n, has_mpi ? 'P processes, threads and MPI ranks' : 'P processes and P threads', \
                  machine(f), header(f, 'repeats'))
set xlabel has_mpi ? 'P (processes, threads or MPI ranks)' : 'P (processes or threads)'
set ylabel 'speedup (sequential time / parallel time)'
stats f using 1 nooutput
maxp = STATS_max
set xrange [0.5:maxp + 0.5]
set yrange [0:(cores > 2 ? cores : 2) * 1.25]
set xtics 1
set key bottom right
set arrow from cores, graph 0 to cores, graph 1 nohead lc rgb '#bbbbbb' dt 3
set label sprintf('%d cores', cores) at cores, graph 0.04 offset 0.5,0 tc rgb '#666666'
set samples 400
# columns (bench/speedup.c, its "# columns:" line): 5:6:7 processes' speedup
# med lo hi, 11:12:13 threads', 20:21:22 MPI ranks', 27 the noise guard's flag
# (for the whole point: every series in it is circled when it is set).
# Side by side: processes left, threads right, or in the middle with MPI right.
x_proc = has_mpi ? -0.1 : -0.06
x_thr = has_mpi ? 0 : 0.06
# the MPI series, only when the data has it (gnuplot fails on a column of '?')
mpi_line = has_mpi ? ", f using ($1 + 0.1):20:21:22 with yerrorlines ls 4 title 'MPI ranks (mpirun -np P, this machine; no start-up)'" : ""
mpi_flag = has_mpi ? ", f using ($1 + 0.1):(flagged_at($20, $27)) with points ls 9 notitle" : ""
plot x ls 3 title 'ideal: speedup = P', \
     q(x) ls 3 lw 3 dt 1 lc rgb '#cccccc' title sprintf('ideal on %d cores', cores), \
     amdahl(x, s_proc) ls 1 lw 1 dt 4 title sprintf('Amdahl fit, processes: serial fraction %.3f', s_proc), \
     f using ($1 + x_proc):5:6:7 with yerrorlines ls 1 title 'processes (fork)', \
     f using ($1 + x_thr):11:12:13 with yerrorlines ls 2 title 'threads (pthread)' \
     @mpi_line, \
     f using ($1 + x_proc):(flagged_at($5, $27)) with points ls 9 title 'flagged: load, or above min(P, cores) x 1.05', \
     f using ($1 + x_thr):(flagged_at($11, $27)) with points ls 9 notitle \
     @mpi_flag
