#!/usr/bin/env bash
# Build the fixture images locally, with no container registry.
#
#   tools/images/build.sh [all|base|forecast|optimization|forecast-trixie|asgi|wiremock] ...
#
#   base              memray-cli/base:bookworm and memray-cli/base:trixie: a debootstrap'ed Debian root
#                     filesystem (minbase + python3, python3-venv, ca-certificates) turned into an image with
#                     `docker import`. The rootfs tarball is cached in tools/images/.cache/; the image carries
#                     the hash of its inputs as the label org.memray-cli.inputs and is skipped when unchanged.
#   forecast          memray-cli/forecast:bookworm      Flask + Waitress + polars + pyarrow, port 5000, the attach agent
#   forecast-trixie   memray-cli/forecast:trixie        same on Python 3.13 (>= 3.13.3)
#   optimization      memray-cli/optimization:trixie    Flask + Gunicorn (2 workers), port 6000, gdb 16 (mode attach)
#   asgi              memray-cli/asgi:bookworm          FastAPI on uvicorn (ASGI), port 7000
#   wiremock          memray-cli/wiremock:bookworm      WireMock standalone (the `wiremock` npm package's jar) on
#                     Debian's openjdk-17-jre-headless, mappings from tools/wiremock/mappings, port 8080
#   all               everything above (default)
#
# Layered images use `docker build --network host` (legacy builder when buildx is missing) and rely on the
# layer cache, so a rebuild with nothing changed takes seconds. memray is NOT installed in any image.
#
# Environment:
#   MEMRAY_DEBIAN_MIRROR   Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   MEMRAY_HOST_CA         CA bundle copied into the images  (default /etc/ssl/certs/ca-certificates.crt)
#   MEMRAY_BUILD_VERBOSE=1 print the full docker build output
#   MEMRAY_BASE_REFRESH=1  debootstrap the base images again (picks up Debian point releases / security fixes)
#   MEMRAY_WIREMOCK_JAR    WireMock standalone jar (default: node_modules/wiremock/build/wiremock-standalone-*.jar)
set -euo pipefail

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_DIR="$(dirname "$IMAGES_DIR")"
CACHE_DIR="$IMAGES_DIR/.cache"
MIRROR="${MEMRAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA="${MEMRAY_HOST_CA:-/etc/ssl/certs/ca-certificates.crt}"
BASE_PACKAGES="python3,python3-venv,ca-certificates"
# Bump when the base recipe below changes in a way the inputs hash cannot see.
BASE_RECIPE_VERSION=1
LABEL_KEY="org.memray-cli.inputs"
LOG_TAG=images
# shellcheck source=tools/images/lib.sh
source "$IMAGES_DIR/lib.sh"

base_inputs_hash() { # suite
  printf 'recipe=%s\nsuite=%s\nmirror=%s\nvariant=minbase\npackages=%s\narch=%s\n' \
    "$BASE_RECIPE_VERSION" "$1" "$MIRROR" "$BASE_PACKAGES" "$(dpkg --print-architecture 2>/dev/null || uname -m)" \
    | sha256sum | cut -c1-16
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  [[ "$(id -u)" == 0 ]] || die "debootstrap is missing and we are not root; apt-get install debootstrap."
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap debian-archive-keyring >&2 \
    || die "apt-get install debootstrap failed."
}

# Unmount anything debootstrap may have left mounted below $1, then remove it. Refuses to delete a tree
# that still has a mount point inside (that could delete host /dev or /proc content).
safe_remove_tree() {
  local dir="$1" m
  [[ -d "$dir" ]] || return 0
  for m in $(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  if awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {found=1} END {exit !found}' /proc/mounts; then
    die "refusing to delete $dir: something is still mounted below it (see /proc/mounts)."
  fi
  rm -rf --one-file-system "$dir"
}

make_rootfs_tarball() { # suite tarball
  local suite="$1" tarball="$2" rootfs="$CACHE_DIR/rootfs-$1.tmp"
  ensure_debootstrap
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root."
  safe_remove_tree "$rootfs"
  trap 'safe_remove_tree "'"$rootfs"'"' EXIT
  log "debootstrap $suite (minbase + $BASE_PACKAGES) from $MIRROR; this takes a few minutes"
  local t0=$SECONDS
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$suite" "$rootfs" "$MIRROR" \
      >"$CACHE_DIR/debootstrap-$suite.log" 2>&1; then
    tail -n 20 "$CACHE_DIR/debootstrap-$suite.log" >&2 || true
    [[ -f "$rootfs/debootstrap/debootstrap.log" ]] && tail -n 20 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap $suite failed (log: $CACHE_DIR/debootstrap-$suite.log). Is $MIRROR reachable?"
  fi
  log "debootstrap $suite done in $((SECONDS - t0))s; trimming"
  chroot "$rootfs" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/tmp/*
  # Docker provides /dev, /proc, /sys, /etc/hosts, /etc/resolv.conf at run time.
  rm -rf "$rootfs"/dev/* "$rootfs"/proc/* "$rootfs"/sys/*
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
  mv -f "$tarball.partial" "$tarball"
  safe_remove_tree "$rootfs"
  trap - EXIT
  log "cached rootfs $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
}

check_python() { # image suite
  local v
  v="$(docker run --rm --network none "$1" python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" \
    || { log "error: python3 does not run in $1."; return 1; }
  if [[ "$2" == trixie ]] && ! python3_ge "$v" 3.13.3; then
    log "error: $1 has Python $v; the objects mode needs >= 3.13.3 (is the mirror current?)."; return 1
  fi
  log "$1: Python $v"
}

python3_ge() { # a b -> a >= b (dotted versions)
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$2" ]]
}

declare -A BASE_CHECKED=()
build_base() { # suite
  local suite="$1" image="memray-cli/base:$1" hash tarball
  [[ -n "${BASE_CHECKED[$suite]:-}" ]] && return 0
  BASE_CHECKED[$suite]=1
  hash="$(base_inputs_hash "$suite")"
  mkdir -p "$CACHE_DIR"
  tarball="$CACHE_DIR/rootfs-$suite-$hash.tar"
  if [[ "${MEMRAY_BASE_REFRESH:-0}" == 1 ]]; then
    log "MEMRAY_BASE_REFRESH=1: rebuilding the $suite root filesystem"
    rm -f "$tarball"
  elif [[ "$(image_label "$image" "$LABEL_KEY")" == "$hash" ]]; then
    log "$image is up to date (inputs $hash)"; return 0
  fi
  if [[ -s "$tarball" ]]; then
    log "using cached rootfs $(basename "$tarball")"
  else
    make_rootfs_tarball "$suite" "$tarball"
    # Drop tarballs of older inputs for this suite.
    find "$CACHE_DIR" -maxdepth 1 -name "rootfs-$suite-*.tar" ! -name "$(basename "$tarball")" -delete
  fi
  log "docker import $image"
  docker import \
    --change "LABEL $LABEL_KEY=$hash" \
    --change "LABEL org.memray-cli.suite=$suite" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$tarball" "$image-candidate" >/dev/null
  # Tag only a base that passes the checks, so a bad one is not mistaken for up to date next time.
  check_python "$image-candidate" "$suite" || { docker rmi "$image-candidate" >/dev/null 2>&1 || true; exit 1; }
  docker tag "$image-candidate" "$image"
  docker rmi "$image-candidate" >/dev/null
}

# Builder: BuildKit through buildx when present, else the legacy builder (dockerd 20.10 from Debian).
docker_build() {
  if docker buildx version >/dev/null 2>&1; then
    DOCKER_BUILDKIT=1 docker build "$@"
  else
    DOCKER_BUILDKIT=0 docker build "$@"
  fi
}

stage_ca_bundle() {
  [[ -r "$HOST_CA" ]] || die "CA bundle $HOST_CA not readable; set MEMRAY_HOST_CA to the host's bundle."
  mkdir -p "$CACHE_DIR"
  # Copy only when changed so the build context (and the layer cache) stays stable.
  cmp -s "$HOST_CA" "$CACHE_DIR/ca-bundle.crt" 2>/dev/null || cp "$HOST_CA" "$CACHE_DIR/ca-bundle.crt"
}

# The harness (its attach agent) for the images that start the agent: copied only when changed, so an
# unchanged harness reuses every cached layer.
stage_agent() {
  local src="$TOOLS_DIR/../python/memray_harness" dest="$CACHE_DIR/agent/memray_harness"
  [[ -d "$src" ]] || die "python/memray_harness not found beside tools/"
  mkdir -p "$CACHE_DIR/agent"
  if ! diff -rq --exclude=__pycache__ "$src" "$dest" >/dev/null 2>&1; then
    rm -rf "$dest" && cp -r "$src" "$dest" && find "$dest" -name __pycache__ -prune -exec rm -rf {} +
  fi
}

build_layered() { # image dockerfile suite
  local image="$1" dockerfile="$2" suite="$3" t0=$SECONDS
  build_base "$suite"
  stage_ca_bundle
  stage_agent
  log "docker build $image"
  # Context is tools/ (see tools/.dockerignore: only fixtures/, images/requirements/ and the CA bundle).
  quiet_build "$image" docker_build --network host --build-arg "SUITE=$suite" \
    --label "org.memray-cli.suite=$suite" \
    -f "$IMAGES_DIR/$dockerfile" -t "$image" "$TOOLS_DIR"
  log "$image ready in $((SECONDS - t0))s ($(image_size "$image"))"
}

# The jar the `wiremock` npm package ships (a devDependency of packages/signals, installed by npm ci).
wiremock_jar() {
  local jar="${MEMRAY_WIREMOCK_JAR:-}"
  if [[ -z "$jar" ]]; then
    jar="$(find "$TOOLS_DIR/../node_modules/wiremock/build" -maxdepth 1 -name 'wiremock-standalone-*.jar' 2>/dev/null | sort -V | tail -n1)"
  fi
  [[ -n "$jar" && -r "$jar" ]] || die "no WireMock standalone jar; run npm ci (it installs the wiremock package) or set MEMRAY_WIREMOCK_JAR."
  printf '%s\n' "$jar"
}

# A small staged context (jar, CA bundle, mappings) instead of tools/: only what the image copies is sent, and
# files are copied only when changed, so an unchanged input reuses every cached layer (apt included).
build_wiremock() {
  local image=memray-cli/wiremock:bookworm suite=bookworm ctx="$CACHE_DIR/wiremock-context" jar t0=$SECONDS
  build_base "$suite"
  stage_ca_bundle
  jar="$(wiremock_jar)"
  mkdir -p "$ctx"
  cmp -s "$CACHE_DIR/ca-bundle.crt" "$ctx/ca-bundle.crt" 2>/dev/null || cp "$CACHE_DIR/ca-bundle.crt" "$ctx/ca-bundle.crt"
  cmp -s "$jar" "$ctx/wiremock-standalone.jar" 2>/dev/null || cp "$jar" "$ctx/wiremock-standalone.jar"
  rm -rf "$ctx/mappings" && cp -r "$TOOLS_DIR/wiremock/mappings" "$ctx/mappings"
  log "docker build $image ($(basename "$jar"))"
  # --force-rm: a failed step leaves no stopped build container behind.
  quiet_build "$image" docker_build --network host --force-rm --build-arg "SUITE=$suite" \
    --label "org.memray-cli.suite=$suite" --label "org.memray-cli.wiremock-jar=$(basename "$jar")" \
    -f "$IMAGES_DIR/wiremock.Dockerfile" -t "$image" "$ctx"
  log "$image ready in $((SECONDS - t0))s ($(image_size "$image"))"
}

build_target() {
  case "$1" in
    base) build_base bookworm; build_base trixie ;;
    forecast) build_layered memray-cli/forecast:bookworm forecast.Dockerfile bookworm ;;
    forecast-trixie) build_layered memray-cli/forecast:trixie forecast.Dockerfile trixie ;;
    optimization) build_layered memray-cli/optimization:trixie optimization.Dockerfile trixie ;;
    asgi) build_layered memray-cli/asgi:bookworm asgi.Dockerfile bookworm ;;
    wiremock) build_wiremock ;;
    all) build_target base; build_target forecast; build_target optimization; build_target forecast-trixie; build_target asgi; build_target wiremock ;;
    -h | --help | help) usage; exit 0 ;;
    *) usage; die "unknown target '$1' (expected all | base | forecast | optimization | forecast-trixie | asgi | wiremock)" ;;
  esac
}

main() {
  [[ $# -gt 0 ]] || set -- all
  case "$1" in -h | --help | help) usage; exit 0 ;; esac
  require_engine
  mkdir -p "$CACHE_DIR"
  # One build at a time per checkout (tools/stack up may run concurrently); bounded wait.
  hold_lock "$CACHE_DIR/build.lock" 900
  local t0=$SECONDS target
  for target in "$@"; do build_target "$target"; done
  # Drop superseded (dangling) fixture images; only ours, identified by our label.
  docker image prune -f --filter "label=org.memray-cli.suite" >/dev/null 2>&1 || true
  log "done in $((SECONDS - t0))s"
}

main "$@"
