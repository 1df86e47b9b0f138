// Builds packets byte by byte (network order) with valid checksums: used by
// iovisorctl trace, hoverd's trace endpoint and the tests.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "iovisor/net.h"

namespace iovisor::packet {

using Bytes = std::vector<uint8_t>;

std::string hex(const Bytes &b);      // "0a0b 0c0d ...": readable, for test diffs
std::string hexDigits(const Bytes &b); // "0a0b0c0d": for APIs

inline constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr uint16_t kEthIp = 0x0800, kEthArp = 0x0806, kEthIp6 = 0x86dd, kEthVlan = 0x8100;

uint16_t inetChecksum(const uint8_t *data, size_t len, uint32_t seed = 0);

Bytes eth(const Mac &dst, const Mac &src, uint16_t type, const Bytes &payload);
Bytes arp(uint16_t op, const Mac &sha, uint32_t spa, const Mac &tha, uint32_t tpa);

struct Ipv4Options {
    uint8_t ttl = 64;
    uint16_t frag_off = 0;   // host order: flags << 13 | offset
    Bytes options;           // multiple of 4 bytes
    uint16_t id = 0x1234;
};
Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes &payload, const Ipv4Options &o = {});
Bytes ipv6(const Ip6 &src, const Ip6 &dst, uint8_t next_header, const Bytes &payload, uint8_t hop_limit = 64);
// L4 with checksums over the IPv4 pseudo-header.
Bytes udp(uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, const Bytes &payload = Bytes(18));
Bytes tcp(uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq = 1);
Bytes icmpEcho(uint8_t type, uint16_t id, uint16_t seq, const Bytes &payload = Bytes(8));
// L4 with checksums over the IPv6 pseudo-header: an ICMPv6 message (its
// checksum bytes ignored), a UDP datagram.
Bytes icmp6(const Ip6 &src, const Ip6 &dst, Bytes msg);
Bytes udp6(const Ip6 &src, const Ip6 &dst, uint16_t sport, uint16_t dport, const Bytes &payload);

// A packet from an ovn-trace-like description, e.g.
//   "eth.src=02:00:00:00:00:01 eth.dst=02:00:00:00:00:02 ip4.src=10.0.0.1 ip4.dst=10.0.0.2 udp.dst=53"
// Fields: eth.src eth.dst ip4.src ip4.dst ip.ttl udp.src udp.dst tcp.src tcp.dst icmp4 arp.spa arp.tpa.
Result<Bytes> fromDescription(const std::string &description);

}  // namespace iovisor::packet
