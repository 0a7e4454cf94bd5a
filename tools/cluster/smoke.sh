#!/usr/bin/env bash
# Smoke test of the local cluster (tools/cluster/cluster up must have run):
#   forecast pod Running+Ready, optimization pod Ready, kubectl exec, kubectl logs,
#   kubectl port-forward deploy/forecast to 127.0.0.1 answering /health, pod deletion + re-creation by
#   the Deployment, `kubectl top pod` (metrics-server; skipped with MEMRAY_K8S_METRICS=0). Prints one line per check with its duration and "N passed, N failed" at the end.
#   tools/cluster/smoke.sh [--up]    --up: run `cluster up` first
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cluster
source "$HERE/cluster"

[[ ${1:-} == --up ]] && "$HERE/cluster" up
[[ -f $STATE/admin.kubeconfig ]] || die "no cluster: run tools/cluster/cluster up"
export KUBECONFIG=$STATE/admin.kubeconfig
K=$BIN/kubectl
T=${MEMRAY_K8S_SMOKE_TIMEOUT:-120}

passed=0 failed=0 pf_pid=""
trap '[[ -n $pf_pid ]] && kill "$pf_pid" 2>/dev/null; true' EXIT
check() { # name command...
  local name=$1 t0=$SECONDS out; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); printf 'ok   %-46s %3ss  %s\n' "$name" "$((SECONDS - t0))" "$(tail -n1 <<<"$out" | cut -c1-70)"
  else
    failed=$((failed + 1)); printf 'FAIL %-46s %3ss\n%s\n' "$name" "$((SECONDS - t0))" "$(tail -n 15 <<<"$out")"
  fi
}

forecast_running_ready() {
  "$K" wait --for=condition=Ready pod -l app=forecast --timeout="${T}s" >/dev/null
  local phase; phase=$("$K" get pods -l app=forecast -o jsonpath='{.items[*].status.phase}')
  [[ $phase == Running ]] || { echo "phase: $phase"; return 1; }
  "$K" get pods -l app=forecast -o wide --no-headers
}
optimization_ready() { "$K" wait --for=condition=Ready pod -l app=optimization --timeout="${T}s"; }
exec_python() {
  local out; out=$("$K" exec deploy/forecast -- python3 -c 'print(1)')
  [[ $out == 1 ]] || { echo "exec printed: $out"; return 1; }
  echo "python3 -c 'print(1)' -> $out"
}
logs_work() {
  local out; out=$("$K" logs deploy/forecast --tail=20)
  grep -q 'Serving on' <<<"$out" || { echo "logs: $out"; return 1; }
  grep 'Serving on' <<<"$out" | head -1
}
port_forward_health() {
  local pflog=$STATE/logs/smoke-port-forward.log port="" body
  "$K" port-forward --address 127.0.0.1 deploy/forecast :5000 >"$pflog" 2>&1 &
  pf_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) -> 5000.*/\1/p' "$pflog" | head -1)
    [[ -n $port ]] && break
    kill -0 "$pf_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$pflog"; return 1; }
  body=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/health") || { cat "$pflog"; return 1; }
  kill "$pf_pid" 2>/dev/null || true; wait "$pf_pid" 2>/dev/null || true; pf_pid=""
  grep -q '"status": *"ok"' <<<"$body" || { echo "body: $body"; return 1; }
  echo "127.0.0.1:$port/health -> $body"
}
delete_and_recreate() {
  local old new
  old=$("$K" get pods -l app=forecast -o jsonpath='{.items[0].metadata.name}')
  "$K" delete pod "$old" --wait=true --timeout="${T}s" >/dev/null
  "$K" wait --for=condition=Ready pod -l app=forecast --timeout="${T}s" >/dev/null
  new=$("$K" get pods -l app=forecast -o jsonpath='{.items[*].metadata.name}')
  [[ -n $new && $new != *"$old"* ]] || { echo "pods after delete: $new"; return 1; }
  echo "deleted $old; deploy/forecast replaced it with $new (Ready)"
}
exec_after_recreate() {
  local out; out=$("$K" exec deploy/forecast -- python3 -c 'import os; print(os.getcwd())')
  [[ $out == /srv/app ]] || { echo "cwd: $out"; return 1; }
  echo "cwd in new pod: $out"
}

top_pod() {
  local out
  for _ in $(seq "$T"); do  # a re-created pod is sampled within ~10-20 s
    out=$("$K" top pod -l app=forecast --no-headers 2>&1) && [[ $out == forecast-* ]] && { echo "$out"; return 0; }
    sleep 1
  done
  echo "kubectl top pod: $out"; return 1
}

t_all=$SECONDS
check "forecast pod Running and Ready" forecast_running_ready
check "optimization pod Ready" optimization_ready
check "kubectl exec deploy/forecast python3" exec_python
check "kubectl logs deploy/forecast" logs_work
check "kubectl port-forward :5000 -> /health" port_forward_health
check "delete pod; Deployment re-creates it (Ready)" delete_and_recreate
check "kubectl exec in the re-created pod" exec_after_recreate
[[ $METRICS == 0 ]] || check "kubectl top pod (metrics-server)" top_pod
echo "smoke: $((SECONDS - t_all)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
