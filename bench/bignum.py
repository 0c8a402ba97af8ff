"""bignum.py - note 001's pool job (code2.py) in Python, timed for bench/bignum.c.

    python3 bench/bignum.py WORKERS X1 X2 ...

The job and pool.map are the notes' own; only the pool size (the notes use
Pool(), one process per CPU) and the x values are parameters, and the clock
is time.perf_counter. Prints one line: "<seconds> <digits of job(X1)> ...".
Python 3.11+ refuses str() of an int of more than 4300 digits unless told
otherwise (CVE-2020-10735); the notes predate that limit, so it is lifted in
the parent and, through the pool's initializer, in every worker.
bench/bignum.c runs this in its own process group with a time limit; the
workers die with the parent (PR_SET_PDEATHSIG), so a Ctrl-C leaves none.
"""
import ctypes
import multiprocessing
import sys
import time


def no_digit_limit():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)   # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass                                            # not Linux: best effort only


def job(x):
    for i in range(10):
        x = x+x**i
    return len(str(x))


if __name__ == '__main__':
    no_digit_limit()
    workers = int(sys.argv[1])
    xs = [int(a) for a in sys.argv[2:]]
    start_time = time.perf_counter()
    pool = multiprocessing.Pool(processes=workers, initializer=no_digit_limit)
    results = pool.map(job, xs)
    pool.close()
    pool.join()
    print(time.perf_counter() - start_time, *results)
