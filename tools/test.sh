#!/usr/bin/env bash
# One command on a fresh machine: set up everything the tests need (npm and pip packages, a Docker
# engine, the fixture images and stack) and run every test: TypeScript (vitest, through nx) and the
# Python harness (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
# Package registries are reachable here: also run the online install test (pip + apt python3-dbg).
export MEMRAY_TEST_ONLINE="${MEMRAY_TEST_ONLINE:-1}"

log() { printf '\033[1m[test]\033[0m %s\n' "$*" >&2; }
started=$(date +%s)

bash tools/setup.sh
if [ -x tools/stack ]; then
  log "starting the Docker engine and the fixture stack (tools/stack up)"
  tools/stack up
fi

log "type-checking every package (nx run-many -t typecheck)"
npx nx run-many -t typecheck --output-style=stream

log "TypeScript tests (nx run-many -t test)"
npx nx run-many -t test --parallel=2 --output-style=stream

log "Python harness tests (pytest)"
(cd python && python3 -m pytest -q)

log "all tests passed in $(( $(date +%s) - started ))s"
