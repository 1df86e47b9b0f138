# shellcheck shell=bash
# Helpers of the benchmarks that run ours next to the reference on fresh
# sandboxes (bench/*-bench.sh). Source with `here`, `work` (the run's
# directory) and `tag` (the prefix of every namespace and link it makes) set.
# shellcheck disable=SC2154

# Removes the run's namespaces (and their processes), links, sandboxes and
# directory; installed as the EXIT trap by bench_start.
bench_cleanup() {
  set +e
  for n in $(ip netns list | awk '{print $1}' | grep "^${tag}"); do
    ip netns pids "$n" | xargs -r kill -9
    ip netns del "$n"
  done
  ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^${tag}" | sed 's/^/link del /' | ip -force -batch - 2>/dev/null
  bench_keep_logs
  for impl in iovisor reference; do "$here/scripts/ovn-sandbox.sh" stop "$work/$impl" >/dev/null 2>&1; done
  rm -rf "$work"
}

# BENCH_LOGS=DIR keeps the run's daemon logs, timelines and CPU figures
# (call before a sandbox stops: stopping it removes its logs).
bench_keep_logs() {
  [ -n "${BENCH_LOGS:-}" ] || return 0
  mkdir -p "$BENCH_LOGS"
  (cd "$work" && find . \( -name '*.log' -o -name '*.timeline' -o -name '*.cpu' \) -exec cp --parents -t "$BENCH_LOGS" {} +)
}

bench_start() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_vm NS MAC [CIDR]: a namespace NS as a VM: eth0 with MAC (and CIDR),
# up, its root-namespace end NSh up, not yet plugged.
bench_vm() {
  ip netns add "$1"
  ip link add "${1}h" type veth peer name "${1}v"
  ip link set "${1}v" netns "$1"
  ip -n "$1" link set "${1}v" name eth0
  ip -n "$1" link set eth0 address "$2"
  if [ -n "${3:-}" ]; then ip -n "$1" addr add "$3" dev eth0; fi
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
  ip link set "${1}h" up
}

# The wall clock in ms into variable $1, without a fork: a `date` (and the
# subshell of $(...)) inside a timed window takes the CPU the measured
# daemons want, on a chassis of one or two CPUs.
now_ms() { local us=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' $(( us / 1000 )); }

# p50 and p99 of the numbers in a file.
percentiles() { sort -n "$1" | awk '{a[NR]=$1} END {p50=a[int((NR-1)*0.5)+1]; p99=a[int((NR-1)*0.99)+1]; printf "%d %d\n", p50, p99}'; }
