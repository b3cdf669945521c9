#!/usr/bin/env bash
# Every benchmark in one run, and one table of their figures: ours, each alternative measured in
# the same run, the ratio (alternative / ours: above 1 means ours is faster or higher) and the
# goal. Release builds; PostgreSQL with PostGIS on 127.0.0.1:5432 for the PostGIS columns.
# Any benchmark that fails (a refused request, a wrong answer, a step that cannot run) fails
# the whole run with its output: a table is printed only from runs that all succeeded.
#   scripts/bench.sh                  (BENCH_OUT=FILE also writes the report there)
#   BENCH_QUICK=1 scripts/bench.sh    (fewer points and seconds: a smoke run, not figures)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

pg_url="${WANGGE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

if [[ -n "${BENCH_QUICK:-}" ]]; then
  locate_args=(--points 100000 --rounds 2); load_args=(--seconds 2); publish_args=(--runs 2)
else
  locate_args=(); load_args=(); publish_args=()
fi

section "PostGIS for the PostGIS columns"
major="$(psql "$pg_url" -Atc 'SHOW server_version_num' | cut -c1-2)" || die "no PostgreSQL at $pg_url"
need_apt "postgresql-$major-postgis-3"

section "build the benchmarks (release)"
cargo build --release -p wangge-tests --bin bench-locate --bin bench-load --bin bench-publish
bin="$CARGO_TARGET_DIR/release"

run_bench() {
  local name="$1"; shift
  section "$name"
  if ! "$@" 2>&1 | tee "$logs/$name.log"; then
    die "$name FAILED (its output is above): no table from a failed run"
  fi
}

run_bench bench-locate "$bin/bench-locate" --postgis "$pg_url" "${locate_args[@]}"
run_bench bench-load "$bin/bench-load" --database-url "$pg_url" "${load_args[@]}"
run_bench bench-publish "$bin/bench-publish" "${publish_args[@]}"

report() {
  echo "## scripts/bench.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr)${BENCH_QUICK:+ — QUICK RUN: not figures}"
  echo
  echo "| what | ours | alternative | theirs | ratio | goal |"
  echo "| --- | ---: | --- | ---: | ---: | --- |"
  cat "$logs"/*.log | grep '^TABLE|' | cut -d'|' -f2- | awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, ($5 == "—" ? "—" : $5 "×"), $6 }'
}
section "the table"
report | tee ${BENCH_OUT:+"$BENCH_OUT"}
