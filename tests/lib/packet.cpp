#include "packet.h"

#include <stdexcept>

namespace testsupport {

namespace {
template <typename T>
T orThrow(iovisor::Result<T> r) {
    if (!r.ok()) throw std::invalid_argument(r.error().message);
    return *r;
}
}  // namespace

Mac mac(const std::string &text) { return orThrow(iovisor::parseMac(text)); }
uint32_t ip4(const std::string &text) { return orThrow(iovisor::parseIpv4(text)); }
Ip6 ip6(const std::string &text) { return orThrow(iovisor::parseIpv6(text)); }

Bytes udpFrame(const Mac &dst, const Mac &src, const std::string &ip_src, const std::string &ip_dst,
               uint16_t sport, uint16_t dport) {
    const uint32_t s = ip4(ip_src), d = ip4(ip_dst);
    return eth(dst, src, kEthIp, ipv4(s, d, 17, udp(s, d, sport, dport)));
}

Bytes arpRequest(const Mac &sha, const std::string &spa, const std::string &tpa) {
    return eth(kBroadcast, sha, kEthArp, arp(1, sha, ip4(spa), Mac{}, ip4(tpa)));
}

// `msg` of upper-layer protocol `proto` with its checksum (2 bytes at
// `at`) over the IPv6 pseudo-header.
Bytes withChecksum6(const Ip6 &src, const Ip6 &dst, uint8_t proto, Bytes msg, size_t at) {
    Bytes pseudo(src.begin(), src.end());
    pseudo.insert(pseudo.end(), dst.begin(), dst.end());
    const size_t n = msg.size();
    const Bytes tail = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n), 0, 0, 0, proto};
    pseudo.insert(pseudo.end(), tail.begin(), tail.end());
    msg[at] = msg[at + 1] = 0;
    pseudo.insert(pseudo.end(), msg.begin(), msg.end());
    uint16_t csum = inetChecksum(pseudo.data(), pseudo.size());
    if (proto == 17 && csum == 0) csum = 0xffff;
    msg[at] = csum >> 8;
    msg[at + 1] = csum & 0xff;
    return msg;
}

Bytes icmp6(const Ip6 &src, const Ip6 &dst, Bytes msg) { return withChecksum6(src, dst, 58, std::move(msg), 2); }

Bytes udp6(const Ip6 &src, const Ip6 &dst, uint16_t sport, uint16_t dport, const Bytes &payload) {
    const size_t len = 8 + payload.size();
    Bytes u = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0};
    u.insert(u.end(), payload.begin(), payload.end());
    return withChecksum6(src, dst, 17, std::move(u), 6);
}

Bytes neighborDiscovery(uint8_t type, uint32_t flags, const Ip6 &target, uint8_t option, const Mac &mac) {
    Bytes m = {type, 0, 0, 0, uint8_t(flags >> 24), uint8_t(flags >> 16), uint8_t(flags >> 8), uint8_t(flags)};
    m.insert(m.end(), target.begin(), target.end());
    m.push_back(option);
    m.push_back(1);
    m.insert(m.end(), mac.begin(), mac.end());
    return m;
}

}  // namespace testsupport
