#!/usr/bin/env bash
# The ONE test command (also what CI runs, via .ci/run):
#     scripts/test.sh
# Installs what it needs (Debian packages), makes sure PostgreSQL runs, builds everything,
# runs the test suite, the doctests, clippy (if installed), the wasm32 build check, the
# frontend's end-to-end tests and the Debian package's install test.
# Fails fast; exits non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

T0=$SECONDS
STEPS=()
step() {  # step NAME CMD...: run one section, record its time
    local name="$1"; shift
    section "$name"
    local start=$SECONDS
    "$@"
    STEPS+=("$(printf '%-28s %5ss' "$name" "$((SECONDS - start))")")
}
summary() {
    local rc=$?
    printf '\n' >&2
    log "---------------- summary ----------------"
    local s
    for s in "${STEPS[@]+"${STEPS[@]}"}"; do log "  ok  $s"; done
    if (( rc == 0 )); then
        log "ALL PASSED in $((SECONDS - T0))s"
    else
        log "FAILED (exit $rc) after $((SECONDS - T0))s"
    fi
}
trap summary EXIT

log "repo:             $REPO_ROOT ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
log "CARGO_TARGET_DIR: $CARGO_TARGET_DIR"
log "toolchain:        $(cargo -V); $(rustc -V)"

# ---------------------------------------------------------------------------------------------
# System packages (Debian). Everything the tests need must be installed HERE: nothing installed
# by hand survives to CI. need_apt only runs apt-get when something is missing.
# (wasm-check.sh installs its own: rustc-web rust-web-src.)
# ---------------------------------------------------------------------------------------------
# (PostGIS is installed by ensure_postgis, matching the running server's major version.)
APT_PACKAGES=(
    postgresql-client           # psql, pg_isready
    gdal-bin                    # ogrinfo: a real GIS client reading the PostGIS layers
    chromium                    # the map's end-to-end tests (headless; never a downloaded browser)
    fonts-noto-cjk              # Chinese labels on the map, drawn from local fonts
)
# Python packages for third-party client tests, pinned.
PIP_PACKAGES=(
    georeport==0.3.1            # Open311 GeoReport v2 client (server/tests/open311_client.rs)
    openpyxl==3.1.5             # an XLSX reader for the registry's exports (server/tests/registry.rs)
    python-docx==1.2.0          # a DOCX reader for the self-evaluation report (server/tests/stats.rs)
    prometheus-client==0.21.1   # the Prometheus project's parser of a /metrics scrape (server/tests/observability.rs)
    schemathesis==4.32.5        # the property-based API fuzzer driven by /api/v1/openapi.json (server/tests/openapi.rs)
    openapi-spec-validator==0.9.0  # a validator of the OpenAPI 3.1 document (server/tests/openapi.rs)
)
install_packages() {
    if (( ${#APT_PACKAGES[@]} )); then
        need_apt "${APT_PACKAGES[@]}"
    else
        log "no extra Debian packages needed"
    fi
    have python3 || need_apt python3
    python3 -m pip --version >/dev/null 2>&1 || need_apt python3-pip
    log "pip: ${PIP_PACKAGES[*]}"
    # Debian's system Python refuses pip installs unless told otherwise (PEP 668).
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet "${PIP_PACKAGES[@]}"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL server on 127.0.0.1:5432. Already running (trust auth) on our CI machine kind;
# elsewhere install and start one.
# ---------------------------------------------------------------------------------------------
PG_HOST=127.0.0.1
PG_PORT=5432
ensure_postgres() {
    if have pg_isready && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
        log "PostgreSQL is accepting connections on $PG_HOST:$PG_PORT"
        return 0
    fi
    local installed_now=""
    if ! have pg_ctlcluster || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
        need_apt postgresql
        installed_now=1
    fi
    local ver
    ver="$(ls /etc/postgresql | sort -V | tail -n1)"
    if [[ -n "$installed_now" ]]; then
        # A fresh Debian cluster only allows password/peer logins; tests connect as
        # postgres@127.0.0.1 without a password, like on the CI machine kind.
        local hba="/etc/postgresql/$ver/main/pg_hba.conf"
        if [[ -f "$hba" ]] && ! grep -q '^# wangge: trust' "$hba"; then
            log "configuring trust auth for local connections in $hba"
            {
                echo '# wangge: trust local connections (test machine)'
                echo 'local all all trust'
                echo 'host  all all 127.0.0.1/32 trust'
                echo 'host  all all ::1/128 trust'
                cat "$hba"
            } > "$hba.new" && mv "$hba.new" "$hba"
        fi
    fi
    log "starting PostgreSQL $ver (cluster main)"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null \
        || pg_ctlcluster "$ver" main start \
        || pg_ctlcluster "$ver" main reload
    local i
    for i in $(seq 1 30); do
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && { log "PostgreSQL $ver is up"; return 0; }
        sleep 1
    done
    die "PostgreSQL did not become ready on $PG_HOST:$PG_PORT"
}

# PostGIS for the running server's major version, and a clean slate of test databases: every
# PostGIS test makes its own database from the template `wangge_template` (see
# server/tests/support/mod.rs) and drops it; a killed run may leave some behind.
PG_ADMIN_URL="postgres://postgres@$PG_HOST:$PG_PORT/postgres"
export WANGGE_TEST_POSTGRES="${WANGGE_TEST_POSTGRES:-$PG_ADMIN_URL}"
ensure_postgis() {
    local major
    major="$(psql "$WANGGE_TEST_POSTGRES" -Atc 'SHOW server_version_num')"
    major=$(( major / 10000 ))
    need_apt "postgresql-$major-postgis-3"
    local available
    available="$(psql "$WANGGE_TEST_POSTGRES" -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")"
    [[ -n "$available" ]] || die "PostGIS is not available to the PostgreSQL $major server after installing postgresql-$major-postgis-3"
    log "PostGIS $available available to PostgreSQL $major"
    local stale
    stale="$(psql "$WANGGE_TEST_POSTGRES" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'wangge\_t\_%' OR datname LIKE 'wangge\_bench\_%'")"
    local db
    for db in $stale; do
        psql "$WANGGE_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    done
    [[ -z "$stale" ]] || log "dropped $(wc -w <<<"$stale") stale test databases"
    # A template made by an older PostGIS package is rebuilt by the tests on first use.
    local template_version
    template_version="$(psql "postgres://postgres@$PG_HOST:$PG_PORT/wangge_template" -Atc \
        "SELECT extversion FROM pg_extension WHERE extname = 'postgis'" 2>/dev/null || true)"
    if [[ -n "$template_version" && "$template_version" != "$available" ]]; then
        psql "$WANGGE_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS wangge_template WITH (FORCE)" >/dev/null
        log "dropped wangge_template (PostGIS $template_version, now $available)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Rust
# ---------------------------------------------------------------------------------------------
# The frontend (wangge-frontend) is built and linted for wasm32 by the frontend steps below; its
# pure logic (the editor's draft and geometry) is unit-tested natively here too.
NATIVE=(--workspace --exclude wangge-frontend)
build_all() { cargo build "${NATIVE[@]}" --all-targets; }

run_tests() {
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run "${NATIVE[@]}" --no-tests=warn
    else
        log "cargo-nextest not installed: using cargo test"
        cargo test "${NATIVE[@]}"
    fi
}

run_doctests() { cargo test "${NATIVE[@]}" --doc; }

run_clippy() { cargo clippy "${NATIVE[@]}" --all-targets -- -D warnings; }

step "system packages"        install_packages
step "postgresql"             ensure_postgres
step "postgis"                ensure_postgis
step "build (all targets)"    build_all
step "tests"                  run_tests
step "doctests"               run_doctests
if cargo clippy --version >/dev/null 2>&1; then
    step "clippy (-D warnings)" run_clippy
else
    log "clippy not installed: skipping"
fi
# PostgreSQL high availability: Patroni + etcd with a synchronous standby, HAProxy on the leader;
# the primary killed under a load of reports (docs/ha.md). Bounded load; scripts/ha-drill.sh
# alone runs the longer one recorded in docs/ha-drill-output.txt.
step "postgresql failover drill" env WANGGE_BIN="$CARGO_TARGET_DIR/debug/wangge" WANGGE_BIN_WAIT_SECS=5 \
    LOAD_BEFORE_KILL_SECS=10 LOAD_AFTER_KILL_SECS=30 bash "$REPO_ROOT/scripts/ha-drill.sh"
step "fuzz (20 s a target)"   bash "$REPO_ROOT/scripts/fuzz.sh" 20 1
step "wasm32 check"           bash "$REPO_ROOT/scripts/wasm-check.sh"
step "frontend unit tests"    cargo test -p wangge-frontend --lib

# The map and the field app: build the frontend (clippy for wasm32, -D warnings), then drive it
# in headless Chromium against the real binary with the demo county (tests/e2e/map.test.mjs; the
# phone app emulated on a phone, offline and back, tests/e2e/field.test.mjs; the registry in the
# console and on the phone, tests/e2e/registry.test.mjs; the call-back desk, a mediation and the
# leaders' indicators, tests/e2e/disputes.test.mjs; the league tables, a scorecard, the
# self-evaluation and the scheme editor, tests/e2e/assessment.test.mjs; screenshots in target/e2e/).
run_e2e() {
    have node || need_apt nodejs npm
    npm ci --prefix "$REPO_ROOT/tests/e2e" --no-audit --no-fund --loglevel=error
    WANGGE_BIN="$CARGO_TARGET_DIR/debug/wangge" node --test --test-concurrency=1 \
        "$REPO_ROOT/tests/e2e/map.test.mjs" "$REPO_ROOT/tests/e2e/field.test.mjs" \
        "$REPO_ROOT/tests/e2e/registry.test.mjs" "$REPO_ROOT/tests/e2e/disputes.test.mjs" \
        "$REPO_ROOT/tests/e2e/assessment.test.mjs"
}
step "frontend (wasm, clippy)"  bash "$REPO_ROOT/scripts/frontend.sh" --lint
step "map and field end-to-end" run_e2e
# The Debian package of what was just built (the debug binary, the frontend above): its contents,
# lintian, installed with dpkg, started by systemd (in a container booted from this machine when
# systemd is not PID 1 here; failing that, the unit's ExecStart as its user), served, upgraded,
# stopped, removed and purged (docs/install.md). No release build here.
step "debian package"          bash "$REPO_ROOT/scripts/package-test.sh" --systemd-container \
    --binary "$CARGO_TARGET_DIR/debug/wangge" --frontend "$REPO_ROOT/frontend/dist"
