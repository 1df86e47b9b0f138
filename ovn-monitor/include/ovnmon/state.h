// Plain C++ copies of what the controller needs from the three databases.
// The translation works on these, not on IDL rows, so it can be tested
// without a database and stays independent of OVS's C types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ovnmon {

using StringMap = std::map<std::string, std::string>;

// ---- OVN Northbound --------------------------------------------------------

struct LogicalSwitchPort {
    std::string uuid, name, type;           // type: "", router, localnet, localport, ...
    std::vector<std::string> addresses;     // "MAC IP...", "router", "unknown", "dynamic"
    std::string dynamic_addresses;
    std::vector<std::string> port_security; // "MAC [IP/prefix...]"
    bool enabled = true;
    StringMap options;                      // router-port, network_name, ...
    std::string dhcpv4_options, dhcpv6_options;  // DhcpOptions uuids, "" if none
};

struct LogicalSwitch {
    std::string uuid, name;
    std::vector<std::string> ports;         // LogicalSwitchPort uuids
    std::vector<std::string> acls;          // Acl uuids
    std::vector<std::string> load_balancers;  // LoadBalancer uuids
    std::vector<std::string> dns_records;   // Dns uuids
};

// Security groups arrive as ACLs on switches and port groups, their remote
// groups as address sets (ovn-nb(5)).
struct Acl {
    std::string uuid, name;
    std::string direction;                  // from-lport, to-lport
    int64_t priority = 0;
    std::string match;                      // "inport == @pg && ip4.src == $as"
    std::string action;                     // allow, allow-related, allow-stateless, drop, reject
    bool log = false;
    bool apply_after_lb = false;            // options:apply-after-lb (from-lport only)
    std::string severity, meter;            // of its log lines; severity "" is info
};

// A meter (ovn-nb(5) Meter) with its first band: what ACL logs are limited by.
struct Meter {
    std::string uuid, name, unit;  // unit: kbps or pktps
    bool fair = false;             // one bucket per ACL using it
    int64_t rate = 0, burst = 0;   // of its first band (none: 0)
};

struct AddressSet {
    std::string uuid, name;
    std::vector<std::string> addresses;
};

struct PortGroup {
    std::string uuid, name;
    std::vector<std::string> ports;         // LogicalSwitchPort uuids
    std::vector<std::string> acls;          // Acl uuids
};

// Native DHCP, answered by the chassis: LSP dhcpv4/v6_options point here.
struct DhcpOptions {
    std::string uuid, cidr;
    StringMap options;                      // router, lease_time, server_id, server_mac, ...
};

// DNS records the chassis answers for a switch's ports (Neutron:
// "<vm>.<domain>" -> its addresses, reverse names -> the VM's name).
struct Dns {
    std::string uuid;
    StringMap records;
};

struct LoadBalancer {
    std::string uuid, name, protocol;       // protocol: tcp (default), udp, sctp
    StringMap vips;                         // "VIP[:port]" -> "backend[:port],..."
    StringMap options;
};

struct LogicalRouterPort {
    std::string uuid, name, mac;
    std::vector<std::string> networks;      // "10.0.0.1/24"
    bool enabled = true;
    std::string peer;
    // A distributed gateway port: the chassis it may be resident on
    // (gateway_chassis, or the ha_chassis_group's members); empty otherwise.
    std::vector<std::string> gateway_chassis;
    StringMap ipv6_ra_configs;              // address_mode, send_periodic, mtu, rdnss, ...
};

struct StaticRoute {
    std::string ip_prefix, nexthop, output_port, policy;
};

struct Nat {
    std::string type;                       // snat, dnat, dnat_and_snat
    std::string external_ip, external_mac, logical_ip, logical_port;
};

struct LogicalRouter {
    std::string uuid, name;
    bool enabled = true;
    std::vector<std::string> ports;         // LogicalRouterPort uuids
    std::vector<StaticRoute> static_routes;
    std::vector<Nat> nat;
    std::vector<std::string> load_balancers;  // LoadBalancer uuids
    StringMap options;
};

struct NbState {
    int64_t nb_cfg = 0;                                 // NB_Global
    std::map<std::string, LogicalSwitch> switches;      // by uuid
    std::map<std::string, LogicalSwitchPort> switch_ports;
    std::map<std::string, LogicalRouter> routers;
    std::map<std::string, LogicalRouterPort> router_ports;
    std::map<std::string, Acl> acls;                    // by uuid
    std::map<std::string, AddressSet> address_sets;     // by name (matches say $name)
    std::map<std::string, PortGroup> port_groups;       // by name (matches say @name)
    std::map<std::string, DhcpOptions> dhcp_options;    // by uuid
    std::map<std::string, Dns> dns;                     // by uuid
    std::map<std::string, LoadBalancer> load_balancers; // by uuid
    std::map<std::string, Meter> meters;                // by name (ACL.meter names it)
};

// ---- OVN Southbound --------------------------------------------------------

struct PortBinding {
    std::string uuid, logical_port, type;
    std::string chassis;            // name of the bound chassis, "" if none
    std::string requested_chassis;  // name, "" if unset
    std::optional<bool> up;
};

struct SbState {
    int64_t nb_cfg = 0;                         // SB_Global
    std::map<std::string, std::string> chassis; // name -> uuid
    std::map<std::string, int64_t> chassis_private_nb_cfg;  // name -> nb_cfg
    std::map<std::string, PortBinding> port_bindings;       // by logical_port
};

// ---- local Open_vSwitch ----------------------------------------------------

struct Interface {
    std::string uuid, name, type, bridge;
    std::string iface_id;           // external_ids:iface-id
    std::optional<int64_t> ofport;
    bool ovn_installed = false;     // external_ids:ovn-installed
};

struct OvsState {
    bool present = false;           // the Open_vSwitch row exists
    std::string system_id, hostname, ovn_remote, encap_type, encap_ip;
    std::string bridge_mappings;    // "physnet1:br-ex,physnet2:br-x"
    std::string cms_options;        // "enable-chassis-as-gw": read by Neutron's gateway scheduler
    int64_t next_cfg = 0, cur_cfg = 0;
    std::map<std::string, Interface> interfaces;  // by name
};

// One tracked change: what the controller recomputes from, and logs.
struct Change {
    std::string db, table, what;  // db: NB, SB, OVS; what: "deleted", "inserted", "modified"
    std::string row;              // name (or another identifying column)
    std::string uuid;
};

}  // namespace ovnmon
