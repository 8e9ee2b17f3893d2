# Shared by the bench scripts: builds the release binary and keeps a private copy of it, because
# CARGO_TARGET_DIR may be shared with other checkouts that overwrite target/release/salesagent.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d)}
ROWS=${ROWS:-100000}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
(cd "$ROOT" && cargo build --release -q)
BIN="$WORK/salesagent"
cp "$TARGET/release/salesagent" "$BIN"
"$BIN" reconcile --help >/dev/null && "$BIN" import --help >/dev/null

# gen_csv FILE ROWS: a valid lead file (distinct email per row, three forms).
gen_csv() {
  awk -v n="$2" 'BEGIN {
    print "email,firstName,lastName,company,formId,Budget";
    for (i = 1; i <= n; i++)
      printf "lead%d@company%d.com,First%d,Last%d,Company %d,form-%d,%dk\n", i, i % 997, i, i, i % 997, i % 3, i % 90;
  }' > "$1"
}

# measure LABEL CMD...: wall time and max RSS from /usr/bin/time -v; the exit status is printed.
measure() {
  label=$1; shift
  set +e
  /usr/bin/time -v "$@" > "$WORK/$label.out" 2> "$WORK/$label.time"
  rc=$?
  set -e
  wall=$(grep 'Elapsed (wall clock)' "$WORK/$label.time" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$WORK/$label.time" | awk '{print $NF}')
  user=$(grep 'User time' "$WORK/$label.time" | awk '{print $NF}')
  sys=$(grep 'System time' "$WORK/$label.time" | awk '{print $NF}')
  printf '%-28s wall %-9s user %-7s sys %-7s max RSS %6.1f MB  exit %s\n' \
    "$label" "$wall" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)" "$rc"
}
