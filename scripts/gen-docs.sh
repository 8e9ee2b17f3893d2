#!/usr/bin/env bash
# Regenerates the checked-in completions/ and man/ from the clap definitions, and
# docs/openapi.json from the /api/v1 handlers.
# Run it after changing any command or flag; a test fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
# The binary is wherever cargo built it (CARGO_TARGET_DIR, build.target-dir): ask cargo, as
# install.sh does, rather than assume ./target.
bin="${1:-}"
if [ -z "$bin" ]; then
  bin="$(cargo build --quiet --bin salesagent --message-format=json-render-diagnostics \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)"
fi
# Check the binary before removing anything: a failed build must not leave the docs deleted.
if [ -z "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
  echo "gen-docs.sh: no working salesagent binary (${bin:-cargo did not say where it built it})" >&2
  exit 1
fi
rm -rf completions man
mkdir -p completions man
"$bin" completions bash > completions/salesagent.bash
"$bin" completions zsh > completions/_salesagent
"$bin" completions fish > completions/salesagent.fish
"$bin" man --dir man -q
mkdir -p docs
"$bin" openapi > docs/openapi.json.tmp && mv docs/openapi.json.tmp docs/openapi.json
echo "regenerated completions/ and man/ and docs/openapi.json"
