# wakeup.gp - round trips per second between two processes (ping-pong),
# by mechanism: bars for the two pinned to two CPUs and to one CPU.
# data: wakeup.tsv
load 'plots/style.inc'
f = data.'/wakeup.tsv'
py = header(f, 'python')
py_note = py[1:7] eq 'skipped' ? 'Python skipped: no python3' : 'Python: multiprocessing, same ping-pong'
set title sprintf("Wake-ups: round trips per second between two processes (ping-pong)\n{/*0.8 %s}\n{/*0.8 %s; median of %s runs, bars min..max; spin on one CPU yields}", \
                  machine(f), py_note, header(f, 'repeats'))
set ylabel 'round trips per second (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [100:*]   # a loaded run's slowest bar must still show
set boxwidth 0.36
set style fill solid 0.8 border -1
set key top right noenhanced
set xtics noenhanced
set xrange [-0.6:6.6]
lab(v) = v >= 1e6 ? sprintf('%.1fM', v / 1e6) : sprintf('%.0fk', v / 1e3)
plot f using ($0 - 0.19):3:4:5:(0.36):xticlabels(2) with boxerrorbars ls 1 lc rgb '#1f77b4' title 'pinned to two CPUs', \
     f using ($0 + 0.19):6:7:8:(0.36) with boxerrorbars lc rgb '#ff7f0e' title 'both on one CPU', \
     f using ($0 - 0.19):3:(lab($3)) with labels offset 0,0.8 font ',9' notitle, \
     f using ($0 + 0.19):6:(lab($6)) with labels offset 0,0.8 font ',9' notitle
