#!/usr/bin/env bash
# The map frontend's budgets, measured on a release build:
#   - time from navigation to the map's first `idle` with all grids loaded, median of 5 loads
#     over loopback (target <= 2 s), in headless Chromium, each page signed in first (the demo
#     county dispatcher through the API; BUDGET_USER=<demo account> to measure another);
#   - the app wasm gzipped (budget <= 650 KiB; MapLibre not counted).
# It prints the page's milestones on the way to the first idle (medians), and fails when a
# page has an error or a request leaves the machine.
#   scripts/budget.sh                  (exit 1 when a budget is exceeded)
#   BUDGET_TABLE=1 scripts/budget.sh   (also MapLibre alone drawing the same layers, the
#                                       alternative, and the rows of scripts/bench.sh's table)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

need_apt chromium fonts-noto-cjk
bash "$REPO_ROOT/scripts/frontend.sh"
section "build wangge-server (release)"
cargo build --release -p wangge-server --bin wangge
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
section "budgets"
WANGGE_BIN="$CARGO_TARGET_DIR/release/wangge" node tests/e2e/budget.mjs
