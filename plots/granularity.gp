# granularity.gp - speedup of a process pool against the size of its tasks:
# one task per message, and tasks sent in chunks (as pool.map does).
# data: granularity.tsv
load 'plots/style.inc'
f = data.'/granularity.tsv'
cores = int(header(f, 'cores'))
p = int(header(f, 'workers'))
ideal = p < cores ? p : cores

set title sprintf("Process pool of %d: the same work (n = %s) cut into tasks of different sizes\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  p, header(f, 'n'), machine(f), header(f, 'repeats'))
set xlabel 'steps of the job per task (log scale; one step is about a nanosecond of work)'
set ylabel 'speedup (sequential time / pool time)'
set logscale x
set format x '10^{%L}'
set xrange [50:*]
set yrange [0:ideal * 1.25]
set key bottom right
plot ideal ls 3 title sprintf('ideal: %d workers on %d cores', p, cores), \
     1 lc rgb '#bbbbbb' lw 1 title 'no gain', \
     f using 1:6:7:8 with yerrorlines ls 1 title 'one task per message (apply\_async)', \
     f using 1:13:14:15 with yerrorlines ls 4 title 'chunked: tasks / (4 x workers) per message (map)', \
     f using 1:(flagged_at($6, $23)) with points ls 9 title 'flagged: load, or above min(P, cores) x 1.05', \
     f using 1:(flagged_at($13, $23)) with points ls 9 notitle
