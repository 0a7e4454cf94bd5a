#!/usr/bin/env bash
# One command on a fresh machine: set up everything the tests need (npm and pip packages, a Docker
# engine, the fixture images and stack, a local Kubernetes cluster) and run every test: TypeScript
# (vitest, through nx), the Python harness (pytest), then the Kubernetes tests on the cluster.
#
# The cluster (tools/cluster) is built from source once per machine: its binaries are cached under
# /var/cache/memray-cli/k8s (a cold build takes ~16 min on 2 cores). That build starts first, in the
# background at nice 19, so it overlaps the other suites; the Kubernetes tests run last, once it is
# done and the cluster is up (~25-45 s), and the cluster is taken down again at the end (~15 s) unless
# it was already running before. MEMRAY_TEST_KUBERNETES=0 leaves the cluster and its tests out.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
# Package registries are reachable here: also run the online install test (pip + apt python3-dbg).
export MEMRAY_TEST_ONLINE="${MEMRAY_TEST_ONLINE:-1}"

log() { printf '\033[1m[test]\033[0m %s\n' "$*" >&2; }
started=$(date +%s)

KUBERNETES="${MEMRAY_TEST_KUBERNETES:-1}"
k8s_build_pid=""
k8s_build_log="$(mktemp -t memray-k8s-build.XXXXXX.log)"
cluster_started=0
finish() {
  local rc=$?
  # the build runs in its own session: stop it with its go processes when the suites fail first
  if [ -n "$k8s_build_pid" ]; then kill -- "-$k8s_build_pid" 2>/dev/null || true; fi
  if [ "$cluster_started" = 1 ]; then
    log "taking the Kubernetes cluster down (tools/cluster/cluster down)"
    tools/cluster/cluster down >/dev/null 2>&1 || log "cluster down failed (see /var/lib/memray-cli/cluster/logs)"
  fi
  exit "$rc"
}
trap finish EXIT
if [ "$KUBERNETES" = 1 ]; then
  if [ ! -x tools/cluster/cluster ]; then
    log "tools/cluster/cluster is missing from this checkout: the Kubernetes tests need it (MEMRAY_TEST_KUBERNETES=0 skips them)"
    exit 1
  fi
  command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
  log "building (or finding cached) the Kubernetes binaries in the background: $k8s_build_log"
  setsid -w nice -n 19 tools/cluster/cluster build >"$k8s_build_log" 2>&1 </dev/null &
  k8s_build_pid=$!
  # The suites below skip the cluster tests; they run last, with the cluster up.
  export MEMRAY_TEST_CLUSTER=defer
fi

bash tools/setup.sh
if [ -x tools/stack ]; then
  log "starting the Docker engine and the fixture stack (tools/stack up)"
  tools/stack up
fi

log "type-checking every package (nx run-many -t typecheck)"
npx nx run-many -t typecheck --output-style=stream

log "lint and format: Biome (TypeScript: rules, no import cycles, formatting) and ruff (Python) (npm run lint)"
npm run lint

log "TypeScript tests (nx run-many -t test)"
npx nx run-many -t test --parallel=2 --output-style=stream

log "Python harness tests (pytest)"
(cd python && python3 -m pytest -q)

if [ "$KUBERNETES" = 1 ]; then
  waited=$(date +%s)
  log "waiting for the Kubernetes binaries (pid $k8s_build_pid)"
  if ! wait "$k8s_build_pid"; then
    k8s_build_pid=""
    tail -30 "$k8s_build_log" >&2
    log "building the Kubernetes binaries failed"; exit 1
  fi
  k8s_build_pid=""
  log "Kubernetes binaries ready ($(( $(date +%s) - waited ))s spent waiting): $(tail -1 "$k8s_build_log")"
  cluster_up=$(date +%s)
  if tools/cluster/cluster status >/dev/null 2>&1; then
    log "the Kubernetes cluster is already up: using it (and leaving it up)"
  else
    log "bringing the Kubernetes cluster up (tools/cluster/cluster up)"
    cluster_started=1
    tools/cluster/cluster up
  fi
  log "cluster ready in $(( $(date +%s) - cluster_up ))s"
  unset MEMRAY_TEST_CLUSTER
  log "Kubernetes tests on the cluster (packages/kubernetes test/cluster, packages/cli test/kubernetes)"
  (cd packages/kubernetes && npx vitest run test/cluster/)
  (cd packages/cli && npx vitest run test/kubernetes/)
fi

log "all tests passed in $(( $(date +%s) - started ))s"
