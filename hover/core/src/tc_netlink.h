// The few rtnetlink requests libbpf's TC API does not make: a clsact bound to
// shared blocks, the block a clsact's ingress is bound to, a filter on a
// block. Each opens its own socket (hoverd serialises links).
#pragma once

#include <cstdint>
#include <string>

#include "iovisor/result.h"

namespace hover::tc {

// Our filters live at a fixed handle and priority on an ingress hook.
inline constexpr uint32_t kHandle = 1;
inline constexpr uint32_t kPriority = 1;

// A clsact on `ifindex` whose ingress and egress are the shared blocks
// given. true: created; false: the netdev already has a clsact (or ingress).
iovisor::Result<bool> createClsact(uint32_t ifindex, uint32_t ingress_block, uint32_t egress_block);
// The shared block the netdev's clsact ingress is bound to: 0 if it has a
// block of its own (or no clsact).
iovisor::Result<uint32_t> ingressBlockOf(uint32_t ifindex);
// Puts (or replaces, atomically) direct-action BPF filter `prog_fd` on
// shared block `block`, at the handle and priority of every filter of ours.
iovisor::Status setBlockFilter(uint32_t block, int prog_fd, const std::string &name);

}  // namespace hover::tc
