// Address types shared by hoverd, the controller and the tests: parsing and
// formatting of MACs, IPv4/IPv6 addresses and prefixes. Addresses are kept in
// network byte order, as in packets and eBPF maps.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "iovisor/result.h"

namespace iovisor {

using Mac = std::array<uint8_t, 6>;
using Ip6 = std::array<uint8_t, 16>;

struct Ipv4Prefix {
    uint32_t addr = 0; // network order
    uint8_t len = 32;
};

struct Ipv6Prefix {
    Ip6 addr{};
    uint8_t len = 128;
};

Result<Mac> parseMac(const std::string &text);          // "02:00:00:00:00:01"
Result<uint32_t> parseIpv4(const std::string &text);    // "10.0.0.1" -> network order
Result<Ip6> parseIpv6(const std::string &text);
Result<Ipv4Prefix> parseIpv4Prefix(const std::string &text);  // "10.0.0.0/24" or "10.0.0.1"
Result<Ipv6Prefix> parseIpv6Prefix(const std::string &text);

// The prefix's network address: `addr` with the bits past `len` cleared.
uint32_t networkOf(uint32_t addr, int len);
Ip6 networkOf(Ip6 addr, int len);
inline uint32_t networkOf(const Ipv4Prefix &p) { return networkOf(p.addr, p.len); }
inline Ip6 networkOf(const Ipv6Prefix &p) { return networkOf(p.addr, p.len); }
// The same network: same length and network address (host bits ignored).
inline bool sameNetwork(const Ipv4Prefix &a, const Ipv4Prefix &b) { return a.len == b.len && networkOf(a) == networkOf(b); }
inline bool sameNetwork(const Ipv6Prefix &a, const Ipv6Prefix &b) { return a.len == b.len && networkOf(a) == networkOf(b); }
// `addr` lies in the prefix.
inline bool contains(const Ipv4Prefix &p, uint32_t addr) { return networkOf(addr, p.len) == networkOf(p); }
inline bool contains(const Ipv6Prefix &p, const Ip6 &addr) { return networkOf(addr, p.len) == networkOf(p); }

// fe80::/64 with the modified EUI-64 of `mac`: every OVN router port with
// IPv6 has this address.
Ip6 linkLocal(const Mac &mac);

std::string formatMac(const Mac &mac);
std::string formatIpv4(uint32_t addr);
std::string formatIpv6(const Ip6 &addr);

// Percent-encodes text for one URL path segment (RFC 3986 unreserved kept),
// e.g. a table key in hoverd's REST paths.
std::string percentEncode(const std::string &text);

}  // namespace iovisor
