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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

log "building packages (nx run-many -t build)"
npx nx run-many -t build --output-style=stream-without-prefixes >/dev/null
log "ready: node packages/cli/dist/bin.js --help"
