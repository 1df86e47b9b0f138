// Builds test packets byte by byte (network order), with valid checksums
// unless a test breaks them on purpose.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "iovisor/net.h"

namespace testsupport {

using Bytes = std::vector<uint8_t>;
using iovisor::Ip6;
using iovisor::Mac;

// Parsers that throw on bad input (test literals only).
Mac mac(const std::string &text);      // "02:00:00:00:00:01"
uint32_t ip4(const std::string &text); // network order, as on the wire
Ip6 ip6(const std::string &text);
std::string hex(const Bytes &b);

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

// Common whole frames.
Bytes udpFrame(const Mac &dst, const Mac &src, const std::string &ip_src, const std::string &ip_dst,
               uint16_t sport = 1000, uint16_t dport = 2000);
Bytes arpRequest(const Mac &sha, const std::string &spa, const std::string &tpa);

}  // namespace testsupport
