#!/usr/bin/env bash
# Proves that wangge-core (the pure domain crate) builds for wasm32-unknown-unknown.
#
# Two paths, detected, never hard-coded:
#  1. rustup has the wasm32-unknown-unknown target installed -> a plain cross build.
#  2. it doesn't (rustup can't download it on our CI machines) -> Debian's rustc-web 1.96 with
#     the standard library's source (rust-web-src), built with -Zbuild-std, linked by the
#     rust-lld that ships with rustup's host toolchain. Separate target dir (other compiler).
#     See /work/shared/TOOLCHAIN.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

TARGET=wasm32-unknown-unknown
CRATE=wangge-core

section "wasm check: $CRATE for $TARGET"

if have rustup && rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    log "rustup has $TARGET: plain cross build"
    out_dir="$CARGO_TARGET_DIR"
    timed "wasm build ($CRATE)" \
        cargo build -p "$CRATE" --target "$TARGET" --release
else
    log "rustup lacks $TARGET: using Debian rustc-web + build-std"
    linker="$(wasm_build_std_linker)"

    log "compiler: $(/usr/bin/rustc -V) (cargo: $(cargo -V))"
    log "linker:   $linker"
    out_dir="$CARGO_TARGET_DIR/wasm"
    timed "wasm build-std build ($CRATE)" \
        env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker" \
        cargo build -p "$CRATE" --release --target "$TARGET" \
            -Zbuild-std=std,panic_abort --target-dir "$out_dir"
fi

lib_name="${CRATE//-/_}"
artifact="$(ls -t "$out_dir/$TARGET/release/lib$lib_name.rlib" "$out_dir/$TARGET/release/$lib_name.wasm" 2>/dev/null | head -n1 || true)"
[[ -n "$artifact" ]] || die "build reported success but no $lib_name artifact under $out_dir/$TARGET/release"
log "wasm check passed: $artifact ($(du -h "$artifact" | cut -f1))"
