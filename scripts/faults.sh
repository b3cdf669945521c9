#!/usr/bin/env bash
# The fault harness at full size (the test command runs it bounded): SIGKILLs under thousands of
# concurrent reports on both stores, a PostgreSQL crash, a full disk, a backup under load and
# its restore, and the soak. Prints the figures docs/operations.md records.
#
#   scripts/faults.sh [RUNS]        (default 3 runs)
#   WANGGE_FAULT_REPORTS=5000 WANGGE_FAULT_KILLS=10 WANGGE_SOAK_SECS=600 scripts/faults.sh 1
#
# Needs root (a tmpfs is mounted; the private PostgreSQL cluster runs as `postgres`), and
# PostgreSQL with PostGIS installed (scripts/test.sh installs them).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

runs="${1:-3}"
export WANGGE_FAULT_REPORTS="${WANGGE_FAULT_REPORTS:-5000}"
export WANGGE_FAULT_KILLS="${WANGGE_FAULT_KILLS:-10}"
export WANGGE_SOAK_SECS="${WANGGE_SOAK_SECS:-600}"
log "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%FT%TZ)"
log "reports per run ${WANGGE_FAULT_REPORTS}, kills per run ${WANGGE_FAULT_KILLS}, soak ${WANGGE_SOAK_SECS} s"
cargo build -p wangge-server --bin wangge --tests
for run in $(seq 1 "$runs"); do
    section "run $run of $runs"
    out="$(mktemp)"
    if ! cargo nextest run -p wangge-server --test faults --no-capture >"$out" 2>&1; then
        cat "$out"
        die "run $run failed"
    fi
    grep -E '^(FAULTS|FULL-DISK|BACKUP|SOAK|OVERLOAD)|seed' "$out" || true
    rm -f "$out"
done
