#!/usr/bin/env bash
# Build Kubernetes binaries from the k8s.io/kubernetes Go module (no registry, no git clone).
#
#   tools/cluster/build-k8s.sh [BINARY...]   default: kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl
#
# Binaries land in $MEMRAY_K8S_CACHE/$MEMRAY_K8S_VERSION/bin and are skipped when already there, so a
# second run takes milliseconds. The module zip has no ./staging tree, so the `=> ./staging/...` replace
# directives are swapped for the published v0.<minor>.<patch> modules of the same release.
set -euo pipefail

K8S_VERSION=${MEMRAY_K8S_VERSION:-v1.34.4}
CACHE=${MEMRAY_K8S_CACHE:-/var/cache/memray-cli/k8s}
DIR=$CACHE/$K8S_VERSION
BIN=$DIR/bin
SRC=$DIR/src
NICE=${MEMRAY_K8S_NICE:-19}

log() { printf '[build-k8s] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "${1:-}" in -h|--help) sed -n '2,9p' "$0"; exit 0;; esac
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl)

missing=()
for t in "${targets[@]}"; do
  case "$t" in kube-apiserver|kubelet|kube-controller-manager|kube-scheduler|kubectl|kube-proxy) ;; *) die "unknown binary $t";; esac
  [[ -x $BIN/$t ]] || missing+=("$t")
done
if [[ ${#missing[@]} -eq 0 ]]; then log "cached: ${targets[*]} ($BIN)"; exit 0; fi

command -v go >/dev/null || die "go toolchain not found on PATH"
export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0

mkdir -p "$BIN" "$DIR"
exec 9>"$DIR/.build.lock"
flock 9

# --- source tree: module zip + published staging modules -------------------------------------------
if [[ ! -f $SRC/.prepared ]]; then
  log "fetching k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  tmp=$(mktemp -d)
  modsrc=$(cd "$tmp" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rmdir "$tmp"
  [[ -d $modsrc ]] || die "module download failed"
  rm -rf "$SRC" && cp -a "$modsrc" "$SRC" && chmod -R u+w "$SRC"
  rm -f "$SRC/go.work" "$SRC/go.work.sum"
  staging_ver="v0.${K8S_VERSION#v1.}"
  edits=()
  while read -r mod; do
    edits+=("-dropreplace=$mod")
    # only modules the main module requires (at the placeholder v0.0.0) get a version; replace-only ones
    # (sample-cli-plugin, ...) are not all published and are not needed
    if grep -Eq "^[[:space:]]+$mod v0\.0\.0" "$SRC/go.mod"; then edits+=("-require=$mod@$staging_ver"); fi
  done < <(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$SRC/go.mod")
  log "editing go.mod (${#edits[@]} edits): staging directives with published modules @$staging_ver"
  (cd "$SRC" && go mod edit "${edits[@]}")
  log "go mod tidy (downloads dependencies)"
  (cd "$SRC" && nice -n "$NICE" go mod tidy >"$DIR/tidy.log" 2>&1) || { tail -20 "$DIR/tidy.log" >&2; die "go mod tidy failed"; }
  touch "$SRC/.prepared"
fi

# --- version stamping (what hack/lib/version.sh does) ------------------------------------------------
v=${K8S_VERSION#v}; major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date -X $pkg.gitCommit=module-$K8S_VERSION"
done

first=1
for t in "${missing[@]}"; do
  if ((first)); then log "building $t (nice $NICE; with a cold Go build cache this compiles the shared dependencies: ~10 min on 2 cores)"
  else log "building $t (nice $NICE; mostly linking now: ~2 min)"; fi
  first=0
  start=$SECONDS
  (cd "$SRC" && nice -n "$NICE" go build -trimpath -ldflags "$ldflags" -o "$BIN/.$t.tmp" "./cmd/$t") \
    >"$DIR/build-$t.log" 2>&1 || { tail -30 "$DIR/build-$t.log" >&2; die "build of $t failed"; }
  mv "$BIN/.$t.tmp" "$BIN/$t"
  echo "$t $((SECONDS-start))s $(date -u +%FT%TZ)" >>"$DIR/build-times.txt"
  log "built $t in $((SECONDS-start)) s"
done
