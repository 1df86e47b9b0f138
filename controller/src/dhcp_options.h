// OVN's native DHCPv4 (ovn-nb(5) DHCP_Options, LSP dhcpv4_options) as what
// the switch answers a port's requests with: the offer per address and the
// reply's options in wire format, as northd's put_dhcp_opts action and
// ovn-controller's pinctrl make them (option names, types and order from
// OVN's lib/ovn-l7.h and lib/actions.c), computed once per port instead of
// per request.
#pragma once

#include <string>
#include <vector>

#include "hover/model/l2switch.h"
#include "iovisor/result.h"
#include "ovnmon/state.h"

namespace ctl {

// The answers for a port's addresses: one per address entry with an IPv4
// address in the options' cidr (the first such address is offered). An
// error names what OVN would not accept either (the port then gets no
// DHCP, as in OVN): a missing server_id, server_mac or lease_time, an
// unknown option, a value of the wrong type, a reply that does not fit.
iovisor::Result<std::vector<hover::model::l2switch::Dhcp4>> dhcp4Answers(
    const ovnmon::DhcpOptions &options, const ovnmon::StringMap &port_options,
    const std::vector<hover::model::l2switch::Addresses> &addresses);

// The same for DHCPv6 (LSP dhcpv6_options): per address entry with an IPv6
// address in the cidr, that address in an IA_NA (unless the options say
// dhcpv6_stateless=true), server_id (a MAC: its DUID-LL, its link-local
// address the server's), dns_server, domain_search, bootfile_name(_alt).
iovisor::Result<std::vector<hover::model::l2switch::Dhcp6>> dhcp6Answers(
    const ovnmon::DhcpOptions &options, const std::vector<hover::model::l2switch::Addresses> &addresses);

}  // namespace ctl
