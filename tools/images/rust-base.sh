#!/usr/bin/env bash
# Build memray-rust-base:bookworm, a local stand-in for rust:1.88.0-bookworm (the default --base-image of
# `memray-cli debug-build`), with no container registry.
#
#   tools/images/rust-base.sh [--force]
#
#   FROM memray-cli/base:bookworm (tools/images/build.sh base makes it when missing), then Debian bookworm's
#   rustc-web + cargo-web (Rust 1.85; the plain rustc package is 1.63, too old for current PyO3), gcc,
#   python3-dev, pip, venv, and maturin from PyPI (in /opt/maturin, linked into /usr/local/bin). Same glibc
#   and Python (3.11) as the memray-cli/*:bookworm service images, so its wheels load in them.
#
# Idempotent: the image carries the hash of its inputs (this script's recipe, the Dockerfile, the maturin
# pin, the base image id, the CA bundle) as the label org.memray-cli.inputs and is skipped when unchanged
# (about a second). `docker build --network host` with the host's CA bundle in the context, so apt, pip
# and (at wheel-build time) cargo reach their registries through a TLS-intercepting proxy.
#
# Environment:
#   MEMRAY_RUST_BASE_IMAGE  tag to build            (default memray-rust-base:bookworm)
#   MEMRAY_MATURIN_VERSION  maturin pin             (default 1.9.6)
#   MEMRAY_HOST_CA          CA bundle copied in     (default /etc/ssl/certs/ca-certificates.crt)
#   MEMRAY_BUILD_VERBOSE=1  print the full docker build output
set -euo pipefail

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="$IMAGES_DIR/.cache"
IMAGE="${MEMRAY_RUST_BASE_IMAGE:-memray-rust-base:bookworm}"
BASE="memray-cli/base:bookworm"
MATURIN_VERSION="${MEMRAY_MATURIN_VERSION:-1.9.6}"
HOST_CA="${MEMRAY_HOST_CA:-/etc/ssl/certs/ca-certificates.crt}"
DOCKERFILE="$IMAGES_DIR/rust-base.Dockerfile"
# Bump when the recipe changes in a way the inputs hash cannot see.
RECIPE_VERSION=1
LABEL_KEY="org.memray-cli.inputs"
LOG_TAG=rust-base
# shellcheck source=tools/images/lib.sh
source "$IMAGES_DIR/lib.sh"

force=0
for arg in "$@"; do
  case "$arg" in
    -h | --help | help) usage; exit 0 ;;
    --force) force=1 ;;
    *) usage; die "unknown argument '$arg'" ;;
  esac
done

require_engine
[[ -r "$HOST_CA" ]] || die "CA bundle $HOST_CA not readable; set MEMRAY_HOST_CA to the host's bundle."
mkdir -p "$CACHE_DIR"

# One build at a time (engine tests may call this from several workers); bounded wait.
hold_lock "$CACHE_DIR/rust-base.lock" 1800

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  log "$BASE is missing; building it with tools/images/build.sh base"
  bash "$IMAGES_DIR/build.sh" base
fi
base_id="$(docker image inspect -f '{{.Id}}' "$BASE")"

inputs="$( {
  printf 'recipe=%s\nimage=%s\nbase=%s\nmaturin=%s\n' "$RECIPE_VERSION" "$IMAGE" "$base_id" "$MATURIN_VERSION"
  sha256sum <"$DOCKERFILE"
  sha256sum <"$HOST_CA"
} | sha256sum | cut -c1-16)"

have="$(image_label "$IMAGE" "$LABEL_KEY")"
if [[ "$force" == 0 && "$have" == "$inputs" ]]; then
  log "$IMAGE is up to date (inputs $inputs)"
  exit 0
fi

context="$CACHE_DIR/rust-base-context"
rm -rf "$context"
mkdir -p "$context"
cp "$HOST_CA" "$context/ca-bundle.crt"
cp "$DOCKERFILE" "$context/Dockerfile"

log "docker build $IMAGE (rustc-web, cargo-web, python3-dev, maturin $MATURIN_VERSION); a few minutes when cold"
t0=$SECONDS
quiet_build "$IMAGE" env DOCKER_BUILDKIT=0 docker build --network host \
  --build-arg "MATURIN_VERSION=$MATURIN_VERSION" \
  --label "$LABEL_KEY=$inputs" --label "org.memray-cli.suite=bookworm" \
  -t "$IMAGE" "$context"
rm -rf "$context"

versions="$(docker run --rm --network none "$IMAGE" sh -c 'rustc --version; cargo --version; maturin --version; python3 --version' 2>&1)" \
  || die "$IMAGE was built but its toolchain does not run: $versions"
log "$IMAGE ready in $((SECONDS - t0))s ($(image_size "$IMAGE")): $(printf '%s' "$versions" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
