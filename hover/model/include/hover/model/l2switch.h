// The l2switch module type: its tables and the rules that turn what a
// logical switch wants (ports, the addresses behind them, port security)
// into their entries.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "hover/model/acl.h"
#include "hover/model/module_type.h"
#include "iovisor/net.h"
#include "lib/tables.h"

namespace hover::model::l2switch {

// Every switch's entries live in the hook's shared maps (bpf/l2switch.bpf.c,
// bpf/lib/port_security.h).
inline constexpr auto kPorts = sharedArray<l2_port>("ports", "l2_ports", IOV_MAX_PORTS);
inline constexpr auto kFdb =
    sharedTable<l2_fdb_key, l2_fdb_entry>("fdb", "l2_fdb", false, &learnedBy<l2_fdb_entry, L2_FDB_LEARNED>);
inline constexpr auto kArpResponder = sharedTable<uint32_t, l2_arp_entry>("arp_responder", "l2_arp_responder");
inline constexpr auto kNdResponder = sharedTable<l2_nd_key, l2_nd_entry>("nd_responder", "l2_nd_responder");
inline constexpr auto kPsMacs = sharedTable<l2_ps_mac_key, l2_ps_mac>("ps_macs", "l2_ps_macs");
inline constexpr auto kPsIpv4Hosts = sharedTable<l2_ps_ipv4_host_key, uint8_t>("ps_ipv4_hosts", "l2_ps_ip4_hosts");
inline constexpr auto kPsIpv6Hosts = sharedTable<l2_ps_ipv6_host_key, uint8_t>("ps_ipv6_hosts", "l2_ps_ip6_hosts");
inline constexpr auto kPsIpv4 = sharedTable<l2_ps_ipv4_key, uint8_t>("ps_ipv4", "l2_ps_ipv4", true);
inline constexpr auto kPsIpv6 = sharedTable<l2_ps_ipv6_key, uint8_t>("ps_ipv6", "l2_ps_ipv6", true);
// The ACL stage (bpf/lib/acl.h, hover/model/acl.h).
inline constexpr auto kAclClasses = sharedTable<acl_class_key, acl_class>("acl_classes", "acl_classes", true);
inline constexpr auto kAclRules = sharedTable<acl_rule_key, acl_verdict>("acl_rules", "acl_rules");
inline constexpr auto kAclPorts = sharedTable<acl_port_key, acl_port>("acl_ports", "acl_ports");
// How the log lines of an ACL with `log` name it, by ACL number (hoverd reads it).
inline constexpr auto kAclLogs = sharedTable<uint32_t, acl_log_info>("acl_logs", "acl_logs");
// The rates of its log meters, by bucket; their tokens are the datapath's.
inline constexpr auto kAclLogMeters = sharedTable<uint32_t, acl_meter>("acl_log_meters", "acl_log_meters");
inline constexpr auto kAclLogMeterState =
    sharedTable<uint32_t, acl_meter_state>("acl_log_meter_state", "acl_log_meter_state");
// Native DHCPv4 (bpf/lib/dhcp.h): a port's answers by client MAC.
inline constexpr auto kDhcp4 = sharedTable<l2_dhcp_key, l2_dhcp4>("dhcp4", "l2_dhcp4");
inline constexpr auto kDhcp6 = sharedTable<l2_dhcp_key, l2_dhcp6>("dhcp6", "l2_dhcp6");
// Router Solicitations (bpf/lib/nd_ra.h): the advertisement, key 0.
inline constexpr auto kRa = sharedTable<uint32_t, l2_ra>("ra", "l2_ra");
// DNS (bpf/lib/dns.h): the answers by record name.
inline constexpr auto kDns = sharedTable<l2_dns_key, l2_dns>("dns", "l2_dns");
// Packets each ACL decided (per CPU): the datapath's, cleared with the switch.
inline constexpr auto kAclHits = sharedTable<uint32_t, uint64_t>("acl_hits", "acl_hits");
// XDP builds only: each switch's devmaps of the netdev ports a flood reaches
// (hoverd keeps them from `ports` and the links).
inline constexpr auto kFloodAll = innerTable<uint32_t, uint32_t>("flood_all", "l2_flood_all");
inline constexpr auto kFloodUnknown = innerTable<uint32_t, uint32_t>("flood_unknown", "l2_flood_unknown");

extern const ModuleTypeDesc kType;

// A MAC and the addresses behind it: an OVN `addresses` or `port_security`
// entry ("02:00:00:00:00:01 10.0.0.1 fd00::1").
struct Addresses {
    iovisor::Mac mac{};
    std::vector<iovisor::Ipv4Prefix> ipv4;
    std::vector<iovisor::Ipv6Prefix> ipv6;
};

// What a port's DHCPv4 requests from `mac` are answered with (OVN's
// put_dhcp_opts): addresses in network order, the reply's options in wire
// format by the segments of l2_dhcp4 (bpf/lib/tables.h).
struct Dhcp4 {
    iovisor::Mac mac{};  // the client: the MAC of the port's address
    uint32_t offer_ip = 0, server_ip = 0;
    iovisor::Mac server_mac{};
    std::optional<uint32_t> next_server;  // siaddr of offers and ACKs
    std::vector<uint8_t> boot_alt, boot, lease, rest;
};
// What a port's DHCPv6 requests from `mac` are answered with (OVN's
// put_dhcpv6_opts): the reply's options after the client id, in segments
// sent when the request has what they need (L2_DHCP6_NEED_*).
struct Dhcp6Segment {
    std::vector<uint8_t> bytes;
    uint8_t needs = 0;
};
struct Dhcp6 {
    iovisor::Mac mac{};
    iovisor::Ip6 server_ip{};  // server_mac's link-local address
    iovisor::Mac server_mac{};
    std::vector<Dhcp6Segment> segments;
};
// What the switch answers Router Solicitations from its other ports with
// (OVN's put_nd_ra_opts on the router port `router_port`): the ICMPv6
// message (checksum zero), sent from the router port's MAC and link-local
// address.
struct RouterAdvert {
    uint32_t router_port = 0;
    iovisor::Mac mac{};
    iovisor::Ip6 src{};
    std::vector<uint8_t> message;
};
// What the switch answers DNS queries for `name` (wire format, lowercase)
// with: resource records in wire format, by query type (OVN's dns_lookup).
struct DnsRecord {
    std::vector<uint8_t> name;
    std::vector<uint8_t> a, aaaa, ptr;
    uint8_t a_count = 0, aaaa_count = 0;
};
// Whether the answers fit the datapath's bounds (tables.h); the model
// leaves out answers that do not (the controller reports them).
bool fits(const Dhcp4 &d);
bool fits(const Dhcp6 &d);
bool fits(const RouterAdvert &ra);
bool fits(const DnsRecord &r);

struct Port {
    bool enabled = true;
    bool learn = false;               // accepts unknown source MACs (OVN "unknown")
    std::vector<Addresses> security;  // OVN port_security; empty: not enforced
    // ARP requests and Neighbor Solicitations from this port are not
    // answered by the switch but flooded, for their owners to answer: a
    // localnet port in OVN, whose requests reach every chassis of the
    // physical network (only the owner, e.g. a gateway chassis, replies).
    bool answered_by_owners = false;
    // ACLs: the policy (an id in Switch::policies, 0: none) of packets from
    // the port and to it, and whether its IP connections are tracked (OVN:
    // the switch has stateful ACLs and the port is no router/localnet port).
    uint32_t acl_from = 0, acl_to = 0;
    bool acl_track = false;
    std::vector<Dhcp4> dhcp4;
    std::vector<Dhcp6> dhcp6;
};

// Addresses the switch delivers to `port` (fdb) and answers ARP and
// Neighbor Solicitations for; `router`: they are a router port's.
struct PortAddresses {
    uint32_t port = 0;
    Addresses addresses;
    bool router = false;
};

// OVN's ACL log severities (RFC 5424 levels, as acl_log_info.severity):
// alert 1, warning 4, notice 5, info 6, debug 7; anything else is info.
uint8_t severityLevel(const std::string &name);
const char *severityName(uint8_t level);

// How the log lines of an ACL with `log` name it (ovn-nb(5) ACL name, severity).
struct AclLog {
    std::string name;  // at most ACL_LOG_NAME - 1 bytes are kept
    uint8_t severity = 6;  // info
    bool operator==(const AclLog &o) const { return name == o.name && severity == o.severity; }
};

struct Switch {
    std::map<uint32_t, Port> ports;
    std::vector<PortAddresses> addresses;
    std::map<uint32_t, acl::Policy> policies;  // by id (1..)
    std::map<uint32_t, AclLog> acl_logs;       // by ACL number
    std::map<uint32_t, acl_meter> log_meters;  // by bucket (Rule::meter)
    std::optional<RouterAdvert> ra;
    std::vector<DnsRecord> dns;
};

Entries entries(const Switch &sw);

}  // namespace hover::model::l2switch
