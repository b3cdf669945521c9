#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers of untrusted uploads (fuzz/README.md):
#     scripts/fuzz.sh [SECONDS_PER_TARGET [SEED]]
# (default 60 s a target and a random seed; the test command runs `scripts/fuzz.sh 20 1`: bounded,
# and with a fixed seed so that its run is repeatable — the same inputs are tried each time).
# Installs cargo-fuzz if missing, builds the targets with the address sanitizer (stable rustc
# with RUSTC_BOOTSTRAP=1), runs each from its committed seeds, and fails on any crash, hang or
# runaway allocation (the reproducer is left in fuzz/artifacts/<target>/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_TARGET="${1:-60}"
SEED="${2:-0}"   # 0: libFuzzer picks one
CARGO_FUZZ_VERSION=0.13.2
TARGETS=(import_shp_zip import_gpkg import_geojson draft_check report_json photo sheet)

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    have g++ || need_apt g++
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --quiet
fi

cd "$REPO_ROOT/fuzz"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$(dirname "$CARGO_TARGET_DIR")/fuzz-target"
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t"
    log "fuzzing $t for ${SECONDS_PER_TARGET} s"
    log_file="$CARGO_TARGET_DIR/fuzz-$t.log"
    mkdir -p "$CARGO_TARGET_DIR"
    rc=0
    cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -seed="$SEED" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log_file" 2>&1 || rc=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY' "$log_file" || true
    if (( rc != 0 )) || compgen -G "artifacts/$t/*" >/dev/null; then
        tail -n 60 "$log_file" >&2
        die "fuzz target $t failed (exit $rc); reproducer, if any: fuzz/artifacts/$t/"
    fi
done
log "fuzzing: no failing input in ${#TARGETS[@]} targets x ${SECONDS_PER_TARGET} s"
