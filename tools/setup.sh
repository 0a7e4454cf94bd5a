#!/usr/bin/env bash
# Sets up a checkout for memray-cli: npm packages, memray + pytest for the host Python, and a build
# of every package. Idempotent; safe to re-run. Docker is set up separately (tools/stack up).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-}"

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null; then
  log "no $PYTHON on PATH: install Python >= 3.9 (or set PYTHON=/path/to/python)"; exit 3
fi
if ! "$PYTHON" -c "import memray, pytest" 2>/dev/null; then
  log "installing memray and pytest for $("$PYTHON" -c 'import sys; print(sys.executable)')"
  "$PYTHON" -m pip install --quiet "memray==1.20.*" "pytest>=8,<10"
fi
# The Python linter and formatter the tests run (tools/test.sh: npm run lint), pinned like Biome.
if [ "$("$PYTHON" -m ruff --version 2>/dev/null)" != "ruff 0.17.5" ]; then
  log "installing ruff 0.17.5 (the Python linter and formatter)"
  "$PYTHON" -m pip install --quiet "ruff==0.17.5"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "building packages (nx run-many -t build)"
npx nx run-many -t build --output-style=stream-without-prefixes >/dev/null

# `npx memray-cli` and `npx memray-compare` run the workspace bins (bin/ shims that load dist/). A
# node_modules installed before those shims existed links nothing: link them again.
if [ ! -e node_modules/.bin/memray-cli ] || [ ! -e node_modules/.bin/memray-compare ]; then
  log "linking the memray-cli and memray-compare bins (npm rebuild)"
  npm rebuild --ignore-scripts --loglevel=error @alpiq/memray-cli @alpiq/memray-compare >/dev/null
fi

# The test suite (tools/test.sh sets MEMRAY_TEST_ONLINE) drives the run browser in headless Chromium
# and the menu in tmux: Debian's packages, installed when missing.
if [ "${MEMRAY_TEST_ONLINE:-}" = 1 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v tmux >/dev/null || missing+=(tmux)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} for the browser and terminal tests (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
log "ready: npx memray-cli --help"
