#!/usr/bin/env bash
# Builds the map frontend (frontend/, crate wangge-frontend) into frontend/dist/:
#   dist/index.html, dist/style.css          the page
#   dist/pkg/                                the app: wasm + its JS glue (wasm-bindgen --target web)
#   dist/vendor/maplibre-gl.{js,css}         MapLibre GL JS from npm (frontend/package-lock.json)
#   dist/vendor/swagger-ui/                  Swagger UI from npm, for the API documentation page
#   dist/vendor/idb.js                       idb (IndexedDB with promises) from npm, for the field app
#   dist/field.css, field.webmanifest, icons/ the field app (手机端, /field): its look and install data
#   dist/sw.js, dist/workbox-*.js            its service worker, made by Workbox (workbox-build, npm)
#   dist/**/*.gz                             gzipped copies of the larger files, sent when accepted
# The server serves dist/ at / (--frontend-dir). Nothing on the page is loaded from the internet.
#
#   scripts/frontend.sh            build (release profile `wasm-release`: opt-level z, LTO)
#   scripts/frontend.sh --lint     also clippy the frontend for wasm32 with warnings as errors
#
# The wasm toolchain is detected like scripts/wasm-check.sh: rustup's wasm32 target when it is
# installed, else Debian's rustc-web + rust-web-src with -Zbuild-std (see /work/shared/TOOLCHAIN.md).
# The wasm-bindgen CLI is installed at the exact version Cargo.lock pins, only when missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

LINT=""
[[ "${1:-}" == "--lint" ]] && LINT=1

TARGET=wasm32-unknown-unknown
CRATE=wangge-frontend
PROFILE=wasm-release
FRONTEND="$REPO_ROOT/frontend"
DIST="$FRONTEND/dist"

section "frontend: $CRATE for $TARGET"

# ---- toolchain ----------------------------------------------------------------------------
CARGO_WASM=(cargo)
if have rustup && rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    log "rustup has $TARGET: plain cross build"
    out_dir="$CARGO_TARGET_DIR"
    BUILD_STD=()
    CLIPPY=(cargo clippy)
else
    log "rustup lacks $TARGET: using Debian rustc-web + build-std"
    linker="$(wasm_build_std_linker)"
    log "compiler: $(/usr/bin/rustc -V); linker: $linker"
    out_dir="$CARGO_TARGET_DIR/wasm"
    CARGO_WASM=(env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker" cargo)
    BUILD_STD=(-Zbuild-std=std,panic_abort --target-dir "$out_dir")
    CLIPPY=()
    if [[ -n "$LINT" ]]; then
        # Clippy must match the compiler: Debian's, for Debian's rustc-web.
        need_apt rust-web-clippy
        [[ -x /usr/bin/cargo-clippy && -x /usr/bin/clippy-driver ]] \
            || die "rust-web-clippy did not provide /usr/bin/cargo-clippy and clippy-driver"
        CLIPPY=("${CARGO_WASM[@]:0:${#CARGO_WASM[@]}-1}" /usr/bin/cargo-clippy clippy)
    fi
fi

# ---- wasm-bindgen CLI at the version in Cargo.lock ------------------------------------------
wb_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
[[ -n "$wb_version" ]] || die "wasm-bindgen not found in Cargo.lock"
if [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]]; then
    log "installing wasm-bindgen-cli $wb_version (one-off; takes a few minutes)"
    # Not --locked: one of its locked dependencies is missing from the registry mirror.
    timed "cargo install wasm-bindgen-cli" \
        cargo install wasm-bindgen-cli --version "$wb_version" --target-dir "$CARGO_TARGET_DIR/tools"
fi

# ---- MapLibre GL JS, idb and Workbox from npm ---------------------------------------------
have npm || need_apt nodejs npm
lock_sum="$(sha256sum "$FRONTEND/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$FRONTEND/node_modules/.wangge-lock" 2>/dev/null)" != "$lock_sum" ]]; then
    timed "npm ci (frontend)" npm ci --prefix "$FRONTEND" --no-audit --no-fund --loglevel=error
    echo "$lock_sum" > "$FRONTEND/node_modules/.wangge-lock"
fi

# ---- build ----------------------------------------------------------------------------------
if [[ -n "$LINT" && ${#CLIPPY[@]} -gt 0 ]]; then
    timed "clippy ($CRATE, $TARGET)" \
        "${CLIPPY[@]}" -p "$CRATE" --profile "$PROFILE" --target "$TARGET" "${BUILD_STD[@]}" -- -D warnings
fi
timed "wasm build ($CRATE)" \
    "${CARGO_WASM[@]}" build -p "$CRATE" --profile "$PROFILE" --target "$TARGET" "${BUILD_STD[@]}"
wasm="$out_dir/$TARGET/$PROFILE/${CRATE//-/_}.wasm"
[[ -f "$wasm" ]] || die "build reported success but $wasm is missing"

# ---- dist -----------------------------------------------------------------------------------
rm -rf "$DIST.new"
mkdir -p "$DIST.new/pkg" "$DIST.new/vendor"
timed "wasm-bindgen" \
    wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
        --out-dir "$DIST.new/pkg" "$wasm"
cp "$FRONTEND/index.html" "$FRONTEND/style.css" "$FRONTEND/field.css" "$FRONTEND/field.webmanifest" "$DIST.new/"
cp -r "$FRONTEND/icons" "$DIST.new/"
cp "$FRONTEND/node_modules/idb/build/index.js" "$DIST.new/vendor/idb.js"
cp "$FRONTEND/node_modules/idb/LICENSE" "$DIST.new/vendor/idb-LICENSE.txt"
cp "$FRONTEND/node_modules/maplibre-gl/dist/maplibre-gl.js" \
   "$FRONTEND/node_modules/maplibre-gl/dist/maplibre-gl.css" \
   "$FRONTEND/node_modules/maplibre-gl/LICENSE.txt" "$DIST.new/vendor/"
# The API documentation page (/api/v1/docs) runs Swagger UI over /api/v1/openapi.json, offline;
# it is not precached for the field app (vendor/*, not vendor/swagger-ui/*).
mkdir -p "$DIST.new/vendor/swagger-ui"
cp "$FRONTEND/node_modules/swagger-ui-dist/swagger-ui-bundle.js" \
   "$FRONTEND/node_modules/swagger-ui-dist/swagger-ui.css" \
   "$FRONTEND/node_modules/swagger-ui-dist/LICENSE" \
   "$FRONTEND/api-docs.js" "$DIST.new/vendor/swagger-ui/"
# An optional /config.json (e.g. {"tile_url": "http://tiles.local/{z}/{x}/{y}.png"}) is kept
# across builds: it is the site's, not the build's.
if [[ -f "$DIST/config.json" ]]; then cp "$DIST/config.json" "$DIST.new/"; fi
# The field app's service worker precaches what is in dist now (config.json is the site's and is
# not precached).
timed "service worker (workbox)" node "$FRONTEND/js/build-sw.mjs" "$DIST.new"
# A gzipped copy beside each text and wasm file, for a server that sends precompressed files
# (the wasm and MapLibre shrink to about a third: what a phone on a slow network waits for).
find "$DIST.new" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' -o -name '*.html' -o -name '*.webmanifest' \) \
    -size +1k -exec gzip -9 -k -n {} +
rm -rf "$DIST"
mv "$DIST.new" "$DIST"

app="$DIST/pkg/${CRATE//-/_}_bg.wasm"
raw=$(stat -c %s "$app")
gz=$(gzip -9 -c "$app" | wc -c)
BUDGET_KIB=650  # raised from 600 by the assessment pages (考评); tests/e2e/support.mjs has the same figure
log "frontend built: $DIST"
log "app wasm: $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzipped (budget $BUDGET_KIB KiB gzipped; MapLibre not counted)"
(( gz <= BUDGET_KIB * 1024 )) || die "app wasm is over budget: $((gz / 1024)) KiB gzipped > $BUDGET_KIB KiB"
