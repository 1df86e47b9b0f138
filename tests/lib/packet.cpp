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

Bytes neighborDiscovery(uint8_t type, uint32_t flags, const Ip6 &target, uint8_t option, const Mac &mac) {
    Bytes m = {type, 0, 0, 0, uint8_t(flags >> 24), uint8_t(flags >> 16), uint8_t(flags >> 8), uint8_t(flags)};
    m.insert(m.end(), target.begin(), target.end());
    m.push_back(option);
    m.push_back(1);
    m.insert(m.end(), mac.begin(), mac.end());
    return m;
}

}  // namespace testsupport
