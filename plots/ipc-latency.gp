# ipc-latency.gp - round-trip time of one message each way (ping-pong)
# between two processes, against the message size: solid with the two
# processes on two CPUs, dashed with both on one CPU.
# data: ipc.tsv
load 'plots/style.inc'
f = data.'/ipc.tsv'
set title sprintf("IPC latency: one message there and back between two processes\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  machine(f), header(f, 'repeats'))
set xlabel 'message size (bytes, log scale)'
set ylabel 'round trip (microseconds, log scale)'
set logscale xy 2
set logscale y 10
set format x '%.0b%B'
set xrange [5:1.6e6]
set key top left noenhanced
plot f using 1:5:6:7 with yerrorlines ls 1 title 'pipe, two CPUs', \
     f using 1:14:15:16 with yerrorlines ls 2 title 'socketpair (AF_UNIX), two CPUs', \
     f using 1:23:24:25 with yerrorlines ls 4 title 'shared-memory ring + semaphores, two CPUs', \
     f using 1:32:33:34 with yerrorlines ls 5 title 'POSIX message queue (to its size limit), two CPUs', \
     f using 1:8 with linespoints ls 1 dt 2 lw 1.5 title 'the same, both on one CPU (dashed)', \
     f using 1:17 with linespoints ls 2 dt 2 lw 1.5 notitle, \
     f using 1:26 with linespoints ls 4 dt 2 lw 1.5 notitle, \
     f using 1:35 with linespoints ls 5 dt 2 lw 1.5 notitle
