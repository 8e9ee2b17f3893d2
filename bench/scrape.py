#!/usr/bin/env python3
"""Readiness latency while many Prometheus scrapers hit /metrics (issue 11). Prints figures.

    bench/scrape.py BASE_URL [SCRAPERS] [SECONDS]

SCRAPERS threads (default 64, in their own process so they do not hold the measuring
process's GIL) fetch /metrics back to back over keep-alive connections while one client asks
/health/ready every 20 ms; prints readiness p50/p95/p99/max and scrapes per second,
after a 5 s baseline with no scraper.
"""
import http.client
import multiprocessing
import statistics
import sys
import threading
import time
from urllib.parse import urlparse


def get(conn, path):
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return resp.status


def main():
    base = urlparse(sys.argv[1])
    scrapers = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    if scrapers > 0:
        run(base, 0, min(seconds, 5))
    run(base, scrapers, seconds)


def scrape_all(host, port, scrapers, seconds, total):
    stop = time.monotonic() + seconds
    counts = [0] * scrapers

    def scrape(i):
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while time.monotonic() < stop:
            try:
                if get(conn, "/metrics") == 200:
                    counts[i] += 1
            except OSError:
                conn = http.client.HTTPConnection(host, port, timeout=60)

    threads = [threading.Thread(target=scrape, args=(i,)) for i in range(scrapers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total.value = sum(counts)


def run(base, scrapers, seconds):
    total = multiprocessing.Value("i", 0)
    worker = multiprocessing.Process(
        target=scrape_all, args=(base.hostname, base.port, scrapers, seconds + 0.5, total)
    )
    worker.start()
    time.sleep(0.5)
    stop = time.monotonic() + seconds
    latencies = []
    errors = 0
    ready = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        if get(ready, "/health/ready") != 200:
            errors += 1
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)
    worker.join()
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    print(
        f"{scrapers} scrapers, {seconds:.0f} s: {total.value / seconds:.0f} scrapes/s; "
        f"readiness n={len(latencies)} p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {q(0.95):.1f} ms, p99 {q(0.99):.1f} ms, max {latencies[-1]:.1f} ms; "
        f"not ready {errors}"
    )


if __name__ == "__main__":
    main()
