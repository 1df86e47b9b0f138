#!/usr/bin/env bash
# Installs every Debian package IOVisor-OVN needs to build, test and run the demo.
# Idempotent: when everything is already installed it only checks and exits.
set -euo pipefail

# Two lists, one package per line: devstack/files/debs/iovisor-ovn (what
# builds and runs the chassis; DevStack installs it too) and tests/debs (what
# only the tests, the demo and the benchmarks need).
here=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t PACKAGES < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/devstack/files/debs/iovisor-ovn" "$here/tests/debs")

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # Debian's openvswitch-switch/ovn-* postinst try to start services; without
  # systemd they fail harmlessly, policy-rc.d keeps them from even trying.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
  fi
  apt-get install -y --no-install-recommends "${missing[@]}"
  [ $created_policy -eq 1 ] && rm -f "$policy"
fi

# bpffs is needed by hoverd (pinning) and the tests.
if ! mountpoint -q /sys/fs/bpf; then
  mount -t bpf bpf /sys/fs/bpf
fi
