# timeline.awk - turns a --trace file into what plots/timeline.gp draws.
#   LC_ALL=C awk -F'\t' -v mode=MODE [-v part=N] -f plots/timeline.awk trace.tsv
# The rows of the chart are the processes, in the order their first row came
# (the main process on top). Times are printed in ms. Modes:
#   header   gnuplot commands: the number of rows, their tics, the verdict,
#            the part headings (x2 tics and dotted lines), the zoom range
#   lives    y  first-ms  last-ms                    one line per process
#   spans    y  from-ms  to-ms  class  label  depth   one line per span
#   events   y  ms  kind                             fork, start, exit, join, message[-ok|-warn|-fail]
# A span is a begin row and the next end row of the same process and name;
# one never ended (the process was killed) ends at its process's last row.
# part=N: part N alone, from its heading to the next one: only the processes
# that lived then get a row.
function ms(ns) { return sprintf("%.4f", ns / 1e6) }
function quote(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function class(name,    w) { split(name, w, " "); return w[1] }
function label(name,    w) { return split(name, w, " ") > 1 ? w[2] : "" }
function mark(text) {
    if (text ~ /^ok /) return "-ok"
    if (text ~ /^FAIL/) return "-fail"
    if (text ~ /^WARNING/) return "-warn"
    return ""
}
/^#/ || $1 == "time_ns" || NF < 4 { next }
{
    pid = $2; t = $1 + 0
    if (!(pid in first)) { order[pids++] = pid; first[pid] = t }
    last[pid] = t
    # A forked child has its parent's role until it sets its own: "child" till then.
    if (pid == order[0] || ($4 != "fork" && $3 != role[order[0]])) role[pid] = $3
    else if (!(pid in role)) role[pid] = "child"
    if ($4 == "begin") {
        key = pid SUBSEP $5
        n = ++open_n[key]; open_t[key, n] = t; open_d[key, n] = depth[pid]++
    } else if ($4 == "end") {
        key = pid SUBSEP $5
        if (open_n[key] > 0) {
            n = open_n[key]--; depth[pid]--
            spans++; sp_pid[spans] = pid; sp_from[spans] = open_t[key, n]; sp_to[spans] = t
            sp_name[spans] = $5; sp_depth[spans] = open_d[key, n]
        }
    } else {
        events++; ev_pid[events] = pid; ev_t[events] = t; ev_kind[events] = $4 ($4 == "message" ? mark($5) : "")
    }
    if ($4 == "section") { sec_n++; sec_t[sec_n] = t; sec_text[sec_n] = $5 }
    if ($4 == "message" && $5 ~ /VERDICT:/) { verdict = $5; sub(/.*VERDICT: */, "", verdict) }
}
END {
    for (key in open_n)                   # begun, never ended: cut at the process's end
        while (open_n[key] > 0) {
            split(key, k, SUBSEP); n = open_n[key]--
            spans++; sp_pid[spans] = k[1]; sp_from[spans] = open_t[key, n]; sp_to[spans] = last[k[1]]
            sp_name[spans] = k[2]; sp_depth[spans] = open_d[key, n]
        }
    lo = -1; hi = -1; part_title = ""
    if (part != "")
        for (i = 1; i <= sec_n; i++)
            if (index(sec_text[i], part ". ") == 1) {
                lo = sec_t[i]; part_title = sec_text[i]
                hi = i < sec_n ? sec_t[i + 1] : last[order[0]]
            }
    rows = 0                              # the rows: every process, or those alive in the zoom
    for (i = 0; i < pids; i++) {
        p = order[i]
        if (lo < 0 || i == 0 || (last[p] >= lo && first[p] <= hi)) { row[p] = rows; shown[rows++] = p }
    }
    if (mode == "lives")
        for (i = 0; i < rows; i++) { p = shown[i]; print i "\t" ms(first[p]) "\t" ms(last[p]) }
    if (mode == "spans")
        for (i = 1; i <= spans; i++)
            if (sp_pid[i] in row)
                print row[sp_pid[i]] "\t" ms(sp_from[i]) "\t" ms(sp_to[i]) "\t" class(sp_name[i]) "\t" label(sp_name[i]) "\t" sp_depth[i]
    if (mode == "events")
        for (i = 1; i <= events; i++)
            if (ev_pid[i] in row)
                print row[ev_pid[i]] "\t" ms(ev_t[i]) "\t" ev_kind[i]
    if (mode != "header")
        exit
    print "rows = " rows
    print "verdict = " quote(verdict == "" ? "no verdict (the run did not finish)" : verdict)
    tics = ""
    for (i = 0; i < rows; i++) {          # without a Chinese term: no CJK font, giant boxes
        p = shown[i]; name = role[p]; gsub(/[\200-\377]/, "", name); sub(/ +$/, "", name)
        tics = tics (i ? ", " : "") quote(name " " p) " " i
    }
    print "set ytics (" tics ")"
    tics = ""
    for (i = 1; i <= sec_n; i++) {
        text = sec_text[i]
        if (text !~ /^[0-9]+\. / && text != "verdict") continue    # the intro's heading
        if (length(text) > 30) text = substr(text, 1, 28) ".."
        tics = tics (tics != "" ? ", " : "") quote(text) " " ms(sec_t[i])
        print "set arrow from " ms(sec_t[i]) ", graph 0 to " ms(sec_t[i]) ", graph 1 nohead dt 3 lc rgb '#999999' back"
    }
    if (tics != "") print "set x2tics (" tics ")"
    classes = ""
    for (d = 0; d <= 3; d++)              # outer spans first: an inner one is drawn on top
        for (i = 1; i <= spans; i++) {
            c = class(sp_name[i])
            if ((sp_pid[i] in row) && !(c in seen) && (sp_depth[i] == d || d == 3)) {
                seen[c]; classes = classes " " c
            }
        }
    print "classes = " quote(substr(classes, 2))
    # How many of each mark: the chart skips a kind it has none of (gnuplot
    # warns about a plot with no valid points).
    split("fork start exit join message message-ok message-warn message-fail", kinds, " ")
    for (j in kinds) count[kinds[j]] = 0
    for (i = 1; i <= events; i++) if (ev_pid[i] in row) count[ev_kind[i]]++
    labels = 0
    for (i = 1; i <= spans; i++) if ((sp_pid[i] in row) && label(sp_name[i]) != "") labels++
    print "n_start = " count["fork"] + count["start"]
    print "n_exit = " count["exit"]
    print "n_join = " count["join"]
    print "n_message = " count["message"]
    print "n_ok = " count["message-ok"]
    print "n_bad = " count["message-warn"] + count["message-fail"]
    print "n_labels = " labels
    print "part_title = " quote(part_title)
    print "zoom_lo = " quote(lo < 0 ? "" : ms(lo))
    print "zoom_hi = " quote(lo < 0 ? "" : ms(hi))
}
