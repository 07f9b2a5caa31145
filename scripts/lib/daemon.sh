# shellcheck shell=bash
# Shared by scripts/engines.sh and test/fixtures/daemons.sh: talking to and stopping a daemon that
# one of them started. Callers define say() (progress to stderr).

# ping_sock SOCK: true when the unix socket answers GET /_ping with OK.
ping_sock() {
  local out
  [ -S "$1" ] || return 1
  command -v curl >/dev/null 2>&1 || return 1
  out="$(curl -sS --max-time 3 --unix-socket "$1" http://localhost/_ping 2>/dev/null)" || return 1
  [ "$out" = "OK" ]
}

# stop_pid LABEL PID SECONDS: TERM, wait up to SECONDS, then KILL.
stop_pid() {
  local label="$1" pid="$2" secs="$3" i
  say "stopping $label (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  say "$label (pid $pid) ignored TERM for ${secs}s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
}

# unmount_under DIR: lazily unmount whatever is still mounted at or below DIR (deepest first), so that a
# wipe of a daemon's state never walks into a container's root filesystem or an overlay.
unmount_under() {
  local dir="$1" m
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || say "warning: could not unmount $m"; done
}

# wipe_dirs DIR...: unmount what is below each, then remove it (never crossing into another filesystem).
wipe_dirs() {
  local d
  for d in "$@"; do
    case "$d" in /var/lib/* | /run/*) ;; *) say "refusing to wipe $d"; return 1 ;; esac
    unmount_under "$d"
    rm -rf --one-file-system "$d"
  done
}
