# shellcheck shell=bash
# Shared helpers for wangge's scripts. Source it, don't run it:
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets:
#   REPO_ROOT          the repository root (this file's parent's parent)
#   CARGO_TARGET_DIR   shared build dir OUTSIDE the clone, so CI's fresh clones stay warm
#                      (default /var/cache/wangge/target; an existing value is respected)
# Provides:
#   log / warn / die / section   logging
#   need_apt PKG...              install missing Debian packages (one apt-get update, only if needed)
#   have CMD                     is CMD on PATH?
#   timed LABEL CMD...           run CMD, print how long it took

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# rustup's toolchain first: Debian's rustc-web (installed for the wasm check) puts a different
# rustc in /usr/bin, and the normal builds must use rustup's.
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" && ":$PATH:" != *":${CARGO_HOME:-$HOME/.cargo}/bin:"* ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/wangge/target}"
if ! mkdir -p "$CARGO_TARGET_DIR" 2>/dev/null || [[ ! -w "$CARGO_TARGET_DIR" ]]; then
    # Not root and /var/cache not writable: fall back to a per-user cache (still outside the clone).
    CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/wangge/target"
    mkdir -p "$CARGO_TARGET_DIR"
    export CARGO_TARGET_DIR
fi

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-$([[ -t 2 ]] && echo auto || echo never)}"
export DEBIAN_FRONTEND=noninteractive

_ts() { date +%H:%M:%S; }
log()  { printf '[%s] %s\n' "$(_ts)" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$(_ts)" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$(_ts)" "$*" >&2; exit 1; }
section() {
    printf '\n[%s] ==================== %s ====================\n' "$(_ts)" "$*" >&2
}
have() { command -v "$1" >/dev/null 2>&1; }

# timed LABEL CMD...: run CMD; print "LABEL: Ns" on success, propagate failure.
timed() {
    local label="$1"; shift
    local start=$SECONDS rc=0
    "$@" || rc=$?
    if (( rc == 0 )); then
        log "$label: ok in $((SECONDS - start))s"
    else
        log "$label: FAILED (exit $rc) after $((SECONDS - start))s"
    fi
    return "$rc"
}

_apt_updated=""
# need_apt PKG...: install the packages that are not installed yet. Runs `apt-get update` at most
# once per shell, and only when something is actually missing. Non-interactive, quiet.
need_apt() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    (( ${#missing[@]} == 0 )) && return 0
    have apt-get || die "need Debian packages (${missing[*]}) but apt-get is not available"
    local sudo=()
    if (( EUID != 0 )); then
        have sudo || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo -n)
    fi
    log "installing Debian packages: ${missing[*]}"
    if [[ -z "$_apt_updated" ]]; then
        "${sudo[@]}" apt-get update -qq >/dev/null || die "apt-get update failed"
        _apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null \
        || die "apt-get install failed: ${missing[*]}"
}

# Debian's rustc-web + the standard library's source, for a wasm32 build with -Zbuild-std
# where rustup cannot add the target; prints the wasm linker to use: the rust-lld of rustup's
# own host toolchain (ask rustup's rustc, never /usr/bin/rustc), else wasm-ld.
wasm_build_std_linker() {
    need_apt rustc-web rust-web-src
    local host_rustc host_sysroot host_triple linker
    host_rustc="$(rustup which rustc 2>/dev/null || command -v rustc)"
    host_sysroot="$(env -u RUSTC "$host_rustc" --print sysroot)"
    host_triple="$(env -u RUSTC "$host_rustc" -vV | sed -n 's/^host: //p')"
    linker="$host_sysroot/lib/rustlib/$host_triple/bin/rust-lld"
    if [[ ! -x "$linker" ]]; then
        have wasm-ld || die "no wasm linker: $linker missing and no wasm-ld on PATH"
        linker="$(command -v wasm-ld)"
    fi
    [[ -d /usr/lib/rustlib/src/rust/library ]] \
        || die "rust-web-src did not provide /usr/lib/rustlib/src/rust/library"
    printf '%s\n' "$linker"
}
