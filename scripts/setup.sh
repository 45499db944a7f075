#!/usr/bin/env bash
# `npm run setup`: installs everything roomgate needs on Debian 12 with Node 20, as root, with
# no access beyond Debian's apt repositories and the npm registry (air-gapped mirrors work).
# Idempotent: each step checks whether its result is already there and skips the heavy work.
#
#   1. Debian packages (apt-get, skipped when dpkg-query shows them all installed)
#   2. npm dependencies (npm ci, skipped when node_modules matches package-lock.json)
#   3. native addon check (@discordjs/opus)
#   4. mediasoup worker (scripts/build-mediasoup-worker.sh: offline build, cached)
#   5. meeting page bundle (meeting/build-page.ts, when present)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Every Debian package the project uses: build tools for native code (node-gyp, the mediasoup
# worker and its libraries) and the real peers and tools the tests drive. Add new ones here.
DEBIAN_PACKAGES=(
  # native builds
  g++ make patch python3 pkg-config meson ninja-build
  # mediasoup worker libraries (see scripts/build-mediasoup-worker.sh)
  libssl-dev libuv1-dev libsrtp2-dev libabsl-dev flatbuffers-compiler libflatbuffers-dev
  libusrsctp-dev nlohmann-json3-dev
  # real peers and media tools used by tests and benchmarks
  baresip-core baresip-ffmpeg sip-tester chromium chromium-driver ffmpeg sox tshark iproute2 kamailio openssl
  # H.323: Erlang's independent aligned-PER codec (cross-check), rtpengine (media bench peer)
  erlang-base erlang-asn1 rtpengine-daemon
)

LOCK_HASH_FILE="node_modules/.roomgate-lock-hash"
STEP="start"

log() { echo "[setup] $*"; }
# Name the failing step on any non-zero exit (set -e exits from inside the step functions).
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then echo "[setup] FAILED (exit $rc) during step: $STEP" >&2; fi
}
trap on_exit EXIT

step_debian_packages() {
  STEP="Debian packages"
  local missing=()
  local pkg status
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages: all ${#DEBIAN_PACKAGES[@]} installed, skipping apt"
    return
  fi
  log "Debian packages: installing ${missing[*]}"
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "[setup] apt-get needs root: run as root, or install: ${missing[*]}" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }

# True when every package in package-lock.json is installed at its locked version, judged by
# npm's own record of the tree (node_modules/.package-lock.json) and the package directories.
# Lets setup adopt a tree installed by hand (or by an older setup) without reinstalling it.
node_modules_match_lock() {
  [[ -f node_modules/.package-lock.json ]] || return 1
  node -e "
    const fs = require('node:fs');
    const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
    const installed = JSON.parse(fs.readFileSync('node_modules/.package-lock.json', 'utf8'));
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (path === '' || !path.startsWith('node_modules/')) continue;
      const have = installed.packages?.[path];
      if (!have) { if (entry.optional) continue; process.exit(1); }
      if (have.version !== entry.version) process.exit(1);
      if (!fs.existsSync(path + '/package.json')) process.exit(1);
    }
  " >/dev/null 2>&1
}

step_npm_dependencies() {
  STEP="npm dependencies (npm ci)"
  [[ -f package-lock.json ]] || { echo "[setup] package-lock.json missing" >&2; return 1; }
  if [[ -f "$LOCK_HASH_FILE" && "$(cat "$LOCK_HASH_FILE")" == "$(lock_hash)" ]]; then
    log "npm dependencies: node_modules matches package-lock.json, skipping npm ci"
    return
  fi
  if node_modules_match_lock; then
    log "npm dependencies: installed tree matches package-lock.json, skipping npm ci"
    lock_hash > "$LOCK_HASH_FILE"
    return
  fi
  log "npm dependencies: npm ci (native addons build from source; about a minute)"
  # mediasoup's postinstall exits early when MEDIASOUP_WORKER_BIN is set: it would otherwise try
  # to download a prebuilt worker or pip-install a build toolchain. Step 4 builds it instead.
  MEDIASOUP_WORKER_BIN=skip npm ci --no-audit --no-fund
  lock_hash > "$LOCK_HASH_FILE"
}

step_native_addons() {
  STEP="native addon check (@discordjs/opus)"
  # npm 11 runs dependency install scripts only when package.json allowScripts approves them;
  # a skipped script leaves the addon silently unbuilt, so prove it loads and encodes.
  if ! node -e "
    const { OpusEncoder } = require('@discordjs/opus');
    const frame = new OpusEncoder(48000, 1).encode(Buffer.alloc(1920));
    if (!(frame.length > 0)) process.exit(1);
  " >/dev/null 2>&1; then
    echo "[setup] @discordjs/opus native addon is missing or broken (is it approved in package.json allowScripts? try: npm rebuild @discordjs/opus)" >&2
    return 1
  fi
  log "native addons: @discordjs/opus loads and encodes"
}

step_mediasoup_worker() {
  STEP="mediasoup worker"
  bash "$ROOT/scripts/build-mediasoup-worker.sh"
}

step_meeting_page() {
  STEP="meeting page bundle"
  if [[ ! -f meeting/build-page.ts ]]; then
    log "meeting page: meeting/build-page.ts not present, skipping"
    return
  fi
  log "meeting page: building bundle"
  npx --no-install tsx meeting/build-page.ts
}

log "roomgate setup in $ROOT (node $(node -v), npm $(npm -v))"
step_debian_packages
step_npm_dependencies
step_native_addons
step_mediasoup_worker
step_meeting_page
STEP="done"
log "done"
