/* Keys and values of the modules' own tables, shared by the eBPF programs and
 * hoverd (C++, through the typed model in hover/model). Addresses are in
 * network byte order, as on the wire, and their types say what they are, so
 * hoverd's BTF-driven JSON shows them as such: __be32 as dotted IPv4, __be16
 * ports in host order, iov_mac_t as "02:00:00:00:00:01", iov_ip6_t as IPv6. */
#ifndef IOVISOR_BPF_TABLES_H
#define IOVISOR_BPF_TABLES_H

#include <linux/types.h>

#define IOV_ETH_ALEN 6

typedef __u8 iov_mac_t[IOV_ETH_ALEN];
typedef __u8 iov_ip6_t[16];

/* ---- l2switch ---------------------------------------------------------- */

/* l2switch port flags (struct l2_port.flags). */
#define L2_PORT_ENABLED (1u << 0)       /* admin up (OVN `enabled`) */
#define L2_PORT_SECURITY (1u << 1)      /* enforce ps_macs / ps_ipv4 / ps_ipv6 */
#define L2_PORT_LEARN (1u << 2)         /* learn source MACs (OVN "unknown") */
#define L2_PORT_NO_RESPONDER (1u << 3)  /* ARP/NS from here are not answered by the switch (OVN localnet) */
#define L2_PORT_ACL_IN (1u << 4)        /* acl_ports has an entry for packets from the port */
#define L2_PORT_ACL_OUT (1u << 5)       /* ... and for packets to it */
#define L2_PORT_ACL_OUT_RULES (1u << 6) /* ... where ACLs judge them (not only tracking): XDP floods skip it */
#define L2_PORT_DHCP4 (1u << 7)         /* dhcp4 has entries for the port: the switch answers its DHCP */
#define L2_PORT_DHCP6 (1u << 8)         /* ... dhcp6: its DHCPv6 */
#define L2_PORT_RA (1u << 9)            /* the switch answers Router Solicitations from the port (table ra) */
#define L2_PORT_DNS (1u << 10)          /* ... DNS queries for its records (table dns) */
/* Requests the switch may answer itself (bpf/lib/answer.h). */
#define L2_PORT_ANSWERED (L2_PORT_DHCP4 | L2_PORT_DHCP6 | L2_PORT_RA | L2_PORT_DNS)

/* Value of `ports` (key: port number). */
struct l2_port {
    __u32 flags;
};

/* fdb entry flags (struct l2_fdb_entry.flags). */
#define L2_FDB_STATIC 0 /* installed by the control plane */
#define L2_FDB_LEARNED 1

/* Key of `fdb`. */
struct l2_fdb_key {
    iov_mac_t mac;
    __u16 pad;
};

/* Value of `fdb`. */
struct l2_fdb_entry {
    __u32 port;
    __u32 flags;
};

/* Key of `nd_responder`: an IPv6 address the switch answers Neighbor
 * Solicitations for (as OVN does for the addresses it knows). */
struct l2_nd_key {
    iov_ip6_t addr;
};

#define L2_ND_ROUTER (1u << 0) /* the address is a router's: NA with the R flag */

/* Value of `nd_responder`. */
struct l2_nd_entry {
    iov_mac_t mac;
    __u16 flags;
    __u32 port; /* port that owns the address: its own solicitations are not answered */
};

/* Value of `arp_responder` (key: IPv4 address, __be32). */
struct l2_arp_entry {
    iov_mac_t mac;
    __u16 pad;
    __u32 port; /* port that owns the address: its own requests are not answered */
};

/* port-security entry flags (struct l2_ps_mac.flags): which families the
 * entry restricts. An entry with neither restricts only the MAC. */
#define L2_PS_IPV4 (1u << 0)
#define L2_PS_IPV6 (1u << 1)
/* ... and whether some of its addresses are prefixes (in the LPM tries);
 * single addresses live in the ps_ipv4_hosts / ps_ipv6_hosts hashes. */
#define L2_PS_IPV4_PREFIXES (1u << 2)
#define L2_PS_IPV6_PREFIXES (1u << 3)

/* Key of `ps_macs`: an allowed MAC on a port. */
struct l2_ps_mac_key {
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
};

/* Value of `ps_macs`. */
struct l2_ps_mac {
    __u32 flags;
};

/* Key of `ps_ipv4` (LPM trie): an allowed IPv4 prefix (shorter than /32) for (port, MAC).
 * prefixlen counts the exact port/MAC/pad bits too: 96 + IPv4 prefix length. */
struct l2_ps_ipv4_key {
    __u32 prefixlen;
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    __be32 addr;
};

/* Key of `ps_ipv4_hosts` (hash): an allowed single IPv4 address (a /32)
 * for (port, MAC), the common case, found with one lookup. */
struct l2_ps_ipv4_host_key {
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    __be32 addr;
};

/* Key of `ps_ipv6_hosts` (hash): as ps_ipv4_hosts, for a /128. */
struct l2_ps_ipv6_host_key {
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    iov_ip6_t addr;
};

/* Key of `ps_ipv6` (LPM trie): as ps_ipv4, prefixlen = 64 + IPv6 prefix. */
struct l2_ps_ipv6_key {
    __u32 prefixlen;
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    iov_ip6_t addr;
};

#define L2_PS_KEY_BITS 96 /* port + mac + pad, matched exactly */

/* The l2switch tables but `ports` are shared by the switches of a hook
 * (model: sharedTable): the map keys put the switch's module id in front of
 * the table key (after the prefixlen of an LPM key, which counts 32 more
 * bits). */
struct l2_fdb_mkey {
    __u32 module;
    struct l2_fdb_key key;
};

struct l2_ip4_mkey {
    __u32 module;
    __be32 key;
};

struct l2_nd_mkey {
    __u32 module;
    struct l2_nd_key key;
};

struct l2_ps_mac_mkey {
    __u32 module;
    struct l2_ps_mac_key key;
};

struct l2_ps_ipv4_host_mkey {
    __u32 module;
    struct l2_ps_ipv4_host_key key;
};

struct l2_ps_ipv6_host_mkey {
    __u32 module;
    struct l2_ps_ipv6_host_key key;
};

struct l2_ps_ipv4_mkey {
    __u32 prefixlen; /* 32 + L2_PS_KEY_BITS + the prefix length */
    __u32 module;
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    __be32 addr;
};

struct l2_ps_ipv6_mkey {
    __u32 prefixlen; /* 32 + L2_PS_KEY_BITS + the prefix length */
    __u32 module;
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
    iov_ip6_t addr;
};

#include "lib/tables_answers.h"


/* ---- router ------------------------------------------------------------ */

#define RT_PORT_ENABLED (1u << 0)

/* Value of `ports` (key: port number): a logical router port. */
struct rt_port {
    iov_mac_t mac;
    __u16 flags;
    __be32 ip;     /* primary IPv4 address: source of ICMP errors sent out of it */
    iov_ip6_t ip6;  /* primary IPv6 address: source of ICMPv6 errors ("::" if none) */
};

/* Value of `addrs` (key: IPv4 address of the router): the port owning it.
 * ARP for it is answered on that port; ICMP echo to it from any port. */
struct rt_addr {
    __u32 port;
};

/* Route types (struct rt_route.type). */
#define RT_ROUTE_CONNECTED 0 /* destination is on the port's network */
#define RT_ROUTE_VIA 1       /* forward to `nexthop` */
#define RT_ROUTE_DISCARD 2   /* drop */

/* Key of `routes` (LPM trie): destination prefix. */
struct rt_route_key {
    __u32 prefixlen;
    __be32 addr;
};

/* Value of `routes`. */
struct rt_route {
    __u32 type;
    __u32 port;    /* egress port */
    __be32 nexthop; /* RT_ROUTE_VIA: next-hop IPv4 */
    __be32 src;     /* router address used to ARP for the next hop */
};

/* Neighbour flags (struct rt_neigh.flags). */
#define RT_NEIGH_STATIC 0  /* from the control plane */
#define RT_NEIGH_LEARNED 1 /* from an ARP reply */

/* Value of `neighbors` (key: IPv4 address). */
struct rt_neigh {
    iov_mac_t mac;
    __u16 flags;
};

/* IPv6: own addresses (`addrs6`, value struct rt_addr), routes (`routes6`)
 * and neighbours (`neighbors6`, value struct rt_neigh) mirror the IPv4
 * tables. Neighbours come from the control plane or from Neighbor
 * Solicitations the router answers. */
struct rt_ip6 {
    iov_ip6_t addr;
};

/* Key of `routes6` (LPM trie): destination prefix. */
struct rt_route6_key {
    __u32 prefixlen;
    iov_ip6_t addr;
};

/* The router tables are shared by the instances of a hook (model:
 * sharedTable): the map keys put the instance's module id in front of the
 * table key (after the prefixlen of an LPM key, which counts 32 more bits). */
struct rt_ip4_mkey {
    __u32 module;
    __be32 key;
};

struct rt_ip6_mkey {
    __u32 module;
    struct rt_ip6 key;
};

struct rt_route_mkey {
    __u32 prefixlen; /* 32 + the route's prefix length */
    __u32 module;
    __be32 addr;
};

struct rt_route6_mkey {
    __u32 prefixlen; /* 32 + the route's prefix length */
    __u32 module;
    iov_ip6_t addr;
};

/* Value of `routes6`. */
struct rt_route6 {
    __u32 type;       /* RT_ROUTE_* */
    __u32 port;       /* egress port */
    iov_ip6_t nexthop; /* RT_ROUTE_VIA: next-hop IPv6 */
    iov_ip6_t src_addr; /* router address on the egress network: source of its solicitations */
};

/* ---- nat --------------------------------------------------------------- */

/* A nat instance sits on a router port: port 0 faces the router (inside),
 * port 1 the external network (outside). */
#define NAT_PORT_INSIDE 0
#define NAT_PORT_OUTSIDE 1

/* Key of `snat_rules` (LPM trie): inside source prefix (OVN snat logical_ip). */
struct nat_snat_key {
    __u32 prefixlen;
    __be32 addr;
};

/* The nat tables are shared by the instances of a hook (model: sharedTable):
 * their map keys put the instance's module id in front of the table key,
 * after the prefixlen for the LPM one (which then counts 32 more bits). */
struct nat_snat_mkey {
    __u32 prefixlen; /* 32 + the rule's prefix length */
    __u32 module;
    __be32 addr;
};

struct nat_ip_mkey {
    __u32 module;
    __be32 key; /* named `key`: hoverd shows a shared hash key's `key` member as the table key */
};

/* Value of `snat_rules`: external IP and the port range to allocate from
 * (host order, inclusive). */
struct nat_snat {
    __be32 external_ip;
    __u16 port_min;
    __u16 port_max;
};

/* Value of `fip_in` (key: external IP) and `fip_out` (key: logical IP): the
 * 1:1 address of an OVN dnat_and_snat rule (floating IP), stateless. */
struct nat_fip {
    __be32 addr;
};

/* Value of `dnat_rules` (key: external IP): OVN dnat, stateful. */
struct nat_dnat {
    __be32 logical_ip;
};

/* Value of `arp_external` (key: external IP): MAC that answers ARP for it on
 * the outside port (OVN external_mac, or the router port's MAC). */
struct nat_arp {
    iov_mac_t mac;
    __u16 pad;
};

/* ---- conntrack (shared by the modules of a hook, bpf/lib/conntrack.h) ---- */

/* Key of `iov_conntrack`: a connection as seen in one direction, in a zone,
 * so trackers never see each other's connections: a nat instance's zone is
 * its module id, an ACL stage's the port's (IOV_CT_ZONE_PORT). For ICMP echo
 * the id stands in for the ports: request (id, 0), reply (0, id). IPv4
 * addresses are in saddr/daddr (family 0), IPv6 ones in saddr6/daddr6
 * (family 6, saddr/daddr 0). */
struct iov_ct_key {
    __be32 saddr;
    __be32 daddr;
    __be16 sport;
    __be16 dport;
    __u8 proto;
    __u8 family;
    __u16 pad;
    __u32 zone;
    iov_ip6_t saddr6;
    iov_ip6_t daddr6;
};

#define IOV_CT_ZONE_PORT 0x80000000u /* ACL zones: this bit | IOV_PORT_SLOT(switch, port) */

#define NAT_REWRITE_NONE 0 /* tracked, not translated: a connection from outside to an inside address */
#define NAT_REWRITE_SRC 1
#define NAT_REWRITE_DST 2

/* Connection state (struct iov_ct_entry.flags), kept equal in the entries of
 * both directions by the ACL stage (nat keeps none of them). */
#define IOV_CT_REPLY 0x01     /* this key is the connection's reply direction */
#define IOV_CT_BLOCKED 0x02   /* an ACL now drops it (OVN ct_mark.blocked): replies drop too */
#define IOV_CT_REPLIED 0x04   /* a reply was seen (ESTABLISHED / UDP stream) */
#define IOV_CT_FIN_ORIG 0x08  /* TCP FIN seen in each direction */
#define IOV_CT_FIN_REPLY 0x10
#define IOV_CT_RST 0x20       /* TCP RST seen */
#define IOV_CT_ACL 0x40       /* tracked by an ACL stage: per-state timeouts */

/* Value of `iov_ct_timeouts` (one slot): how long ACL-tracked connections
 * may idle in each state, in seconds (hoverd --ct-timeout); 0: Linux's
 * nf_conntrack default (lib/ct_timeouts.h). */
struct iov_ct_timeouts {
    __u32 tcp_syn_sent;
    __u32 tcp_established;
    __u32 tcp_fin_wait; /* a FIN seen (FIN_WAIT, CLOSE_WAIT, TIME_WAIT alike) */
    __u32 tcp_close;    /* a RST seen */
    __u32 udp;          /* no reply yet */
    __u32 udp_stream;   /* replied */
    __u32 icmp;
    __u32 generic;
};

/* Value of `iov_conntrack`: what to rewrite for packets matching the key,
 * and the connection's state. */
struct iov_ct_entry {
    __be32 addr;
    __be16 port;    /* 0 = keep */
    __u8 rewrite;   /* NAT_REWRITE_* */
    __u8 flags;     /* IOV_CT_* */
    __u64 last_seen_ns;
};

/* ---- ACLs (l2switch, bpf/lib/acl.h) -------------------------------------
 * OVN ACLs compiled to a classifier whose lookups do not grow with the rule
 * count: each field a policy reads is looked up once (LPM) and gives the
 * value's class (which of the policy's constraints on that field it meets);
 * the classes together give the deciding ACL in one hash lookup. The
 * controller computes the classes and their product (hover/model). */

#define ACL_DIR_FROM_LPORT 0 /* packets entering the switch from the port */
#define ACL_DIR_TO_LPORT 1   /* packets the switch sends to the port */

/* The fields a policy reads (bits of acl_port.fields, acl_class_key.field). */
#define ACL_F_IP_SRC 0  /* data: EtherType (be16) + address (IPv4 in 4 bytes, IPv6 16) */
#define ACL_F_IP_DST 1
#define ACL_F_L4_SRC 2  /* data: IP protocol + source port (be16), or ICMP type */
#define ACL_F_L4_DST 3  /* data: IP protocol + destination port, or ICMP code */
#define ACL_F_ETH_SRC 4 /* data: MAC, each byte's bits reversed (masks like 01:00:.. become prefixes) */
#define ACL_F_ETH_DST 5
#define ACL_F_IP_TTL 6  /* data: TTL / hop limit */
#define ACL_FIELDS 7
#define ACL_CLASS_DATA 18

/* acl_port.flags */
#define ACL_PORT_CT 0x01          /* track IP connections (the switch has stateful ACLs) */
#define ACL_PORT_UNSUPPORTED 0x02 /* an ACL here could not be compiled: what it may match drops */

/* Key of `acl_ports`. */
struct acl_port_key {
    __u16 port;
    __u8 dir; /* ACL_DIR_* */
    __u8 pad;
};

/* Value of `acl_ports`: the port's policy in that direction. */
struct acl_port {
    __u32 policy; /* 0: no ACL (only connection tracking) */
    __u16 fields; /* 1 << ACL_F_*: the fields its rules read */
    __u8 flags;   /* ACL_PORT_* */
    __u8 pad;
};

/* Key of `acl_classes` (LPM): a field's value under a policy. */
struct acl_class_key {
    __u32 prefixlen;
    __u32 policy;
    __u8 field; /* ACL_F_* */
    __u8 pad;
    __u8 data[ACL_CLASS_DATA];
};

/* Value of `acl_classes`. */
struct acl_class {
    __u32 id; /* 0 is the class of values no constraint names */
};

/* Key of `acl_rules`: a policy and the class of each field. */
struct acl_rule_key {
    __u32 policy;
    __u16 classes[ACL_FIELDS];
    __u16 pad;
};

/* The shared maps' keys (the module id in front, hover/model's sharedKey). */
struct acl_port_mkey {
    __u32 module;
    struct acl_port_key key;
};
struct acl_class_mkey {
    __u32 prefixlen; /* 32 (module) + 48 (policy, field, pad) + the data's prefix */
    __u32 module;
    __u32 policy;
    __u8 field;
    __u8 pad;
    __u8 data[ACL_CLASS_DATA];
};
struct acl_rule_mkey {
    __u32 module;
    struct acl_rule_key key;
};

/* ACL actions (struct acl_verdict.action). */
#define ACL_ALLOW 1
#define ACL_ALLOW_RELATED 2
#define ACL_ALLOW_STATELESS 3
#define ACL_DROP 4
#define ACL_REJECT 5
#define ACL_UNSUPPORTED 6 /* a match that could not be compiled: drops (fail closed) */

/* Key of `acl_hits` (per CPU, value: packets the ACL decided). */
struct acl_hit_mkey {
    __u32 module;
    __u32 key; /* the ACL's number */
};

/* Value of `acl_rules`: the highest-priority ACL these classes meet. */
struct acl_verdict {
    __u32 acl; /* the ACL's number (a hash of its uuid: hit counters, trace) */
    __u8 action;
    __u8 flags;     /* ACL_VERDICT_* */
    __u16 meter;    /* with ACL_VERDICT_LOG: its log meter's bucket in acl_log_meters (0: none) */
};
#define ACL_VERDICT_LOG 0x01 /* the ACL has `log`: the packets it decides go to acl_log_ring */

/* Key of `acl_log_meters` and `acl_log_meter_state`: a bucket of a log meter
 * (ovn-nb Meter: one per meter, or per ACL of a `fair` meter). */
struct acl_meter_mkey {
    __u32 module;
    __u32 bucket;
};
/* Value of `acl_log_meters`: its first band (pktps). */
struct acl_meter {
    __u32 rate;  /* packets per second */
    __u32 burst; /* packets beyond the rate (0: the rate) */
};
/* Value of `acl_log_meter_state` (the datapath's): the bucket's tokens. */
struct acl_meter_state {
    __u64 tokens; /* in packet-nanoseconds: 1e9 per packet that may be logged */
    __u64 last_ns;
};

/* Key of `acl_logs`: an ACL with `log` (its number); the value names it in
 * the log lines hoverd writes for it (as ovn-controller's acl_log). */
struct acl_log_mkey {
    __u32 module;
    __u32 acl;
};
#define ACL_LOG_NAME 64
struct acl_log_info {
    char name[ACL_LOG_NAME]; /* ACL.name, NUL-padded; empty: <unnamed> */
    __u8 severity;           /* RFC 5424 levels as OVN's: alert 1, warning 4, notice 5, info 6, debug 7 */
    __u8 pad[3];
};

/* An event of acl_log_ring: a packet that an ACL with `log` decided. */
#define ACL_LOG_BYTES 128
struct acl_log_event {
    __u32 module;
    __u32 acl;    /* the ACL's number */
    __u8 action;  /* ACL_* */
    __u8 dir;     /* ACL_DIR_* */
    __u16 port;
    __u32 len;    /* bytes of data: the frame's first */
    __u8 data[ACL_LOG_BYTES];
};

#endif /* IOVISOR_BPF_TABLES_H */
