#!/usr/bin/env bash
# Builds the mediasoup worker of the installed mediasoup version offline, from the C++ sources
# shipped in node_modules/mediasoup/worker, against Debian 12 libraries only (no wrap
# downloads, no pip), and installs it where mediasoup looks by default:
#   node_modules/mediasoup/worker/out/Release/mediasoup-worker
# Recipe and rationale: /work/shared/MEDIASOUP.md. The meson subprojects in
# scripts/mediasoup-shim/subprojects replace every wrap with Debian's packages; libsrtp3 is
# bridged to libsrtp2 by the compatibility header there.
#
# The binary is cached outside the clone, keyed by mediasoup version and a hash of this script
# and the shim, so re-runs on the same machine (CI) install it in a second instead of rebuilding.
#
# Environment (all optional):
#   ROOMGATE_CACHE_DIR      cache directory            (default /var/cache/roomgate)
#   ROOMGATE_BUILD_JOBS     parallel compile jobs      (default: number of cores)
#   ROOMGATE_FORCE_WORKER_BUILD=1  rebuild even if a working binary or cache entry exists
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHIM_DIR="$ROOT/scripts/mediasoup-shim"
MS_DIR="$ROOT/node_modules/mediasoup"
DEST="$MS_DIR/worker/out/Release/mediasoup-worker"
CACHE_DIR="${ROOMGATE_CACHE_DIR:-/var/cache/roomgate}"
JOBS="${ROOMGATE_BUILD_JOBS:-$(nproc)}"
FORCE="${ROOMGATE_FORCE_WORKER_BUILD:-0}"

log() { echo "[mediasoup-worker] $*"; }
die() { echo "[mediasoup-worker] ERROR: $*" >&2; exit 1; }

[[ -f "$MS_DIR/package.json" ]] || die "mediasoup is not installed in $MS_DIR (run npm ci first)"
[[ -d "$MS_DIR/worker/src" ]] || die "mediasoup worker sources missing in $MS_DIR/worker"

MS_VERSION="$(node -p "require(process.argv[1]).version" "$MS_DIR/package.json")"

# True when the binary at $1 starts as a mediasoup worker and closes (a real channel round trip).
worker_runs() {
  local bin="$1"
  [[ -x "$bin" ]] || return 1
  (cd "$ROOT" && timeout 30 node --input-type=module -e "
    import * as mediasoup from 'mediasoup';
    const worker = await mediasoup.createWorker({ workerBin: process.argv[1], logLevel: 'error' });
    await worker.getResourceUsage();
    worker.close();
  " "$bin") >/dev/null 2>&1
}

if [[ "$FORCE" != 1 ]] && worker_runs "$DEST"; then
  log "mediasoup $MS_VERSION worker already installed and working: $DEST"
  exit 0
fi

# Cache key: mediasoup version + hash of this script and every shim file (paths and contents).
SHIM_HASH="$(
  cd "$ROOT" && {
    sha256sum scripts/build-mediasoup-worker.sh
    find scripts/mediasoup-shim -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
)"
CACHED="$CACHE_DIR/mediasoup-worker-$MS_VERSION-$SHIM_HASH"

install_worker() {
  mkdir -p "$(dirname "$DEST")"
  cp "$1" "$DEST.tmp.$$"
  chmod 755 "$DEST.tmp.$$"
  mv -f "$DEST.tmp.$$" "$DEST"
  worker_runs "$DEST" || die "installed worker $DEST does not start"
  log "installed $DEST (from $1)"
}

if [[ "$FORCE" != 1 ]] && [[ -f "$CACHED" ]]; then
  if worker_runs "$CACHED"; then
    log "using cached build $CACHED"
    install_worker "$CACHED"
    exit 0
  fi
  log "cached build $CACHED does not start; rebuilding"
fi

for tool in meson ninja pkg-config flatc g++ patch; do
  command -v "$tool" >/dev/null || die "'$tool' not found (run scripts/setup.sh, which installs the Debian packages)"
done

mkdir -p "$CACHE_DIR"
WORK="$(mktemp -d "$CACHE_DIR/build-$MS_VERSION-XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

log "building mediasoup $MS_VERSION worker offline in $WORK ($JOBS jobs; takes minutes)"

# 1. A copy of the worker sources, without any previous build output.
cp -a "$MS_DIR/worker" "$WORK/worker"
SRC="$WORK/worker"
rm -rf "$SRC/out" "$SRC/subprojects"
mkdir -p "$SRC/subprojects"

# 2. Local subprojects (Debian libraries) in place of every wrap.
cp -a "$SHIM_DIR/subprojects/." "$SRC/subprojects/"

# 2b. Source patches of the worker, in name order (scripts/mediasoup-shim/patches/*.patch).
# DEVIATION: 0001-dtls-bio-callback-return-value.patch. The worker's BIO callback on its
# outgoing DTLS memory BIO (onSslBioOut) returns 1 after every operation except a bare
# BIO_CB_RETURN, so BIO_ctrl(BIO_CTRL_GET_KTLS_SEND) answers "yes" for that BIO. mediasoup's own
# static OpenSSL (wrapdb 3.0.8) is built without kTLS and never asks; Debian's libssl is built
# with kTLS, asks in ssl3_setup_write_buffer(), then leaves the record write buffer NULL and the
# worker SIGSEGVs writing the ServerHello of the first WebRtcTransport DTLS handshake. The patch
# returns the operation's own result for every BIO_CB_RETURN call, as OpenSSL documents.
for patch_file in "$SHIM_DIR"/patches/*.patch; do
  [[ -e "$patch_file" ]] || continue
  log "applying $(basename "$patch_file")"
  patch -d "$SRC" -p1 --forward --batch < "$patch_file" || die "patch $patch_file does not apply"
done

# 3. Debian 12 ships meson 1.0.1, which builds this tree fine.
sed -i -E "s/meson_version: *'>= *1\.[0-9]+\.[0-9]+'/meson_version: '>= 1.0.0'/" "$SRC/meson.build"

# 4. Versions 3.13-3.20 had an io_uring option; Debian's liburing is too old for them.
MESON_OPTS=()
if grep -q "ms_disable_liburing" "$SRC/meson_options.txt"; then
  MESON_OPTS+=(-Dms_disable_liburing=true)
fi

BUILD="$WORK/build"
(
  cd "$SRC"
  meson setup "$BUILD" --wrap-mode=nodownload --buildtype=release -Db_ndebug=true \
    "${MESON_OPTS[@]}"
  ninja -C "$BUILD" -j "$JOBS" mediasoup-worker
) || die "meson/ninja build failed (see output above)"

BUILT="$BUILD/mediasoup-worker"
[[ -x "$BUILT" ]] || die "build finished but $BUILT is missing"
strip "$BUILT" 2>/dev/null || true
worker_runs "$BUILT" || die "freshly built worker does not start"

cp "$BUILT" "$CACHED.tmp.$$"
mv -f "$CACHED.tmp.$$" "$CACHED"
log "cached $CACHED"
install_worker "$CACHED"
