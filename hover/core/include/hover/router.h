// A router module instance configured through the typed model
// (hover/model/router.h): ports with their networks (which also give the
// connected routes and the router's own addresses), static and discard
// routes, static neighbours. Each call writes the difference.
#pragma once

#include <vector>

#include "hover/model/router.h"
#include "hover/module.h"

namespace hover {

struct RouterPortSettings {
    iovisor::Mac mac{};
    std::vector<iovisor::Ipv4Prefix> networks;  // "10.0.0.1/24": address + its network
    bool enabled = true;
    std::vector<iovisor::Ipv6Prefix> networks6;  // "fd00::1/64"
};

class Router {
public:
    explicit Router(Module &module) : module_(module) {}

    iovisor::Status setPort(uint32_t port, const RouterPortSettings &settings);
    iovisor::Status removePort(uint32_t port);
    // Static route via `nexthop`, which must be on a connected network.
    iovisor::Status addRoute(const iovisor::Ipv4Prefix &prefix, uint32_t nexthop);
    iovisor::Status addDiscardRoute(const iovisor::Ipv4Prefix &prefix);
    iovisor::Status removeRoute(const iovisor::Ipv4Prefix &prefix);
    iovisor::Status addNeighbor(uint32_t ip, const iovisor::Mac &mac);
    iovisor::Status removeNeighbor(uint32_t ip);
    // IPv6: static route via `nexthop` (on a connected network), neighbours.
    iovisor::Status addRoute6(const iovisor::Ipv6Prefix &prefix, const iovisor::Ip6 &nexthop);
    iovisor::Status addNeighbor6(const iovisor::Ip6 &ip, const iovisor::Mac &mac);

private:
    iovisor::Status sync();
    Module &module_;
    model::router::Router router_;
    model::Entries installed_;
};

}  // namespace hover
