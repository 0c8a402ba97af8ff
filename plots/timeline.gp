# timeline.gp - one lesson's run as a timeline: a row per process, time
# across; its spans as bars (waiting at the gate, holding a lock, inside
# the semaphore, running a task), its events as marks; the verdict in the
# title. Drawn by `make timelines` from a --trace file; by hand:
#   ./lesson05 --quick --trace t.tsv
#   gnuplot -e "trace='t.tsv'; out='t.png'; fmt='png'" plots/timeline.gp
# part='3' draws part 3 alone (its heading to the next one), for the
# parts whose spans are too short to see in the whole run.
# The trace is read through plots/timeline.awk (pairs begin and end rows).
# (No "data:" line: `make plots` does not draw this chart; make timelines does.)
load 'plots/style.inc'
if (!exists("trace")) trace = 'plots/data/timelines/timeline-05.tsv'
if (!exists("part")) part = ''
awk(mode) = sprintf("< LC_ALL=C awk -F'\t' -v mode=%s -v part='%s' -f plots/timeline.awk '%s'", mode, part, trace)
eval system(sprintf("LC_ALL=C awk -F'\t' -v mode=header -v part='%s' -f plots/timeline.awk '%s' | tr '\\n' ';'", part, trace))

# Marks of the lines a process printed sit above its row, so they hide no bar.
# A taller chart when there are many processes: 24 px a row.
height = rows * 24 + 230 > 600 ? rows * 24 + 230 : 600
if (fmt eq 'svg') {
    set terminal svg size 960,height dynamic enhanced font 'Helvetica,13' background '#ffffff'
} else {
    set terminal pngcairo size 960,height enhanced font 'Sans,11' background '#ffffff'
}
if (exists("out")) { set output out }

# The title without its Chinese term: a machine without a CJK font draws it
# as giant boxes (the README shows the term).
ascii(key) = system(sprintf("sed -n 's/^# %s: //p' '%s' | head -n 1 | LC_ALL=C tr -d '\\200-\\377' | sed 's/ *$//'", key, trace))
what = part eq '' ? 'the whole run' : 'part '.(strlen(part_title) > 55 ? part_title[1:53].'..' : part_title).' alone'
command = system(sprintf("sed -n 's/^# command: //p' '%s' | head -n 1 | sed 's/ --trace [^ ]*//; s/^.*\\///'", trace))
set title sprintf("%s %s: %s\n%s; %s\n%s cores, %s, %s, load average %s (shared: order, not speed)", \
                  header(trace, 'lesson'), ascii('title'), verdict, command.' --trace', \
                  what, header(trace, 'cores'), header(trace, 'cpu'), header(trace, 'date'), \
                  header(trace, 'load average')) noenhanced
set xlabel 'ms since the program started'
set yrange [rows - 0.4:-0.6]
set ytics noenhanced font ',9' nomirror
set x2tics noenhanced rotate by 30 left font ',8' nomirror
set link x2
set grid noytics xtics
if (zoom_lo ne '') { set xrange [zoom_lo - (zoom_hi - zoom_lo) * 0.02 : zoom_hi + (zoom_hi - zoom_lo) * 0.02] }
set key below horizontal noenhanced font ',9'
set bmargin 9
set rmargin 9
set style fill solid 0.85 border rgb '#ffffff'   # a white edge between spans that touch
set datafile separator tab

# One colour per kind of span; a kind a lesson names itself gets the last one.
colours = "gate #c7c7c7 loop #1f77b4 lock #d62728 inside #2ca02c put #ff7f0e task #9467bd"
index_of(c) = sum [i = 1:words(colours)] (word(colours, i) eq c ? i + 1 : 0)
colour(c) = index_of(c) > 0 ? word(colours, index_of(c)) : '#8c564b'
meaning(c) = c eq 'gate' ? 'gate: waits at the starting gate' : \
             c eq 'loop' ? 'loop: runs its job' : \
             c eq 'lock' ? 'lock: holds the mutex' : \
             c eq 'inside' ? 'inside: holds a place of the semaphore' : \
             c eq 'put' ? 'put: in put() (blocks while the queue is full)' : \
             c eq 'task' ? 'task N: runs task N' : c
half(d) = 0.3 - 0.09 * d      # a span inside another is drawn thinner, on top

# The plot is built clause by clause: a kind of mark this run has none of
# is left out (gnuplot 5.4 warns about a clause with no valid points, and
# still reads one in an empty "for" loop).
p = "awk('lives') using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.03) with boxxyerror" \
  . " lc rgb '#444444' title 'the process lives'"
if (words(classes) > 0) { p = p . ", for [i = 1:words(classes)] awk('spans')" \
  . " using (strcol(4) eq word(classes, i) ? ($2 + $3) / 2 : NaN):1:(($3 - $2) / 2):(half($6))" \
  . " with boxxyerror lc rgb colour(word(classes, i)) title meaning(word(classes, i))" }
if (n_labels > 0) { p = p . ", awk('spans') using (strcol(5) ne '' ? ($2 + $3) / 2 : NaN)" \
  . ":($1 + half($6) + 0.13):5 with labels font ',7' tc rgb '#5b3a8c' notitle" }
mark(n, test, y, style, name) = n > 0 ? sprintf(", awk('events') using (%s ? $2 : NaN):%s with points %s title '%s'", \
  test, y, style, name) : ''
p = p . mark(n_start, "strcol(3) eq 'fork' || strcol(3) eq 'start'", "1", "pt 9 ps 1.0 lc rgb '#000000'", 'fork / start')
p = p . mark(n_exit, "strcol(3) eq 'exit'", "1", "pt 2 ps 1.0 lc rgb '#000000'", 'exit')
p = p . mark(n_join, "strcol(3) eq 'join'", "1", "pt 13 ps 0.8 lc rgb '#666666'", 'join (the parent reaps one)')
p = p . mark(n_message, "strcol(3) eq 'message'", "($1 - 0.36)", "pt 7 ps 0.45 lc rgb '#17becf'", \
             'message (a line it printed)')
p = p . mark(n_ok, "strcol(3) eq 'message-ok'", "($1 - 0.36)", "pt 7 ps 0.7 lc rgb '#2ca02c'", 'ok (a claim held)')
p = p . mark(n_bad, "strcol(3) eq 'message-warn' || strcol(3) eq 'message-fail'", "($1 - 0.36)", \
             "pt 7 ps 0.8 lc rgb '#d62728'", 'WARNING / FAIL')
eval 'plot ' . p
