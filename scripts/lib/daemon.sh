# shellcheck shell=bash
# Helpers for the daemons our scripts start: stopped only by the PID in the
# pidfile they wrote, never by name.

# stop_pidfile FILE: SIGTERM, up to 10 s to exit, then SIGKILL; removes FILE.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
