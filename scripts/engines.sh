#!/usr/bin/env bash
# scripts/engines.sh: get real container engines (Docker Engine, Podman's Docker-compatible service) on this
# machine for keelhaul's tests and for local use.
#
#   scripts/engines.sh up [docker|podman|all]     start what is not already answering (idempotent)
#   scripts/engines.sh down [docker|podman|all]   stop only what this script started
#   scripts/engines.sh reset [docker|podman|all]  stop, wipe the engine's state, start it as on a first start
#   scripts/engines.sh status                     socket, reachable, started-by-us, server version
#   scripts/engines.sh env                        KEELHAUL_DOCKER_HOST=... / KEELHAUL_PODMAN_HOST=... lines
#
# An engine whose socket already answers GET /_ping is left alone and never stopped by `down`.
# Installing packages and starting daemons needs root on Debian; elsewhere, start the engines yourself.
# What this script started is recorded (pid files, logs) in ${KEELHAUL_ENGINES_STATE:-/run/keelhaul-engines}.
# Progress goes to stderr; stdout is kept for `status` and `env`.
set -euo pipefail

STATE_DIR="${KEELHAUL_ENGINES_STATE:-/run/keelhaul-engines}"
DOCKER_SOCK=/var/run/docker.sock
PODMAN_SOCK=/run/podman/podman.sock
WAIT_SECS="${KEELHAUL_ENGINES_WAIT:-60}"
STOP_SECS=30
CONTAINERS_CONF=/etc/containers/containers.conf
PROG="engines.sh"
# shellcheck source=scripts/lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $PROG up [docker|podman|all]
       $PROG down [docker|podman|all]
       $PROG reset [docker|podman|all]
       $PROG status
       $PROG env
EOF
  exit 2
}

sock_of() { case "$1" in docker) echo "$DOCKER_SOCK" ;; podman) echo "$PODMAN_SOCK" ;; esac; }
pidfile_of() { case "$1" in docker) echo "$STATE_DIR/dockerd.pid" ;; podman) echo "$STATE_DIR/podman.pid" ;; esac; }
log_of() { case "$1" in docker) echo "$STATE_DIR/dockerd.log" ;; podman) echo "$STATE_DIR/podman.log" ;; esac; }
# A word that must appear in /proc/PID/cmdline for a recorded pid to still be ours (guards against pid reuse).
cmd_of() { case "$1" in docker) echo "dockerd" ;; podman) echo "podman" ;; esac; }

# ping SOCK: true when the socket answers GET /_ping with OK.

# our_pid ENGINE: prints the pid of the engine this script started, if it is still alive.
our_pid() {
  local pf pid
  pf="$(pidfile_of "$1")"
  [ -f "$pf" ] || return 1
  pid="$(tr -dc '0-9' <"$pf")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(cmd_of "$1")" || return 1
  echo "$pid"
}

is_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

# ensure_packages ENGINE: install, quietly, the Debian packages whose binaries are missing.
ensure_packages() {
  local engine="$1" pkgs=()
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  if [ "$engine" = docker ]; then
    command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
  else
    command -v podman >/dev/null 2>&1 || pkgs+=(podman)
    command -v slirp4netns >/dev/null 2>&1 || pkgs+=(slirp4netns)
    command -v newuidmap >/dev/null 2>&1 || pkgs+=(uidmap)
  fi
  command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || pkgs+=(iptables)
  # The probe image is built from Debian's static busybox (test/fixtures/seed-busybox.sh).
  [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null || true)" = "install ok installed" ] \
    || pkgs+=(busybox-static)
  [ "${#pkgs[@]}" -gt 0 ] || return 0
  say "installing ${pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -qq)
  if ! "${apt[@]}" install --no-install-recommends "${pkgs[@]}" >"$STATE_DIR/apt.log" 2>&1; then
    "${apt[@]}" update >>"$STATE_DIR/apt.log" 2>&1 || true
    "${apt[@]}" install --no-install-recommends "${pkgs[@]}" >>"$STATE_DIR/apt.log" 2>&1 \
      || { tail -n 15 "$STATE_DIR/apt.log" >&2; die "apt-get install ${pkgs[*]} failed (log: $STATE_DIR/apt.log)"; }
  fi
}

# Podman cannot raise rlimits here, so give its containers fixed nofile/nproc limits. Only adds the key when
# it is missing; other settings in containers.conf are kept.
ensure_containers_conf() {
  local line='default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]'
  mkdir -p "$(dirname "$CONTAINERS_CONF")"
  if [ ! -f "$CONTAINERS_CONF" ]; then
    printf '[containers]\n%s\n' "$line" >"$CONTAINERS_CONF"
    say "wrote $CONTAINERS_CONF (default_ulimits)"
  elif grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=' "$CONTAINERS_CONF"; then
    return 0
  elif grep -Eq '^[[:space:]]*\[containers\][[:space:]]*$' "$CONTAINERS_CONF"; then
    local tmp
    tmp="$(mktemp "$CONTAINERS_CONF.XXXXXX")"
    awk -v l="$line" '{ print } /^[[:space:]]*\[containers\][[:space:]]*$/ && !done { print l; done = 1 }' \
      "$CONTAINERS_CONF" >"$tmp"
    chmod 644 "$tmp"
    mv "$tmp" "$CONTAINERS_CONF"
    say "added default_ulimits to $CONTAINERS_CONF"
  else
    printf '\n[containers]\n%s\n' "$line" >>"$CONTAINERS_CONF"
    say "added [containers] default_ulimits to $CONTAINERS_CONF"
  fi
}

# wait_ping ENGINE PID: bounded wait for the socket; on failure print the cause and the log tail.
wait_ping() {
  local engine="$1" pid="$2" sock log i
  sock="$(sock_of "$engine")"
  log="$(log_of "$engine")"
  for ((i = 0; i < WAIT_SECS * 2; i++)); do
    ping_sock "$sock" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      die "$engine exited before answering on $sock (log: $log)"
    fi
    sleep 0.5
  done
  tail -n 20 "$log" >&2 || true
  die "$engine did not answer GET /_ping on $sock within ${WAIT_SECS}s (log: $log)"
}

start_docker() {
  local log pid
  log="$(log_of docker)"
  rm -f "$(pidfile_of docker)"
  # A dead dockerd leaves its socket behind; dockerd refuses to start over a live one, so only a stale one is removed.
  [ -S "$DOCKER_SOCK" ] && ! ping_sock "$DOCKER_SOCK" && rm -f "$DOCKER_SOCK"
  say "starting dockerd on unix://$DOCKER_SOCK (log: $log)"
  setsid env -C "$STATE_DIR" dockerd --host "unix://$DOCKER_SOCK" --pidfile "$(pidfile_of docker)" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  wait_ping docker "$pid"
}

start_podman() {
  local log pid
  log="$(log_of podman)"
  ensure_containers_conf
  mkdir -p "$(dirname "$PODMAN_SOCK")"
  [ -S "$PODMAN_SOCK" ] && ! ping_sock "$PODMAN_SOCK" && rm -f "$PODMAN_SOCK"
  say "starting podman system service on unix://$PODMAN_SOCK (log: $log)"
  setsid env -C "$STATE_DIR" podman system service --time=0 "unix://$PODMAN_SOCK" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile_of podman)"
  wait_ping podman "$pid"
}

# stop_ours ENGINE: TERM, bounded wait, then KILL; only for a process this script started.
stop_ours() {
  local engine="$1" pid
  if pid="$(our_pid "$engine")"; then
    stop_pid "$engine" "$pid" "$STOP_SECS"
  fi
  # Remove the record only if it still names what was stopped (a concurrent `up` may have re-recorded it).
  if [ -z "${pid:-}" ] || [ "$(tr -dc '0-9' 2>/dev/null <"$(pidfile_of "$engine")")" = "$pid" ]; then
    rm -f "$(pidfile_of "$engine")"
  fi
}

# dockerd's docker0 bridge can vanish while it runs (any other dockerd started with --bridge=none deletes it:
# moby's removeDefaultBridgeInterface); restarting dockerd recreates it.
ensure_docker0() {
  local i
  for ((i = 0; i < 10; i++)); do
    [ -e /sys/class/net/docker0 ] && return 0
    sleep 0.5
  done
  if our_pid docker >/dev/null; then
    say "docker0 bridge is missing; restarting the dockerd we started"
    stop_ours docker
    start_docker
    for ((i = 0; i < 10; i++)); do
      [ -e /sys/class/net/docker0 ] && return 0
      sleep 0.5
    done
    say "warning: docker0 bridge still missing after restart (bridge networking will not work)"
  else
    say "warning: docker0 bridge is missing and dockerd was not started by $PROG; restart it yourself"
  fi
}

up_one() {
  local engine="$1" sock pid
  sock="$(sock_of "$engine")"
  if ping_sock "$sock"; then
    if [ "$engine" = docker ] && our_pid docker >/dev/null; then ensure_docker0; fi
    say "$engine: already answering on unix://$sock"
    return 0
  fi
  if [ -S "$sock" ] && [ ! -w "$sock" ]; then die "$engine socket $sock exists but $(id -un) may not use it (permission)"; fi
  is_debian_root || die "$engine is not reachable on $sock and this is not Debian as root, so it cannot be installed or started here; start it yourself"
  mkdir -p "$STATE_DIR"
  ensure_packages "$engine"
  if pid="$(our_pid "$engine")"; then
    # Started by us earlier but not answering (yet): give it the bounded wait, then restart once.
    say "$engine (pid $pid, ours) is not answering yet; waiting"
    if ( wait_ping "$engine" "$pid" ) 2>/dev/null; then return 0; fi
    stop_ours "$engine"
  fi
  case "$engine" in
    docker) start_docker; ensure_docker0 ;;
    podman) start_podman ;;
  esac
  say "$engine: up on unix://$sock"
}

# wipe_state ENGINE: what a first start finds: no data root, no exec root, no bridge, no networks,
# images, containers or volumes. Called only with the engine stopped.
wipe_state() {
  case "$1" in
    docker)
      wipe_dirs /var/lib/docker /run/docker
      # docker0 outlives dockerd; a first start creates it (and its IPAM state) anew.
      if [ -e /sys/class/net/docker0 ]; then ip link del docker0 2>/dev/null || say "warning: could not delete docker0"; fi
      ;;
    podman)
      # Podman's own reset removes containers, pods, images, volumes, networks and storage.
      command -v podman >/dev/null 2>&1 && podman system reset --force >>"$(log_of podman)" 2>&1 || say "warning: podman system reset failed (log: $(log_of podman))"
      wipe_dirs /var/lib/containers/storage /run/containers/storage /run/libpod /var/lib/cni/networks
      ;;
  esac
  say "$1: state wiped"
}

# reset_one ENGINE: only an engine that this script started (or none at all) is reset: a daemon that
# someone else runs is never stopped or wiped.
reset_one() {
  local engine="$1" sock
  sock="$(sock_of "$engine")"
  is_debian_root || die "reset needs root on Debian"
  mkdir -p "$STATE_DIR"
  if ping_sock "$sock" && ! our_pid "$engine" >/dev/null; then
    die "$engine on $sock was not started by $PROG: not resetting someone else's engine"
  fi
  stop_ours "$engine"
  wipe_state "$engine"
  up_one "$engine"
}

engines_of() {
  case "${1:-all}" in
    all) echo docker podman ;;
    docker | podman) echo "$1" ;;
    *) usage ;;
  esac
}

server_version() {
  local out
  out="$(curl -sS --max-time 5 --unix-socket "$1" http://localhost/version 2>/dev/null)" || { echo "-"; return; }
  # The first "Version" is the Engine component's; ApiVersion is top level.
  printf '%s (api %s)\n' \
    "$(printf '%s' "$out" | grep -o '"Version":"[^"]*"' | head -n1 | cut -d'"' -f4)" \
    "$(printf '%s' "$out" | grep -o '"ApiVersion":"[^"]*"' | head -n1 | cut -d'"' -f4)"
}

cmd_status() {
  local engine sock reach ours ver
  printf '%-7s %-36s %-10s %-15s %s\n' ENGINE SOCKET REACHABLE STARTED-BY-US VERSION
  for engine in docker podman; do
    sock="$(sock_of "$engine")"
    reach=no ours=no ver=-
    if ping_sock "$sock"; then reach=yes; ver="$(server_version "$sock")"; fi
    our_pid "$engine" >/dev/null && ours=yes
    printf '%-7s %-36s %-10s %-15s %s\n' "$engine" "unix://$sock" "$reach" "$ours" "$ver"
  done
}

with_lock() {
  mkdir -p "$STATE_DIR" 2>/dev/null || return 0
  # fd 9 must not leak into the daemons we start (they would hold the lock for their lifetime): every
  # daemon is started with 9>&-.
  if command -v flock >/dev/null 2>&1 && exec 9>"$STATE_DIR/lock"; then
    flock -w 300 9 || die "another $PROG has held $STATE_DIR/lock for 300s"
  fi
}

main() {
  local cmd="${1:-}" engine
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up)
      [ $# -le 1 ] || usage
      [ "$(id -u)" = 0 ] && with_lock
      for engine in $(engines_of "${1:-all}"); do up_one "$engine"; done
      ;;
    down)
      [ $# -le 1 ] || usage
      [ "$(id -u)" = 0 ] && with_lock
      for engine in $(engines_of "${1:-all}"); do
        if [ -f "$(pidfile_of "$engine")" ]; then stop_ours "$engine"; else say "$engine: not started by $PROG; left alone"; fi
      done
      ;;
    reset)
      [ $# -le 1 ] || usage
      [ "$(id -u)" = 0 ] && with_lock
      for engine in $(engines_of "${1:-all}"); do reset_one "$engine"; done
      ;;
    status) [ $# -eq 0 ] || usage; cmd_status ;;
    env)
      [ $# -eq 0 ] || usage
      echo "KEELHAUL_DOCKER_HOST=unix://$DOCKER_SOCK"
      echo "KEELHAUL_PODMAN_HOST=unix://$PODMAN_SOCK"
      ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
