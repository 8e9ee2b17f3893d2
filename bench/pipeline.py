#!/usr/bin/env python3
"""Issue 2 figures: `salesagent run` wall time on a warm database, and `workflows list --limit 50`
on a database holding 1,000,000 workflows. Prints the figures; asserts nothing.

Usage: bench/pipeline.py [--bin target/release/salesagent] [--runs 200] [--workflows 1000000]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def summarise(name, seconds):
    ms = [s * 1000 for s in seconds]
    print(f"{name}: n={len(ms)} mean={statistics.mean(ms):.1f} ms "
          f"p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms "
          f"min={min(ms):.1f} ms max={max(ms):.1f} ms")


def seed_payload(i):
    return json.dumps({
        "portalId": 4411223,
        "formId": "bench-form",
        "formSubmissionId": f"bench-{i}-{uuid.uuid4()}",
        "submittedAt": 1764412800000,
        "fieldValues": [
            {"name": "email", "value": f"lead{i}@company{i}.example.com"},
            {"name": "firstname", "value": "Dana"},
            {"name": "lastname", "value": "Whitfield"},
            {"name": "company", "value": f"Company {i}"},
            {"name": "jobtitle", "value": "VP Operations"},
        ],
    })


def bench_run(binary, runs):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, SALESAGENT_DB=os.path.join(d, "bench.db"))
        payloads = []
        for i in range(runs + 5):
            path = os.path.join(d, f"p{i}.json")
            with open(path, "w") as f:
                f.write(seed_payload(i))
            payloads.append(path)
        # Warm up: create and migrate the database, fill the page cache.
        for p in payloads[:5]:
            subprocess.run([binary, "run", p], env=env, check=True, capture_output=True)
        times = []
        for p in payloads[5:]:
            t = time.perf_counter()
            subprocess.run([binary, "run", p], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        summarise("run (one submission, warm database, whole process)", times)


def bench_list(binary, workflows):
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "big.db")
        env = dict(os.environ, SALESAGENT_DB=db)
        subprocess.run([binary, "workflows", "list"], env=env, check=True, capture_output=True)
        t = time.perf_counter()
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA synchronous = OFF")
        base = 1_764_000_000_000
        statuses = ["completed"] * 8 + ["failed", "duplicate"]
        batch = 50_000
        for start in range(0, workflows, batch):
            subs, wfs = [], []
            for i in range(start, min(workflows, start + batch)):
                sid, wid = f"s{i:09d}", f"w{i:09d}"
                at = base + i * 10
                email = f"lead{i % 200_000}@example.com"
                subs.append((sid, "run", "seed", f"bench:{i}", email, b"{}", at))
                wfs.append((wid, sid, email, statuses[i % 10], "draft_only", "finalize", wid, at, at))
            conn.executemany(
                "INSERT INTO submissions (id, source, shape, dedupe_key, email, raw_payload, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", subs)
            conn.executemany(
                "INSERT INTO workflows (id, submission_id, email, status, mode, current_step, trace_id,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", wfs)
            conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
        conn.close()
        print(f"seeded {workflows:,} workflows in {time.perf_counter() - t:.1f} s")
        for label, extra in [("", []), (" --json", ["--json"]),
                             (" --status failed", ["--status", "failed"]),
                             (" --email lead42@example.com", ["--email", "lead42@example.com"])]:
            times = []
            for _ in range(30):
                t = time.perf_counter()
                subprocess.run([binary, "workflows", "list", "--limit", "50", *extra],
                               env=env, check=True, capture_output=True)
                times.append(time.perf_counter() - t)
            summarise(f"workflows list --limit 50{label} over {workflows:,} workflows", times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/salesagent")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workflows", type=int, default=1_000_000)
    args = ap.parse_args()
    bench_run(args.bin, args.runs)
    bench_list(args.bin, args.workflows)


if __name__ == "__main__":
    main()
