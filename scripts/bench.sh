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
  # Intake rows stay 4 s long: in 2 s rows the start alone keeps a rate under the 98 % that
  # counts as fully served, and bench-load rightly fails.
  locate_args=(--points 100000 --rounds 2); load_args=(--seconds 4); publish_args=(--runs 2)
  aggregates_args=(--events 100000 --runs 2); scale_args=(--sizes 1,10 --points 50000)
else
  locate_args=(); load_args=(); publish_args=(); aggregates_args=(); scale_args=()
fi

section "PostGIS for the PostGIS columns"
major="$(psql "$pg_url" -Atc 'SHOW server_version_num' | cut -c1-2)" || die "no PostgreSQL at $pg_url"
need_apt "postgresql-$major-postgis-3"

section "build the benchmarks (release)"
cargo build --release -p wangge-tests --bin bench-locate --bin bench-load --bin bench-publish --bin bench-aggregates --bin bench-scale
# The map's row: the release server, the built frontend, headless Chromium (scripts/budget.sh's).
cargo build --release -p wangge-server --bin wangge
need_apt chromium fonts-noto-cjk
bash "$REPO_ROOT/scripts/frontend.sh"
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
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
run_bench bench-aggregates "$bin/bench-aggregates" --database-url "$pg_url" "${aggregates_args[@]}"
run_bench bench-scale "$bin/bench-scale" "${scale_args[@]}"
# Alone on the machine like the others: the browser's time is all CPU on two cores.
run_bench map env BUDGET_TABLE=1 LOADS="${BENCH_QUICK:+2}" WANGGE_BIN="$bin/wangge" node tests/e2e/budget.mjs
section "GEOS through shapely (pinned), in process"
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check shapely==2.1.2 numpy==2.2.6
run_bench shapely python3 tests/bench_shapely.py ${BENCH_QUICK:+100000}
# Ours for the same points: bench-locate's mean over 1M random points in the bounding box.
ours="$(grep -m1 -E '^TABLE\|point → grid, [^|]*1M random in bbox[^|]*, mean ns\|' "$logs/bench-locate.log" | cut -d'|' -f3 || true)"
theirs="$(grep -m1 '^SHAPELY|' "$logs/shapely.log" | cut -d'|' -f2)"
[[ -n "$ours" && -n "$theirs" ]] || die "missing figures for the shapely row"
echo "TABLE|point → grid, 1M random in bbox, mean ns|$ours|shapely 2 / GEOS STRtree, vectorized, in-process|$theirs|$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.1f", a / b }')|≤ 15 ns" >> "$logs/shapely.log"

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
