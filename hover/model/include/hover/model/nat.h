// The nat module type (OVN NAT on a router's gateway port): its tables and
// the rules that turn snat, dnat and dnat_and_snat into their entries. Its
// connections live in the hook's shared table (bpf/lib/conntrack.h), in the
// instance's zone: the datapath's, not the control plane's.
#pragma once

#include <map>
#include <vector>

#include "hover/model/module_type.h"
#include "iovisor/net.h"
#include "lib/tables.h"

namespace hover::model::nat {

// Every nat instance's entries live in the hook's shared maps (bpf/nat.bpf.c).
inline constexpr auto kSnatRules = sharedTable<nat_snat_key, nat_snat>("snat_rules", "nat_snat_rules", true);
inline constexpr auto kDnatRules = sharedTable<uint32_t, nat_dnat>("dnat_rules", "nat_dnat_rules");
inline constexpr auto kFipIn = sharedTable<uint32_t, nat_fip>("fip_in", "nat_fip_in");
inline constexpr auto kFipOut = sharedTable<uint32_t, nat_fip>("fip_out", "nat_fip_out");
inline constexpr auto kArpExternal = sharedTable<uint32_t, nat_arp>("arp_external", "nat_arp_ext");

extern const ModuleTypeDesc kType;

// OVN snat: sources in `inside` leave as `external_ip`, ports from the range.
struct Snat {
    iovisor::Ipv4Prefix inside;
    uint32_t external_ip = 0;
    uint16_t port_min = 1024, port_max = 65535;
};

struct Nat {
    std::vector<Snat> snat;
    std::map<uint32_t, uint32_t> dnat;           // OVN dnat: external -> logical, stateful
    std::map<uint32_t, uint32_t> floating;       // OVN dnat_and_snat: external <-> logical, 1:1
    std::map<uint32_t, iovisor::Mac> arp_external;  // ARP answered on the outside port
};

Entries entries(const Nat &nat);

}  // namespace hover::model::nat
