// The router module type: its tables and the rules that turn a logical
// router (ports with their networks, static routes, neighbours) into their
// entries. A port's networks also give the router's own addresses and the
// connected routes.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "hover/model/module_type.h"
#include "iovisor/net.h"
#include "lib/tables.h"

namespace hover::model::router {

// Every router's entries live in the hook's shared maps (bpf/router.bpf.c).
inline constexpr auto kPorts = sharedArray<rt_port>("ports", "rt_ports", IOV_MAX_PORTS);
inline constexpr auto kAddrs = sharedTable<uint32_t, rt_addr>("addrs", "rt_addrs");
inline constexpr auto kRoutes = sharedTable<rt_route_key, rt_route>("routes", "rt_routes", true);
inline constexpr auto kNeighbors =
    sharedTable<uint32_t, rt_neigh>("neighbors", "rt_neighbors", false, &learnedBy<rt_neigh, RT_NEIGH_LEARNED>);
inline constexpr auto kAddrs6 = sharedTable<rt_ip6, rt_addr>("addrs6", "rt_addrs6");
inline constexpr auto kRoutes6 = sharedTable<rt_route6_key, rt_route6>("routes6", "rt_routes6", true);
inline constexpr auto kNeighbors6 =
    sharedTable<rt_ip6, rt_neigh>("neighbors6", "rt_neighbors6", false, &learnedBy<rt_neigh, RT_NEIGH_LEARNED>);

extern const ModuleTypeDesc kType;

struct Port {
    iovisor::Mac mac{};
    bool enabled = true;
    std::vector<iovisor::Ipv4Prefix> networks;   // "10.0.0.1/24": address + its network
    std::vector<iovisor::Ipv6Prefix> networks6;  // with them, the link-local address of `mac`
};

// A static route: via `nexthop` (out of `output_port` if set, else the port
// whose network holds the next hop), or discard when there is no next hop.
struct Route {
    iovisor::Ipv4Prefix prefix;
    std::optional<uint32_t> nexthop;
    std::optional<uint32_t> output_port;
};

struct Route6 {
    iovisor::Ipv6Prefix prefix;
    std::optional<iovisor::Ip6> nexthop;
    std::optional<uint32_t> output_port;
};

struct Router {
    std::map<uint32_t, Port> ports;
    std::vector<Route> routes;
    std::vector<Route6> routes6;
    std::map<uint32_t, iovisor::Mac> neighbors;  // static: from the control plane
    std::map<iovisor::Ip6, iovisor::Mac> neighbors6;
};

// The entry a static route becomes; none if its next hop is on no network
// of the router (or of its output port).
std::optional<rt_route> routeEntry(const Router &rt, const Route &route);
std::optional<rt_route6> routeEntry(const Router &rt, const Route6 &route);

Entries entries(const Router &rt);

}  // namespace hover::model::router
