"""wakeup.py - Python's multiprocessing wake-ups, timed for bench/wakeup.c.

    python3 bench/wakeup.py MODE SECONDS REPEATS CPU_PARENT CPU_CHILD

MODE is "semaphore" (two Semaphore(0): the notes' Semaphore as a signal) or
"event" (two Event: set, wait, clear). The parent pings, a Process answers.
CPU_CHILD -1: the child stays on CPU_PARENT. After a warm-up and a short
calibration, each repeat runs about SECONDS of round trips; prints one line
per repeat: "<round trips per second> <round trips>". bench/wakeup.c runs it
in its own process group, with a time limit; both Python processes die with
their parent (PR_SET_PDEATHSIG), so a Ctrl-C of the benchmark leaves none.
"""
import ctypes
import os
import sys
import time
from multiprocessing import Event, Process, RawValue, Semaphore


def die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)   # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass                                            # not Linux: best effort only


def pin(cpu):
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})


def ops(mode, ping, pong):
    """post_ping, wait_ping, post_pong, wait_pong for the two objects."""
    if mode == "semaphore":
        return ping.release, ping.acquire, pong.release, pong.acquire

    def wait_clear(e):
        def f():
            e.wait()
            e.clear()   # cleared before the answer, so the next wait really waits
        return f
    return ping.set, wait_clear(ping), pong.set, wait_clear(pong)


def echo(cpu, mode, ping, pong, stop):
    die_with_parent()
    pin(cpu)
    _, wait_ping, post_pong, _ = ops(mode, ping, pong)
    while True:
        wait_ping()
        last = stop.value   # read before the answer: the parent sets it only before a ping
        post_pong()
        if last:
            break


def main():
    mode, seconds, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    cpu_a, cpu_b = int(sys.argv[4]), int(sys.argv[5])
    die_with_parent()
    pin(cpu_a)
    if mode == "semaphore":
        ping, pong = Semaphore(0), Semaphore(0)
    else:
        ping, pong = Event(), Event()
    post_ping, _, _, wait_pong = ops(mode, ping, pong)
    stop = RawValue("i", 0)
    child = Process(target=echo, args=(cpu_b if cpu_b >= 0 else cpu_a, mode, ping, pong, stop))
    child.start()

    def trips(n):
        t0 = time.perf_counter()
        for _ in range(n):
            post_ping()
            wait_pong()
        return time.perf_counter() - t0

    trips(50)                                   # warm-up
    t = trips(200)                              # calibration
    n = max(100, min(2000000, int(200 * seconds / t)))
    for _ in range(repeats):
        t = trips(n)
        print(f"{n / t:.1f} {n}", flush=True)
    stop.value = 1                              # read by the child on the next ping
    trips(1)
    child.join()


if __name__ == "__main__":
    main()
