# shellcheck shell=bash
# Helpers for the daemons our scripts start: stopped only by the PID in the
# pidfile they wrote, never by name.

# running PID: the process exists and has not exited. A daemon that has
# exited stays a zombie until init reaps it (seconds in some containers);
# `kill -0` still succeeds on it.
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stop_pidfile FILE: SIGTERM, up to 10 s to exit, then SIGKILL; removes FILE.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && running "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 200); do running "$pid" || break; sleep 0.05; done
    if running "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
}
