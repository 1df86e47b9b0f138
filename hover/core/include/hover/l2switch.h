// An l2switch module instance configured through the typed model
// (hover/model/l2switch.h): each call changes what the switch should hold
// and writes the difference, exactly as the controller's reconciler would.
#pragma once

#include <vector>

#include "hover/model/l2switch.h"
#include "hover/module.h"

namespace hover {

struct L2PortSettings {
    bool enabled = true;
    bool learn = false;  // accepts unknown source MACs (OVN "unknown" address)
    bool answered_by_owners = false;  // ARP/NS from it flooded, not answered (OVN localnet)
};

// One OVN port_security entry: a MAC and the addresses it may use. No
// addresses means only the MAC is enforced.
using PortSecurityEntry = model::l2switch::Addresses;

// A port's ACL stage: its policies from and to it (ids in the switch's
// policies, 0: none) and whether its IP connections are tracked.
struct PortAcls {
    uint32_t from = 0, to = 0;
    bool track = false;
};

class L2Switch {
public:
    explicit L2Switch(Module &module) : module_(module) {}

    iovisor::Status setPort(uint32_t port, const L2PortSettings &settings);
    iovisor::Status addFdb(const iovisor::Mac &mac, uint32_t port);
    iovisor::Status removeFdb(const iovisor::Mac &mac);
    // ARP requests for `ipv4` are answered with `mac` (which also goes to
    // the fdb), except those from `port`, its owner.
    iovisor::Status addArpResponder(uint32_t ipv4, const iovisor::Mac &mac, uint32_t port);
    // Neighbor Solicitations for `ip` are answered with `mac` (with the
    // router flag when `router`), except those from `port`, its owner.
    iovisor::Status addNdResponder(const iovisor::Ip6 &ip, const iovisor::Mac &mac, uint32_t port, bool router);
    iovisor::Status removeArpResponder(uint32_t ipv4);
    // Replaces the whole port security set of `port` (empty = no port security).
    iovisor::Status setPortSecurity(uint32_t port, const std::vector<PortSecurityEntry> &entries);
    // Replaces the switch's ACL policies and every port's use of them.
    iovisor::Status setAcls(std::map<uint32_t, model::acl::Policy> policies, const std::map<uint32_t, PortAcls> &ports);
    // How the log lines of ACLs with `log` name them, and their log meters.
    iovisor::Status setAclLogs(std::map<uint32_t, model::l2switch::AclLog> logs, std::map<uint32_t, acl_meter> meters);

    // Replaces what the switch answers the port's DHCPv4 requests with.
    iovisor::Status setDhcp4(uint32_t port, std::vector<model::l2switch::Dhcp4> answers);
    iovisor::Status setDhcp6(uint32_t port, std::vector<model::l2switch::Dhcp6> answers);
    // What Router Solicitations are answered with (nullopt: not answered).
    iovisor::Status setRouterAdvert(std::optional<model::l2switch::RouterAdvert> ra);
    iovisor::Status setDns(std::vector<model::l2switch::DnsRecord> records);

    // XDP instances flood through devmaps of their netdev ports; call after
    // a port's peer changes (every change above calls it too).
    iovisor::Status syncFloodPort(uint32_t port);

private:
    iovisor::Status sync();
    Module &module_;
    model::l2switch::Switch switch_;
    model::Entries installed_;
};

}  // namespace hover
