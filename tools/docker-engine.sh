#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
#
#   tools/docker-engine.sh          ensure an engine runs (install docker.io and start dockerd if needed)
#   tools/docker-engine.sh start    same as above
#   tools/docker-engine.sh stop     stop the dockerd THIS script started (never one started by someone else)
#   tools/docker-engine.sh status   print whether the engine answers
#
# Works as root without systemd (CI, containers, VMs). Idempotent: when `docker info` already answers it
# exits 0 at once. Progress goes to stderr.
#
# Environment:
#   MEMRAY_DOCKERD_LOG       dockerd log file               (default /var/log/memray-cli-dockerd.log)
#   MEMRAY_DOCKERD_PIDFILE   pid of the dockerd we started  (default /var/run/memray-cli-dockerd.pid)
#   MEMRAY_DOCKERD_ARGS      extra dockerd flags, e.g. "--iptables=false" or "--storage-driver=vfs"
#   MEMRAY_DOCKERD_TIMEOUT   seconds to wait for `docker info` after starting dockerd (default 60)
set -euo pipefail

LOG_FILE="${MEMRAY_DOCKERD_LOG:-/var/log/memray-cli-dockerd.log}"
PID_FILE="${MEMRAY_DOCKERD_PIDFILE:-/var/run/memray-cli-dockerd.pid}"
EXTRA_ARGS="${MEMRAY_DOCKERD_ARGS:-}"
TIMEOUT="${MEMRAY_DOCKERD_TIMEOUT:-60}"

log() { printf '[docker-engine] %s\n' "$*" >&2; }
die() { printf '[docker-engine] error: %s\n' "$*" >&2; exit 1; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# The pid of a dockerd that is already starting (ours, or one started by the distro's init script).
existing_dockerd_pid() {
  local f pid files=("$PID_FILE")
  # The distro's default pid files only describe the default engine, not one behind a custom DOCKER_HOST.
  [[ -z "${DOCKER_HOST:-}" ]] && files+=(/var/run/docker.pid /run/docker.pid)
  for f in "${files[@]}"; do
    [[ -r "$f" ]] || continue
    pid="$(cat "$f" 2>/dev/null || true)"
    if pid_alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]]; then
      echo "$pid"; return 0
    fi
  done
  return 1
}

install_docker() {
  command -v apt-get >/dev/null 2>&1 || die "dockerd is not installed and apt-get is missing; install Docker Engine by hand."
  log "dockerd not found: installing docker.io with apt-get (once)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
    || die "apt-get update failed; check /etc/apt/sources.list.d and network access to the Debian mirror."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2 \
    || die "apt-get install docker.io failed (see output above)."
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is still not on PATH."
}

wait_for_engine() {
  local pid="$1" i
  for ((i = 0; i < TIMEOUT; i++)); do
    if engine_answers; then log "engine ready after ${i}s"; return 0; fi
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      log "dockerd (pid $pid) exited; last lines of $LOG_FILE:"
      tail -n 25 "$LOG_FILE" >&2 2>/dev/null || true
      die "dockerd failed to start. Common fixes: iptables errors -> MEMRAY_DOCKERD_ARGS='--iptables=false' \
(containers then have no outbound network) or 'update-alternatives --set iptables /usr/sbin/iptables-legacy'; \
overlay errors -> MEMRAY_DOCKERD_ARGS='--storage-driver=vfs'."
    fi
    sleep 1
  done
  tail -n 25 "$LOG_FILE" >&2 2>/dev/null || true
  die "docker info did not answer within ${TIMEOUT}s (log: $LOG_FILE)."
}

start() {
  if engine_answers; then log "engine already answers docker info"; return 0; fi
  command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 || {
    [[ "$(id -u)" == 0 ]] || die "Docker is not installed and we are not root; run as root or install docker.io."
    install_docker
  }
  local pid
  if pid="$(existing_dockerd_pid)"; then
    log "a dockerd is already running (pid $pid) but does not answer yet; waiting up to ${TIMEOUT}s"
    wait_for_engine "$pid"; return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "no Docker engine answers and starting dockerd needs root (or start it yourself)."
  mkdir -p "$(dirname "$LOG_FILE")" "$(dirname "$PID_FILE")"
  log "starting dockerd in the background (log: $LOG_FILE)"
  # setsid + nohup: the daemon survives the end of this script and of the calling shell's job.
  # shellcheck disable=SC2086
  setsid nohup dockerd $EXTRA_ARGS </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_for_engine "$pid"
}

stop() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if ! pid_alive "$pid" || [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != dockerd ]]; then
    rm -f "$PID_FILE"
    log "no dockerd started by this script is running (pid file $PID_FILE); nothing to stop"
    return 0
  fi
  log "stopping dockerd pid $pid"
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 30; i++)); do
    pid_alive "$pid" || { rm -f "$PID_FILE"; log "dockerd stopped"; return 0; }
    sleep 1
  done
  die "dockerd pid $pid did not stop within 30s; check $LOG_FILE."
}

status() {
  if engine_answers; then
    log "engine answers: $(docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}' 2>/dev/null)"
  else
    log "no engine answers docker info"; return 1
  fi
}

case "${1:-start}" in
  start | ensure | "") start ;;
  stop) stop ;;
  status) status ;;
  -h | --help | help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2 ;;
  *) die "unknown command '$1' (expected: start | stop | status)" ;;
esac
