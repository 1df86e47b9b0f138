/* router: an OVN logical router. Ports with a MAC and IPv4/IPv6 addresses;
 * longest-prefix routing over connected networks and static routes; answers
 * ARP, IPv6 Neighbor Solicitations and ICMP/ICMPv6 echo for its own
 * addresses; decrements TTL and hop limit (ICMP / ICMPv6 time exceeded when
 * they run out); resolves unknown next hops with ARP or a Neighbor
 * Solicitation. */
#include "lib/chain.h"
#include "lib/config_gen.h"
#include "lib/csum.h"
#include "lib/nd.h"
#include "lib/parse.h"
#include "lib/tables.h"

#define ARP_RETRY_NS 1000000000ull /* one ARP request per next hop per second */

/* The tables of every router of the hook, shared (pinned by name) and keyed
 * by the router's module id (the model's sharedTable and sharedArray). */

/* IOV_PORT_SLOT(router, port) -> router port (MAC, flags, primary addresses). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, IOV_MAX_MODULES * IOV_MAX_PORTS);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, struct rt_port);
} rt_ports SEC(".maps");

/* (router, IPv4 address) -> the port that owns it. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_ip4_mkey);
    __type(value, struct rt_addr);
} rt_addrs SEC(".maps");

/* (router, destination prefix) -> route (connected network, next hop, or discard). */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_route_mkey);
    __type(value, struct rt_route);
} rt_routes SEC(".maps");

/* (router, IPv4 neighbour) -> MAC (static from OVN, or learned from ARP). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 131072);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_ip4_mkey);
    __type(value, struct rt_neigh);
} rt_neighbors SEC(".maps");

/* (router, IPv6 address) -> the port that owns it. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_ip6_mkey);
    __type(value, struct rt_addr);
} rt_addrs6 SEC(".maps");

/* (router, destination IPv6 prefix) -> route. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_route6_mkey);
    __type(value, struct rt_route6);
} rt_routes6 SEC(".maps");

/* (router, IPv6 neighbour) -> MAC (static from OVN, or learned from a solicitation). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 131072);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_ip6_mkey);
    __type(value, struct rt_neigh);
} rt_neighbors6 SEC(".maps");

/* The datapath's own caches below are shared by every router of a hook
 * (pinned by name) and keyed by the router's module id: their cost does not
 * grow with the number of routers. */
struct rt_pending6_key {
    __u32 module;
    struct rt_ip6 addr;
};

struct rt_module_ip4 {
    __u32 module;
    __be32 addr;
};

/* (router, unresolved IPv6 next hop) -> time of the last solicitation sent for it. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_pending6_key);
    __type(value, __u64);
} rt_ns_pending SEC(".maps");

/* (router, unresolved next hop) -> time of the last ARP request sent for it. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_module_ip4);
    __type(value, __u64);
} rt_arp_pending SEC(".maps");

/* How packets to one destination were last forwarded. */
struct rt_fib {
    __u64 gen; /* iov_config_gen it was made under */
    __u8 dst_mac[ETH_ALEN];
    __u16 pad1; /* MACs 4-byte aligned: iov_mac_copy copies words */
    __u8 src_mac[ETH_ALEN];
    __u16 pad2;
    __u32 port;
    __u32 pad3;
};

/* (router, destination) -> its forwarding result while the router's
 * configuration is unchanged: one lookup instead of own address + route +
 * neighbour. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct rt_module_ip4);
    __type(value, struct rt_fib);
} rt_fib_cache SEC(".maps");

static __always_inline struct rt_port *router_port(__u32 module, __u32 port) {
    const __u32 slot = IOV_PORT_SLOT(module, port);
    return bpf_map_lookup_elem(&rt_ports, &slot);
}

/* GSO packets cannot be reshaped into ARP requests or ICMP errors. */
static __always_inline int ctx_is_gso(const struct iov_ctx *ctx) {
#ifdef IOV_XDP
    return 0;
#else
    return ctx->gso_size != 0;
#endif
}

static __always_inline void learn_neighbor(__u32 module, __be32 ip, const __u8 *mac) {
    if (!ip) return;
    const struct rt_ip4_mkey key = {.module = module, .key = ip};
    struct rt_neigh *known = bpf_map_lookup_elem(&rt_neighbors, &key);
    if (known && (known->flags == RT_NEIGH_STATIC || iov_mac_equal(known->mac, mac))) return;
    struct rt_neigh entry = {.flags = RT_NEIGH_LEARNED};
    iov_mac_copy(entry.mac, mac);
    bpf_map_update_elem(&rt_neighbors, &key, &entry, BPF_ANY);
    if (known) iov_config_changed(module); /* a new MAC: cached results used the old one */
}

/* ARP for one of our addresses on the ingress port: learn the sender, answer
 * requests in place. */
static __always_inline int handle_arp(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt,
                                      const struct rt_port *port) {
    struct iov_arp *arp;
    int err = iov_parse_arp(pkt, &arp);
    if (err) return iov_drop(ctx, err);
    __be32 target = arp->tpa;
    const struct rt_ip4_mkey own_key = {.module = md->module, .key = target};
    struct rt_addr *own = bpf_map_lookup_elem(&rt_addrs, &own_key);
    if (!own || own->port != md->in_port) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);
    learn_neighbor(md->module, arp->spa, arp->sha);
    if (arp->op != ARPOP_REQUEST_BE) return iov_drop(ctx, IOV_DROP_NEIGH_ADVERT);

    iov_arp_make_reply(pkt, arp, port->mac, target);
    return iov_send(ctx, md, md->in_port);
}

/* ICMP echo request to a router address: turned into the reply in place. */
static __always_inline int reply_echo(struct iov_ctx *ctx, struct iov_md *md, const struct rt_port *port) {
    struct iov_pkt pkt;
    struct iphdr *ip;
    if (ctx_pull(ctx, ETH_HLEN + 60 + sizeof(struct iov_icmp))) return iov_drop(ctx, IOV_DROP_INTERNAL);
    if (iov_parse_eth(ctx, &pkt) || iov_parse_ipv4(&pkt, &ip)) return iov_drop(ctx, IOV_DROP_TRUNCATED);
    if (ip->protocol != IPPROTO_ICMP || iov_ipv4_is_fragment(ip)) return iov_drop(ctx, IOV_DROP_ROUTER_LOCAL);
    struct iov_icmp *icmp = iov_ipv4_l4(&pkt, ip, sizeof(*icmp));
    if (!icmp) return iov_drop(ctx, IOV_DROP_BAD_L4);
    if (icmp->type != ICMP_ECHO || icmp->code != 0) return iov_drop(ctx, IOV_DROP_ROUTER_LOCAL);

    csum_replace2(&icmp->checksum, bpf_htons(ICMP_ECHO << 8), bpf_htons(ICMP_ECHOREPLY << 8));
    icmp->type = ICMP_ECHOREPLY;
    __be32 peer = ip->saddr;
    ip->saddr = ip->daddr;
    ip->daddr = peer;
    __be16 old_ttl = *(__be16 *)&ip->ttl;
    ip->ttl = 64;
    csum_replace2(&ip->check, old_ttl, *(__be16 *)&ip->ttl);
    iov_mac_copy(pkt.eth->h_dest, pkt.eth->h_source);
    iov_mac_copy(pkt.eth->h_source, port->mac);
    return iov_send(ctx, md, md->in_port);
}

/* Replaces the packet with an ICMP time exceeded for its sender, quoting its
 * IP header and first 8 payload bytes, and sends it back out of the ingress
 * port (where the sender's last hop is). Packets with IP options are only
 * dropped: a fixed quote keeps the checksum code verifiable. */
#define TE_QUOTE (sizeof(struct iphdr) + 8)
static __always_inline int send_time_exceeded(struct iov_ctx *ctx, struct iov_md *md, const struct rt_port *port) {
    struct iov_pkt pkt;
    struct iphdr *ip;
    iov_count_drop(ctx, IOV_DROP_TTL_EXCEEDED);
    if (ctx_is_gso(ctx) || !port->ip) return CTX_DROP;
    if (ctx_pull(ctx, ETH_HLEN + TE_QUOTE)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    if (iov_parse_eth(ctx, &pkt) || iov_parse_ipv4(&pkt, &ip) || ip->ihl != 5) return CTX_DROP;
    if ((void *)ip + TE_QUOTE > pkt.data_end) return CTX_DROP;
    __u8 sender_mac[ETH_ALEN];
    iov_mac_copy(sender_mac, pkt.eth->h_source);
    const __be32 sender = ip->saddr;

    const __u32 room = sizeof(struct iphdr) + sizeof(struct iov_icmp);
    if (ctx_insert_after_eth(ctx, room) || ctx_resize(ctx, ETH_HLEN + room + TE_QUOTE))
        return iov_drop(ctx, IOV_DROP_INTERNAL);
    struct ethhdr *eth = ctx_data(ctx);
    struct iphdr *outer = (void *)(eth + 1);
    struct iov_icmp *icmp = (void *)(outer + 1);
    if ((void *)(icmp + 1) + TE_QUOTE > ctx_data_end(ctx)) return iov_drop(ctx, IOV_DROP_INTERNAL);

    iov_mac_copy(eth->h_dest, sender_mac);
    iov_mac_copy(eth->h_source, port->mac);
    eth->h_proto = bpf_htons(ETH_P_IP);
    *outer = (struct iphdr){.version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_ICMP,
                            .tot_len = bpf_htons(room + TE_QUOTE), .saddr = port->ip, .daddr = sender};
    outer->check = csum_fold32(csum_add_words((__u16 *)outer, sizeof(*outer) / 2, 0));
    *icmp = (struct iov_icmp){.type = ICMP_TIME_EXCEEDED};
    icmp->checksum = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)icmp, sizeof(*icmp) + TE_QUOTE, 0));
    return iov_send(ctx, md, md->in_port);
}

/* Rewrites the packet into an ARP request for `nexthop` and sends it out of
 * `out_port`; the packet that needed it is dropped (NEIGH_PENDING). */
static __always_inline int request_neighbor(struct iov_ctx *ctx, struct iov_md *md, __u32 out_port,
                                            const struct rt_port *port, __be32 nexthop, __be32 src) {
    iov_count_drop(ctx, IOV_DROP_NEIGH_PENDING);
    const __u64 now = ctx_now_ns();
    const struct rt_module_ip4 pending = {.module = md->module, .addr = nexthop};
    __u64 *last = bpf_map_lookup_elem(&rt_arp_pending, &pending);
    if ((last && now - *last < ARP_RETRY_NS) || ctx_is_gso(ctx)) return CTX_DROP;
    bpf_map_update_elem(&rt_arp_pending, &pending, &now, BPF_ANY);

    if (ctx_resize(ctx, sizeof(struct ethhdr) + sizeof(struct iov_arp))) return iov_drop(ctx, IOV_DROP_INTERNAL);
    struct ethhdr *eth = ctx_data(ctx);
    struct iov_arp *arp = (void *)(eth + 1);
    if ((void *)(arp + 1) > ctx_data_end(ctx)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    __builtin_memset(eth->h_dest, 0xff, ETH_ALEN);
    iov_mac_copy(eth->h_source, port->mac);
    eth->h_proto = bpf_htons(ETH_P_ARP);
    arp->htype = bpf_htons(1);
    arp->ptype = bpf_htons(ETH_P_IP);
    arp->hlen = ETH_ALEN;
    arp->plen = 4;
    arp->op = ARPOP_REQUEST_BE;
    iov_mac_copy(arp->sha, port->mac);
    arp->spa = src;
    __builtin_memset(arp->tha, 0, ETH_ALEN);
    arp->tpa = nexthop;
    return iov_send(ctx, md, out_port);
}

/* TTL and MACs of a forwarded packet, and out it goes. */
static __always_inline int send_routed(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt, struct iphdr *ip,
                                       const struct rt_fib *fib) {
    __be16 old_ttl = *(__be16 *)&ip->ttl;
    ip->ttl--;
    csum_replace2(&ip->check, old_ttl, *(__be16 *)&ip->ttl);
    iov_mac_copy(pkt->eth->h_dest, fib->dst_mac);
    iov_mac_copy(pkt->eth->h_source, fib->src_mac);
    iov_flow_replayable(ctx); /* routed to a known neighbour */
    return iov_send(ctx, md, fib->port);
}

static __always_inline int forward(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt, struct iphdr *ip,
                                   const struct rt_port *in) {
    if (ip->ttl <= 1) return send_time_exceeded(ctx, md, in);
    const struct rt_route_mkey key = {.prefixlen = 64, .module = md->module, .addr = ip->daddr};
    struct rt_route *route = bpf_map_lookup_elem(&rt_routes, &key);
    if (!route) return iov_drop(ctx, IOV_DROP_NO_ROUTE);
    if (route->type == RT_ROUTE_DISCARD) return iov_drop(ctx, IOV_DROP_ROUTE_DISCARD);
    const __u32 out_port = route->port;
    struct rt_port *out = router_port(md->module, out_port);
    if (!out || !(out->flags & RT_PORT_ENABLED)) return iov_drop(ctx, IOV_DROP_PORT_DISABLED);
    __be32 nexthop = route->type == RT_ROUTE_VIA ? route->nexthop : ip->daddr;
    const struct rt_ip4_mkey neigh_key = {.module = md->module, .key = nexthop};
    struct rt_neigh *neigh = bpf_map_lookup_elem(&rt_neighbors, &neigh_key);
    if (!neigh) return request_neighbor(ctx, md, out_port, out, nexthop, route->src);

    struct rt_fib fib = {.gen = iov_config_generation(md->module), .port = out_port};
    iov_mac_copy(fib.dst_mac, neigh->mac);
    iov_mac_copy(fib.src_mac, out->mac);
    const struct rt_module_ip4 cached = {.module = md->module, .addr = ip->daddr};
    bpf_map_update_elem(&rt_fib_cache, &cached, &fib, BPF_ANY);
    return send_routed(ctx, md, pkt, ip, &fib);
}


/* ---- IPv6 ---------------------------------------------------------------- */

static __always_inline void learn_neighbor6(__u32 module, const __u8 *ip, const __u8 *mac) {
    struct rt_ip6_mkey key = {.module = module};
    ip6_copy(key.key.addr, ip);
    struct rt_neigh *known = bpf_map_lookup_elem(&rt_neighbors6, &key);
    if (known && (known->flags == RT_NEIGH_STATIC || iov_mac_equal(known->mac, mac))) return;
    struct rt_neigh entry = {.flags = RT_NEIGH_LEARNED};
    iov_mac_copy(entry.mac, mac);
    bpf_map_update_elem(&rt_neighbors6, &key, &entry, BPF_ANY);
}

/* A Neighbor Solicitation for one of our addresses on the ingress port:
 * learn the asker, turn the packet into the Advertisement, send it back. */
static __always_inline int answer_solicitation(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt,
                                               struct ipv6hdr *ip6, const struct rt_port *port) {
    struct rt_ip6_mkey target = {.module = md->module};
    if (!nd_solicited_target(pkt, target.key.addr)) return iov_drop(ctx, IOV_DROP_BAD_L4);
    struct rt_addr *own = bpf_map_lookup_elem(&rt_addrs6, &target);
    if (!own || own->port != md->in_port) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);
    if (!ip6_is_unspecified(ip6->saddr.in6_u.u6_addr8))
        learn_neighbor6(md->module, ip6->saddr.in6_u.u6_addr8, pkt->eth->h_source);
    if (nd_make_advert(ctx, target.key.addr, port->mac, IOV_ND_ROUTER)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    return iov_send(ctx, md, md->in_port);
}

/* An Advertisement (e.g. unsolicited, after a move): learn its target. */
static __always_inline int learn_advertisement(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt,
                                               struct ipv6hdr *ip6) {
    struct iov_nd *nd = (void *)(ip6 + 1);
    /* The option must be inside the IPv6 payload, not in bytes after it. */
    if ((void *)(nd + 1) > pkt->data_end || bpf_ntohs(ip6->payload_len) < sizeof(*nd))
        return iov_drop(ctx, IOV_DROP_BAD_L4);
    if (nd->opt_type == IOV_ND_OPT_TARGET_LL && nd->opt_len == 1) learn_neighbor6(md->module, nd->target, nd->opt_mac);
    return iov_drop(ctx, IOV_DROP_NEIGH_ADVERT);
}

/* ICMPv6 echo request to a router address: the reply, in place. */
static __always_inline int reply_echo6(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt,
                                       struct ipv6hdr *ip6, const struct rt_port *port) {
    struct iov_icmp *icmp = (void *)(ip6 + 1);
    if (ip6->nexthdr != IPPROTO_ICMPV6 || (void *)(icmp + 1) > pkt->data_end ||
        icmp->type != IOV_ICMP6_ECHO_REQUEST || icmp->code != 0)
        return iov_drop(ctx, IOV_DROP_ROUTER_LOCAL);
    /* Swapping the addresses leaves the pseudo-header sum as it was. */
    csum_replace2(&icmp->checksum, bpf_htons(IOV_ICMP6_ECHO_REQUEST << 8), bpf_htons(IOV_ICMP6_ECHO_REPLY << 8));
    icmp->type = IOV_ICMP6_ECHO_REPLY;
    __u8 peer[16];
    ip6_copy(peer, ip6->saddr.in6_u.u6_addr8);
    ip6_copy(ip6->saddr.in6_u.u6_addr8, ip6->daddr.in6_u.u6_addr8);
    ip6_copy(ip6->daddr.in6_u.u6_addr8, peer);
    ip6->hop_limit = 64;
    iov_mac_copy(pkt->eth->h_dest, pkt->eth->h_source);
    iov_mac_copy(pkt->eth->h_source, port->mac);
    return iov_send(ctx, md, md->in_port);
}

/* Rewrites the packet into a Neighbor Solicitation for `nexthop` (to its
 * solicited-node multicast address) and sends it out of `out_port`; the
 * packet that needed it is dropped (NEIGH_PENDING), as for ARP. */
static __always_inline int solicit_neighbor(struct iov_ctx *ctx, struct iov_md *md, __u32 out_port,
                                            const struct rt_port *port, const struct rt_ip6 *nexthop,
                                            const __u8 *src) {
    iov_count_drop(ctx, IOV_DROP_NEIGH_PENDING);
    const __u64 now = ctx_now_ns();
    struct rt_pending6_key pending = {.module = md->module};
    pending.addr = *nexthop;
    __u64 *last = bpf_map_lookup_elem(&rt_ns_pending, &pending);
    if ((last && now - *last < ARP_RETRY_NS) || ctx_is_gso(ctx) || ip6_is_unspecified(src)) return CTX_DROP;
    bpf_map_update_elem(&rt_ns_pending, &pending, &now, BPF_ANY);
    __u8 source[16];
    ip6_copy(source, src);

    if (ctx_resize(ctx, ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(struct iov_nd))) return iov_drop(ctx, IOV_DROP_INTERNAL);
    struct ethhdr *eth = ctx_data(ctx);
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    struct iov_nd *nd = (void *)(ip6 + 1);
    if ((void *)(nd + 1) > ctx_data_end(ctx)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    const __u8 *t = nexthop->addr;
    /* ff02::1:ffXX:XXXX and 33:33:ff:XX:XX:XX, from the target's last 3 bytes. */
    const __u8 mcast_mac[ETH_ALEN] = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
    iov_mac_copy(eth->h_dest, mcast_mac);
    iov_mac_copy(eth->h_source, port->mac);
    eth->h_proto = bpf_htons(ETH_P_IPV6);
    *(__be32 *)ip6 = bpf_htonl(0x60000000);
    ip6->payload_len = bpf_htons(sizeof(struct iov_nd));
    ip6->nexthdr = IPPROTO_ICMPV6;
    ip6->hop_limit = 255;
    ip6_copy(ip6->saddr.in6_u.u6_addr8, source);
    __u32 *d = (__u32 *)ip6->daddr.in6_u.u6_addr8;
    d[0] = bpf_htonl(0xff020000);
    d[1] = 0;
    d[2] = bpf_htonl(1);
    d[3] = bpf_htonl(0xff000000 | t[13] << 16 | t[14] << 8 | t[15]);
    nd->type = IOV_ND_SOLICIT;
    nd->code = 0;
    nd->checksum = 0;
    nd->flags = 0;
    ip6_copy(nd->target, t);
    nd->opt_type = IOV_ND_OPT_SOURCE_LL;
    nd->opt_len = 1;
    iov_mac_copy(nd->opt_mac, port->mac);
    nd->checksum = icmp6_csum(ip6, nd, sizeof(*nd));
    return iov_send(ctx, md, out_port);
}

/* Replaces the packet with an ICMPv6 time exceeded for its sender, quoting
 * its IPv6 header and first 8 payload bytes, and sends it back out of the
 * ingress port. */
#define TE6_QUOTE (sizeof(struct ipv6hdr) + 8)
static __always_inline int send_time_exceeded6(struct iov_ctx *ctx, struct iov_md *md, const struct rt_port *port) {
    struct iov_pkt pkt;
    struct ipv6hdr *ip6;
    iov_count_drop(ctx, IOV_DROP_HOP_LIMIT);
    if (ctx_is_gso(ctx) || ip6_is_unspecified(port->ip6)) return CTX_DROP;
    if (ctx_pull(ctx, ETH_HLEN + TE6_QUOTE)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    if (iov_parse_eth(ctx, &pkt) || iov_parse_ipv6(&pkt, &ip6)) return CTX_DROP;
    if ((void *)ip6 + TE6_QUOTE > pkt.data_end) return CTX_DROP;
    __u8 sender_mac[ETH_ALEN], sender[16], source[16];
    iov_mac_copy(sender_mac, pkt.eth->h_source);
    ip6_copy(sender, ip6->saddr.in6_u.u6_addr8);
    ip6_copy(source, port->ip6);

    const __u32 room = sizeof(struct ipv6hdr) + 8; /* outer header + ICMPv6 header */
    if (ctx_insert_after_eth(ctx, room) || ctx_resize(ctx, ETH_HLEN + room + TE6_QUOTE))
        return iov_drop(ctx, IOV_DROP_INTERNAL);
    struct ethhdr *eth = ctx_data(ctx);
    struct ipv6hdr *outer = (void *)(eth + 1);
    __u8 *icmp = (void *)(outer + 1);
    if ((void *)(icmp + 8 + TE6_QUOTE) > ctx_data_end(ctx)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    iov_mac_copy(eth->h_dest, sender_mac);
    iov_mac_copy(eth->h_source, port->mac);
    eth->h_proto = bpf_htons(ETH_P_IPV6);
    *(__be32 *)outer = bpf_htonl(0x60000000);
    outer->payload_len = bpf_htons(8 + TE6_QUOTE);
    outer->nexthdr = IPPROTO_ICMPV6;
    outer->hop_limit = 64;
    ip6_copy(outer->saddr.in6_u.u6_addr8, source);
    ip6_copy(outer->daddr.in6_u.u6_addr8, sender);
    *(__u64 *)icmp = 0;
    icmp[0] = 3; /* time exceeded, code 0: hop limit */
    ((struct iov_icmp *)icmp)->checksum = icmp6_csum(outer, icmp, 8 + TE6_QUOTE);
    return iov_send(ctx, md, md->in_port);
}

static __always_inline int forward6(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt, struct ipv6hdr *ip6,
                                    const struct rt_port *in) {
    if (ip6->hop_limit <= 1) return send_time_exceeded6(ctx, md, in);
    struct rt_route6_mkey key = {.prefixlen = 160, .module = md->module};
    ip6_copy(key.addr, ip6->daddr.in6_u.u6_addr8);
    struct rt_route6 *route = bpf_map_lookup_elem(&rt_routes6, &key);
    if (!route) return iov_drop(ctx, IOV_DROP_NO_ROUTE);
    if (route->type == RT_ROUTE_DISCARD) return iov_drop(ctx, IOV_DROP_ROUTE_DISCARD);
    const __u32 out_port = route->port;
    struct rt_port *out = router_port(md->module, out_port);
    if (!out || !(out->flags & RT_PORT_ENABLED)) return iov_drop(ctx, IOV_DROP_PORT_DISABLED);
    struct rt_ip6_mkey nexthop = {.module = md->module};
    ip6_copy(nexthop.key.addr, route->type == RT_ROUTE_VIA ? route->nexthop : key.addr);
    struct rt_neigh *neigh = bpf_map_lookup_elem(&rt_neighbors6, &nexthop);
    if (!neigh) return solicit_neighbor(ctx, md, out_port, out, &nexthop.key, route->src_addr);
    ip6->hop_limit--; /* no header checksum in IPv6 */
    iov_mac_copy(pkt->eth->h_dest, neigh->mac);
    iov_mac_copy(pkt->eth->h_source, out->mac);
    return iov_send(ctx, md, out_port);
}

static __always_inline int router6(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt,
                                   const struct rt_port *port) {
    struct ipv6hdr *ip6;
    int err = iov_parse_ipv6(pkt, &ip6);
    if (err) return iov_drop(ctx, err);
    if (ip6->nexthdr == IPPROTO_ICMPV6) {
        struct iov_icmp *icmp = (void *)(ip6 + 1);
        if ((void *)(icmp + 1) > pkt->data_end) return iov_drop(ctx, IOV_DROP_BAD_L4);
        if (icmp->type == IOV_ND_SOLICIT) return answer_solicitation(ctx, md, pkt, ip6, port);
        if (icmp->type == IOV_ND_ADVERT) return learn_advertisement(ctx, md, pkt, ip6);
    }
    if (iov_mac_is_multicast(pkt->eth->h_dest)) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);
    struct rt_ip6_mkey dst = {.module = md->module};
    ip6_copy(dst.key.addr, ip6->daddr.in6_u.u6_addr8);
    if (bpf_map_lookup_elem(&rt_addrs6, &dst)) return reply_echo6(ctx, md, pkt, ip6, port);
    return forward6(ctx, md, pkt, ip6, port);
}

static __always_inline int router(struct iov_ctx *ctx, struct iov_md *md) {
    struct iov_pkt pkt;
    int err = iov_parse_eth(ctx, &pkt);
    if (err) return iov_drop(ctx, err);
    struct rt_port *port = router_port(md->module, md->in_port);
    if (!port || !(port->flags & RT_PORT_ENABLED)) return iov_drop(ctx, IOV_DROP_PORT_DISABLED);
    const __u8 *dst = pkt.eth->h_dest;
    const int broadcast = dst[0] == 0xff && dst[1] == 0xff && dst[2] == 0xff && dst[3] == 0xff &&
                          dst[4] == 0xff && dst[5] == 0xff;
    const int ipv6_multicast = dst[0] == 0x33 && dst[1] == 0x33; /* solicited-node: Neighbor Discovery */
    if (!broadcast && !ipv6_multicast && !iov_mac_equal(dst, port->mac)) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);
    if (pkt.proto == bpf_htons(ETH_P_IPV6)) return router6(ctx, md, &pkt, port);
    if (ipv6_multicast) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);

    if (pkt.proto == bpf_htons(ETH_P_ARP)) return handle_arp(ctx, md, &pkt, port);
    if (pkt.proto != bpf_htons(ETH_P_IP)) return iov_drop(ctx, IOV_DROP_UNSUPPORTED_L3);
    if (broadcast) return iov_drop(ctx, IOV_DROP_NOT_FOR_ROUTER);
    struct iphdr *ip;
    err = iov_parse_ipv4(&pkt, &ip);
    if (err) return iov_drop(ctx, err);
    __be32 daddr = ip->daddr;
    const struct rt_module_ip4 cached = {.module = md->module, .addr = daddr};
    struct rt_fib *fib = bpf_map_lookup_elem(&rt_fib_cache, &cached);
    if (fib && fib->gen == iov_config_generation(md->module) && ip->ttl > 1) {
        struct rt_fib copy = *fib; /* LRU values may be reused under us */
        return send_routed(ctx, md, &pkt, ip, &copy);
    }
    const struct rt_ip4_mkey own = {.module = md->module, .key = daddr};
    if (bpf_map_lookup_elem(&rt_addrs, &own)) return reply_echo(ctx, md, port);
    return forward(ctx, md, &pkt, ip, port);
}

IOV_MODULE(router, router);
