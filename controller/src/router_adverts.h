// OVN's IPv6 router advertisements (ovn-nb(5) Logical_Router_Port
// ipv6_ra_configs) as bytes: the advertisement that answers a Router
// Solicitation (northd's put_nd_ra_opts, answered by the switch in the
// kernel) and the periodic one (ovn-controller's pinctrl, sent by
// iovisor-ovnd), laid out as OVN lays them out.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hover/model/l2switch.h"
#include "iovisor/result.h"
#include "ovnmon/state.h"

namespace ctl {

// An unsolicited advertisement: the whole frame (to ff02::1, checksummed)
// and the interval between two, in seconds (a random time in [min, max]).
struct PeriodicAdvert {
    std::vector<uint8_t> frame;
    int min_interval = 0, max_interval = 0;
};

struct RouterAdverts {
    // What answers solicitations; none if the port has no IPv6 prefix (as northd).
    std::optional<hover::model::l2switch::RouterAdvert> solicited;
    std::optional<PeriodicAdvert> periodic;  // send_periodic=true
};

// The port's advertisements, none if it has no address_mode. An error names
// what OVN refuses too (it then advertises nothing): an unknown address_mode,
// an rdnss that is no IPv6 address, a bad MAC.
iovisor::Result<RouterAdverts> routerAdverts(const ovnmon::LogicalRouterPort &lrp);

}  // namespace ctl
