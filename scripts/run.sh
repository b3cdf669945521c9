#!/usr/bin/env bash
# The ONE run command: build the map frontend and the server (release) and start it.
#   scripts/run.sh [wangge args...]      (serves http://127.0.0.1:8080 by default)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# The map frontend (frontend/dist, served at /): wasm + MapLibre, built first.
bash "$REPO_ROOT/scripts/frontend.sh"

section "build wangge-server (release)"
cargo build --release -p wangge-server --bin wangge

bin="$CARGO_TARGET_DIR/release/wangge"
[[ -x "$bin" ]] || die "binary not found: $bin"
section "run $bin $*"
exec "$bin" "$@"
