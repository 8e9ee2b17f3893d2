#!/usr/bin/env python3
"""Prints one line about the machine a bench runs on, for comparing runs made on other days.

This VM's speed varies up to twice within a day, and not the same way for every kind of work: a
pure CPU loop can run at its usual pace while every wake-up of another process (a round trip to
PostgreSQL, a request thread woken by the intake writer) costs twice what it did. So the line
measures three things, each in about a third of a second, in this process and one child:

- CPU: chained SHA-256 of 32 bytes, nanoseconds each (compute alone);
- wake-up: a one-byte round trip over two pipes between this process and a child, microseconds
  each (two context switches; what `perf bench sched pipe` measures);
- fdatasync: a 4 KiB append and `fdatasync` in DIR (the bench's own directory), milliseconds
  each (the disk under the databases).

Usage: machine.py [DIR] [SUFFIX]. DIR defaults to the current directory; SUFFIX is appended to
the line (a bench's own facts). A figure that cannot be measured says why instead.
"""

import hashlib
import os
import sys
import tempfile
import time


def cpu_ns(seconds=0.3):
    """Nanoseconds per chained SHA-256 of 32 bytes."""
    h, n, start = b"x" * 32, 0, time.perf_counter()
    while True:
        for _ in range(10000):
            h = hashlib.sha256(h).digest()
        n += 10000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return 1e9 * elapsed / n


def wakeup_us(rounds=20000):
    """Microseconds per one-byte round trip between two processes over two pipes."""
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            while os.read(to_child, 1) == b"p":
                os.write(from_child, b"q")
        finally:
            os._exit(0)
    start = time.perf_counter()
    for _ in range(rounds):
        os.write(from_parent, b"p")
        os.read(to_parent, 1)
    elapsed = time.perf_counter() - start
    os.write(from_parent, b"e")
    os.waitpid(pid, 0)
    for fd in (to_child, from_parent, to_parent, from_child):
        os.close(fd)
    return 1e6 * elapsed / rounds


def fdatasync_ms(directory, seconds=0.3):
    """Milliseconds per 4 KiB append and fdatasync in `directory`."""
    block = b"\0" * 4096
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".machine-") as f:
        n, start = 0, time.perf_counter()
        while True:
            f.write(block)
            f.flush()
            os.fdatasync(f.fileno())
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds and n >= 10:
                return 1e3 * elapsed / n


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    suffix = sys.argv[2] if len(sys.argv) > 2 else ""
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    parts = [f"machine: {os.cpu_count()} cores, load average {load}"]
    parts.append(f"CPU {cpu_ns():.0f} ns per SHA-256")
    parts.append(f"wake-up {wakeup_us():.1f} µs per pipe round trip")
    try:
        parts.append(f"fdatasync {fdatasync_ms(directory):.2f} ms in {directory}")
    except OSError as e:
        parts.append(f"fdatasync not measured ({e.strerror} in {directory})")
    print("; ".join(parts) + suffix)


if __name__ == "__main__":
    main()
