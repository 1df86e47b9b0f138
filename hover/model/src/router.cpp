#include "hover/model/router.h"

namespace hover::model::router {

const ModuleTypeDesc kType = {
    "router",
    {&kAddrs.desc, &kRoutes.desc, &kNeighbors.desc, &kAddrs6.desc, &kRoutes6.desc, &kNeighbors6.desc, &kPorts.desc},
    {&kConfigGen.desc},
};

namespace {

rt_route_key routeKey(const iovisor::Ipv4Prefix &p) { return rt_route_key{p.len, iovisor::networkOf(p)}; }

rt_route6_key routeKey(const iovisor::Ipv6Prefix &p) {
    rt_route6_key key{};
    key.prefixlen = p.len;
    const iovisor::Ip6 net = iovisor::networkOf(p);
    std::memcpy(key.addr, net.data(), 16);
    return key;
}

rt_ip6 ip6(const iovisor::Ip6 &addr) {
    rt_ip6 k{};
    std::memcpy(k.addr, addr.data(), 16);
    return k;
}

const std::vector<iovisor::Ipv4Prefix> &networksOf(const Port &p, const iovisor::Ipv4Prefix *) { return p.networks; }
const std::vector<iovisor::Ipv6Prefix> &networksOf(const Port &p, const iovisor::Ipv6Prefix *) { return p.networks6; }

// The (port, network) a next hop is reached through: the longest network
// holding it, on `output_port` if one is given.
template <typename Prefix, typename Addr>
std::optional<std::pair<uint32_t, Prefix>> egress(const Router &rt, const Addr &nexthop,
                                                  std::optional<uint32_t> output_port) {
    std::optional<std::pair<uint32_t, Prefix>> best;
    for (const auto &[port, p] : rt.ports) {
        if (output_port && *output_port != port) continue;
        for (const Prefix &net : networksOf(p, static_cast<const Prefix *>(nullptr)))
            if (iovisor::contains(net, nexthop) && (!best || net.len > best->second.len)) best = {{port, net}};
    }
    return best;
}

void portEntries(Entries &out, uint32_t port, const Port &p) {
    rt_port cfg{};
    std::memcpy(cfg.mac, p.mac.data(), 6);
    cfg.flags = p.enabled ? RT_PORT_ENABLED : 0;
    cfg.ip = p.networks.empty() ? 0 : p.networks.front().addr;
    if (!p.networks6.empty()) std::memcpy(cfg.ip6, p.networks6.front().addr.data(), 16);
    out.put(kPorts, port, cfg);
    for (const auto &net : p.networks) {
        out.put(kAddrs, net.addr, rt_addr{port});
        out.put(kRoutes, routeKey(net), rt_route{RT_ROUTE_CONNECTED, port, 0, net.addr});
    }
    for (const auto &net : p.networks6) {
        out.put(kAddrs6, ip6(net.addr), rt_addr{port});
        rt_route6 connected{};
        connected.type = RT_ROUTE_CONNECTED;
        connected.port = port;
        std::memcpy(connected.src_addr, net.addr.data(), 16);
        out.put(kRoutes6, routeKey(net), connected);
    }
    if (!p.networks6.empty()) out.put(kAddrs6, ip6(iovisor::linkLocal(p.mac)), rt_addr{port});
}

rt_neigh staticNeighbor(const iovisor::Mac &mac) {
    rt_neigh n{};
    std::memcpy(n.mac, mac.data(), 6);
    n.flags = RT_NEIGH_STATIC;
    return n;
}

}  // namespace

std::optional<rt_route> routeEntry(const Router &rt, const Route &route) {
    if (!route.nexthop) return rt_route{RT_ROUTE_DISCARD, 0, 0, 0};
    auto via = egress<iovisor::Ipv4Prefix>(rt, *route.nexthop, route.output_port);
    if (!via) return std::nullopt;
    return rt_route{RT_ROUTE_VIA, via->first, *route.nexthop, via->second.addr};
}

std::optional<rt_route6> routeEntry(const Router &rt, const Route6 &route) {
    rt_route6 out{};
    out.type = RT_ROUTE_DISCARD;
    if (!route.nexthop) return out;
    auto via = egress<iovisor::Ipv6Prefix>(rt, *route.nexthop, route.output_port);
    if (!via) return std::nullopt;
    out.type = RT_ROUTE_VIA;
    out.port = via->first;
    std::memcpy(out.nexthop, route.nexthop->data(), 16);
    std::memcpy(out.src_addr, via->second.addr.data(), 16);
    return out;
}

Entries entries(const Router &rt) {
    Entries out;
    for (const auto &[port, p] : rt.ports) portEntries(out, port, p);
    for (const auto &r : rt.routes)
        if (auto e = routeEntry(rt, r)) out.put(kRoutes, routeKey(r.prefix), *e);
    for (const auto &r : rt.routes6)
        if (auto e = routeEntry(rt, r)) out.put(kRoutes6, routeKey(r.prefix), *e);
    for (const auto &[ip, mac] : rt.neighbors) out.put(kNeighbors, ip, staticNeighbor(mac));
    for (const auto &[ip, mac] : rt.neighbors6) out.put(kNeighbors6, ip6(ip), staticNeighbor(mac));
    return out;
}

}  // namespace hover::model::router
