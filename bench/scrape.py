#!/usr/bin/env python3
"""Readiness latency while many Prometheus scrapers hit /metrics (issue 11). Prints figures.

    bench/scrape.py BASE_URL [SCRAPERS] [SECONDS]

SCRAPERS threads (default 64) fetch /metrics back to back over keep-alive connections while one
client asks /health/ready every 20 ms; prints readiness p50/p95/p99/max and scrapes per second.
"""
import http.client
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
    stop = time.monotonic() + seconds
    scrapes = [0] * scrapers
    errors = [0]

    def scrape(i):
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
        while time.monotonic() < stop:
            try:
                if get(conn, "/metrics") == 200:
                    scrapes[i] += 1
            except OSError:
                errors[0] += 1
                conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)

    threads = [threading.Thread(target=scrape, args=(i,)) for i in range(scrapers)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    latencies = []
    ready = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
    while time.monotonic() < stop:
        t0 = time.perf_counter()
        status = get(ready, "/health/ready")
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            errors[0] += 1
        time.sleep(0.02)
    for t in threads:
        t.join()
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    print(
        f"{scrapers} scrapers, {seconds:.0f} s: {sum(scrapes) / seconds:.0f} scrapes/s; "
        f"readiness n={len(latencies)} p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {q(0.95):.1f} ms, p99 {q(0.99):.1f} ms, max {latencies[-1]:.1f} ms; errors {errors[0]}"
    )


if __name__ == "__main__":
    main()
