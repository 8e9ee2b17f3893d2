# shellcheck shell=bash
# shellcheck disable=SC2034  # PID and URL are for the scripts that source this
# Sourced by the serve benchmarks: start and stop a `serve` in the background, reading its address
# from its log. Needs WORK (a scratch directory); sets PID and URL. SERVE_LOG names the log (for
# several servers at once; default $WORK/serve.log).

start_serve() { # BIN DB ARGS...
  local bin=$1 db=$2; shift 2
  : > "${SERVE_LOG:-$WORK/serve.log}"
  SALESAGENT_DB=$db "$bin" serve --listen 127.0.0.1:0 "$@" 2>"${SERVE_LOG:-$WORK/serve.log}" &
  PID=$!
  await_address
}

# await_address: waits (10 s at most) for the server started as PID to log "listening on
# http://…", then sets URL to its webhook endpoint; exits 1 with the server's log when it did not.
await_address() {
  local log=${SERVE_LOG:-$WORK/serve.log}
  for _ in $(seq 1 200); do
    grep -q "listening on" "$log" && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  # A server that exited (a database newer than the build, a port in use) or never listened is
  # said, with its log, rather than measured as a run that did nothing.
  if ! grep -q "listening on" "$log"; then
    echo "serve (pid $PID) did not start listening; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  URL="$(grep -o 'http://[0-9.:]*' "${SERVE_LOG:-$WORK/serve.log}" | head -1)/api/webhooks/hubspot/forms"
}

stop_serve() {
  kill -TERM "$PID"; wait "$PID" || true; PID=
}

# writer_stats [LOG]: what the intake writer logged when it stopped (commits, average and largest
# batch, busy seconds, ms per commit) and its checkpointer (the largest WAL it saw, in frames, and
# the resets it asked for and got), on one line; empty when it logged nothing.
writer_stats() {
  grep -E 'intake writer stopped|checkpointer stopped' "${1:-${SERVE_LOG:-$WORK/serve.log}}" | tail -2 \
    | grep -oE '"(commits|avg_batch|max_batch|busy_s|per_commit_ms|largest_wal_frames|resets_asked|resets_done)":"?[0-9.]*' | tr -d '"' | tr '\n' ' ' || true
}
