# mpkit - Python's multiprocessing, lesson by lesson, in C.
# One non-recursive Makefile for the lessons, libkit, the tests, the benchmarks
# and the charts. `make help` lists every target and lesson.
#
#   make lesson05 && ./lesson05     build and run one lesson (needs only a C compiler)
#   make check                      everything CI runs
#
# `make check` calls this same Makefile again with another BUILD directory for
# the sanitizer and clang builds: one file, no per-directory makefiles.

CC      ?= cc
BUILD   ?= build
BINDIR  ?= .
CFLAGS  ?= -O2 -g
# The feature-test macro is defined here and nowhere else: it exposes the
# POSIX and Linux declarations (sigaction, pthread robust mutexes, prctl,
# strerrorname_np) to every file in the same way.
KIT_CPPFLAGS := -D_GNU_SOURCE -Icommon -Itests
KIT_CFLAGS   := -std=c17 -Wall -Wextra -Wpedantic -Werror -pthread
KIT_LDLIBS   := -pthread -lm
SANITIZE     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SAN),1)
KIT_CFLAGS += $(SANITIZE)
LDFLAGS    += $(SANITIZE)
endif
COMPILE = $(CC) $(KIT_CPPFLAGS) $(CPPFLAGS) $(KIT_CFLAGS) $(CFLAGS)
LINK    = $(CC) $(KIT_CFLAGS) $(CFLAGS) $(LDFLAGS)

# Every object depends on the headers and on this Makefile, so a change to
# either rebuilds what it could affect.
HEADERS := $(wildcard common/*.h tests/*.h bench/*.h)

# ---- build hygiene: objects depend on the compiler and its flags ----------
# build/.flags holds the compile and link command lines; it is rewritten
# only when they change (another CC, CFLAGS, SAN=1, ...), and every object
# and binary depends on it, so such a change rebuilds everything in that
# BUILD directory and nothing is linked from objects of another compiler.
FLAGS_FILE := $(BUILD)/.flags
FLAGS_NOW  := $(COMPILE) | $(LINK) | $(KIT_LDLIBS) $(LDLIBS)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD) && printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $(FLAGS_FILE))
endif
# ---- end of build hygiene --------------------------------------------------

# ---- libkit --------------------------------------------------------------
KIT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard common/*.c))
LIBKIT  := $(BUILD)/libkit.a

$(BUILD)/%.o: %.c $(HEADERS) Makefile $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(COMPILE) -c -o $@ $<

$(LIBKIT): $(KIT_OBJ)
	$(AR) rcs $@ $^

# ---- lessons: lessons/NN-name/name.c -> ./lessonNN ------------------------
# Found by wildcard: a new lesson directory needs no edit here.
# (lesson 14 needs MPI: it is built by the MPI block below, not by this rule)
LESSON_DIRS := $(filter-out lessons/14-mpi,$(sort $(wildcard lessons/[0-9][0-9]-*)))
nn_of        = $(firstword $(subst -, ,$(notdir $1)))
bin_of       = $(if $(filter .,$(BINDIR)),$1,$(BINDIR)/$1)
LESSONS     := $(foreach d,$(LESSON_DIRS),lesson$(call nn_of,$d))
LESSON_BINS := $(foreach l,$(LESSONS),$(call bin_of,$l))

define lesson_rule
$(call bin_of,lesson$(call nn_of,$1)): $(patsubst %.c,$(BUILD)/%.o,$(filter-out $1/test_%.c,$(wildcard $1/*.c))) $(LIBKIT) $(FLAGS_FILE)
	@mkdir -p $$(@D)
	$$(LINK) -o $$@ $$(filter %.o %.a,$$^) $$(KIT_LDLIBS) $$(LDLIBS)
endef
$(foreach d,$(LESSON_DIRS),$(eval $(call lesson_rule,$d)))

# ---- benchmarks: bench/NAME.c -> build/bench/NAME --------------------------
# (bench/mpi_*.c need MPI: the MPI block below builds them)
BENCH_SRC  := $(filter-out bench/test_%.c bench/lib%.c bench/mpi_%.c,$(wildcard bench/*.c))
BENCH_LIB  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/lib*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BENCH_LIB) $(LIBKIT) $(FLAGS_FILE)
	$(LINK) -o $@ $(filter %.o %.a,$^) $(KIT_LDLIBS) $(LDLIBS)

# ---- GMP: lesson 17 and bench/bignum (big integers, libgmp) ----------------
# Note 001's pool job builds numbers of up to 490,642 digits: lesson 17 and
# bench/bignum link -lgmp. Everything else needs only a C compiler, so without
# gmp.h these two are left out of `make all` (one line says so), and asking
# for them by name says to run `make deps`, which installs libgmp-dev.
GMP_OK   := $(shell echo 'int x;' | $(CC) -include gmp.h -E -x c - >/dev/null 2>&1 && echo yes)
GMP_BINS := $(call bin_of,lesson17) $(BUILD)/bench/bignum
deps: DEB_PACKAGES += libgmp-dev
.PHONY: need-gmp
ifeq ($(GMP_OK),yes)
$(GMP_BINS): LDLIBS += -lgmp
else
LESSONS     := $(filter-out lesson17,$(LESSONS))
LESSON_BINS := $(filter-out $(call bin_of,lesson17),$(LESSON_BINS))
BENCH_BINS  := $(filter-out $(BUILD)/bench/bignum,$(BENCH_BINS))
BENCH_SRC   := $(filter-out bench/bignum.c,$(BENCH_SRC))
$(GMP_BINS) $(BUILD)/lessons/17-big-numbers/big_numbers.o $(BUILD)/bench/bignum.o: | need-gmp
all:
	@echo "make: GMP (gmp.h) not found: lesson17 and bench/bignum skipped; \`make deps\` installs it"
endif
need-gmp:
	@echo "lesson17 and bench/bignum need GMP (gmp.h; Debian: libgmp-dev): run \`make deps\`"
	@exit 1

# ---- MPI: lesson 14 and the speedup chart's MPI series (Open MPI) ---------
# Lesson 14 and bench/speedup's MPI series need an MPI library: Open MPI,
# Debian's libopenmpi-dev and openmpi-bin (`make deps` installs them). The
# flags are mpicc's own (mpicc --showme:compile and :link), given to $(CC),
# so the clang and sanitizer builds build them too. Without mpicc, `make all`
# skips lesson 14 and the MPI series, `make lesson14` says how to get it, and
# `make test` (which runs every lesson) asks for it. The tests run it under
# `mpirun --oversubscribe` (and --allow-run-as-root when root).
MPICC      ?= mpicc
HAVE_MPI   := $(shell command -v $(MPICC) >/dev/null 2>&1 && echo yes)
MPI_DIR    := lessons/14-mpi
MPI_BIN    := $(call bin_of,lesson14)
MPI_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(MPI_DIR)/test_%.c,$(wildcard $(MPI_DIR)/*.c)))
# `=`, not `:=`: asked only when an MPI file is compiled, after need-mpi
MPI_CFLAGS  = $(shell $(MPICC) --showme:compile)
MPI_LIBS    = $(shell $(MPICC) --showme:link)
MPI_MISSING = lesson14 needs Open MPI (mpicc, mpirun): run 'make deps', or as root \
              'apt-get install libopenmpi-dev openmpi-bin'
MPI_BENCH  := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/mpi_*.c))
ifeq ($(HAVE_MPI),yes)
LESSONS     += lesson14
LESSON_BINS += $(MPI_BIN)
BENCH_BINS  += $(MPI_BENCH)
endif

$(MPI_OBJ) $(MPI_BENCH:=.o): $(BUILD)/%.o: %.c $(HEADERS) Makefile | need-mpi
	@mkdir -p $(@D)
	$(COMPILE) $(MPI_CFLAGS) -c -o $@ $<
$(MPI_BIN): $(MPI_OBJ) $(LIBKIT) | need-mpi
	@mkdir -p $(@D)
	$(LINK) -o $@ $^ $(KIT_LDLIBS) $(LDLIBS) $(MPI_LIBS)
$(MPI_BENCH): %: %.o $(BENCH_LIB) $(LIBKIT) | need-mpi
	$(LINK) -o $@ $^ $(KIT_LDLIBS) $(LDLIBS) $(MPI_LIBS)
# Open MPI keeps what MPI_Init allocates: valgrind and LeakSanitizer are told
# so precisely (lessons/14-mpi/valgrind.supp, tests/lsan.supp: only blocks
# allocated inside ompi_mpi_init/ompi_mpi_finalize). Their stacks need more
# frames than the defaults keep (Open MPI has no frame pointers), and hwloc
# prints a note into valgrind's log unless its x86 backend is off.
MPI_ASAN_OPTIONS := $(if $(HAVE_MPI),:fast_unwind_on_malloc=0)
MPI_VALGRIND     := $(if $(HAVE_MPI),--num-callers=40 --suppressions=$(MPI_DIR)/valgrind.supp)
valgrind: export HWLOC_COMPONENTS = -x86
test: $(MPI_BIN)
check: need-mpi-deps
.PHONY: need-mpi need-mpi-deps
need-mpi:
	@command -v $(MPICC) >/dev/null 2>&1 || { echo "$(MPI_MISSING)" >&2; exit 1; }
need-mpi-deps:
	@command -v $(MPICC) >/dev/null 2>&1 || $(MAKE) --no-print-directory deps
# ---- end of the MPI block ---------------------------------------------------

# ---- tests: one Criterion binary for libkit, every lesson and the benches --
TEST_SRC := $(wildcard tests/*.c lessons/*/test_*.c bench/test_*.c)
# ---- fault tools (test_faults.c, make soak): programs of their own, not
# Criterion tests. build/failfork.so is an LD_PRELOAD shim whose Nth fork()
# fails; the plain build's tests use it (test_faults.o learns its path), an
# ASan build cannot preload it and skips those tests.
TEST_TOOLS := tests/failfork.c tests/soak.c
TEST_SRC   := $(filter-out $(TEST_TOOLS),$(TEST_SRC))
FAILFORK   := $(BUILD)/failfork.so
ifneq ($(SAN),1)
$(BUILD)/tests/test_faults.o: KIT_CPPFLAGS += -DFAILFORK_SO='"$(abspath $(FAILFORK))"'
$(BUILD)/run-tests: | $(FAILFORK)
endif
$(FAILFORK): tests/failfork.c Makefile $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(KIT_CPPFLAGS) $(CPPFLAGS) -std=c17 -Wall -Wextra -Werror $(CFLAGS) -fPIC -shared \
	  -o $@ $< -ldl
# ---- end of fault tools ----------------------------------------------------
TEST_BIN := $(BUILD)/run-tests
CRITERION_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

$(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC)): KIT_CPPFLAGS += $(CRITERION_CFLAGS)
$(TEST_BIN): $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC)) $(BENCH_LIB) $(LIBKIT) $(FLAGS_FILE)
	$(LINK) -o $@ $(filter %.o %.a,$^) $(CRITERION_LIBS) $(KIT_LDLIBS) $(LDLIBS)

# ---- entry points --------------------------------------------------------
.DEFAULT_GOAL := all
.PHONY: all test check valgrind sanitize clang bench plots reference-charts deps need-criterion \
        need-check-tools need-gnuplot help clean

all: $(LESSON_BINS) $(BENCH_BINS)

# The tests run the lesson binaries from outside; MPKIT_BIN says where they are.
test: need-criterion $(LESSON_BINS) $(TEST_BIN)
	MPKIT_BIN=$(BINDIR) $(TEST_BIN)

# Everything CI runs: warnings as errors with gcc, the Criterion suites, the
# suites again with AddressSanitizer + UBSan in the lessons and the tests,
# every lesson's --quick run under valgrind (children followed), and the
# whole tree built with clang.
check: need-criterion need-check-tools
	$(MAKE) --no-print-directory all $(TEST_BIN)
	$(MAKE) --no-print-directory test
	$(MAKE) --no-print-directory sanitize
	$(MAKE) --no-print-directory valgrind
	$(MAKE) --no-print-directory clang
	@echo "make check: build, tests, sanitizers, valgrind and clang all passed"

sanitize:
	ASAN_OPTIONS=detect_leaks=1$(MPI_ASAN_OPTIONS) LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) --no-print-directory SAN=1 BUILD=build/asan BINDIR=build/asan test

# With fork (and no exec), --error-exitcode only changes the status of the
# process that erred: a child's error would not fail its parent's run. So
# every process writes its own log (%p is its pid) and any non-empty log fails.
VALGRIND = valgrind -q --trace-children=yes --leak-check=full \
           --errors-for-leak-kinds=definite,possible --error-exitcode=99 $(MPI_VALGRIND)
valgrind: $(LESSON_BINS)
	@rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	@for l in $(LESSONS); do \
	  echo "valgrind ./$$l --quick"; \
	  $(VALGRIND) --log-file=$(BUILD)/valgrind/$$l.%p.log ./$$l --quick >/dev/null \
	    || { cat $(BUILD)/valgrind/$$l.*.log; echo "valgrind: ./$$l --quick failed"; exit 1; }; \
	  for log in $(BUILD)/valgrind/$$l.*.log; do \
	    if [ -s "$$log" ]; then cat "$$log"; echo "valgrind: errors in $$log"; exit 1; fi; \
	  done; \
	done

clang:
	$(MAKE) --no-print-directory CC=clang BUILD=build/clang BINDIR=build/clang all build/clang/run-tests

bench: $(BENCH_BINS)

# The tests run the benchmarks too (well-formed data), so the test binary
# needs them built beside it, in the same BUILD directory.
$(TEST_BIN): | $(BENCH_BINS)

# ---- charts: bench/NAME -> plots/out/data/*.tsv -> plots/out/*.png, *.svg ----
# (this block is owned by the charts work, issue 14)
# `make plots` writes YOUR charts under plots/out/, which git ignores: it
# never modifies a tracked file, so git status stays clean. The charts the
# README shows are plots/NAME.png and .svg, committed from a quiet machine
# with `make reference-charts` (below). Each benchmark runs when its data
# file is missing or older than the benchmark binary (rebuilt when its source
# changes). Each plots/NAME.gp names the data files it reads on a "# data:"
# line, and is drawn twice: pngcairo and svg. QUICK=1 runs the reduced
# benchmarks (--quick) into plots/out/quick/; their titles say QUICK (read
# from the data file's own command line). The order-only prerequisites
# (after |) run the benchmarks one after another even under make -j: two at
# once would each measure the other.
ifeq ($(QUICK),1)
PLOT_DATA  := plots/out/quick/data
PLOT_OUT   := plots/out/quick
BENCH_ARGS := --quick
else
PLOT_DATA  := plots/out/data
PLOT_OUT   := plots/out
BENCH_ARGS :=
endif
CHART_NAMES := $(filter-out timeline,$(patsubst plots/%.gp,%,$(wildcard plots/*.gp)))
CHARTS      := $(foreach c,$(CHART_NAMES),$(PLOT_OUT)/$c.png $(PLOT_OUT)/$c.svg)
run_bench    = @echo "make plots: running $< $(BENCH_ARGS) (progress below)" >&2; \
               $< $(BENCH_ARGS) --out $(PLOT_DATA)

# One run of bench/NAME writes $(PLOT_DATA)/NAME.tsv.
$(PLOT_DATA)/%.tsv: $(BUILD)/bench/%
	$(run_bench)
# work.tsv is written by the speedup run (and renamed into place just before
# speedup.tsv, so an interrupted run leaves speedup.tsv missing): no recipe.
$(PLOT_DATA)/work.tsv: $(PLOT_DATA)/speedup.tsv ;
# the MPI series: speedup runs build/bench/mpi_job (the MPI block), so it is
# built first and a newer one makes the data stale
$(PLOT_DATA)/speedup.tsv: $(if $(HAVE_MPI),$(MPI_BENCH))
$(PLOT_DATA)/notes.tsv: bench/notes_job.py
$(PLOT_DATA)/wakeup.tsv: bench/wakeup.py
$(PLOT_DATA)/queue.tsv: bench/mpqueue.py
BENCH_ORDER := speedup notes granularity ipc $(filter-out speedup notes granularity ipc,$(BENCH_SRC:bench/%.c=%))
$(foreach i,$(shell seq 2 $(words $(BENCH_ORDER))),$(eval \
  $(PLOT_DATA)/$(word $i,$(BENCH_ORDER)).tsv: | $(PLOT_DATA)/$(word $(shell expr $i - 1),$(BENCH_ORDER)).tsv))

define chart_rule
$(PLOT_OUT)/$1.$2: plots/$1.gp plots/style.inc $(addprefix $(PLOT_DATA)/,$(shell sed -n 's/^# data: //p' plots/$1.gp))
	@echo "make plots: drawing $$@" >&2
	@gnuplot -e "data='$(PLOT_DATA)'; out='$$@'; fmt='$2'" plots/$1.gp
endef
$(foreach c,$(CHART_NAMES),$(foreach t,png svg,$(eval $(call chart_rule,$c,$t))))

plots: need-gnuplot $(CHARTS)
	@echo "make plots: data in $(PLOT_DATA)/, charts (git ignores them):"
	@for c in $(CHARTS); do echo "  $$c"; done
	@grep -l '^# flagged points: [1-9]' $(PLOT_DATA)/*.tsv 2>/dev/null | \
	  sed 's/^/make plots: WARNING flagged points (load, or impossible speedup) in /' >&2 || true

# The lead's step on an idle machine: `make plots && make reference-charts`.
# It copies a full (not QUICK) run's charts to the tracked plots/NAME.png and
# .svg the README shows (each names its machine, date and load in its
# subtitle), and refuses when any data file has flagged points. The data
# stays in plots/out/data/, untracked: it is one machine's run, not a
# reference anyone else should match; check the captions against it there.
reference-charts:
	@test "$(QUICK)" != 1 || { echo "reference-charts: not from a QUICK run" >&2; exit 1; }
	@for c in $(CHARTS); do test -f $$c || { echo "reference-charts: $$c missing: make plots first" >&2; exit 1; }; done
	@if grep -l '^# flagged points: [1-9]' plots/out/data/*.tsv >&2; then \
	  echo "reference-charts: the files above have flagged points: run make plots on an idle machine" >&2; exit 1; fi
	cp plots/out/*.png plots/out/*.svg plots/
	@echo "reference-charts: copied; check the README captions against plots/out/data/*.tsv, then commit"

# ---- timelines: each lesson's run, a row per process, time across ---------
# `make timelines` runs every lesson with --quick --trace (common/trace.c:
# one row per event from every process) and draws each trace with
# plots/timeline.gp (which reads it through plots/timeline.awk), as PNG and
# SVG: timeline-NN. A lesson whose telling part is too short to see in the
# whole run gets a second chart of that part alone, from a run of it alone
# (TIMELINE_PART_NN = M: timeline-NN-partM), paced for a class when
# TIMELINE_PACED_NN is set (under --quick lesson 03's tasks take no time and
# lesson 05's code5 holds its lock for a few microseconds).
# The charts go to plots/data/timelines/, which git ignores; the reference
# set the lesson READMEs show is committed in plots/timelines/ (PNG and the
# traces), made with `make timelines TIMELINES=plots/timelines`.
# The lessons run one after another (an order-only chain), even under -j.
TIMELINES ?= plots/data/timelines
TIMELINE_PART_03  := 1
TIMELINE_PACED_03 := yes
TIMELINE_PART_18  := 2
TIMELINE_PACED_18 := yes
TIMELINE_PART_08  := 1
TIMELINE_PART_13  := 1
TIMELINE_NNS   := $(foreach d,$(LESSON_DIRS),$(call nn_of,$d))
TIMELINE_PARTS := $(foreach n,$(TIMELINE_NNS),$(if $(TIMELINE_PART_$n),$n-part$(TIMELINE_PART_$n)))
TIMELINE_RUNS  := $(TIMELINE_NNS) $(TIMELINE_PARTS)
TIMELINE_DRAW  := plots/timeline.gp plots/timeline.awk plots/style.inc
run_of          = $(if $(filter .,$(BINDIR)),./)$(call bin_of,lesson$1)

# $1: the chart's name (05 or 05-part3), $2: the lesson (05), $3: the
# lesson's options, $4: the part to draw alone ('' for the whole run).
define timeline_rule
$(TIMELINES)/timeline-$1.tsv: $(call bin_of,lesson$2)
	@mkdir -p $$(@D) $(BUILD)/timelines
	@echo "make timelines: $(call run_of,$2) $3 --trace $$@" >&2
	@$(call run_of,$2) $3 --trace $$@ >$(BUILD)/timelines/timeline-$1.out \
	  || echo "make timelines: lesson$2 exited with status $$$$? (its verdict is in the chart)" >&2
$(TIMELINES)/timeline-$1.png $(TIMELINES)/timeline-$1.svg: $(TIMELINES)/timeline-$1.tsv $(TIMELINE_DRAW)
	@echo "make timelines: drawing $$@" >&2
	@gnuplot -e "trace='$$<'; out='$$@'; fmt='$$(subst .,,$$(suffix $$@))'; part='$4'" plots/timeline.gp
endef
$(foreach n,$(TIMELINE_NNS),$(eval $(call timeline_rule,$n,$n,--quick,)))
$(foreach n,$(TIMELINE_NNS),$(if $(TIMELINE_PART_$n),$(eval $(call timeline_rule,$n-part$(TIMELINE_PART_$n),$n,$(strip \
  --part $(TIMELINE_PART_$n)$(if $(TIMELINE_PACED_$n),, --quick)),$(TIMELINE_PART_$n)))))
$(foreach i,$(shell seq 2 $(words $(TIMELINE_RUNS))),$(eval \
  $(TIMELINES)/timeline-$(word $i,$(TIMELINE_RUNS)).tsv: | \
  $(TIMELINES)/timeline-$(word $(shell expr $i - 1),$(TIMELINE_RUNS)).tsv))

.PHONY: timelines
timelines: need-gnuplot $(foreach r,$(TIMELINE_RUNS),$(TIMELINES)/timeline-$r.png $(TIMELINES)/timeline-$r.svg)
	@echo "make timelines: traces and charts in $(TIMELINES)/"

need-gnuplot:
	@command -v gnuplot >/dev/null 2>&1 || $(MAKE) --no-print-directory deps

# ---- dependencies (Debian/Ubuntu) ----------------------------------------
DEB_PACKAGES := pkg-config libcriterion-dev gnuplot-nox valgrind clang libopenmpi-dev openmpi-bin  # the last two: the MPI block
deps:
	@if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make deps knows Debian and Ubuntu only. Install with your package manager:"; \
	  echo "  Criterion (https://github.com/Snaipe/Criterion), gnuplot, valgrind, clang, pkg-config,"; \
	  echo "  Open MPI (mpicc, mpirun: lesson 14, the speedup chart's MPI series)"; \
	  exit 1; \
	fi; \
	missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "make deps: nothing missing"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "make deps: not root and no sudo; as root run:"; \
	  echo "  apt-get update && apt-get install -y --no-install-recommends" $$missing; exit 1; fi; \
	echo "make deps: installing" $$missing; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

need-criterion:
	@pkg-config --exists criterion 2>/dev/null || $(MAKE) --no-print-directory deps

need-check-tools:
	@command -v valgrind >/dev/null 2>&1 && command -v clang >/dev/null 2>&1 \
	  || $(MAKE) --no-print-directory deps

# ---- help and housekeeping -----------------------------------------------
help:
	@echo "mpkit: Python's multiprocessing, lesson by lesson, in C"
	@echo
	@echo "  make lessonNN   build one lesson, then run ./lessonNN (--help for its options)"
	@echo "  make / all      every lesson and benchmark"
	@echo "  make test       the Criterion suites (libkit and every lesson)"
	@echo "  make check      test + sanitizers + valgrind + clang build (what CI runs)"
	@echo "  make bench      build the benchmarks"
	@echo "  make plots      run missing or stale benchmarks (minutes), draw plots/out/*.png, *.svg"
	@echo "  make plots QUICK=1   the same, reduced, titled QUICK (plots/out/quick/)"
	@echo "  make reference-charts   copy an idle machine's plots/out charts to the tracked plots/"
	@echo "  make timelines  every lesson --quick --trace, one timeline chart each (plots/data/timelines/)"
	@echo "  make deps       install Criterion, gnuplot, valgrind, clang, GMP, Open MPI (Debian/Ubuntu)"
	@echo "  make soak       every lesson's --quick 30 times idle, 30 times loaded (minutes)"
	@echo "  make clean      remove build/, the lesson binaries, plots/data/ and plots/out/"
	@echo
	@echo "Lessons:"
	@for d in $(LESSON_DIRS) $(MPI_DIR); do \
	  n=$$(basename $$d | cut -c1-2); \
	  printf '  lesson%s  %s\n' "$$n" "$$(sed -n '1s|^# [0-9]* *||p' $$d/README.md)"; \
	  printf '            %s\n' "$$(sed -n '3p' $$d/README.md)"; \
	done
	@$(if $(HAVE_MPI),:,echo "  (not built here: $(MPI_MISSING))")   # the MPI block

# ---- soak (not in make check): every lesson's --quick, 30 times idle and
# 30 times with every CPU busy; a table of FAILs, wrong PASSes, bad exits,
# hangs and leftovers; non-zero exit on any. SOAK_RUNS=N to change 30.
SOAK_RUNS ?= 30
$(BUILD)/soak: $(BUILD)/tests/soak.o $(BUILD)/tests/run.o $(LIBKIT) $(FLAGS_FILE)
	$(LINK) -o $@ $(filter %.o %.a,$^) $(KIT_LDLIBS) $(LDLIBS)
.PHONY: soak
soak: $(LESSON_BINS) $(BUILD)/soak
	MPKIT_BIN=$(BINDIR) $(BUILD)/soak $(SOAK_RUNS)
# ---- end of soak -----------------------------------------------------------

# Every generated file: objects and binaries of every BUILD (all live in
# build/), the lesson binaries, the data of benchmarks run by hand
# (plots/data/), make plots' data and charts (plots/out/), and the SVGs of
# make timelines TIMELINES=plots/timelines (its PNGs and traces are tracked).
# tests/test_build.c checks that nothing git does not track is left.
clean:
	rm -rf build lesson[0-9][0-9] plots/data plots/out
	rm -f plots/timelines/*.svg
