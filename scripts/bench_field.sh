#!/usr/bin/env bash
# The field app's (手机端, /field) load on a slow mobile network: a first load (nothing cached)
# beside a load from its service worker's cache, median of 5 each, in headless Chromium emulating
# a phone with the network throttled (1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT). Fails loudly
# (exit 1) if a load fails. Uses the server binary in WANGGE_BIN, else the newest build under
# $CARGO_TARGET_DIR (it does not build the server).
#   scripts/bench_field.sh            (LOADS=N to change the count)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

need_apt chromium fonts-noto-cjk
bash "$REPO_ROOT/scripts/frontend.sh"
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
section "field app load (slow mobile network)"
node tests/e2e/field_load.mjs
