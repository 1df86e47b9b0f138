// A nat module instance (OVN NAT on a router port) configured through the
// typed model (hover/model/nat.h): snat, dnat and dnat_and_snat rules, ARP
// answers for external addresses, and a view of the connections being
// translated. Each call writes the difference.
#pragma once

#include <vector>

#include "hover/model/nat.h"
#include "hover/module.h"

namespace hover {

class Nat {
public:
    explicit Nat(Module &module) : module_(module) {}

    // OVN snat: sources in `inside` leave as `external_ip`, ports from the range.
    iovisor::Status addSnat(const iovisor::Ipv4Prefix &inside, uint32_t external_ip, uint16_t port_min = 1024,
                            uint16_t port_max = 65535);
    iovisor::Status removeSnat(const iovisor::Ipv4Prefix &inside);
    // OVN dnat: connections to `external_ip` go to `logical_ip`.
    iovisor::Status addDnat(uint32_t external_ip, uint32_t logical_ip);
    iovisor::Status removeDnat(uint32_t external_ip);
    // OVN dnat_and_snat: 1:1 floating IP.
    iovisor::Status addDnatAndSnat(uint32_t external_ip, uint32_t logical_ip);
    iovisor::Status removeDnatAndSnat(uint32_t external_ip);
    // Answer ARP for `external_ip` on the outside port with `mac`.
    iovisor::Status addArpExternal(uint32_t external_ip, const iovisor::Mac &mac);
    iovisor::Status removeArpExternal(uint32_t external_ip);

    // The connections it tracks (its zone of the shared connection table).
    struct Connection {
        iov_ct_key key;
        iov_ct_entry entry;
    };
    iovisor::Result<std::vector<Connection>> connections() const;

private:
    iovisor::Status sync();
    Module &module_;
    model::nat::Nat nat_;
    model::Entries installed_;
};

}  // namespace hover
