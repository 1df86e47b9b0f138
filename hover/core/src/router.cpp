#include "hover/router.h"

#include <cstring>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;

namespace {
rt_route6_key routeKey6(const iovisor::Ipv6Prefix &p) {
    rt_route6_key key{};
    key.prefixlen = p.len;
    const iovisor::Ip6 network = iovisor::networkOf(p);
    std::memcpy(key.addr, network.data(), 16);
    return key;
}

// A static neighbour in the IPv4 or IPv6 table.
template <typename Key>
Status putStaticNeighbor(const Module &module, const std::string &table, const Key &key, const iovisor::Mac &mac) {
    auto neighbors = module.map<Key, rt_neigh>(table);
    if (!neighbors.ok()) return neighbors.error();
    rt_neigh n{};
    std::memcpy(n.mac, mac.data(), 6);
    n.flags = RT_NEIGH_STATIC;
    return neighbors->update(key, n);
}

rt_ip6 ip6Key(const iovisor::Ip6 &ip) {
    rt_ip6 key{};
    std::memcpy(key.addr, ip.data(), 16);
    return key;
}

rt_route_key routeKey(const iovisor::Ipv4Prefix &p) {
    rt_route_key key{};
    key.prefixlen = p.len;
    key.addr = iovisor::networkOf(p);
    return key;
}
}  // namespace

Status Router::putRoute(const iovisor::Ipv4Prefix &prefix, const rt_route &route) {
    auto routes = module_.map<rt_route_key, rt_route>("routes");
    if (!routes.ok()) return routes.error();
    return routes->update(routeKey(prefix), route);
}

Status Router::setPort(uint32_t port, const RouterPortSettings &settings) {
    const Module::ConfigChange change{module_};
    auto ports = module_.map<uint32_t, rt_port>("ports");
    auto addrs = module_.map<uint32_t, rt_addr>("addrs");
    if (!ports.ok()) return ports.error();
    if (!addrs.ok()) return addrs.error();
    if (auto s = removePort(port); !s.ok()) return s;

    rt_port cfg{};
    std::memcpy(cfg.mac, settings.mac.data(), 6);
    cfg.flags = settings.enabled ? RT_PORT_ENABLED : 0;
    cfg.ip = settings.networks.empty() ? 0 : settings.networks.front().addr;
    if (!settings.networks6.empty()) std::memcpy(cfg.ip6, settings.networks6.front().addr.data(), 16);
    for (const auto &net : settings.networks) {
        if (auto s = addrs->update(net.addr, rt_addr{port}); !s.ok()) return s;
        rt_route connected{};
        connected.type = RT_ROUTE_CONNECTED;
        connected.port = port;
        connected.src = net.addr;
        if (auto s = putRoute(net, connected); !s.ok()) return s;
    }
    auto addrs6 = module_.map<rt_ip6, rt_addr>("addrs6");
    auto routes6 = module_.map<rt_route6_key, rt_route6>("routes6");
    if (!addrs6.ok()) return addrs6.error();
    if (!routes6.ok()) return routes6.error();
    for (const auto &net : settings.networks6) {
        if (auto s = addrs6->update(ip6Key(net.addr), rt_addr{port}); !s.ok()) return s;
        rt_route6 connected{};
        connected.type = RT_ROUTE_CONNECTED;
        connected.port = port;
        std::memcpy(connected.src_addr, net.addr.data(), 16);
        if (auto s = routes6->update(routeKey6(net), connected); !s.ok()) return s;
    }
    return ports->update(port, cfg);
}

Status Router::removePort(uint32_t port) {
    const Module::ConfigChange change{module_};
    auto ports = module_.map<uint32_t, rt_port>("ports");
    auto addrs = module_.map<uint32_t, rt_addr>("addrs");
    auto routes = module_.map<rt_route_key, rt_route>("routes");
    if (!ports.ok()) return ports.error();
    if (!addrs.ok()) return addrs.error();
    if (!routes.ok()) return routes.error();
    for (uint32_t ip : addrs->keys()) {
        auto a = addrs->lookup(ip);
        if (a.ok() && a->port == port) (void)addrs->remove(ip);
    }
    for (const auto &key : routes->keys()) {
        auto r = routes->lookup(key);
        if (r.ok() && r->type != RT_ROUTE_DISCARD && r->port == port) (void)routes->remove(key);
    }
    auto addrs6 = module_.map<rt_ip6, rt_addr>("addrs6");
    auto routes6 = module_.map<rt_route6_key, rt_route6>("routes6");
    if (!addrs6.ok()) return addrs6.error();
    if (!routes6.ok()) return routes6.error();
    for (const auto &ip : addrs6->keys()) {
        auto a = addrs6->lookup(ip);
        if (a.ok() && a->port == port) (void)addrs6->remove(ip);
    }
    for (const auto &key : routes6->keys()) {
        auto r = routes6->lookup(key);
        if (r.ok() && r->type != RT_ROUTE_DISCARD && r->port == port) (void)routes6->remove(key);
    }
    return ports->update(port, rt_port{});
}

Status Router::addRoute(const iovisor::Ipv4Prefix &prefix, uint32_t nexthop) {
    const Module::ConfigChange change{module_};
    auto routes = module_.map<rt_route_key, rt_route>("routes");
    if (!routes.ok()) return routes.error();
    rt_route_key probe{32, nexthop};
    auto connected = routes->lookup(probe);
    if (!connected.ok() || connected->type != RT_ROUTE_CONNECTED)
        return makeError(Errc::kInvalid, "next hop " + iovisor::formatIpv4(nexthop) + " is on no connected network");
    rt_route via{};
    via.type = RT_ROUTE_VIA;
    via.port = connected->port;
    via.nexthop = nexthop;
    via.src = connected->src;
    return putRoute(prefix, via);
}

Status Router::addDiscardRoute(const iovisor::Ipv4Prefix &prefix) {
    const Module::ConfigChange change{module_};
    rt_route discard{};
    discard.type = RT_ROUTE_DISCARD;
    return putRoute(prefix, discard);
}

Status Router::removeRoute(const iovisor::Ipv4Prefix &prefix) {
    const Module::ConfigChange change{module_};
    auto routes = module_.map<rt_route_key, rt_route>("routes");
    if (!routes.ok()) return routes.error();
    return routes->remove(routeKey(prefix));
}

Status Router::addNeighbor(uint32_t ip, const iovisor::Mac &mac) {
    const Module::ConfigChange change{module_};
    return putStaticNeighbor(module_, "neighbors", ip, mac);
}

Status Router::addRoute6(const iovisor::Ipv6Prefix &prefix, const iovisor::Ip6 &nexthop) {
    const Module::ConfigChange change{module_};
    auto routes6 = module_.map<rt_route6_key, rt_route6>("routes6");
    if (!routes6.ok()) return routes6.error();
    auto connected = routes6->lookup(routeKey6({nexthop, 128}));
    // An LPM map answers an exact-length lookup with the longest match.
    if (!connected.ok() || connected->type != RT_ROUTE_CONNECTED)
        return makeError(Errc::kInvalid, "next hop " + iovisor::formatIpv6(nexthop) + " is on no connected network");
    rt_route6 via{};
    via.type = RT_ROUTE_VIA;
    via.port = connected->port;
    std::memcpy(via.nexthop, nexthop.data(), 16);
    std::memcpy(via.src_addr, connected->src_addr, 16);
    return routes6->update(routeKey6(prefix), via);
}

Status Router::addNeighbor6(const iovisor::Ip6 &ip, const iovisor::Mac &mac) {
    const Module::ConfigChange change{module_};
    return putStaticNeighbor(module_, "neighbors6", ip6Key(ip), mac);
}

Status Router::removeNeighbor(uint32_t ip) {
    const Module::ConfigChange change{module_};
    auto neighbors = module_.map<uint32_t, rt_neigh>("neighbors");
    if (!neighbors.ok()) return neighbors.error();
    return neighbors->remove(ip);
}

}  // namespace hover
