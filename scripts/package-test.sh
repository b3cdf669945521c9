#!/usr/bin/env bash
# The Debian package, end to end on this machine: build it (scripts/package-deb.sh), check its
# contents, lint it, install it with dpkg, bootstrap the first administrator as docs/install.md
# says, start the service as its unit says, check that it serves, stop it, then remove and purge
# the package. Installs as root: meant for a throwaway (CI) machine.
#
#   scripts/package-test.sh [--binary PATH] [--frontend DIST]     (passed to package-deb.sh;
#                                                                   default: it builds both)
#                           [--deb FILE]             (test this package instead of building one)
#                           [--systemd-container]
#
# With systemd as PID 1 the service is started with `systemctl start wangge`; an upgrade over
# the running service must restart it, and a removal stop it. Without systemd as PID 1 (a VM or
# container without it):
#   --systemd-container  boots this machine's own root under systemd-nspawn (a throwaway
#                        overlay on tmpfs, private network, policy-rc.d out of the way) and runs
#                        this test inside it, so that the unit runs under systemd with its whole
#                        sandbox; where that cannot be done, falls back to the line below.
#   otherwise            the unit's ExecStart runs as the unit's User/Group with its Environment
#                        and EnvironmentFile, all read from the installed unit file, under what
#                        of its sandbox can be reproduced without systemd: WorkingDirectory,
#                        UMask, LimitNOFILE, NoNewPrivileges, an empty CapabilityBoundingSet,
#                        ProtectSystem=strict with ReadWritePaths, PrivateTmp.
#
# Environment: WANGGE_PACKAGE_PORT (default 18731), WANGGE_PACKAGE_READY_SECS (default 300),
# WANGGE_PACKAGE_KEEP=1 leaves the package installed when the test fails (for a look).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PASS=()
CONTAINER=""
DEB=""
while (( $# )); do
    case "$1" in
        --binary|--frontend) PASS+=("$1" "$(realpath -m -- "${2:?$1 needs a value}")"); shift 2 ;;
        --deb) DEB="$(realpath -m -- "${2:?--deb needs a file}")"; shift 2 ;;
        --systemd-container) CONTAINER=1; shift ;;
        *) die "unknown argument: $1" ;;
    esac
done
cd "$REPO_ROOT"

PKG=wangge
PORT="${WANGGE_PACKAGE_PORT:-18731}"
READY_SECS="${WANGGE_PACKAGE_READY_SECS:-300}"
UNIT=/lib/systemd/system/wangge.service
STATE=/var/lib/wangge
ENV_FILE=/etc/wangge/wangge.env
BASE="http://127.0.0.1:$PORT"

section "package test: build, install, start, purge"
(( EUID == 0 )) || die "the package test installs a package: run it as root (on a throwaway machine)"
have dpkg || die "dpkg is missing: the package test needs Debian or a system derived from it"
need_apt curl jq

# One package test at a time on a machine: they share dpkg, the package and its port.
exec 9>/run/lock/wangge-package-test.lock
flock -w 900 9 || die "another package test holds /run/lock/wangge-package-test.lock"

WORK="$(mktemp -d)"
SERVER_PID=""
INSTALLED=""
fail() { die "$*"; }
cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    ct_down
    if (( rc != 0 )); then
        [[ -f "$WORK/nspawn.log" ]] && { warn "container console (last 20 lines):"; tail -n 20 "$WORK/nspawn.log" >&2; }
        [[ -f "$WORK/server.log" ]] && { warn "service log (last 40 lines):"; tail -n 40 "$WORK/server.log" >&2; }
        if [[ -n "$INSTALLED" && "${WANGGE_PACKAGE_KEEP:-}" != 1 ]]; then
            warn "purging the package after the failure (WANGGE_PACKAGE_KEEP=1 keeps it)"
            systemctl_up && systemctl stop wangge >/dev/null 2>&1 || true
            dpkg --purge "$PKG" >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

systemctl_up() { [[ -d /run/systemd/system ]] && [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; }
pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | tr -d ' ' || true; }
mode_owner() { stat -c '%a %U:%G' "$1"; }
expect_eq() {  # expect_eq WHAT GOT WANT
    [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
    log "ok: $1 = $3"
}

# The package under test: --deb, or built by package-deb.sh.
build_deb() {
    if [[ -z "$DEB" ]]; then
        DEB="$(bash "$REPO_ROOT/scripts/package-deb.sh" "${PASS[@]+"${PASS[@]}"}" --out "$WORK/out" | tail -n 1)"
    fi
    [[ -f "$DEB" && "$DEB" == *.deb ]] || fail "no package to test (got '$DEB')"
}

# ---- under systemd in a container, when it is not PID 1 here ---------------------------------
# Boots / (an overlay whose changes go to tmpfs) with systemd-nspawn and runs this script inside.
# in_container returns the inner test's status, or 100 when no container could be booted.
CT=""           # the container's directory (overlay root and its tmpfs)
NSPAWN=""       # systemd-nspawn's pid
MACHINE="wangge-pkg-$$"
ct_down() {
    if [[ -n "$NSPAWN" ]] && kill -0 "$NSPAWN" 2>/dev/null; then
        kill -TERM "$NSPAWN" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 1; done
        kill -KILL "$NSPAWN" 2>/dev/null || true
        wait "$NSPAWN" 2>/dev/null || true
    fi
    NSPAWN=""
    if [[ -n "$CT" ]]; then
        mountpoint -q "$CT/root" && umount "$CT/root"
        mountpoint -q "$CT/rw" && umount "$CT/rw"
        rmdir "$CT/root" "$CT/rw" "$CT" 2>/dev/null || true
        rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || true
        CT=""
    fi
}
in_container() {
    ( need_apt systemd-container ) || { warn "systemd-container is not installable"; return 100; }
    # The package is built here; the container has no network, so what the test needs in it is
    # installed here first.
    build_deb
    need_apt lintian systemd
    local inner=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
        LANG=C.UTF-8 WANGGE_PACKAGE_IN_CONTAINER=1
        WANGGE_PACKAGE_PORT="$PORT" WANGGE_PACKAGE_READY_SECS="$READY_SECS"
        bash "$REPO_ROOT/scripts/package-test.sh" --deb "/mnt/wangge-deb/$(basename "$DEB")")
    local leader="" booted="" rc=0
    CT="$(mktemp -d /tmp/wangge-ct.XXXXXX)"
    mkdir -p "$CT/rw" "$CT/root"
    mount -t tmpfs -o size=4g,mode=0755 tmpfs "$CT/rw" || { ct_down; return 100; }
    mkdir -p "$CT/rw/upper" "$CT/rw/work"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$CT/rw/upper,workdir=$CT/rw/work" "$CT/root" \
        || { ct_down; return 100; }
    # A server, not an image build: maintainer scripts may start and stop services there.
    rm -f "$CT/root/usr/sbin/policy-rc.d"
    # The repository (wherever it is mounted here) and the package.
    local binds=(--bind-ro="$REPO_ROOT" --bind-ro="$(dirname "$DEB"):/mnt/wangge-deb")
    # basic.target: none of this machine's own services start in the container.
    systemd-nspawn -D "$CT/root" --boot --register=no --keep-unit --link-journal=no --private-network \
        -M "$MACHINE" --console=pipe "${binds[@]}" -- systemd.unit=basic.target \
        > "$WORK/nspawn.log" 2>&1 < /dev/null &
    NSPAWN=$!
    for _ in $(seq 1 90); do
        kill -0 "$NSPAWN" 2>/dev/null || break
        leader="$(pgrep -P "$NSPAWN" -x systemd || true)"
        if [[ -n "$leader" ]]; then
            case "$(nsenter -t "$leader" -a -- systemctl is-system-running 2>/dev/null)" in
                running|degraded) booted=1; break ;;
            esac
        fi
        sleep 1
    done
    if [[ -z "$booted" ]]; then
        warn "systemd-nspawn did not boot a container: $(tail -n 3 "$WORK/nspawn.log" | tr '\n' ' ')"
        ct_down; return 100
    fi
    log "container $MACHINE booted (systemd $(nsenter -t "$leader" -a -- systemctl --version | awk 'NR == 1 { print $2 }') as its PID 1); the test runs inside it"
    nsenter -t "$leader" -a -- "${inner[@]}" || rc=$?
    ct_down
    return "$rc"
}
if [[ -n "$CONTAINER" && -z "${WANGGE_PACKAGE_IN_CONTAINER:-}" ]] && ! systemctl_up; then
    rc=0
    in_container || rc=$?
    if (( rc != 100 )); then
        (( rc == 0 )) || fail "the package test failed under systemd in the container (exit $rc)"
        log "package test passed under systemd (container)"
        exit 0
    fi
    warn "no container with systemd here: the unit's ExecStart runs directly instead"
fi

# ---- a clean slate --------------------------------------------------------------------------
case "$(pkg_status)" in
    "") ;;
    *)  warn "$PKG is on this machine already ($(pkg_status)): purging what an earlier run left"
        systemctl_up && systemctl stop wangge >/dev/null 2>&1 || true
        dpkg --purge "$PKG" >/dev/null ;;
esac
[[ ! -e "$STATE" ]] || fail "$STATE exists without the package: somebody's data, not touching it"
if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then
    fail "something answers on port $PORT already (set WANGGE_PACKAGE_PORT)"
fi

# ---- build ----------------------------------------------------------------------------------
build_deb

# ---- contents -------------------------------------------------------------------------------
section "package contents"
dpkg-deb -I "$DEB" >&2
version="$(dpkg-deb -f "$DEB" Version)"
expect_eq "Package" "$(dpkg-deb -f "$DEB" Package)" "$PKG"
expect_eq "Architecture" "$(dpkg-deb -f "$DEB" Architecture)" "$(dpkg --print-architecture)"
depends="$(dpkg-deb -f "$DEB" Depends)"
[[ "$depends" == *"adduser"* && "$depends" =~ libc6\ \(\>=\ [0-9.]+\) ]] \
    || fail "Depends should name adduser and a minimum libc6: $depends"
log "ok: Depends: $depends"
dpkg-deb --ctrl-tarfile "$DEB" | tar -t | sort > "$WORK/control.list"
for f in ./control ./conffiles ./md5sums ./postinst ./prerm ./postrm; do
    grep -qx "$f" "$WORK/control.list" || fail "control archive lacks $f"
done
conffiles="$(dpkg-deb --info "$DEB" conffiles)"
expect_eq "conffiles" "$(echo "$conffiles" | sort | tr '\n' ' ')" "/etc/wangge/frontend-config.json /etc/wangge/wangge.env "

dpkg-deb -c "$DEB" > "$WORK/contents"
# "mode owner path" for each entry
awk '{ print $1, $2, $6 }' "$WORK/contents" > "$WORK/entries"
want_entry() {  # want_entry MODE PATH-REGEX
    grep -qE "^$1 root/root $2\$" "$WORK/entries" || fail "the package lacks $2 with mode $1 (root/root)"
}
want_entry -rwxr-xr-x '\./usr/bin/wangge'
want_entry -rw-r----- '\./etc/wangge/wangge\.env'
want_entry -rw-r--r-- '\./etc/wangge/frontend-config\.json'
want_entry -rw-r--r-- '\./lib/systemd/system/wangge\.service'
want_entry -rw-r--r-- '\./usr/share/wangge/frontend/index\.html'
want_entry -rw-r--r-- '\./usr/share/wangge/frontend/pkg/[^/]+\.wasm'
want_entry lrwxrwxrwx '\./usr/share/wangge/frontend/config\.json'
for layer in county townships villages grids; do
    want_entry -rw-r--r-- "\./usr/share/wangge/geodata/huailai/$layer\.geojson"
done
want_entry -rw-r--r-- '\./usr/share/wangge/migrations/sqlite/[^/]+\.sql'
want_entry -rw-r--r-- '\./usr/share/wangge/migrations/postgis/[^/]+\.sql'
want_entry -rw-r--r-- '\./usr/share/doc/wangge/copyright'
want_entry -rw-r--r-- '\./usr/share/doc/wangge/changelog\.gz'
want_entry -rw-r--r-- '\./usr/share/doc/wangge/install\.md\.gz'
want_entry -rw-r--r-- '\./usr/share/man/man1/wangge\.1\.gz'
if awk '$2 != "root/root"' "$WORK/entries" | grep -q .; then
    fail "entries not owned by root/root: $(awk '$2 != "root/root"' "$WORK/entries" | head -n 3)"
fi
if grep -qE ' \./var/' "$WORK/entries"; then
    fail "the package ships files under /var (postinst makes $STATE): $(grep -E ' \./var/' "$WORK/entries" | head -n 3)"
fi
log "ok: $(wc -l < "$WORK/entries") entries, the expected ones with their modes, all root/root"
n_frontend="$(grep -c ' \./usr/share/wangge/frontend/' "$WORK/entries")"
log "ok: $n_frontend frontend entries"

# ---- lintian ------------------------------------------------------------------------------
section "lintian"
if (need_apt lintian) && have lintian; then
    # Errors and warnings fail the test; the informational tags left are printed (docs/install.md
    # says which and why).
    lintian --fail-on error,warning --display-info --tag-display-limit 0 "$DEB" >&2 \
        || fail "lintian found errors or warnings"
    log "ok: lintian has no errors and no warnings"
else
    warn "lintian is not installable here: skipped"
fi

# ---- install --------------------------------------------------------------------------------
section "install"
INSTALLED=1
if ! dpkg -i "$DEB" >&2; then
    log "dpkg -i left dependencies missing: apt-get install -f"
    apt-get install -f -y -qq -o Dpkg::Use-Pty=0 >&2 || fail "apt-get install -f could not complete the installation"
fi
expect_eq "package status" "$(pkg_status)" "ii"
expect_eq "installed version" "$(dpkg-query -W -f='${Version}' "$PKG")" "$version"
dpkg --verify "$PKG" || fail "dpkg --verify: installed files differ from the package's checksums"
log "ok: dpkg --verify"

getent passwd wangge > "$WORK/passwd" || fail "postinst did not create the user wangge"
IFS=: read -r _ _ uid gid _ home shell < "$WORK/passwd"
(( uid < 1000 )) || fail "wangge is not a system user (uid $uid)"
expect_eq "wangge's home" "$home" "$STATE"
[[ "$shell" == */nologin || "$shell" == /bin/false ]] || fail "wangge can log in (shell $shell)"
expect_eq "wangge's group" "$(getent group wangge | cut -d: -f3)" "$gid"
expect_eq "$STATE" "$(mode_owner "$STATE")" "750 wangge:wangge"
expect_eq "$ENV_FILE" "$(mode_owner "$ENV_FILE")" "640 root:wangge"
expect_eq "/usr/bin/wangge" "$(mode_owner /usr/bin/wangge)" "755 root:root"
[[ -L /etc/systemd/system/multi-user.target.wants/wangge.service ]] \
    || fail "the unit is not enabled (no multi-user.target.wants/wangge.service link)"
log "ok: the unit is enabled"
/usr/bin/wangge --version >&2

# ---- the unit, checked by systemd's own tools -------------------------------------------------
section "systemd-analyze"
have systemd-analyze || need_apt systemd
verify_out="$(systemd-analyze verify "$UNIT" 2>&1)" || fail "systemd-analyze verify failed: $verify_out"
# Units of this machine that are not ours may have their own complaints; ours must have none.
if grep -i 'wangge' <<<"$verify_out"; then fail "systemd-analyze verify complains about the unit"; fi
log "ok: systemd-analyze verify $UNIT"
systemd-analyze security --offline=true --no-pager "$UNIT" > "$WORK/security" 2>&1 \
    || { cat "$WORK/security" >&2; fail "systemd-analyze security failed"; }
grep -E '^[✗✓]' "$WORK/security" | grep '✗' >&2 || true
exposure="$(grep -oE 'Overall exposure level for wangge.service: [0-9.]+ [A-Z]+' "$WORK/security")"
[[ -n "$exposure" ]] || { cat "$WORK/security" >&2; fail "no exposure level in systemd-analyze security's output"; }
log "ok: $exposure"
systemd-analyze security --offline=true --threshold=20 --no-pager "$UNIT" >/dev/null 2>&1 \
    || fail "the unit's exposure is above 2.0: a hardening setting was lost"

# ---- configure as an administrator would ----------------------------------------------------
section "configure and bootstrap"
grep -q '^# WANGGE_LISTEN=\|^WANGGE_LISTEN=' "$ENV_FILE" || fail "$ENV_FILE has no WANGGE_LISTEN line to edit"
sed -i -e "s|^#\? \?WANGGE_LISTEN=.*|WANGGE_LISTEN=127.0.0.1:$PORT|" "$ENV_FILE"
grep -q "^WANGGE_LISTEN=127.0.0.1:$PORT\$" "$ENV_FILE" || fail "could not set WANGGE_LISTEN in $ENV_FILE"
expect_eq "$ENV_FILE after editing" "$(mode_owner "$ENV_FILE")" "640 root:wangge"
grep -qx 'WANGGE_DEMO=false' "$ENV_FILE" || fail "the packaged configuration should start without the demo"

# An administrative command exactly as docs/install.md writes it: as the service's user, with
# its settings and its umask, so that what it creates is the service's and closed to others.
as_service() {
    runuser -u wangge -- sh -c 'umask 027; set -a; . /etc/wangge/wangge.env; exec wangge "$@"' wangge "$@"
}
# The first administrator.
as_service admin bootstrap --username admin --role system_admin > "$WORK/bootstrap" 2>"$WORK/bootstrap.err" \
    || { cat "$WORK/bootstrap.err" >&2; fail "wangge admin bootstrap failed"; }
otp="$(sed -n 's/^admin: one-time password \(.*\)$/\1/p' "$WORK/bootstrap")"
[[ -n "$otp" ]] || { cat "$WORK/bootstrap" >&2; fail "no one-time password in the bootstrap's output"; }
log "ok: administrator 'admin' bootstrapped"
expect_eq "$STATE/wangge.db" "$(mode_owner "$STATE/wangge.db")" "640 wangge:wangge"
expect_eq "$STATE/audit.key" "$(mode_owner "$STATE/audit.key")" "600 wangge:wangge"

# ---- start ----------------------------------------------------------------------------------
# The [Service] value of KEY in the installed unit (the last one when repeated).
unit_value() {
    awk -v key="$1" '
        /^\[/ { service = ($0 == "[Service]") ; next }
        service && index($0, key "=") == 1 { value = substr($0, length(key) + 2) }
        END { print value }
    ' "$UNIT"
}

# KEY=VALUE lines of a systemd EnvironmentFile (comments, blank lines and one pair of quotes
# as systemd reads them); anything else fails the test rather than being guessed at.
env_file_vars() {
    local line name value
    while IFS= read -r line || [[ -n "$line" ]]; do
        line="${line#"${line%%[![:space:]]*}"}"
        [[ -z "$line" || "$line" == \#* || "$line" == \;* ]] && continue
        [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || fail "cannot read this line of $1: $line"
        name="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
        if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
        [[ "$value" != *\\* ]] || fail "$1: escapes are not read by this test: $line"
        printf '%s=%s\n' "$name" "$value"
    done < "$1"
}

exec_start="$(unit_value ExecStart)"
env_file="$(unit_value EnvironmentFile)"
user="$(unit_value User)" group="$(unit_value Group)"
stop_timeout="$(unit_value TimeoutStopSec)"
[[ -n "$exec_start" && -n "$env_file" && -n "$user" && -n "$group" ]] \
    || fail "the unit lacks one of ExecStart, EnvironmentFile, User, Group"
expect_eq "the unit's EnvironmentFile" "${env_file#-}" "$ENV_FILE"
stop_secs="${stop_timeout%s}"
[[ "$stop_secs" =~ ^[0-9]+$ ]] || fail "TimeoutStopSec=$stop_timeout is not in plain seconds"
drain_secs="$(env_file_vars "$ENV_FILE" | sed -n 's/^WANGGE_DRAIN_SECS=//p')"
(( stop_secs > ${drain_secs:-30} + 5 )) \
    || fail "TimeoutStopSec ($stop_secs s) must outlast the drain (${drain_secs:-30} s) and the store's closing (5 s)"
log "unit: User=$user Group=$group ExecStart=$exec_start EnvironmentFile=$env_file TimeoutStopSec=$stop_timeout"

if systemctl_up; then
    section "start: systemctl start wangge"
    systemctl daemon-reload
    systemctl start wangge || { journalctl -u wangge --no-pager -n 40 >&2 || true; fail "systemctl start wangge failed"; }
    SERVER_PID="$(systemctl show -p MainPID --value wangge)"
    journal_since="$(date '+%F %T')"
else
    section "start: the unit's ExecStart as $user (no systemd as PID 1 here)"
    [[ "$exec_start" =~ ^/[^[:space:]\"\'\$%]+([[:space:]]+[^[:space:]\"\'\$%]+)*$ ]] \
        || fail "ExecStart has prefixes, quotes, variables or specifiers this test does not reproduce: $exec_start"
    read -r -a argv <<<"$exec_start"
    env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
        HOME="$home" USER="$user" LOGNAME="$user" SHELL="$shell")
    # Environment= first, then the EnvironmentFile, which wins (as systemd orders them).
    while IFS= read -r assignments; do
        [[ "$assignments" =~ ^([A-Za-z_][A-Za-z0-9_]*=[^[:space:]\"\'\$%]*[[:space:]]*)*$ ]] \
            || fail "Environment=$assignments: quotes, variables or specifiers this test does not reproduce"
        read -r -a kvs <<<"$assignments"
        env_args+=("${kvs[@]}")
    done < <(awk '/^\[/ { service = ($0 == "[Service]"); next } service && /^Environment=/ { print substr($0, 13) }' "$UNIT")
    while IFS= read -r kv; do env_args+=("$kv"); done < <(env_file_vars "${env_file#-}")
    workdir="$(unit_value WorkingDirectory)"
    umask_value="$(unit_value UMask)"
    nofile="$(unit_value LimitNOFILE)"
    rw_paths="$(unit_value ReadWritePaths)"
    [[ "$(unit_value ProtectSystem)" == strict ]] || fail "the unit should have ProtectSystem=strict"
    [[ "$(unit_value NoNewPrivileges)" == yes ]] || fail "the unit should have NoNewPrivileges=yes"
    [[ -z "$(unit_value CapabilityBoundingSet)" ]] && grep -qx 'CapabilityBoundingSet=' "$UNIT" \
        || fail "the unit should have an empty CapabilityBoundingSet="
    [[ "$(unit_value PrivateTmp)" == yes ]] || fail "the unit should have PrivateTmp=yes"
    # The sandbox, in a mount namespace of its own: everything read-only (ProtectSystem=strict
    # leaves /dev, /proc and /sys to other settings) but ReadWritePaths, a fresh /tmp and
    # /var/tmp, then the user, no new privileges, no capabilities.
    cat > "$WORK/sandbox.sh" <<'SANDBOX'
set -euo pipefail
rw_paths="$1" workdir="$2" umask_value="$3" nofile="$4" user="$5" group="$6"; shift 6
findmnt -rn -o TARGET | awk '$0 !~ "^/(dev|proc|sys)(/|$)"' | sort -u | while read -r m; do
    m="$(printf '%b' "$m")"
    mount -o remount,bind,ro "$m" 2>/dev/null || { [[ "$m" == / ]] && { echo "cannot make / read-only" >&2; exit 1; }; true; }
done
for p in $rw_paths; do mount --bind "$p" "$p"; mount -o remount,bind,rw "$p"; done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
if touch /usr/.wangge-sandbox-probe 2>/dev/null; then rm -f /usr/.wangge-sandbox-probe; echo "/usr is writable in the sandbox" >&2; exit 1; fi
cd "$workdir"
umask "$umask_value"
if ! ulimit -n "$nofile" 2>/dev/null; then
    echo "sandbox: LimitNOFILE=$nofile is above this machine's hard limit: $(ulimit -Hn) instead" >&2
    ulimit -n "$(ulimit -Hn)"
fi
exec setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all -- env -i "$@"
SANDBOX
    unshare --mount --propagation private -- bash "$WORK/sandbox.sh" \
        "$rw_paths" "${workdir:-/}" "${umask_value:-0022}" "${nofile:-1024}" "$user" "$group" \
        "${env_args[@]}" "${argv[@]}" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
fi

# ---- it serves --------------------------------------------------------------------------------
section "serving"
t0=$SECONDS
until curl -sf -o "$WORK/readyz" --max-time 5 "$BASE/readyz"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then fail "the service exited before it was ready"; fi
    (( SECONDS - t0 < READY_SECS )) || fail "not ready within $READY_SECS s"
    sleep 1
done
log "ok: /readyz after $((SECONDS - t0)) s: $(cat "$WORK/readyz")"
grids_file="$(jq '.features | length' /usr/share/wangge/geodata/huailai/grids.geojson)"
expect_eq "/readyz status" "$(jq -r .status "$WORK/readyz")" "ready"
expect_eq "/readyz store" "$(jq -r .store "$WORK/readyz")" "sqlite"
expect_eq "/readyz migrations applied" "$(jq -r .migrations_applied "$WORK/readyz")" "$(jq -r .migrations_known "$WORK/readyz")"
expect_eq "/readyz grids (the packaged grids.geojson's features)" "$(jq -r .grids "$WORK/readyz")" "$grids_file"
expect_eq "/healthz grids" "$(curl -sf "$BASE/healthz" | jq -r .grids)" "$grids_file"

# The frontend from /usr/share/wangge/frontend, and the site's config.json from /etc.
curl -sf -D "$WORK/index.headers" -o "$WORK/index.html" "$BASE/"
cmp -s "$WORK/index.html" /usr/share/wangge/frontend/index.html || fail "/ is not the packaged index.html"
log "ok: / serves the packaged frontend"
wasm="$(cd /usr/share/wangge/frontend && ls pkg/*.wasm | head -n 1)"
expect_eq "/$wasm content type" "$(curl -sf -o /dev/null -w '%{content_type}' "$BASE/$wasm")" "application/wasm"
expect_eq "/config.json (from /etc/wangge/frontend-config.json)" "$(curl -sf "$BASE/config.json" | jq -c .)" "{}"

# The API needs a login; the bootstrapped administrator logs in with the one-time password,
# must change it, then is itself.
expect_eq "GET /api/v1/grids without a login" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/grids")" "401"
jq -n --arg p "$otp" '{username: "admin", password: $p}' > "$WORK/login.json"
code="$(curl -s -c "$WORK/cookies" -o "$WORK/me.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data @"$WORK/login.json" "$BASE/api/v1/auth/login")"
expect_eq "login with the one-time password" "$code" "200"
expect_eq "the password is to be changed" "$(jq -r .password_expired "$WORK/me.json")" "true"
expect_eq "the role" "$(jq -r .role "$WORK/me.json")" "system_admin"
csrf="$(jq -r .csrf_token "$WORK/me.json")"
jq -n --arg c "$otp" '{current: $c, new: "Package-test-2026!"}' > "$WORK/password.json"
code="$(curl -s -b "$WORK/cookies" -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    -H "X-CSRF-Token: $csrf" --data @"$WORK/password.json" "$BASE/api/v1/auth/password")"
expect_eq "password change" "$code" "204"
expect_eq "after the change, password_expired" \
    "$(curl -sf -b "$WORK/cookies" "$BASE/api/v1/auth/me" | jq -r .password_expired)" "false"

# A backup while it serves, as docs/install.md says (as the service's user, into a directory
# of its own).
chmod 0711 "$WORK"
install -d -o wangge -g wangge -m 0750 "$WORK/backups"
as_service backup --to "$WORK/backups/first" >&2 || fail "wangge backup failed"
jq -e '.database_sha256 | length == 64' "$WORK/backups/first/MANIFEST.json" >/dev/null \
    || fail "the backup has no manifest with the database's checksum"
log "ok: wangge backup wrote $(cd "$WORK/backups/first" && ls | tr '\n' ' ')"

# What the service wrote: in its state directory only, owned by it, nothing for others
# (UMask=0027).
find "$STATE" -mindepth 1 ! -user wangge -printf '%p %u\n' > "$WORK/foreign"
[[ ! -s "$WORK/foreign" ]] || fail "files in $STATE not owned by wangge: $(head -n 3 "$WORK/foreign")"
find "$STATE" -mindepth 1 -perm /o=rwx -printf '%m %p\n' > "$WORK/open"
[[ ! -s "$WORK/open" ]] || fail "files in $STATE open to others: $(head -n 3 "$WORK/open")"
log "ok: $STATE holds $(find "$STATE" -mindepth 1 | wc -l) entries, all wangge's, none open to others: $(cd "$STATE" && ls | tr '\n' ' ')"

# ---- stop -----------------------------------------------------------------------------------
# With systemd, the maintainer scripts act on the running service (unless policy-rc.d forbids
# it, as in image builds): an upgrade restarts it, a removal stops it.
policy_allows() { [[ ! -x /usr/sbin/policy-rc.d ]] || /usr/sbin/policy-rc.d wangge.service restart >/dev/null 2>&1; }
wait_ready() {
    local t0=$SECONDS
    until curl -sf -o /dev/null --max-time 5 "$BASE/readyz"; do
        (( SECONDS - t0 < READY_SECS )) || fail "not ready within $READY_SECS s"
        sleep 1
    done
}
if systemctl_up && policy_allows; then
    section "upgrade over the running service"
    pid_before="$(systemctl show -p MainPID --value wangge)"
    dpkg -i "$DEB" >&2
    wait_ready
    pid_after="$(systemctl show -p MainPID --value wangge)"
    [[ "$pid_after" != 0 && "$pid_after" != "$pid_before" ]] \
        || fail "the upgrade did not restart the running service (MainPID $pid_before, then $pid_after)"
    log "ok: the upgrade restarted the service (MainPID $pid_before → $pid_after), ready again"
    expect_eq "the administrator's session after the restart" \
        "$(curl -sf -b "$WORK/cookies" "$BASE/api/v1/auth/me" | jq -r .username)" "admin"
elif systemctl_up; then
    warn "/usr/sbin/policy-rc.d forbids starting services: the upgrade and removal of a running service are not checked"
fi

section "stop"
t0=$SECONDS
if systemctl_up; then
    systemctl stop wangge
    expect_eq "the service's result" "$(systemctl show -p Result --value wangge)" "success"
    expect_eq "its exit status" "$(systemctl show -p ExecMainStatus --value wangge)" "0"
    journalctl -u wangge --no-pager --since "$journal_since" > "$WORK/server.log" 2>/dev/null || true
else
    kill -TERM "$SERVER_PID"
    rc=0
    # A stop longer than TimeoutStopSec would have been a SIGKILL under systemd.
    ( sleep "$stop_secs"; kill -KILL "$SERVER_PID" 2>/dev/null ) & watchdog=$!
    wait "$SERVER_PID" || rc=$?
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
    SERVER_PID=""
    expect_eq "exit status after SIGTERM" "$rc" "0"
fi
log "ok: stopped in $((SECONDS - t0)) s"
grep -q 'stopped' "$WORK/server.log" || fail "the log has no 'stopped' line"
if grep -q $'\e\[' "$WORK/server.log"; then fail "the log holds terminal colour codes (the journal would keep them)"; fi
log "service log:"
sed -e 's/^/    /' "$WORK/server.log" >&2

# ---- remove, then purge -----------------------------------------------------------------------
section "remove, then purge"
if systemctl_up && policy_allows; then
    systemctl start wangge
    wait_ready
    dpkg --remove "$PKG" >&2
    state="$(systemctl show -p ActiveState --value wangge 2>/dev/null || true)"
    [[ "$state" != active && "$state" != deactivating ]] || fail "the removal left the service $state"
    curl -s -o /dev/null --max-time 2 "$BASE/healthz" && fail "the service still answers after the removal"
    log "ok: the removal stopped the running service"
else
    dpkg --remove "$PKG" >&2
fi
expect_eq "package status after remove" "$(pkg_status)" "rc"
[[ ! -e /usr/bin/wangge ]] || fail "/usr/bin/wangge is still there after remove"
[[ -f "$STATE/wangge.db" && -f "$STATE/audit.key" ]] || fail "remove deleted the data in $STATE"
[[ -f "$ENV_FILE" ]] || fail "remove deleted the configuration"
log "ok: remove kept $STATE and $ENV_FILE"
dpkg --purge "$PKG" >&2
INSTALLED=""
expect_eq "package status after purge" "$(pkg_status)" ""
[[ ! -e "$STATE" ]] || fail "purge left $STATE"
[[ ! -e /etc/wangge ]] || fail "purge left /etc/wangge"
if dpkg-statoverride --list "$ENV_FILE" >/dev/null 2>&1; then fail "purge left the statoverride of $ENV_FILE"; fi
[[ ! -e /etc/systemd/system/multi-user.target.wants/wangge.service ]] || fail "purge left the unit enabled"
log "ok: purge removed $STATE, /etc/wangge, the statoverride and the unit's links (the system user stays, as Debian does)"
log "package test passed: $(basename "$DEB")"
