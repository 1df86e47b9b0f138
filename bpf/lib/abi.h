/* The IOModule chaining ABI, shared by every eBPF module and by hoverd (C++).
 *
 * A module instance is identified by a module id (1..IOV_MAX_MODULES-1) that
 * hoverd assigns. The instances of a built-in type share one program per
 * hook (loaded and verified once), which takes the id from the packet's
 * metadata: an instance is its slot in `iov_chain` and its entries in the
 * hook's shared maps, keyed by its id (bpf/lib/tables.h, the *_mkey keys;
 * port-indexed arrays by IOV_PORT_SLOT). Custom modules have a program of
 * their own, over the same maps. It has numbered ports
 * (0..IOV_MAX_PORTS-1), each counted in a slot of the hook's shared
 * `iov_port_counters` that hoverd gives it when it is first connected; each
 * port's peer, in the hook's map `iov_ports`, is either
 *   - a netdev:  packets leave with bpf_redirect(ifindex), or
 *   - another module's port: the metadata below is rewritten and the packet
 *     is handed over with bpf_tail_call(ctx, &iov_chain, peer_module).
 * Every instance shares the program array `iov_chain` (index = module id),
 * pinned by hoverd; its type's `<name>_chain` program sits at its id.
 *
 * Packets enter the graph at a module's `<name>_netdev` program, attached to
 * the netdev's TC ingress (clsact) or XDP hook. It tail-calls the shared
 * entry program (bpf/entry.bpf.c, slot IOV_ENTRY_SLOT of `iov_chain`, loaded
 * once per hook by hoverd); in TC, hoverd binds the netdevs of built-in
 * modules to one shared block whose filter is that entry program itself
 * (hover/attach.h, SharedTcBlock). The entry replays the packet's flow if it is cached
 * (see the flow cache below); otherwise it finds the module and port of the
 * netdev in `iov_netdev_ports`, writes the metadata and tail-calls the
 * module's `<name>_chain`. Module objects thus carry no entry logic: loading
 * one verifies its body once.
 *
 * Metadata (struct iov_md) travels in skb->cb in TC (20 bytes) and in the XDP
 * metadata area in XDP. Chain depth: a packet may cross at most IOV_MAX_HOPS
 * module-to-module hand-overs (below the kernel's own 33 tail-call limit);
 * one more is dropped and counted as IOV_DROP_CHAIN_DEPTH. A tail call to an
 * empty slot is dropped and counted as IOV_DROP_CHAIN_MISSING. Nothing is
 * lost silently.
 */
#ifndef IOVISOR_BPF_ABI_H
#define IOVISOR_BPF_ABI_H

#include <linux/types.h>

#define IOV_MAX_MODULES 4096
#define IOV_ENTRY_SLOT 0 /* iov_chain slot of the shared entry program (module ids start at 1) */
#define IOV_MAX_PORTS 256
#define IOV_MAX_HOPS 16
#define IOV_MAX_NETDEVS 65536 /* netdevs attached to modules, per hook */
#define IOV_CT_DEFAULT_ENTRIES 262144 /* connections tracked per hook unless hoverd is told otherwise */
#define IOV_COUNTERS_DEFAULT 16384    /* port counters per hook (iov_port_counters) unless told otherwise */
#define IOV_DROP_KEYS 65536           /* (module, reason) drop counters per hook */

/* Index of (module, port) in the hook's port-indexed arrays (iov_ports, the
 * switches' and routers' port tables): one row of IOV_MAX_PORTS per module id. */
#define IOV_PORT_SLOT(module, port) \
    (((__u32)(module) % IOV_MAX_MODULES) * IOV_MAX_PORTS + (__u32)(port) % IOV_MAX_PORTS)

/* Recirculation (TC): a flood reaches its first module peer by tail call
 * (which does not return); every further module peer gets a clone sent back
 * in at the packet's ingress netdev with the peer in skb->mark, where the
 * shared entry hands it to that peer. Marks set by anything else never carry
 * the magic (and a netns crossing clears the mark). */
#define IOV_RECIRC_MAGIC 0xa0000000u
#define IOV_RECIRC_MAGIC_MASK 0xfe000000u
#define IOV_RECIRC_MARK(module, port, hops) \
    (IOV_RECIRC_MAGIC | ((__u32)(hops) & 0x1f) << 20 | ((__u32)(module) & 0xfff) << 8 | ((__u32)(port) & 0xff))
#define IOV_RECIRC_HOPS(mark) (((mark) >> 20) & 0x1f)
#define IOV_RECIRC_MODULE(mark) (((mark) >> 8) & 0xfff)
#define IOV_RECIRC_PORT(mark) ((mark) & 0xff)
#ifndef __cplusplus
_Static_assert(IOV_MAX_MODULES <= 4096 && IOV_MAX_PORTS <= 256 && IOV_MAX_HOPS < 32, "the recirculation mark holds them");
#endif

/* Per-packet metadata carried between modules. Keep it at 20 bytes (skb->cb);
 * the reserved words are for a logical port key, a conntrack state and a
 * tunnel key. */
struct iov_md {
    __u32 module;  /* module id that is processing the packet */
    __u16 in_port; /* ingress port on that module */
    __u8 hops;     /* module-to-module hand-overs so far */
    __u8 flags;    /* IOV_MD_F_* */
    __u32 record;  /* IOV_MD_F_RECORD: tag of this CPU's iov_flow_record */
    __u32 reserved[2];
};

/* The packet's walk is being recorded for the flow cache. */
#define IOV_MD_F_RECORD 0x01

enum iov_peer_kind {
    IOV_PEER_NONE = 0,   /* port exists but is not connected: drop */
    IOV_PEER_NETDEV = 1, /* bpf_redirect to ifindex */
    IOV_PEER_MODULE = 2, /* tail call to peer_module, arriving on peer_port */
};

/* Value of `iov_ports` (key: IOV_PORT_SLOT(module, port)). */
struct iov_port {
    __u32 kind;        /* enum iov_peer_kind */
    __u32 ifindex;     /* IOV_PEER_NETDEV */
    __u32 peer_module; /* IOV_PEER_MODULE */
    __u32 peer_port;   /* IOV_PEER_MODULE */
    __u32 counter;     /* index of the port's counters in iov_port_counters (0: none yet) */
};

/* Value of `iov_netdev_ports` (key: ingress ifindex). */
struct iov_netdev_port {
    __u32 module;
    __u32 port;
};

/* Value of `iov_port_counters` (per CPU, key: the port's counter index). */
struct iov_port_stats {
    __u64 rx_packets;
    __u64 rx_bytes;
    __u64 tx_packets;
    __u64 tx_bytes;
};

/* Every reason a module may drop a packet. The order is ABI (counters are
 * indexed by it); append only. X(enum suffix, text for the API/CLI). */
#define IOV_DROP_REASONS(X)                                                        \
    X(NONE, "not dropped")                                                         \
    X(TRUNCATED, "packet shorter than its headers")                                \
    X(BAD_IHL, "IPv4 header length below 20 bytes or past the packet")            \
    X(BAD_IP_LEN, "IPv4 total length inconsistent with the packet")               \
    X(VLAN_TAGGED, "VLAN-tagged frame on an access port")                          \
    X(SRC_MAC_MULTICAST, "source MAC is multicast or broadcast")                   \
    X(NO_INGRESS_PORT, "ingress netdev not bound to a module port")                \
    X(PORT_DISABLED, "port is administratively disabled")                          \
    X(PORT_UNCONNECTED, "egress port has no peer")                                 \
    X(PS_SRC_MAC, "port security: source MAC not allowed")                         \
    X(PS_SRC_IP, "port security: source IP not allowed")                           \
    X(PS_ARP, "port security: ARP sender MAC/IP not allowed")                      \
    X(PS_DST, "port security: destination not allowed on egress port")            \
    X(SAME_PORT, "destination is the ingress port")                                \
    X(UNKNOWN_DST, "unknown unicast destination and no port accepts unknown")     \
    X(CHAIN_DEPTH, "too many module hand-overs (IOV_MAX_HOPS)")                    \
    X(CHAIN_MISSING, "tail call to a module that is not loaded")                   \
    X(FLOOD_PEER_LIMIT, "flood copy to a second module peer not possible (XDP, no ingress netdev)") \
    X(TTL_EXCEEDED, "IPv4 TTL expired")                                            \
    X(NO_ROUTE, "no route to destination")                                         \
    X(ROUTE_DISCARD, "route says discard")                                         \
    X(NOT_FOR_ROUTER, "frame not addressed to the router port MAC")                \
    X(NEIGH_PENDING, "next hop unresolved: dropped while ARP/NS is pending")      \
    X(UNSUPPORTED_L3, "EtherType not handled by this module")                      \
    X(FRAGMENT, "IP fragment cannot be translated")                                \
    X(NAT_NO_PORT, "no free NAT port")                                             \
    X(CT_INVALID, "no connection for a reply-direction packet")                    \
    X(BAD_L4, "malformed TCP/UDP/ICMP header")                                     \
    X(ICMP_UNREACHABLE, "ICMP error generated instead")                            \
    X(INTERNAL, "internal error (helper failed)")                                  \
    X(ROUTER_LOCAL, "traffic to the router itself other than ICMP echo")             \
    X(NAT_PROTO, "IP protocol that NAT cannot translate (not TCP/UDP/ICMP echo)") \
    X(HOP_LIMIT, "IPv6 hop limit expired")                                        \
    X(ACL_DROP, "dropped by an ACL")                                               \
    X(ACL_REJECT, "rejected by an ACL (TCP RST or ICMP error sent back)")          \
    X(ACL_UNSUPPORTED, "an ACL that could not be compiled applies (fail closed)")  \
    X(ACL_BLOCKED, "connection blocked since an ACL now drops it")                 \
    X(DHCP_MALFORMED, "malformed DHCP request (op, hardware type, magic cookie, options)") \
    X(DHCP_NO_REPLY, "DHCP message that gets no reply (RELEASE, DECLINE, other types)") \
    X(NEIGH_ADVERT, "ARP reply or Neighbor Advertisement to a router: sender learned, nothing to forward")

#define IOV_DROP_ENUM_(name, text) IOV_DROP_##name,
enum iov_drop_reason { IOV_DROP_REASONS(IOV_DROP_ENUM_) IOV_DROP_MAX };
#undef IOV_DROP_ENUM_

/* Flow cache (bpf/lib/flow.h). The first packet of an IPv4 TCP/UDP/ICMP
 * flow entering from a netdev walks the module graph and is recorded: the
 * counters it touched, the netdev it left by and how its headers changed.
 * Later packets of the flow are replayed from that record at the netdev
 * entry, like OVS's exact-match cache, if
 *   - every module it crossed declared its handling replayable (a pure
 *     function of the flow key and the tables: forwarding, routing to a
 *     known neighbour, NAT of an established connection; never floods,
 *     replies, learning or new connections);
 *   - the flow generation (iov_flow_gen) is unchanged: hoverd renews it on
 *     every table, link or module change, modules on every change they make
 *     themselves (a MAC that moved, a neighbour's new MAC);
 *   - the record is younger than IOV_FLOW_MAX_AGE_NS (the slow path then
 *     runs again: NAT refreshes its connection, learning its entries);
 *   - the TTL survives every router on the way (else the slow path answers).
 * The cache is per CPU, indexed by a hash of the key; a collision replaces
 * the older flow. */
#define IOV_FLOW_CACHE_SIZE 4096 /* entries per CPU, a power of 2 */
#define IOV_FLOW_MAX_SLOTS 16    /* counters a flow touches: rx + tx of up to 8 modules */
#define IOV_FLOW_MAX_AGE_NS 1000000000ull

/* Counter slot of a flow: a port's counter index and rx (0) or tx (1). */
#define IOV_FLOW_SLOT(counter, tx) (((__u32)(counter) << 1) | (tx))
#define IOV_FLOW_SLOT_COUNTER(slot) ((slot) >> 1)
#define IOV_FLOW_SLOT_TX(slot) ((slot) & 1)

/* Key of `iov_module_drops`. */
struct iov_drop_key {
    __u32 module;
    __u32 reason; /* enum iov_drop_reason */
};

/* What identifies a flow at its netdev entry. */
struct iov_flow_key {
    __u8 dst_mac[6];
    __u8 src_mac[6];
    __u32 ifindex; /* ingress netdev */
    __be32 saddr;
    __be32 daddr;
    __be16 l4_a; /* TCP/UDP source port; ICMP id (bytes 4-5 of the header) */
    __be16 l4_b; /* TCP/UDP destination port; ICMP type and code */
    __u8 proto;
    __u8 pad[3];
};

#define IOV_FLOW_F_L3 0x01 /* TTL or addresses change */
#define IOV_FLOW_F_L4 0x02 /* the L4 checksum changes (ports, id or pseudo-header) */

/* A recorded flow: the headers it leaves with and the counters it touches. */
struct iov_flow {
    struct iov_flow_key key;
    __u8 dst_mac[6];
    __u8 src_mac[6];
    __be32 saddr;
    __be32 daddr;
    __be16 l4_a;
    __be16 l4_b;
    __u16 ip_diff;     /* ones' complement change of the IPv4 header words */
    __u16 pseudo_diff; /* ... of the TCP/UDP pseudo-header (addresses) */
    __u16 l4_diff;     /* ... of the ports (TCP/UDP) or the echo id (ICMP) */
    __u8 ttl_dec;      /* routers crossed */
    __u8 flags;        /* IOV_FLOW_F_* */
    __u32 ifindex;     /* egress netdev */
    __u32 nslots;
    __u64 gen;         /* iov_flow_gen it was recorded under */
    __u64 expires_ns;  /* bpf_ktime_get_coarse_ns() */
    __u32 slots[IOV_FLOW_MAX_SLOTS];
};

/* The walk being recorded on a CPU. */
struct iov_flow_record {
    struct iov_flow_key key;
    __u64 gen;
    __u32 tag;        /* iov_md.record of the packet being recorded */
    __u16 ttl_word;   /* original TTL and protocol, as on the wire */
    __u8 replayable;  /* modules that declared their handling replayable */
    __u8 nslots;      /* > IOV_FLOW_MAX_SLOTS: too many, not cached */
    __u32 slots[IOV_FLOW_MAX_SLOTS];
};

/* Flow cache outcomes, per CPU (map iov_flow_stats). */
enum iov_flow_counter {
    IOV_FLOW_HIT = 0,    /* replayed */
    IOV_FLOW_MISS = 1,   /* a cacheable packet walked the graph */
    IOV_FLOW_STORED = 2, /* its walk was stored */
    IOV_FLOW_COUNTERS = 3,
};

#endif /* IOVISOR_BPF_ABI_H */
