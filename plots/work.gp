# work.gp - speedup at P = 2 against the work each worker gets: where the
# cost of starting processes and threads eats the gain, and where it pays.
# data: work.tsv
load 'plots/style.inc'
f = data.'/work.tsv'
cores = int(header(f, 'cores'))
notes_n = real(header(f, 'notes_n'))
ideal = cores < 2 ? cores : 2

set title sprintf("Speedup at P = 2 against the work per worker\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  machine(f), header(f, 'repeats'))
set xlabel 'steps of the job per worker (n / 2, log scale)'
set ylabel 'speedup at P = 2'
set logscale x
set format x '10^{%L}'
set yrange [0:2.4]
set key top left
set xrange [100:*]
set arrow from notes_n / 2, graph 0 to notes_n / 2, graph 1 nohead lc rgb '#bbbbbb' dt 3
set label "the notes' n = 10^7 " at notes_n / 2, graph 0.95 right tc rgb '#666666'
plot ideal ls 3 title sprintf('ideal on %d cores', cores), \
     1 lc rgb '#bbbbbb' lw 1 title 'no gain', \
     f using 2:9:10:11 with yerrorlines ls 1 title '2 processes (fork)', \
     f using 2:15:16:17 with yerrorlines ls 2 title '2 threads (pthread)', \
     f using 2:(flagged_at($9, $22)) with points ls 9 title 'flagged: load, or above 2 x 1.05', \
     f using 2:(flagged_at($15, $22)) with points ls 9 notitle
