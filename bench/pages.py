#!/usr/bin/env python3
"""Pages written and read per workflow, by B-tree, from a pagetrace log (bench/pages.sh).

    bench/pages.py LOG DB WORKFLOWS

LOG is what bench/pagetrace/pagetrace.c wrote while `serve` drained WORKFLOWS workflows from DB;
DB is that database afterwards, whose `dbstat` table names the B-tree (table or index) each page
belongs to at the end. Prints, per workflow: WAL frames by B-tree, write commits by thread and by
the set of B-trees they wrote, and page reads (database file and WAL) by B-tree. A page that was
freed before the end (or never belonged to a B-tree) shows as "(free)".
"""
import collections
import re
import sqlite3
import struct
import sys

REC = struct.Struct("<BBHIQIIII")


def thread_kind(name):
    return re.sub(r"[-_ ]?\d+$", "", name) or "?"


def main():
    log, db, workflows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    owner = {pageno: name for name, pageno in conn.execute("SELECT name, pageno FROM dbstat")}
    conn.close()

    names = {}
    frame_page = {}  # WAL offset of a frame's page image -> its page number
    open_txn = collections.defaultdict(lambda: [set(), 0])  # tid -> (B-trees, frames)
    frames = collections.Counter()
    commits = collections.Counter()  # (thread kind, B-trees) -> commits
    commit_frames = collections.Counter()
    commits_by_thread = collections.Counter()
    reads = collections.Counter()  # (file, B-tree) -> page reads
    reads_by_thread = collections.Counter()
    checkpoint_writes = collections.Counter()
    with open(log, "rb") as f:
        data = f.read()
    for kind, file, _, tid, off, length, pgno, commit, _ in REC.iter_unpack(data):
        if kind == ord("N"):
            raw = struct.pack("<QII", off, length, pgno)
            names[tid] = raw.split(b"\0")[0].decode(errors="replace")
            continue
        who = thread_kind(names.get(tid, "?"))
        if kind == ord("W") and file == 1 and length == 24:
            tree = owner.get(pgno, "(free)")
            frame_page[off + 24] = pgno
            frames[tree] += 1
            txn = open_txn[tid]
            txn[0].add(tree)
            txn[1] += 1
            if commit:
                key = (who, ", ".join(sorted(txn[0])))
                commits[key] += 1
                commit_frames[key] += txn[1]
                commits_by_thread[who] += 1
                del open_txn[tid]
        elif kind == ord("W") and file == 0:
            checkpoint_writes[who] += 1
        elif kind == ord("R") and length == page_size:
            if file == 0:
                pgno = off // page_size + 1
            else:
                pgno = frame_page.get(off)
            reads[("db" if file == 0 else "wal", owner.get(pgno, "(free)"))] += 1
            reads_by_thread[who] += 1

    n = workflows
    total_frames = sum(frames.values())
    print(f"{n} workflows, page size {page_size}")
    print(f"\nWAL frames per workflow: {total_frames / n:.2f}")
    for tree, c in frames.most_common():
        print(f"  {c / n:7.2f}  {tree}")
    print(f"\nwrite commits per workflow: {sum(commits.values()) / n:.2f}")
    for who, c in commits_by_thread.most_common():
        print(f"  {c / n:7.2f}  {who}")
    print("\n  by thread and the B-trees they wrote (commits / workflow, frames / commit):")
    for (who, trees), c in commits.most_common(25):
        print(f"  {c / n:7.3f} {commit_frames[(who, trees)] / c:6.1f}  {who}: {trees}")
    total_reads = sum(reads.values())
    print(f"\npage reads per workflow: {total_reads / n:.2f}")
    for who, c in reads_by_thread.most_common():
        print(f"  {c / n:7.2f}  {who}")
    for (file, tree), c in reads.most_common(25):
        print(f"  {c / n:7.2f}  {file}: {tree}")
    print(f"\ncheckpoint page writes into the database per workflow: "
          f"{sum(checkpoint_writes.values()) / n:.2f}")
    for who, c in checkpoint_writes.most_common():
        print(f"  {c / n:7.2f}  {who}")


if __name__ == "__main__":
    main()
