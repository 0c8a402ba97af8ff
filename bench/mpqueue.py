"""mpqueue.py - Python's side of bench/queue (not named queue.py: a
queue.py in bench/ would shadow the standard library's queue module for
every Python script here, multiprocessing included): N small records through
mp.Queue(SLOTS) from one process to another. Prints "<msgs/s> <n>".

Usage: python3 bench/mpqueue.py N SLOTS
"""
import multiprocessing as mp
import sys
import time


def produce(q, n):
    for i in range(n):
        q.put((1, i, ""))          # from, value, text: lesson 02's record


def main():
    n, slots = int(sys.argv[1]), int(sys.argv[2])
    q = mp.Queue(slots)
    t0 = time.perf_counter()
    p = mp.Process(target=produce, args=(q, n), daemon=True)
    p.start()
    for i in range(n):
        _, value, _ = q.get(timeout=30)
        if value != i:
            sys.exit(f"message {i} arrived as {value}")
    t = time.perf_counter() - t0
    p.join()
    print(f"{n / t:.0f} {n}")


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
