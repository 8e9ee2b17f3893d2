#!/usr/bin/env bash
# Regenerates the checked-in completions/ and man/ from the clap definitions.
# Run it after changing any command or flag; a test fails while they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/salesagent}"
[ -x "$bin" ] || cargo build --quiet
rm -rf completions man
mkdir -p completions man
"$bin" completions bash > completions/salesagent.bash
"$bin" completions zsh > completions/_salesagent
"$bin" completions fish > completions/salesagent.fish
"$bin" man --dir man -q
echo "regenerated completions/ and man/"
