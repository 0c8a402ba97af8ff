# notes_job.py - note 001's own Python code, timed for bench/notes.c.
#
# usage: python3 bench/notes_job.py seq|proc|thread [N]
# Prints one line: seconds result1 result2. The job, the Queue and the
# start/join pattern are the notes' (code1.py and the threading cell); only
# N is a parameter (the notes hard-code 10000000; it is passed to the
# workers because a spawned child would not see a changed global) and the clock is
# time.perf_counter, which, unlike time.time, never jumps.
import multiprocessing
import sys
import threading
import time
from queue import Queue

N = 10000000


def job_seq(n):
    res = 0
    for i in range(n):
        res += i+i**2+i**3
    return res


def job(Q, n):
    res = 0
    for i in range(n):
        res += i+i**2+i**3
    Q.put(res)  # * 将返回值放进队列'Q'


def two(make_worker, Q):  # the notes' start, start, join, join, get, get
    w1 = make_worker(target=job, args=(Q, N))
    w2 = make_worker(target=job, args=(Q, N))
    w1.start()
    w2.start()
    w1.join()
    w2.join()
    return Q.get(), Q.get()


if __name__ == '__main__':  # 多进程不加这句不行
    mode = sys.argv[1]
    if len(sys.argv) > 2:
        N = int(sys.argv[2])
    start_time = time.perf_counter()
    if mode == 'seq':          # 不使用并行: the job twice in a row
        res1 = job_seq(N)
        res2 = job_seq(N)
    elif mode == 'proc':       # 使用多进程
        res1, res2 = two(multiprocessing.Process, multiprocessing.Queue())
    elif mode == 'thread':     # 使用多线程
        res1, res2 = two(threading.Thread, Queue())
    else:
        sys.exit("usage: notes_job.py seq|proc|thread [N]")
    print(time.perf_counter() - start_time, res1, res2)
