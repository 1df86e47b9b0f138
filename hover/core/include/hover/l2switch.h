// Configuration API of an l2switch module instance: typed writes to its
// tables (ports, fdb, arp_responder, port security). hoverd's REST layer and
// the controller's desired state both end here.
#pragma once

#include <vector>

#include "hover/module.h"
#include "iovisor/net.h"
#include "lib/tables.h"

namespace hover {

struct L2PortSettings {
    bool enabled = true;
    bool learn = false;  // accepts unknown source MACs (OVN "unknown" address)
};

// One OVN port_security entry: a MAC and the addresses it may use. No
// addresses means only the MAC is enforced.
struct PortSecurityEntry {
    iovisor::Mac mac{};
    std::vector<iovisor::Ipv4Prefix> ipv4;
    std::vector<iovisor::Ipv6Prefix> ipv6;
};

class L2Switch {
public:
    explicit L2Switch(Module &module) : module_(module) {}

    iovisor::Status setPort(uint32_t port, const L2PortSettings &settings);
    iovisor::Status addFdb(const iovisor::Mac &mac, uint32_t port);
    iovisor::Status removeFdb(const iovisor::Mac &mac);
    iovisor::Status addArpResponder(uint32_t ipv4, const iovisor::Mac &mac, uint32_t port);
    // Neighbor Solicitations for `ip` are answered with `mac` (with the
    // router flag when `router`), except those from `port`, its owner.
    iovisor::Status addNdResponder(const iovisor::Ip6 &ip, const iovisor::Mac &mac, uint32_t port, bool router);
    iovisor::Status removeArpResponder(uint32_t ipv4);
    // Replaces the whole port security set of `port` (empty = no port security).
    iovisor::Status setPortSecurity(uint32_t port, const std::vector<PortSecurityEntry> &entries);

    // XDP instances flood through devmaps of their netdev ports; call after
    // a port's peer changes (setPort and setPortSecurity call it too).
    iovisor::Status syncFloodPort(uint32_t port);

private:
    iovisor::Status clearPortSecurity(uint32_t port);
    Module &module_;
};

}  // namespace hover
