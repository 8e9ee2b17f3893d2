# shellcheck shell=bash
# Sourced by the bench scripts that price work by the whole machine's CPU.

# machine_ticks: the CPU time (clock ticks) all of this machine's processors have been busy so far
# (/proc/stat's first line: user, nice, system, irq, softirq, steal; not idle or iowait). It counts
# what per-process figures miss: processes that came and went (autovacuum's workers), the kernel.
machine_ticks() {
  awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}
