// OVN -> IOModule graph. A pure function of its inputs, so a full recompute
// from the databases and the incremental path through the reconciler must
// agree (tests compare them). Only the local datapaths are instantiated (the
// switches with a port on this chassis and what their routers reach), as
// ovn-controller does.
//   logical switch  -> l2switch "ls-<uuid>"
//   logical router  -> router   "lr-<uuid>"
//   router NAT      -> nat      "nat-<uuid>" between the gateway router port
//                                and its switch
//   VIF port        -> a link to the tap/veth whose iface-id names it
//   localnet port   -> links to the interfaces of the bridge its network maps to
#pragma once

#include <set>
#include <string>

#include "desired_state.h"
#include "ovnmon/state.h"
#include "port_allocator.h"

namespace ctl {

struct TranslateInput {
    const ovnmon::NbState &nb;
    const ovnmon::SbState &sb;
    const ovnmon::OvsState &ovs;
    std::string chassis;  // our chassis name (OVS system-id)
};

// Everything, from scratch (engine.h keeps it up to date incrementally, and
// must always agree with this). `ports` keeps port numbers stable across
// recomputes (and restarts: it is seeded from the module configs stored in
// hoverd).
DesiredState translate(const TranslateInput &in, PortAllocator &ports);

class NbIndex;

// One datapath (a logical switch or router, by uuid): its modules, links and
// bindings. The module configs' "ports" are the engine's to fill.
DesiredState translateDatapath(const TranslateInput &in, const NbIndex &index, PortAllocator &ports,
                               const std::string &uuid);
// What makes datapaths local (OVN's local_datapaths): a switch with a port
// on this chassis, and what its routers reach.
bool hasLocalPort(const TranslateInput &in, const NbIndex &index, const ovnmon::LogicalSwitch &ls);
std::set<std::string> routersOf(const TranslateInput &in, const NbIndex &index, const ovnmon::LogicalSwitch &ls);
std::set<std::string> peersOf(const TranslateInput &in, const NbIndex &index, const ovnmon::LogicalRouter &lr);

}  // namespace ctl
