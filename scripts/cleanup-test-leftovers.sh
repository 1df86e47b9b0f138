#!/usr/bin/env bash
# Removes network namespaces and links that our tests name "iov<pid>..." and
# "iovt<pid>...", left behind only when a test process was killed (timeout)
# before its destructors ran. Touches nothing else.
set -u
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^iov[0-9]+[a-z]' || true); do
  ip netns del "$ns" && echo "cleanup: removed netns $ns"
done
for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^iovt?[0-9]+' || true); do
  ip link del "$link" 2>/dev/null && echo "cleanup: removed link $link"
done
exit 0
