"""queue.py - Python's side of bench/queue: N small records through
mp.Queue(SLOTS) from one process to another. Prints "<msgs/s> <n>".

Usage: python3 bench/queue.py N SLOTS
"""
import os
import sys

# This file is named queue.py: drop its directory from the path, or
# multiprocessing's "from queue import Empty" would import this file.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import multiprocessing as mp  # noqa: E402
import time  # noqa: E402


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
