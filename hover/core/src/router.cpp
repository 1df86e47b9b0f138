#include "hover/router.h"

#include <algorithm>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;
namespace rt = model::router;

namespace {

// Adds `route`, replacing one for the same prefix.
template <typename Route>
void replaceRoute(std::vector<Route> &routes, const Route &route) {
    routes.erase(std::remove_if(routes.begin(), routes.end(),
                                [&](const Route &r) { return iovisor::sameNetwork(r.prefix, route.prefix); }),
                 routes.end());
    routes.push_back(route);
}

}  // namespace

Status Router::sync() { return module_.sync(rt::kType, &installed_, rt::entries(router_)); }

Status Router::setPort(uint32_t port, const RouterPortSettings &settings) {
    router_.ports[port] = rt::Port{settings.mac, settings.enabled, settings.networks, settings.networks6};
    return sync();
}

Status Router::removePort(uint32_t port) {
    router_.ports.erase(port);
    return sync();
}

Status Router::addRoute(const iovisor::Ipv4Prefix &prefix, uint32_t nexthop) {
    const rt::Route route{prefix, nexthop, std::nullopt};
    if (!rt::routeEntry(router_, route))
        return makeError(Errc::kInvalid, "next hop " + iovisor::formatIpv4(nexthop) + " is on no connected network");
    replaceRoute(router_.routes, route);
    return sync();
}

Status Router::addDiscardRoute(const iovisor::Ipv4Prefix &prefix) {
    replaceRoute(router_.routes, rt::Route{prefix, std::nullopt, std::nullopt});
    return sync();
}

Status Router::removeRoute(const iovisor::Ipv4Prefix &prefix) {
    auto &r = router_.routes;
    r.erase(std::remove_if(r.begin(), r.end(), [&](const rt::Route &x) { return iovisor::sameNetwork(x.prefix, prefix); }),
            r.end());
    return sync();
}

Status Router::addNeighbor(uint32_t ip, const iovisor::Mac &mac) {
    router_.neighbors[ip] = mac;
    return sync();
}

Status Router::removeNeighbor(uint32_t ip) {
    router_.neighbors.erase(ip);
    return sync();
}

Status Router::addRoute6(const iovisor::Ipv6Prefix &prefix, const iovisor::Ip6 &nexthop) {
    const rt::Route6 route{prefix, nexthop, std::nullopt};
    if (!rt::routeEntry(router_, route))
        return makeError(Errc::kInvalid, "next hop " + iovisor::formatIpv6(nexthop) + " is on no connected network");
    replaceRoute(router_.routes6, route);
    return sync();
}

Status Router::addNeighbor6(const iovisor::Ip6 &ip, const iovisor::Mac &mac) {
    router_.neighbors6[ip] = mac;
    return sync();
}

}  // namespace hover
