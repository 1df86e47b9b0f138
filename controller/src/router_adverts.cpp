#include "router_adverts.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>

#include "iovisor/packet.h"
#include "iovisor/text.h"
#include "wire.h"

namespace ctl {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
namespace l2 = hover::model::l2switch;

namespace {

// Constants of OVN's lib/ovn-l7.h and OVS's lib/packets.h.
constexpr uint8_t kRouterAdvert = 134, kCurHopLimit = 255;
constexpr uint8_t kManaged = 0x80, kOther = 0x40, kPrfHigh = 0x08, kPrfLow = 0x18;
constexpr uint8_t kOnLink = 0x80, kAutonomous = 0x40;
constexpr uint8_t kOptSourceLl = 1, kOptPrefix = 3, kOptMtu = 5, kOptRouteInfo = 24, kOptRdnss = 25, kOptDnssl = 31;
constexpr int kMinMtu = 1280, kDnsslMax = 255;
constexpr int kMaxIntervalDefault = 600, kMaxIntervalMin = 4, kMaxIntervalMax = 1800, kMinIntervalMin = 3;

using Bytes = std::vector<uint8_t>;

void putIp6(Bytes &b, const iovisor::Ip6 &ip) { b.insert(b.end(), ip.begin(), ip.end()); }

using iovisor::split;  // as strtok(3): no empty pieces

std::optional<int> number(const ovnmon::StringMap &m, const char *key) {
    auto it = m.find(key);
    if (it == m.end() || it->second.empty()) return std::nullopt;
    char *end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (*end) return std::nullopt;
    return int(v);
}

std::string valueOf(const ovnmon::StringMap &m, const char *key) {
    auto it = m.find(key);
    return it == m.end() ? "" : it->second;
}

// What a port's ipv6_ra_configs say, read once for both advertisements.
struct Config {
    iovisor::Mac mac{};
    uint8_t flags = 0;  // M/O and the router preference
    bool managed = false;
    std::optional<uint32_t> mtu;
    std::optional<iovisor::Ip6> rdnss;
    std::string dnssl, route_info;
    std::vector<iovisor::Ipv6Prefix> prefixes;  // the port's networks but link-local ones
};

uint8_t preference(const std::string &prf) { return prf == "HIGH" ? kPrfHigh : prf == "LOW" ? kPrfLow : 0; }

Result<Config> readConfig(const ovnmon::LogicalRouterPort &lrp, const std::string &mode) {
    Config c;
    const auto &ra = lrp.ipv6_ra_configs;
    auto mac = iovisor::parseMac(lrp.mac);
    if (!mac.ok()) return makeError(Errc::kInvalid, "the port's MAC: " + mac.error().message);
    c.mac = *mac;
    if (mode == "dhcpv6_stateful") c.flags = kManaged, c.managed = true;
    else if (mode == "dhcpv6_stateless") c.flags = kOther;
    else if (mode != "slaac") return makeError(Errc::kInvalid, "address_mode '" + mode + "' is not slaac, dhcpv6_stateful or dhcpv6_stateless");
    c.flags |= preference(valueOf(ra, "router_preference"));
    if (auto mtu = number(ra, "mtu"); mtu && *mtu >= kMinMtu) c.mtu = uint32_t(*mtu);
    if (auto it = ra.find("rdnss"); it != ra.end()) {
        auto ip = iovisor::parseIpv6(it->second);
        if (!ip.ok()) return makeError(Errc::kInvalid, "rdnss '" + it->second + "' is not an IPv6 address");
        c.rdnss = *ip;
    }
    c.dnssl = valueOf(ra, "dnssl");
    c.route_info = valueOf(ra, "route_info");
    for (const auto &n : lrp.networks) {
        auto p = iovisor::parseIpv6Prefix(n);
        if (!p.ok() || (p->addr[0] == 0xfe && (p->addr[1] & 0xc0) == 0x80)) continue;
        c.prefixes.push_back({iovisor::networkOf(*p), p->len});
    }
    return c;
}

void putSourceLl(Bytes &b, const iovisor::Mac &mac) {
    b.insert(b.end(), {kOptSourceLl, 1});
    b.insert(b.end(), mac.begin(), mac.end());
}

void putMtu(Bytes &b, uint32_t mtu) {
    b.insert(b.end(), {kOptMtu, 1, 0, 0});
    putBe(b, mtu, 4);
}

void putPrefix(Bytes &b, const iovisor::Ipv6Prefix &p, uint8_t flags) {
    b.insert(b.end(), {kOptPrefix, 4, p.len, flags});
    putBe(b, 0xffffffff, 4);  // valid and preferred lifetimes: infinite
    putBe(b, 0xffffffff, 4);
    putBe(b, 0, 4);
    putIp6(b, p.addr);
}

void putRdnss(Bytes &b, const iovisor::Ip6 &server) {
    b.insert(b.end(), {kOptRdnss, 3, 0, 0});
    putBe(b, 0xffffffff, 4);
    putIp6(b, server);
}

// RFC 8106 search list: OVN's encode_ra_dnssl_opt (labels cut at 255
// bytes, the option left out when the names pass 255 bytes).
void putDnssl(Bytes &b, const std::string &dnssl) {
    Bytes names;
    size_t size = 8;
    for (const auto &domain : split(dnssl, ',')) {
        size += domain.size() + 2;
        if (size > kDnsslMax) return;
        for (const auto &label : split(domain, '.')) {
            const size_t len = std::min<size_t>(label.size(), 255);
            names.push_back(uint8_t(len));
            names.insert(names.end(), label.begin(), label.begin() + long(len));
        }
        names.push_back(0);
    }
    size = (size + 7) / 8 * 8;
    names.resize(size - 8, 0);
    b.insert(b.end(), {kOptDnssl, uint8_t(size / 8), 0, 0});
    putBe(b, 0xffffffff, 4);
    b.insert(b.end(), names.begin(), names.end());
}

// RFC 4191 routes, "PRF-prefix,...": OVN's encode_ra_route_info_opt (the
// first word of each entry is the preference, the others prefixes; a word
// that is no IPv6 prefix ends the list).
void putRouteInfo(Bytes &b, const std::string &route_info) {
    for (const auto &entry : split(route_info, ',')) {
        const auto words = split(entry, '-');
        for (size_t i = 1; i < words.size(); ++i) {
            auto p = iovisor::parseIpv6Prefix(words[i]);
            if (!p.ok()) return;
            const size_t units = (p->len + 63) / 64;
            b.insert(b.end(), {kOptRouteInfo, uint8_t(1 + units), p->len, preference(words[0])});
            putBe(b, 0xffffffff, 4);
            const auto net = iovisor::networkOf(*p);
            b.insert(b.end(), net.begin(), net.begin() + long(units * 8));
        }
    }
}

Bytes header(const Config &c) {
    Bytes b = {kRouterAdvert, 0, 0, 0, kCurHopLimit, c.flags};
    putBe(b, 0xffff, 2);  // router lifetime
    putBe(b, 0, 4);       // reachable time
    putBe(b, 0, 4);       // retransmission timer
    return b;
}

// The answer to a solicitation, options in put_nd_ra_opts' order.
Bytes solicitedMessage(const Config &c) {
    Bytes b = header(c);
    putSourceLl(b, c.mac);
    if (c.mtu) putMtu(b, *c.mtu);
    if (c.rdnss) putRdnss(b, *c.rdnss);
    if (!c.dnssl.empty()) putDnssl(b, c.dnssl);
    if (!c.route_info.empty()) putRouteInfo(b, c.route_info);
    for (const auto &p : c.prefixes) putPrefix(b, p, c.managed ? kOnLink : kOnLink | kAutonomous);
    return b;
}

// pinctrl's periodic advertisement, options in ipv6_ra_send's order.
Bytes periodicMessage(const Config &c) {
    Bytes b = header(c);
    putSourceLl(b, c.mac);
    if (c.mtu) putMtu(b, *c.mtu);
    for (const auto &p : c.prefixes) putPrefix(b, p, c.managed ? kOnLink : kOnLink | kAutonomous);
    if (c.rdnss) putRdnss(b, *c.rdnss);
    if (!c.dnssl.empty()) putDnssl(b, c.dnssl);
    if (!c.route_info.empty()) putRouteInfo(b, c.route_info);
    return b;
}

PeriodicAdvert periodic(const Config &c, const ovnmon::StringMap &ra) {
    PeriodicAdvert out;
    out.max_interval = std::clamp(number(ra, "max_interval").value_or(kMaxIntervalDefault), kMaxIntervalMin, kMaxIntervalMax);
    const int min_default = out.max_interval >= 9 ? out.max_interval / 3 : out.max_interval * 3 / 4;
    out.min_interval = std::clamp(number(ra, "min_interval").value_or(min_default), kMinIntervalMin, out.max_interval * 3 / 4);
    namespace pkt = iovisor::packet;
    const iovisor::Ip6 src = iovisor::linkLocal(c.mac);
    const iovisor::Ip6 all_nodes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const iovisor::Mac all_nodes_mac = {0x33, 0x33, 0, 0, 0, 1};
    out.frame = pkt::eth(all_nodes_mac, c.mac, pkt::kEthIp6,
                         pkt::ipv6(src, all_nodes, 58, pkt::icmp6(src, all_nodes, periodicMessage(c)), 255));
    return out;
}

}  // namespace

Result<RouterAdverts> routerAdverts(const ovnmon::LogicalRouterPort &lrp) {
    RouterAdverts out;
    const std::string mode = valueOf(lrp.ipv6_ra_configs, "address_mode");
    if (mode.empty()) return out;
    auto config = readConfig(lrp, mode);
    if (!config.ok()) return config.error();
    if (!config->prefixes.empty()) {
        l2::RouterAdvert ra;
        ra.mac = config->mac;
        ra.src = iovisor::linkLocal(config->mac);
        ra.message = solicitedMessage(*config);
        out.solicited = std::move(ra);
    }
    if (valueOf(lrp.ipv6_ra_configs, "send_periodic") == "true") out.periodic = periodic(*config, lrp.ipv6_ra_configs);
    return out;
}

}  // namespace ctl
