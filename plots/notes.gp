# notes.gp - note 001's comparison as bars: the job twice in sequence, in 2
# processes, in 2 threads; C and the notes' Python on this machine, and the
# notes' own figures.
# data: notes.tsv
load 'plots/style.inc'
f = data.'/notes.tsv'
n = header(f, 'n')
notes_ok = (n eq '10000000')     # the notes' figures are for n = 10^7 only

py = header(f, 'python')
py_note = py[1:7] eq 'skipped' ? 'Python skipped: no python3' : \
          sprintf('C and Python measured in the same run; C threads taking turns like the GIL: x%s', \
                  header(f, 'turns gain'))
set title sprintf("Note 001's job twice (n = %s): in sequence, in 2 processes, in 2 threads\n{/*0.8 %s}\n{/*0.8 %s; median of %s runs, bars min..max}", \
                  n, machine(f), py_note, header(f, 'repeats'))
set ylabel 'seconds (log scale)'
set logscale y
set yrange [*:*]
set format y '%g'
set xrange [-0.5:2.5]
set boxwidth 0.24
set style fill solid 0.8 border -1
set key below noenhanced
set xtics ('in sequence' 0, '2 processes' 1, '2 threads' 2)
lab(v) = v < 0.1 ? sprintf('%.1f ms', v * 1000) : sprintf('%.2f s', v)
plot f using ($0 - 0.26):2:3:4:(0.24) with boxerrorbars ls 1 lc rgb '#1f77b4' title 'C (fork / pthread)', \
     f using ($0):5:6:7:(0.24) with boxerrorbars lc rgb '#ff7f0e' title 'Python here (multiprocessing / threading)', \
     f using ($0 + 0.26):(notes_ok ? $8 : NaN) with boxes lc rgb '#bbbbbb' title "Python in the notes (their machine)", \
     f using ($0 - 0.26):2:(lab($2)) with labels offset 0,0.8 font ',9' notitle, \
     f using ($0):5:(lab($5)) with labels offset 0,0.8 font ',9' notitle, \
     f using ($0 + 0.26):(notes_ok ? $8 : NaN):(lab($8)) with labels offset 0,0.8 font ',9' notitle, \
     f using ($0):(flagged_at($5 == $5 ? $5 : $2, $9)):('FLAGGED') with labels offset 0,2.2 tc rgb '#ff7f0e' font ',10' notitle
