# queue.gp - messages per second from one process to another through
# lesson 02's Queue, a mutex + condvar ring of the same records and slots,
# and Python's mp.Queue, one run.
# data: queue.tsv
load 'plots/style.inc'
f = data.'/queue.tsv'
set title sprintf("Queue throughput between two processes (messages per second)\n{/*0.8 records: %s}\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  header(f, 'records'), machine(f), header(f, 'repeats'))
set ylabel 'messages per second (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1000:*]
set boxwidth 0.6
set style fill solid 0.8 border -1
set xtics noenhanced
set key off
stats f using 2 nooutput
set xrange [-0.6:STATS_records - 0.4]
lab(v) = v >= 1e6 ? sprintf('%.2fM', v / 1e6) : sprintf('%.0fk', v / 1e3)
plot f using 0:2:3:4:(0.6):xticlabels(1) with boxerrorbars ls 1 lc rgb '#1f77b4', \
     f using 0:2:(lab($2)) with labels offset 0,0.8 font ',10', \
     f using 0:(flagged_at($2, $9)) with points ls 9
