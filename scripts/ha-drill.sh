#!/usr/bin/env bash
# PostgreSQL high-availability drill: etcd + two Patroni nodes (PostgreSQL 15 + PostGIS 3, a
# primary and a synchronous standby) + HAProxy in front of the leader, wangge pointed at HAProxy.
# Under a load of reports it kills the primary hard (its postmaster and its Patroni, as if the
# machine died), lets the standby take over, and checks:
#   - a failover happened (and how long it took),
#   - wangge reconnected by itself (same process, acknowledgements after the failover),
#   - no acknowledged report was lost and none was stored twice (table event, with its timeline
#     rows in event_transition),
#   - the unavailability window as the clients saw it, and no 500 answer.
# Then it restarts the killed node, which rejoins as a replica (pg_rewind if needed).
# Exit status: 0 only if every check passed.
#
# Runs as root on Debian 12; installs what it lacks with apt. Everything runs from a fresh
# temporary directory on ports of its own; the system's PostgreSQL (5432) is never touched.
# Everything it started is stopped when it exits. See docs/ha.md.
#
#   scripts/ha-drill.sh
# Environment (defaults in brackets):
#   WANGGE_BIN               the server binary [/var/cache/wangge/field-bin/wangge]; waited for
#                            up to WANGGE_BIN_WAIT_SECS [1200] if it is not there yet
#   LOAD_CLIENTS             concurrent reporters [16]
#   LOAD_BEFORE_KILL_SECS    load before the kill [20]
#   LOAD_AFTER_KILL_SECS     load after the kill [40]
#   REJOIN                   1: restart the killed node and wait for it to rejoin [1]
#   KEEP_BASE                1: keep the temporary directory (logs, data) after a passing run;
#                            it is always kept after a failing one [0]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
_ts() { date +%H:%M:%S.%3N; }

HA_TEMPLATES="$REPO_ROOT/scripts/ha"
WANGGE_BIN="${WANGGE_BIN:-/var/cache/wangge/field-bin/wangge}"
WANGGE_BIN_WAIT_SECS="${WANGGE_BIN_WAIT_SECS:-1200}"
LOAD_CLIENTS="${LOAD_CLIENTS:-16}"
LOAD_BEFORE_KILL_SECS="${LOAD_BEFORE_KILL_SECS:-20}"
LOAD_AFTER_KILL_SECS="${LOAD_AFTER_KILL_SECS:-40}"
REJOIN="${REJOIN:-1}"
KEEP_BASE="${KEEP_BASE:-0}"

# The template parameters (scripts/ha/*): ports away from every default of the packages.
export HA_SCOPE=wangge-ha-drill
export HA_PG_BIN=/usr/lib/postgresql/15/bin
export HA_ETCD_CLIENT_PORT=2391 HA_ETCD_PEER_PORT=2392
export HA_PG1_PORT=5441 HA_PG2_PORT=5442
export HA_API1_PORT=8011 HA_API2_PORT=8012
export HA_PRIMARY_PORT=5440 HA_REPLICA_PORT=5439
# Drill timings (production: Patroni's defaults 30/10/10, see docs/ha.md).
export HA_TTL=10 HA_LOOP_WAIT=2 HA_RETRY_TIMEOUT=4
export HA_BASE=""
# shellcheck disable=SC2016 # the names envsubst may replace, not expansions
TEMPLATE_VARS='${HA_BASE} ${HA_SCOPE} ${HA_PG_BIN} ${HA_ETCD_CLIENT_PORT} ${HA_ETCD_PEER_PORT} ${HA_PG1_PORT} ${HA_PG2_PORT} ${HA_API1_PORT} ${HA_API2_PORT} ${HA_PRIMARY_PORT} ${HA_REPLICA_PORT} ${HA_TTL} ${HA_LOOP_WAIT} ${HA_RETRY_TIMEOUT}'
WANGGE_PORT=18090
WANGGE_URL="http://127.0.0.1:$WANGGE_PORT"
export PGCONNECT_TIMEOUT=3

declare -A PIDS=()        # what this run started: name -> pid
POLICY_RC_CREATED=""      # /usr/sbin/policy-rc.d written by this run (removed again)
INSTALLED_NOW=()          # packages this run installed
FAILED=()                 # failed checks

(( EUID == 0 )) || die "run as root (it installs packages and runs the clusters as user postgres)"

# ---------------------------------------------------------------- helpers

# The PostgreSQL server of the HA setup, as psql arguments: through HAProxy by default.
pg() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${PGPORT_OVERRIDE:-$HA_PRIMARY_PORT}" -U postgres "$@"; }

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.2 s.
wait_until() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || { warn "timed out after ${limit}s waiting for $what"; return 1; }
        sleep 0.2
    done
}

http_code() { curl -s -o /dev/null -m "${2:-2}" -w '%{http_code}' "$1" || true; }

api_port() { if [[ "$1" == 1 ]]; then echo "$HA_API1_PORT"; else echo "$HA_API2_PORT"; fi; }
pg_port()  { if [[ "$1" == 1 ]]; then echo "$HA_PG1_PORT"; else echo "$HA_PG2_PORT"; fi; }

# The cluster as Patroni's REST API on node $1 sees it: one "name role state" line per member.
members() {
    curl -s -m 2 "http://127.0.0.1:$(api_port "$1")/cluster" | python3 -c '
import json, sys
for m in json.load(sys.stdin).get("members", []):
    print(m.get("name"), m.get("role"), m.get("state"), m.get("lag", 0))'
}

# Is the cluster healthy: a running leader and a synchronous standby that is running/streaming?
cluster_ready() {
    local n view
    for n in 1 2; do
        view="$(members "$n" 2>/dev/null)" || continue
        grep -Eq '^pg[12] leader running' <<<"$view" \
            && grep -Eq '^pg[12] sync_standby (running|streaming)' <<<"$view" && return 0
    done
    return 1
}

is_primary() { [[ "$(http_code "http://127.0.0.1:$(api_port "$1")/primary" 1)" == 200 ]]; }

# Does HAProxy's primary port lead to a writable server?
primary_writable() {
    [[ "$(psql -X -h 127.0.0.1 -p "$HA_PRIMARY_PORT" -U postgres -d postgres -Atc \
          'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" == t ]]
}

# Is node $2 a running replica (ROLE_RE: sync_standby|replica) as node $1 sees the cluster?
replica_running() { members "$1" 2>/dev/null | grep -Eq "^$2 ($3) (running|streaming)"; }

leader_name() {
    local n
    for n in 1 2; do
        members "$n" 2>/dev/null | awk '$2 == "leader" { print $1; found = 1 } END { exit !found }' && return 0
    done
    return 1
}

# start_bg NAME LOG CMD...: runs CMD in the background, logs to LOG, remembers its pid.
start_bg() {
    local name="$1" logfile="$2"; shift 2
    "$@" >>"$logfile" 2>&1 &
    PIDS[$name]=$!
    printf '%s %s\n' "$name" "$!" >>"$HA_BASE/pids"
    log "started $name (pid $!): $(sed -E 's/(TOKEN=)[^ ]+/\1…/' <<<"$*")"
}

# stop_pid NAME [GRACE]: SIGTERM, then SIGKILL after GRACE seconds.
stop_pid() {
    local name="$1" grace="${2:-10}" pid="${PIDS[$1]:-}" i
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
        alive "$pid" || break
        sleep 0.2
    done
    if alive "$pid"; then
        warn "$name (pid $pid) still running after ${grace}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    log "stopped $name"
}

# The postmaster of node $1, if it runs (checked against its data directory: never another
# cluster's process).
postmaster_pid() {
    local data="$HA_BASE/pg$1/data" pid
    [[ -f "$data/postmaster.pid" ]] || return 1
    pid="$(head -1 "$data/postmaster.pid")"
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$data" || return 1
    echo "$pid"
}

stop_node() {
    local n="$1" pm
    stop_pid "patroni$n" 40
    # A Patroni that had to be killed leaves its PostgreSQL behind: an immediate shutdown.
    if pm="$(postmaster_pid "$n")"; then
        warn "PostgreSQL of pg$n (pid $pm) outlived its Patroni; stopping it"
        kill -QUIT "$pm" 2>/dev/null || true
        sleep 2
        if alive "$pm"; then kill -KILL "$pm" 2>/dev/null || true; fi
    fi
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT
    section "cleanup"
    [[ -n "${HA_BASE:-}" && -d "$HA_BASE" ]] && touch "$HA_BASE/load/stop" 2>/dev/null
    stop_pid load 5
    stop_pid wangge 15
    stop_pid haproxy 5
    stop_node 1
    stop_node 2
    stop_pid etcd 10
    if [[ -n "$POLICY_RC_CREATED" ]]; then
        rm -f /usr/sbin/policy-rc.d
    fi
    if [[ -n "${HA_BASE:-}" && -d "$HA_BASE" ]]; then
        if (( rc == 0 )) && [[ "$KEEP_BASE" != 1 ]]; then
            rm -rf "$HA_BASE"
            log "removed $HA_BASE"
        else
            log "kept $HA_BASE (logs: etcd.log, pg1/patroni.log, pg2/patroni.log, haproxy.log, wangge.log, load/)"
        fi
    fi
    log "the system's PostgreSQL was not touched"
    exit "$rc"
}

# ---------------------------------------------------------------- setup

install_packages() {
    section "packages"
    local wanted=(patroni etcd-server etcd-client haproxy postgresql-15 postgresql-15-postgis-3
                  python3-psycopg2 python3-etcd postgresql-client-15 gettext-base curl)
    local missing=() p
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    if (( ${#missing[@]} )); then
        # Keep the packages' own services from starting while they install: this drill runs
        # its own etcd, Patroni and HAProxy on its own ports.
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            POLICY_RC_CREATED=1
        fi
        need_apt "${missing[@]}"
        INSTALLED_NOW=("${missing[@]}")
        if [[ -n "$POLICY_RC_CREATED" ]]; then
            rm -f /usr/sbin/policy-rc.d
            POLICY_RC_CREATED=""
        fi
    fi
    local cmd
    for cmd in patroni patronictl etcd etcdctl haproxy psql envsubst curl python3 setpriv; do
        have "$cmd" || die "$cmd is missing after the installation"
    done
    [[ -x "$HA_PG_BIN/postgres" ]] || die "no PostgreSQL 15 server in $HA_PG_BIN"
    [[ -f /usr/share/postgresql/15/extension/postgis.control ]] || die "PostGIS 3 for PostgreSQL 15 is missing"
    log "patroni $(patroni --version | awk '{print $2}'), etcd $(etcd --version | awk 'NR == 1 {print $3}')," \
        "$(haproxy -v | awk 'NR == 1 {print "haproxy " $3}'), $("$HA_PG_BIN/postgres" --version)," \
        "postgis $(sed -n "s/^default_version = '\(.*\)'/\1/p" /usr/share/postgresql/15/extension/postgis.control)"
    (( ${#INSTALLED_NOW[@]} )) && log "installed now: ${INSTALLED_NOW[*]}"
    default_services
}

# The packages' default services (etcd on 2379, haproxy with /etc/haproxy/haproxy.cfg, a
# patroni.service) have nothing to do with the drill: stop and disable the ones this run's
# installation enabled; leave others be (the drill's ports differ from theirs anyway).
default_services() {
    local unit pkg
    if [[ -d /run/systemd/system ]] && have systemctl; then
        for unit in etcd haproxy patroni; do
            pkg="$unit"; [[ "$unit" == etcd ]] && pkg=etcd-server
            if [[ " ${INSTALLED_NOW[*]} " == *" $pkg "* ]]; then
                systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
                log "disabled the packaged $unit.service"
            elif systemctl is-active --quiet "$unit.service" 2>/dev/null; then
                warn "$unit.service is running (not started by this drill; left alone)"
            fi
        done
    else
        log "no systemd running: no packaged service to stop"
    fi
    if port_in_use 2379; then warn "something listens on 2379 (a default etcd?); the drill uses $HA_ETCD_CLIENT_PORT"; fi
    if pgrep -x haproxy >/dev/null 2>&1; then warn "an haproxy runs already; the drill's own uses $HA_PRIMARY_PORT"; fi
    if pgrep -x etcd >/dev/null 2>&1; then warn "an etcd runs already; the drill's own uses $HA_ETCD_CLIENT_PORT"; fi
    return 0
}

# Processes left by an earlier run that was killed before it could clean up (its pids file).
stop_leftovers() {
    local f dir name pid d
    for f in /var/tmp/wangge-ha.*/pids; do
        [[ -f "$f" ]] || continue
        dir="$(dirname "$f")"
        while read -r name pid; do
            alive "$pid" || continue
            tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir" || continue
            warn "stopping $name (pid $pid) left by an earlier drill in $dir"
            kill -TERM "$pid" 2>/dev/null || true
        done <"$f"
        sleep 3
        for d in "$dir/pg1/data" "$dir/pg2/data"; do
            [[ -f "$d/postmaster.pid" ]] || continue
            pid="$(head -1 "$d/postmaster.pid")"
            if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$d"; then
                kill -QUIT "$pid" 2>/dev/null || true
            fi
        done
        mv "$f" "$f.stopped"
    done
}

wait_for_binary() {
    section "wangge binary"
    local deadline=$((SECONDS + WANGGE_BIN_WAIT_SECS)) size="" prev=""
    while true; do
        if [[ -x "$WANGGE_BIN" ]]; then
            size="$(stat -c %s:%Y "$WANGGE_BIN")"
            if [[ "$size" == "$prev" ]] && "$WANGGE_BIN" --version >/dev/null 2>&1; then
                break
            fi
            prev="$size"
        fi
        (( SECONDS < deadline )) || die "no usable $WANGGE_BIN after ${WANGGE_BIN_WAIT_SECS}s"
        [[ -n "$prev" ]] || log "waiting for $WANGGE_BIN (being built?)"
        sleep 5
    done
    log "$("$WANGGE_BIN" --version) at $WANGGE_BIN"
    local flag
    for flag in --listen --data-dir --geodata-dir --demo --demo-residents --supervise-every-secs --frontend-dir; do
        "$WANGGE_BIN" --help | grep -q -- "$flag" || die "$WANGGE_BIN has no $flag option"
    done
}

render() {
    local name
    mkdir -p "$HA_BASE/conf"
    for name in etcd.yml patroni-1.yml patroni-2.yml haproxy.cfg; do
        envsubst "$TEMPLATE_VARS" <"$HA_TEMPLATES/$name" >"$HA_BASE/conf/$name"
        if grep -Eq '[$][{]HA_[A-Z0-9_]+[}]' "$HA_BASE/conf/$name"; then die "unfilled template variable in $name"; fi
    done
    chmod 644 "$HA_BASE"/conf/*
}

make_base() {
    section "base directory"
    HA_BASE="$(mktemp -d /var/tmp/wangge-ha.XXXXXX)"
    export HA_BASE
    mkdir -p "$HA_BASE"/{pg1,pg2,etcd,haproxy,load,wangge-data}
    : >"$HA_BASE/pids"
    chown postgres:postgres "$HA_BASE" "$HA_BASE/pg1" "$HA_BASE/pg2"
    chmod 755 "$HA_BASE"
    chmod 700 "$HA_BASE/pg1" "$HA_BASE/pg2" "$HA_BASE/etcd"
    render
    as_postgres
    log "base $HA_BASE; configs rendered from scripts/ha/ into $HA_BASE/conf"
    haproxy -c -q -f "$HA_BASE/conf/haproxy.cfg" || die "haproxy rejects its configuration"
    local port busy=()
    for port in "$HA_ETCD_CLIENT_PORT" "$HA_ETCD_PEER_PORT" "$HA_PG1_PORT" "$HA_PG2_PORT" "$HA_API1_PORT" \
                "$HA_API2_PORT" "$HA_PRIMARY_PORT" "$HA_REPLICA_PORT" "$WANGGE_PORT"; do
        if port_in_use "$port"; then busy+=("$port"); fi
    done
    (( ${#busy[@]} == 0 )) || die "ports in use: ${busy[*]} (another drill still running?)"
}

# A command prefix that runs a command as the postgres user by exec (setpriv, then env): the
# pid of a command started in the background with it is the command's own.
as_postgres() {
    AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups
                 env -i HOME="$HA_BASE" USER=postgres LOGNAME=postgres PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
}

start_etcd() {
    section "etcd (one member: drill only, production runs three)"
    start_bg etcd "$HA_BASE/etcd.log" etcd --config-file "$HA_BASE/conf/etcd.yml"
    wait_until 30 "etcd" etcdctl --endpoints="http://127.0.0.1:$HA_ETCD_CLIENT_PORT" endpoint health \
        || { tail -20 "$HA_BASE/etcd.log" >&2; die "etcd did not come up"; }
    log "etcd healthy on 127.0.0.1:$HA_ETCD_CLIENT_PORT"
}

start_node() {
    local n="$1"
    start_bg "patroni$n" "$HA_BASE/pg$n/patroni.log" "${AS_POSTGRES[@]}" patroni "$HA_BASE/conf/patroni-$n.yml"
}

start_cluster() {
    section "Patroni cluster: pg1 initialises, pg2 clones it and becomes the synchronous standby"
    start_node 1
    wait_until 120 "pg1 to become the leader" is_primary 1 \
        || { tail -30 "$HA_BASE/pg1/patroni.log" >&2; die "pg1 did not initialise"; }
    log "pg1 is the leader"
    start_node 2
    wait_until 180 "a synchronous standby" cluster_ready \
        || { tail -30 "$HA_BASE/pg2/patroni.log" >&2; die "no synchronous standby"; }
    log "leader and synchronous standby are up:"
    patronictl -c "$HA_BASE/conf/patroni-1.yml" list 2>&1 | sed 's/^/    /' >&2
    PGPORT_OVERRIDE="$(pg_port "$(leader_name | tr -dc 0-9)")" pg -Atc \
        "SELECT 'synchronous_standby_names=' || current_setting('synchronous_standby_names') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', fsync=' || current_setting('fsync')" \
        | sed 's/^/    /' >&2
}

start_haproxy() {
    section "HAProxy: 127.0.0.1:$HA_PRIMARY_PORT -> the leader"
    start_bg haproxy "$HA_BASE/haproxy.log" haproxy -db -f "$HA_BASE/conf/haproxy.cfg"
    wait_until 30 "HAProxy to reach the primary" primary_writable \
        || { tail -20 "$HA_BASE/haproxy.log" >&2; die "no primary behind HAProxy"; }
    log "HAProxy answers on $HA_PRIMARY_PORT with the primary ($(pg -d postgres -Atc 'SHOW port') behind it)"
}

create_database() {
    section "database wangge"
    local postgis
    postgis="$(pg -d postgres -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")"
    [[ "$postgis" == 3.* ]] || die "PostGIS 3 not available to the cluster (found '${postgis:-none}')"
    if [[ "$(pg -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'wangge'")" != 1 ]]; then
        pg -d postgres -c "CREATE DATABASE wangge"
    fi
    log "database wangge on the leader; PostGIS $postgis available (wangge's migrations create the extension)"
}

# ---------------------------------------------------------------- wangge and the load

start_wangge() {
    section "wangge -> DATABASE_URL=postgres://postgres@127.0.0.1:$HA_PRIMARY_PORT/wangge"
    start_bg wangge "$HA_BASE/wangge.log" env DATABASE_URL="postgres://postgres@127.0.0.1:$HA_PRIMARY_PORT/wangge" \
        RUST_LOG="${RUST_LOG:-info}" \
        "$WANGGE_BIN" --listen "127.0.0.1:$WANGGE_PORT" --data-dir "$HA_BASE/wangge-data" \
        --geodata-dir "$REPO_ROOT/geodata/huailai" --demo true --demo-residents 500 \
        --supervise-every-secs 0 --frontend-dir "$HA_BASE/no-frontend"
    local deadline=$((SECONDS + 300)) code
    while true; do
        code="$(http_code "$WANGGE_URL/api/v1/grids")"
        [[ "$code" != 000 ]] && break
        alive "${PIDS[wangge]}" || { tail -30 "$HA_BASE/wangge.log" >&2; die "wangge exited during start-up"; }
        (( SECONDS < deadline )) || { tail -30 "$HA_BASE/wangge.log" >&2; die "wangge not answering after 300s"; }
        sleep 1
    done
    log "wangge answers (GET /api/v1/grids: $code) after loading the demo county"
    TOKEN="$(curl -s -m 10 -H 'Content-Type: application/json' \
        -d '{"username":"county","password":"Wangge-demo-2026"}' "$WANGGE_URL/api/v1/auth/token" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')" \
        || die "no token for the demo account county"
    log "bearer token for the demo account county"
}

# One report by hand: 201 expected. A point that is not in the county: the first grid's centre.
probe_report() {
    local lon="$1" lat="$2" code
    PROBES=$((PROBES + 1))
    code="$(curl -s -o "$HA_BASE/probe.json" -m 30 -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $TOKEN" "$WANGGE_URL/api/v1/reports" -d @- <<EOF
{"report_id":"ha-$RUN-probe-$PROBES","category":"livelihood","description":"路灯不亮 drill","location":{"lon":$lon,"lat":$lat},"reporter":{"kind":"resident","name":"张三","phone":"13800138000"},"channel":"phone"}
EOF
)"
    log "probe report at $lon,$lat: HTTP $code"
    [[ "$code" == 201 || "$code" == 200 ]]
}

pick_point() {
    section "a probe report"
    if probe_report 115.52 40.41; then
        LON=115.52 LAT=40.41
        return
    fi
    read -r LON LAT < <(python3 - "$REPO_ROOT/geodata/huailai/grids.geojson" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))["features"][0]["geometry"]
ring = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
print("%.6f %.6f" % (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)))
EOF
)
    probe_report "$LON" "$LAT" || { cat "$HA_BASE/probe.json" >&2; die "a report is refused: $(cat "$HA_BASE/probe.json")"; }
}

start_load() {
    section "load: $LOAD_CLIENTS clients reporting"
    start_bg load "$HA_BASE/load/load.log" env HA_LOAD_TOKEN="$TOKEN" python3 -u "$REPO_ROOT/scripts/ha_load.py" run \
        --url "$WANGGE_URL" --run "$RUN" --out "$HA_BASE/load" \
        --stop-file "$HA_BASE/load/stop" --clients "$LOAD_CLIENTS" --lon "$LON" --lat "$LAT" \
        --max-seconds $((LOAD_BEFORE_KILL_SECS + LOAD_AFTER_KILL_SECS + 240))
    # Show the load's per-second lines as they come.
    tail -n +1 -f "$HA_BASE/load/load.log" --pid "${PIDS[load]}" >&2 &
    PIDS[load_tail]=$!
}

# ---------------------------------------------------------------- the kill

kill_primary() {
    section "kill the primary"
    local leader n pm
    leader="$(leader_name)" || die "no leader to kill"
    n="${leader#pg}"
    OLD_LEADER="$leader"
    SURVIVOR=$((3 - n))
    pm="$(postmaster_pid "$n")" || die "no postmaster for $leader"
    log "leader is $leader: postmaster pid $pm, patroni pid ${PIDS[patroni$n]}; SIGKILL to both"
    KILL_AT="$(date +%s.%N)"
    kill -KILL "$pm" "${PIDS[patroni$n]}"
    wait "${PIDS[patroni$n]}" 2>/dev/null || true
    log "killed $leader (postmaster and Patroni)"
}

# Polls until the survivor holds the lock as primary, then until HAProxy sends writes there.
await_failover() {
    local deadline now
    deadline=$((SECONDS + 90))
    FAILOVER_S="" ROUTED_S=""
    while (( SECONDS < deadline )); do
        if is_primary "$SURVIVOR"; then
            now="$(date +%s.%N)"
            FAILOVER_S="$(awk -v a="$KILL_AT" -v b="$now" 'BEGIN { printf "%.1f", b - a }')"
            break
        fi
        sleep 0.1
    done
    if [[ -z "$FAILOVER_S" ]]; then
        warn "pg$SURVIVOR did not become the leader within 90s"
        FAILED+=("no failover")
        return
    fi
    log "pg$SURVIVOR is the leader ${FAILOVER_S}s after the kill (Patroni REST API /primary: 200)"
    while (( SECONDS < deadline )); do
        if primary_writable; then
            now="$(date +%s.%N)"
            ROUTED_S="$(awk -v a="$KILL_AT" -v b="$now" 'BEGIN { printf "%.1f", b - a }')"
            break
        fi
        sleep 0.1
    done
    log "HAProxy routes writes to pg$SURVIVOR ${ROUTED_S:-?}s after the kill"
    grep -E 'INFO: .*(promot|acquir)' "$HA_BASE/pg$SURVIVOR/patroni.log" \
        | tail -4 | sed 's/^/    pg'"$SURVIVOR"': /' >&2 || true
}

# ---------------------------------------------------------------- checks

verify_reports() {
    section "every acknowledged report, on the new leader through HAProxy"
    local out
    out="$(pg -d wangge -At -F ' ' <<SQL
CREATE TEMP TABLE acked (report_id text COLLATE "C", client int, t_ack float8, status int, attempts int,
                         t_first float8, t_last float8);
\\copy acked FROM '$HA_BASE/load/acks.tsv'
SELECT 'checked', count(*) FROM acked;
SELECT 'lost', count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.report_id = a.report_id);
SELECT 'duplicated', count(*) FROM (SELECT report_id FROM event WHERE report_id LIKE 'ha-$RUN-%'
                                    GROUP BY report_id HAVING count(*) > 1) d;
SELECT 'stored', count(*) FROM event WHERE report_id LIKE 'ha-$RUN-%' AND report_id NOT LIKE 'ha-$RUN-probe-%';
SELECT 'stored_unacked', count(*) FROM event e WHERE e.report_id LIKE 'ha-$RUN-%' AND e.report_id NOT LIKE 'ha-$RUN-probe-%'
       AND NOT EXISTS (SELECT 1 FROM acked a WHERE a.report_id = e.report_id);
SELECT 'timeline_broken', count(*) FROM acked a JOIN event e USING (report_id)
 WHERE (SELECT count(*) FROM event_transition t WHERE t.event_id = e.event_id) <> e.seq
    OR NOT EXISTS (SELECT 1 FROM event_transition t WHERE t.event_id = e.event_id AND t.seq = 1);
SELECT 'timeline_rows', count(*) FROM event_transition t JOIN event e USING (event_id) JOIN acked a USING (report_id);
SELECT 'unaudited', count(*) FROM event e JOIN acked a USING (report_id)
 WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.action = 'report_event' AND l.outcome = 'success'
                     AND l.object = 'event:' || e.event_id);
SELECT 'in_doubt', count(*) FROM event e JOIN acked a USING (report_id)
 WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.action = 'report_event' AND l.outcome = 'success'
                     AND l.object = 'event:' || e.event_id AND l.detail NOT LIKE 'retry%')
   AND EXISTS (SELECT 1 FROM audit_log l WHERE l.action = 'report_event' AND l.outcome = 'success'
                 AND l.object = 'event:' || e.event_id);
SELECT 'server', inet_server_port();
SQL
)" || die "cannot check the reports on the new leader"
    declare -gA DB=()
    local key value
    while read -r key value; do DB[$key]="$value"; done <<<"$out"
    log "checked ${DB[checked]} acknowledged reports on the server at port ${DB[server]}:" \
        "lost ${DB[lost]}, duplicated ${DB[duplicated]}, stored ${DB[stored]}" \
        "(stored but never acknowledged ${DB[stored_unacked]}), timeline rows ${DB[timeline_rows]}," \
        "events with a broken timeline ${DB[timeline_broken]}"
}

rejoin() {
    section "restart $OLD_LEADER: it rejoins as a replica"
    local n="${OLD_LEADER#pg}" deadline leader_count replica_count
    start_node "$n"
    if wait_until 120 "$OLD_LEADER to rejoin" replica_running "$SURVIVOR" "$OLD_LEADER" 'sync_standby|replica'; then
        REJOINED=yes
        log "$OLD_LEADER runs as a replica again; waiting for it to be the synchronous standby"
        if wait_until 60 "$OLD_LEADER as the synchronous standby" replica_running "$SURVIVOR" "$OLD_LEADER" sync_standby; then
            REJOINED="yes, as the synchronous standby"
        else
            REJOINED="yes, as an asynchronous replica"
        fi
    else
        REJOINED=no
        FAILED+=("$OLD_LEADER did not rejoin")
    fi
    patronictl -c "$HA_BASE/conf/patroni-$SURVIVOR.yml" list 2>&1 | sed 's/^/    /' >&2
    grep -Ei 'rewind' "$HA_BASE/$OLD_LEADER/patroni.log" | tail -4 | sed "s/^/    $OLD_LEADER: /" >&2 || true
    [[ "$REJOINED" == yes* ]] || return 0
    leader_count="$(pg -d wangge -Atc "SELECT count(*) FROM event WHERE report_id LIKE 'ha-$RUN-%'")"
    deadline=$((SECONDS + 60))
    while true; do
        replica_count="$(PGPORT_OVERRIDE="$(pg_port "$n")" pg -d wangge -Atc \
            "SELECT count(*) FROM event WHERE report_id LIKE 'ha-$RUN-%'" 2>/dev/null || echo 0)"
        [[ "$replica_count" == "$leader_count" ]] && break
        (( SECONDS < deadline )) || break
        sleep 0.5
    done
    REPLICA_COUNT="$replica_count/$leader_count"
    log "$OLD_LEADER, now a replica, holds $replica_count of the leader's $leader_count drill events"
}

summary() {
    section "summary"
    declare -A L=()
    local key value
    while IFS='=' read -r key value; do L[$key]="$value"; done \
        < <(python3 "$REPO_ROOT/scripts/ha_load.py" analyse --out "$HA_BASE/load" --kill-at "$KILL_AT")
    local wangge_alive=no reconnected=no
    alive "${PIDS[wangge]}" && wangge_alive=yes
    if [[ "$wangge_alive" == yes ]] && (( ${L[acked_sent_after_kill]:-0} > 0 )); then reconnected=yes; fi
    local new_leader
    new_leader="$(leader_name 2>/dev/null || echo none)"
    local errors_logged
    errors_logged="$(grep -c 'ERROR' "$HA_BASE/wangge.log" || true)"
    {
        printf '\n'
        printf '  %-52s %s\n' "PostgreSQL HA drill, run $RUN" ""
        printf '  %-52s %s\n' "clients" "$LOAD_CLIENTS (load ${LOAD_BEFORE_KILL_SECS}s before the kill, ${LOAD_AFTER_KILL_SECS}s after)"
        printf '  %-52s %s\n' "killed (postmaster + Patroni, SIGKILL)" "$OLD_LEADER"
        printf '  %-52s %s\n' "failover happened" "$([[ -n "$FAILOVER_S" && "$new_leader" != "$OLD_LEADER" && "$new_leader" != none ]] && echo "yes, new leader $new_leader" || echo NO)"
        printf '  %-52s %s\n' "time to failover (kill -> new leader in Patroni)" "${FAILOVER_S:-n/a} s"
        printf '  %-52s %s\n' "time until HAProxy routes writes to it" "${ROUTED_S:-n/a} s"
        printf '  %-52s %s\n' "wangge reconnected by itself (same process)" "$reconnected"
        printf '  %-52s %s\n' "reports acknowledged" "${L[acked]} (201: ${L[acked_201]}, 200 replays of a stored report: ${L[acked_200_replay]})"
        printf '  %-52s %s\n' "  before the kill / in flight at it / sent after it" "${L[acked_before_kill]} / ${L[acked_in_flight_at_kill]} / ${L[acked_sent_after_kill]}"
        printf '  %-52s %s\n' "acknowledged reports lost" "${DB[lost]}"
        printf '  %-52s %s\n' "reports stored twice" "${DB[duplicated]}"
        printf '  %-52s %s\n' "events with a broken timeline" "${DB[timeline_broken]}"
        printf '  %-52s %s\n' "stored but never acknowledged" "${DB[stored_unacked]}"
        printf '  %-52s %s\n' "acknowledged without a success audit row" "${DB[unaudited]}"
        printf '  %-52s %s\n' "  commits whose answer was lost (first ack by a retry)" "${DB[in_doubt]}"
        printf '  %-52s %s\n' "requests / failed requests" "${L[requests]} / ${L[failed_requests]}"
        printf '  %-52s %s\n' "500 answers" "${L[status_500]}"
        printf '  %-52s %s\n' "503 answers with Retry-After" "${L[status_503_retry_after]} (values: ${L[retry_after_values]})"
        printf '  %-52s %s\n' "503 answers without Retry-After" "${L[status_503_no_retry_after]}"
        printf '  %-52s %s\n' "other failed answers" "${L[other_statuses]}"
        printf '  %-52s %s\n' "connection errors (no answer)" "${L[connection_errors]} (${L[connection_error_kinds]})"
        printf '  %-52s %s\n' "failed answers seen from .. to (s after the kill)" "${L[first_failure_s]:-n/a} .. ${L[last_failure_s]:-n/a}"
        printf '  %-52s %s\n' "unavailability window (last ack -> first ack after)" "${L[unavailability_window_s]} s (last ack ${L[last_ack_before_kill_s]:-?} s, first ack +${L[first_ack_after_kill_s]:-?} s)"
        printf '  %-52s %s\n' "requests in flight at the kill, acknowledged by" "+${L[in_flight_answered_by_s]} s"
        printf '  %-52s %s\n' "longest failed stretch of one client" "${L[longest_client_failed_stretch_s]} s (${L[longest_client_failed_stretch_report]//_/ })"
        printf '  %-52s %s\n' "most attempts for one report" "${L[max_attempts_for_one_report]}"
        printf '  %-52s %s\n' "ERROR lines in wangge's log" "$errors_logged"
        printf '  %-52s %s\n' "killed node rejoined as a replica" "${REJOINED:-not tried}${REPLICA_COUNT:+ (holds $REPLICA_COUNT drill events)}"
        printf '\n'
        if (( errors_logged > 0 )); then
            printf '  wangge'"'"'s ERROR lines, by message (count, first words):\n'
            sed -e 's/\x1b\[[0-9;]*m//g' "$HA_BASE/wangge.log" | grep 'ERROR' \
                | sed -E 's/^[^ ]+ +ERROR +//; s/^request\{[^}]*\}: //; s/(error=).*$/\1…/; s/ latency=.*$//' \
                | cut -c1-110 | sort | uniq -c | sort -rn | awk 'NR <= 8 { print "    " $0 }'
            printf '\n'
        fi
    } >&2
    [[ -n "$FAILOVER_S" && "$new_leader" != "$OLD_LEADER" && "$new_leader" != none ]] || FAILED+=("no failover")
    [[ "$reconnected" == yes ]] || FAILED+=("wangge did not reconnect")
    [[ "${DB[lost]}" == 0 ]] || FAILED+=("${DB[lost]} acknowledged reports lost")
    [[ "${DB[duplicated]}" == 0 ]] || FAILED+=("${DB[duplicated]} reports stored twice")
    [[ "${L[acked_twice]}" == 0 ]] || FAILED+=("${L[acked_twice]} report ids acknowledged twice")
    [[ "${DB[timeline_broken]}" == 0 ]] || FAILED+=("${DB[timeline_broken]} events with a broken timeline")
    [[ "${DB[unaudited]}" == 0 ]] || FAILED+=("${DB[unaudited]} acknowledged reports without a success audit row")
    [[ "${L[status_500]}" == 0 ]] || FAILED+=("${L[status_500]} answers were 500")
    [[ "${L[unacked_given_up]}" == 0 ]] || FAILED+=("${L[unacked_given_up]} reports never acknowledged")
}

# ---------------------------------------------------------------- main

main() {
    RUN="$(date +%H%M%S)-$$"
    PROBES=0
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    section "PostgreSQL HA drill (run $RUN)"
    install_packages
    stop_leftovers
    wait_for_binary
    make_base
    start_etcd
    start_cluster
    start_haproxy
    create_database
    start_wangge
    pick_point
    start_load
    sleep "$LOAD_BEFORE_KILL_SECS"
    kill_primary
    local until_stop=$((SECONDS + LOAD_AFTER_KILL_SECS))
    await_failover
    (( SECONDS < until_stop )) && sleep $((until_stop - SECONDS))
    log "stopping the load"
    touch "$HA_BASE/load/stop"
    wait "${PIDS[load]}" || FAILED+=("the load client failed")
    wait "${PIDS[load_tail]}" 2>/dev/null || true
    verify_reports
    if [[ "$REJOIN" == 1 ]]; then rejoin; fi
    summary
    if (( ${#FAILED[@]} )); then
        printf '[%s] DRILL FAILED: %s\n' "$(_ts)" "$(IFS=';'; echo "${FAILED[*]}")" >&2
        exit 1
    fi
    printf '[%s] DRILL PASSED\n' "$(_ts)" >&2
}

main "$@"
