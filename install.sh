#!/usr/bin/env bash
# Builds and installs salesagent, its man pages and shell completions into a prefix.
#
#   ./install.sh                     build (release) and install into $PREFIX (default /usr/local);
#                                    the binary is taken from wherever cargo built it
#                                    (CARGO_TARGET_DIR and build.target-dir are honoured)
#   PREFIX=~/.local ./install.sh     install for one user
#   ./install.sh --bin PATH          install an already built binary instead of building
#   ./install.sh --uninstall         remove everything this script installs
#
# Idempotent: running it again replaces the same files and nothing else.
set -euo pipefail

PREFIX="${PREFIX:-/usr/local}"
bin=""
uninstall=false
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="${2:?--bin needs a path}"; shift 2 ;;
    --uninstall) uninstall=true; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

bindir="$PREFIX/bin"
mandir="$PREFIX/share/man/man1"
bashdir="$PREFIX/share/bash-completion/completions"
zshdir="$PREFIX/share/zsh/site-functions"
fishdir="$PREFIX/share/fish/vendor_completions.d"

if $uninstall; then
  rm -f "$bindir/salesagent" "$bashdir/salesagent" "$zshdir/_salesagent" "$fishdir/salesagent.fish"
  rm -f "$mandir"/salesagent.1 "$mandir"/salesagent-*.1
  echo "removed salesagent from $PREFIX"
  exit 0
fi

if [ -z "$bin" ]; then
  cd "$(dirname "$0")"
  # The binary is wherever cargo built it (CARGO_TARGET_DIR, build.target-dir, a workspace):
  # ask cargo, rather than assume ./target.
  bin="$(cargo build --release --locked --bin salesagent --message-format=json-render-diagnostics \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)"
  [ -n "$bin" ] || { echo "install.sh: cargo did not say where it built salesagent" >&2; exit 1; }
fi
[ -x "$bin" ] || { echo "install.sh: $bin is not an executable" >&2; exit 2; }

mkdir -p "$bindir" "$mandir" "$bashdir" "$zshdir" "$fishdir"
# Copy to a temporary name and rename, so a running salesagent is never overwritten in place.
install -m 0755 "$bin" "$bindir/.salesagent.new"
mv -f "$bindir/.salesagent.new" "$bindir/salesagent"

# Stale pages of removed commands go first, then the current ones are generated from the binary.
rm -f "$mandir"/salesagent.1 "$mandir"/salesagent-*.1
"$bindir/salesagent" man --dir "$mandir" -q
"$bindir/salesagent" completions bash > "$bashdir/salesagent"
"$bindir/salesagent" completions zsh > "$zshdir/_salesagent"
"$bindir/salesagent" completions fish > "$fishdir/salesagent.fish"
echo "installed salesagent $("$bindir/salesagent" --version | cut -d' ' -f2) into $PREFIX"
