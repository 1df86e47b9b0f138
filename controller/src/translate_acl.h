// A logical switch's OVN ACLs (its own and its port groups', ovn-nb(5)) as
// the policies of its l2switch (hover/model/acl.h), with ovn-northd's
// semantics: the highest priority wins per direction, no ACL allows, and a
// switch with an allow-related ACL tracks the IP connections of its ports
// (but router and localnet ports, as northd skips conntrack for them).
// An ACL whose match cannot be compiled is reported and drops what it could
// match on the ports it applies to (fail closed).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "acl_match.h"
#include "hover/model/l2switch.h"
#include "ovnmon/state.h"

namespace ctl {

// A switch port (its number on the l2switch) and the OVN port it is.
using SwitchPorts = std::map<uint32_t, const ovnmon::LogicalSwitchPort *>;

// An ACL that cannot be applied as written.
struct AclProblem {
    std::string acl;  // uuid
    std::string match;
    std::string error;
};

// What ACL matches name, across the Northbound: @name and $name (port
// groups by port name, address sets, and the sets northd derives from each
// port group, <pg>_ip4 and <pg>_ip6: its ports' addresses), and the port
// groups of each port. Made once for all the switches a round translates.
struct AclNames {
    std::map<std::string, std::vector<std::string>> port_groups, address_sets;
    std::map<std::string, std::vector<std::string>> groups_of_port;  // LSP uuid -> port group names
    // ACL matches parsed with these names, by ACL uuid, as switches need
    // them (each parsed once, not once per switch: a group's address set
    // may hold thousands of addresses). Valid while the ACLs are.
    mutable std::map<std::string, iovisor::Result<acl::Expr>> parsed;
};
AclNames aclNames(const ovnmon::NbState &nb);

// `sets_named`: the address sets the switch's ACLs name, whose changes it
// must follow.
void switchAcls(const ovnmon::NbState &nb, const AclNames &names, const ovnmon::LogicalSwitch &ls,
                const SwitchPorts &ports, hover::model::l2switch::Switch &sw, std::vector<AclProblem> *problems,
                std::set<std::string> *sets_named);

// An ACL in force for a port (iovisorctl acl): one whose match can hold for
// the port's packets in its direction; `error` says why it drops what it
// may match instead (fail closed).
struct AclInForce {
    std::string uuid, name, direction, action, match, error;
    int64_t priority = 0;
    uint32_t number = 0;  // in the datapath (its hit counter's key)
};
// By switch port uuid, per direction, highest priority first (the switch's
// ACLs parsed once for all its ports).
std::map<std::string, std::vector<AclInForce>> aclsInForce(const ovnmon::NbState &nb, const ovnmon::LogicalSwitch &ls);

}  // namespace ctl
