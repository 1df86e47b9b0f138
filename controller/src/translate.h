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

// `ports` keeps port numbers stable across recomputes (and restarts: it is
// seeded from the module configs stored in hoverd).
DesiredState translate(const TranslateInput &in, PortAllocator &ports);

}  // namespace ctl
