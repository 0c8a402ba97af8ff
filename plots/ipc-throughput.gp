# ipc-throughput.gp - how many MB/s each IPC mechanism moves from one
# process to another, against the message size.
# data: ipc.tsv
load 'plots/style.inc'
f = data.'/ipc.tsv'
set title sprintf("IPC throughput between two processes\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  machine(f), header(f, 'repeats'))
set xlabel 'message size (bytes, log scale)'
set ylabel 'throughput (MB/s, log scale)'
set logscale xy 2
set logscale y 10
set format x '%.0b%B'
set xrange [5:1.6e6]
set key top left noenhanced
plot f using 1:2:3:4 with yerrorlines ls 1 title 'pipe', \
     f using 1:11:12:13 with yerrorlines ls 2 title 'socketpair (AF_UNIX)', \
     f using 1:20:21:22 with yerrorlines ls 4 title 'shared-memory ring + semaphores', \
     f using 1:29:30:31 with yerrorlines ls 5 title 'POSIX message queue (up to its size limit)'
