# Shared by tools/images/build.sh and tools/images/rust-base.sh, which source it after setting LOG_TAG
# (the name their messages start with). Needs bash with `set -euo pipefail` in the sourcing script.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# The comment block after the shebang of the running script.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; }

require_engine() {
  timeout 10 docker info >/dev/null 2>&1 || die "no Docker engine answers; run tools/docker-engine.sh first."
}

image_label() { # image label -> value or empty
  docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_size() { # image -> "123 MB"
  docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1e6}'
}

# One run of the script at a time (tools/stack up and engine tests may start several): an exclusive
# lock on file descriptor 9 for the rest of the script, waiting for it at most `seconds`.
hold_lock() { # lockfile seconds
  exec 9>"$1"
  if ! flock -n 9; then
    log "another $(basename "$0") is running; waiting for it (up to $(($2 / 60)) min)"
    flock -w "$2" 9 || die "timed out waiting for $1"
  fi
}

# Run a docker build command (all the arguments after the image) quietly: its output is shown when it
# fails (the last 40 lines) or with MEMRAY_BUILD_VERBOSE=1.
quiet_build() { # image command...
  local image="$1" out
  shift
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" | tail -n 40 >&2
    die "docker build of $image failed (output above)."
  fi
  if [[ -n "${MEMRAY_BUILD_VERBOSE:-}" ]]; then printf '%s\n' "$out" >&2; fi
}
