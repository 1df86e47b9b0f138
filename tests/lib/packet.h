// Test-side packet helpers over iovisor/packet.h: literal parsers that throw
// (test literals only) and common whole frames.
#pragma once

#include "iovisor/packet.h"

namespace testsupport {

using namespace iovisor::packet;
using iovisor::Ip6;
using iovisor::Mac;

Mac mac(const std::string &text);      // "02:00:00:00:00:01"
uint32_t ip4(const std::string &text); // network order, as on the wire
Ip6 ip6(const std::string &text);

Bytes udpFrame(const Mac &dst, const Mac &src, const std::string &ip_src, const std::string &ip_dst,
               uint16_t sport = 1000, uint16_t dport = 2000);
Bytes arpRequest(const Mac &sha, const std::string &spa, const std::string &tpa);
// Neighbor Solicitation (135) / Advertisement (136) of `target` with one
// link-layer address option (1: source, 2: target).
Bytes neighborDiscovery(uint8_t type, uint32_t flags, const Ip6 &target, uint8_t option, const Mac &mac);

}  // namespace testsupport
