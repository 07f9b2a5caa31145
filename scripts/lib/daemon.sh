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
