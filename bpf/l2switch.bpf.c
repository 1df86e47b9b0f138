/* l2switch: an OVN logical switch. Forwards by destination MAC from entries
 * the control plane installs (plus learning on ports that accept unknown
 * addresses), floods broadcast/multicast/unknown unicast to every other
 * port, answers ARP and IPv6 Neighbor Solicitations for known addresses,
 * DHCP for ports with options, Router Solicitations for an advertising
 * router port and DNS queries for the switch's records, enforces port
 * security and ACLs. */
#include "lib/acl.h"
#include "lib/chain.h"
#include "lib/dhcp.h"
#include "lib/dhcp6.h"
#include "lib/dns.h"
#include "lib/nd.h"
#include "lib/nd_ra.h"
#include "lib/parse.h"
#include "lib/port_security.h"
#include "lib/tables.h"

/* The switches' tables, shared by every switch of the hook (pinned by name)
 * and keyed by the switch's module id (the model's sharedTable and
 * sharedArray). */

/* IOV_PORT_SLOT(switch, port) -> port settings (enabled, port security, learn). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, IOV_MAX_MODULES * IOV_MAX_PORTS);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, struct l2_port);
} l2_ports SEC(".maps");

/* (switch, destination MAC) -> port (static from OVN, or learned). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_fdb_mkey);
    __type(value, struct l2_fdb_entry);
} l2_fdb SEC(".maps");

/* (switch, IPv4 address) -> MAC that ARP requests for it are answered with. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ip4_mkey);
    __type(value, struct l2_arp_entry);
} l2_arp_responder SEC(".maps");

/* (switch, IPv6 address) -> MAC that Neighbor Solicitations for it are answered with. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_nd_mkey);
    __type(value, struct l2_nd_entry);
} l2_nd_responder SEC(".maps");

#ifdef IOV_XDP
/* A switch's own devmap (made by hoverd with the instance): port number ->
 * netdev ifindex. XDP cannot clone, so floods go out through one devmap
 * broadcast redirect. */
struct l2_flood_ports {
    __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
    __uint(max_entries, IOV_MAX_PORTS);
    __type(key, __u32);
    __type(value, __u32);
};

/* Switch -> its devmap of every enabled netdev port. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, IOV_MAX_MODULES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __array(values, struct l2_flood_ports);
} l2_flood_all SEC(".maps");

/* Switch -> its devmap of the same without the ports under port security
 * (unknown unicast). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, IOV_MAX_MODULES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __array(values, struct l2_flood_ports);
} l2_flood_unknown SEC(".maps");
#endif

static __always_inline struct l2_port *port_config(__u32 module, __u32 port) {
    const __u32 slot = IOV_PORT_SLOT(module, port);
    return bpf_map_lookup_elem(&l2_ports, &slot);
}

/* Reads where the packet goes; rejects malformed IPv4/IPv6 headers. */
static __always_inline int read_destination(struct iov_pkt *pkt, struct l2_dst *dst) {
    iov_mac_copy(dst->mac, pkt->eth->h_dest);
    if (pkt->proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip;
        int err = iov_parse_ipv4(pkt, &ip);
        if (err) return err;
        dst->family = 4;
        dst->ip4 = ip->daddr;
    } else if (pkt->proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6;
        int err = iov_parse_ipv6(pkt, &ip6);
        if (err) return err;
        dst->family = 6;
        __builtin_memcpy(dst->ip6, ip6->daddr.in6_u.u6_addr8, 16);
    }
    return 0;
}

static __always_inline void learn(__u32 module, const __u8 *mac, __u32 port) {
    struct l2_fdb_mkey key = {.module = module};
    iov_mac_copy(key.key.mac, mac);
    struct l2_fdb_entry *known = bpf_map_lookup_elem(&l2_fdb, &key);
    if (known && (known->flags == L2_FDB_STATIC || known->port == port)) return;
    struct l2_fdb_entry entry = {.port = port, .flags = L2_FDB_LEARNED};
    bpf_map_update_elem(&l2_fdb, &key, &entry, BPF_ANY);
    if (known) iov_flow_invalidate(); /* moved: cached flows still go to the old port */
}

/* Turns an ARP request for a known address into its reply, in place.
 * Returns 1 if the packet is now a reply to send back out of `in_port`. */
static __always_inline int arp_respond(struct iov_pkt *pkt, __u32 module, __u32 in_port) {
    struct iov_arp *arp;
    if (iov_parse_arp(pkt, &arp) || arp->op != ARPOP_REQUEST_BE || arp->spa == arp->tpa) return 0;
    __be32 target = arp->tpa;
    const struct l2_ip4_mkey key = {.module = module, .key = target};
    struct l2_arp_entry *entry = bpf_map_lookup_elem(&l2_arp_responder, &key);
    if (!entry || entry->port == in_port) return 0;

    iov_arp_make_reply(pkt, arp, entry->mac, target);
    return 1;
}

/* Turns a Neighbor Solicitation for a known address into its Advertisement,
 * in place. Returns 1 if the packet is now that reply, to send back out of
 * `in_port`. */
static __always_inline int nd_respond(struct iov_ctx *ctx, struct iov_pkt *pkt, __u32 module, __u32 in_port) {
    struct l2_nd_mkey target = {.module = module};
    if (!nd_solicited_target(pkt, target.key.addr)) return 0;
    struct l2_nd_entry *entry = bpf_map_lookup_elem(&l2_nd_responder, &target);
    if (!entry || entry->port == in_port) return 0;
    const struct l2_nd_entry answer = *entry;
    return nd_make_advert(ctx, target.key.addr, answer.mac, answer.flags & L2_ND_ROUTER ? IOV_ND_ROUTER : 0) == 0;
}

/* State of one flood, shared with the per-port callback of bpf_loop (the
 * verifier checks the callback once instead of every unrolled port). */
struct flood_state {
    struct iov_ctx *ctx;
    const struct l2_dst *dst;
    __u32 module;
    __u32 in_port;
    __u32 module_port; /* first port whose peer is a module, or IOV_MAX_PORTS */
    __u8 hops;
};

static int flood_port(__u32 port, struct flood_state *st) {
    if (port == st->in_port) return 0;
    struct l2_port *cfg = port_config(st->module, port);
    if (!cfg || !(cfg->flags & L2_PORT_ENABLED)) return 0;
    if ((cfg->flags & L2_PORT_SECURITY) && ps_check_egress(st->dst, (struct ps_port){st->module, port})) return 0;
#ifndef IOV_XDP
    if (cfg->flags & L2_PORT_ACL_OUT) { /* each copy through the port's to-lport ACLs */
        const int verdict = acl_stage(st->ctx, st->module, port, ACL_DIR_TO_LPORT | ACL_NO_REPLY);
        if (verdict) {
            iov_count_drop(st->ctx, verdict == ACL_REJECTED ? IOV_DROP_ACL_REJECT : verdict);
            return 0;
        }
    }
#endif
    if (!iov_clone_to_netdev(st->ctx, st->module, port)) return 0;
    if (st->module_port == IOV_MAX_PORTS) st->module_port = port;
#ifndef IOV_XDP
    else iov_recirculate(st->ctx, st->module, port, st->hops);
#endif
    return 0;
}

/* Copies to every enabled port but the ingress one that port security lets
 * the destination through. Netdev peers get clones; further module peers get
 * recirculated clones (lib/chain.h); the first module peer gets the original
 * packet last (a tail call does not return). XDP mode differs: see
 * l2_flood_all. */
static __always_inline int flood(struct iov_ctx *ctx, struct iov_md *md, const struct l2_dst *dst) {
#ifdef IOV_XDP
    /* XDP: netdev ports only (module peers would need a second redirect),
     * the ingress netdev excluded by the kernel. */
    void *ports = bpf_map_lookup_elem(iov_mac_is_multicast(dst->mac) ? (void *)&l2_flood_all : (void *)&l2_flood_unknown,
                                      &md->module);
    if (!ports) return iov_drop(ctx, IOV_DROP_INTERNAL);
    return bpf_redirect_map(ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
#endif
    struct flood_state st = {
        .ctx = ctx, .dst = dst, .module = md->module, .in_port = md->in_port, .module_port = IOV_MAX_PORTS, .hops = md->hops};
    bpf_loop(IOV_MAX_PORTS, flood_port, &st, 0);
    if (st.module_port != IOV_MAX_PORTS) return iov_send(ctx, md, st.module_port);
    return iov_consume(ctx); /* every copy is out */
}

/* The reject reply acl_stage made of the packet goes back to its sender;
 * the original counts as rejected. */
static __always_inline int acl_send_reject(struct iov_ctx *ctx, struct iov_md *md, __u32 in_port) {
    iov_count_drop(ctx, IOV_DROP_ACL_REJECT);
    return iov_send(ctx, md, in_port);
}

/* The switch's second programs, entered by tail call through l2_progs:
 * they need more stack or verifier budget than the switch leaves. */
#define L2_PROG_FLOOD 0 /* TC only */
#define L2_PROG_DHCP4 1
#define L2_PROG_DHCP6 2
#define L2_PROG_RA 3
#define L2_PROG_DNS 4

#ifndef IOV_XDP
/* nd_respond as a global function: its frame is not the flood program's,
 * whose call chain to the ACL stage needs that stack. */
__attribute__((noinline)) int nd_respond_global(struct iov_ctx *ctx, __u32 module, __u32 in_port) {
    struct iov_pkt pkt;
    return !iov_parse_eth(ctx, &pkt) && nd_respond(ctx, &pkt, module, in_port);
}

/* Multicast and unknown unicast: the ACL stage of each flood copy and the
 * Neighbor Discovery responder need more stack than the switch leaves (512
 * bytes for a call chain). A Neighbor Solicitation for a known address is
 * answered, anything else flooded. */
SEC(IOV_SEC) int l2switch_flood(struct iov_ctx *ctx) {
    struct iov_md md;
    struct iov_pkt pkt;
    struct l2_dst dst = {};
    if (ctx_md_load(ctx, &md) || md.in_port >= IOV_MAX_PORTS) return iov_drop(ctx, IOV_DROP_INTERNAL);
    int err = iov_parse_eth(ctx, &pkt);
    if (!err) err = read_destination(&pkt, &dst);
    if (err) return iov_drop(ctx, err);
    const struct l2_port *cfg = port_config(md.module, md.in_port);
    const int respond = cfg && !(cfg->flags & L2_PORT_NO_RESPONDER);
    if (respond && pkt.proto == bpf_htons(ETH_P_IPV6) && iov_mac_is_multicast(dst.mac) &&
        nd_respond_global(ctx, md.module, md.in_port))
        return iov_send(ctx, &md, md.in_port);
    return flood(ctx, &md, &dst);
}
#endif

/* A request the switch answers (dhcp4_answers, dhcp6_answers, ra_answers,
 * dns_answers):
 * the reply goes back out of the port it came from, past the port's
 * to-lport ACLs (northd lets DHCP and DNS replies through at priority 34000
 * and Neighbor Discovery at 65532). */
#define L2_ANSWER_PROGRAM(name, respond)                                                             \
    SEC(IOV_SEC) int name(struct iov_ctx *ctx) {                                                   \
        struct iov_md md;                                                                          \
        if (ctx_md_load(ctx, &md) || md.in_port >= IOV_MAX_PORTS) return iov_drop(ctx, IOV_DROP_INTERNAL); \
        const int err = respond(ctx, md.module, md.in_port);                                       \
        return err ? iov_drop(ctx, err) : iov_send(ctx, &md, md.in_port);                          \
    }
L2_ANSWER_PROGRAM(l2switch_dhcp4, dhcp4_respond)
L2_ANSWER_PROGRAM(l2switch_dhcp6, dhcp6_respond)
L2_ANSWER_PROGRAM(l2switch_ra, ra_respond)
L2_ANSWER_PROGRAM(l2switch_dns, dns_respond)

/* The second programs by L2_PROG_* (filled at load; pinned so the kernel
 * keeps the entries while programs use them). */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 5);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(key_size, sizeof(__u32)); /* no BTF key type: program arrays take none */
    __array(values, int(struct iov_ctx *));
} l2_progs SEC(".maps") = {.values = {
#ifndef IOV_XDP
                               [L2_PROG_FLOOD] = (void *)&l2switch_flood,
#endif
                               [L2_PROG_DHCP4] = (void *)&l2switch_dhcp4,
                               [L2_PROG_DHCP6] = (void *)&l2switch_dhcp6,
                               [L2_PROG_RA] = (void *)&l2switch_ra,
                               [L2_PROG_DNS] = (void *)&l2switch_dns,
                           }};

/* The program that answers the packet if it is a request the switch
 * answers (L2_PROG_DHCP4/6, L2_PROG_RA, L2_PROG_DNS), or -1. A global function: its
 * frame is not the switch's, which has no room left in XDP. */
__attribute__((noinline)) int answer_prog_for(struct iov_ctx *ctx, __u32 module, __u32 port, __u32 flags) {
    struct iov_pkt pkt;
    if (iov_parse_eth(ctx, &pkt)) return -1;
    if ((flags & L2_PORT_DHCP4) && pkt.proto == bpf_htons(ETH_P_IP) && dhcp4_answers(&pkt, module, port))
        return L2_PROG_DHCP4;
    if ((flags & L2_PORT_DHCP6) && pkt.proto == bpf_htons(ETH_P_IPV6) && dhcp6_answers(&pkt, module, port))
        return L2_PROG_DHCP6;
    if ((flags & L2_PORT_RA) && pkt.proto == bpf_htons(ETH_P_IPV6) && ra_answers(&pkt, module)) return L2_PROG_RA;
    if ((flags & L2_PORT_DNS) && dns_answers(ctx, &pkt, module)) return L2_PROG_DNS;
    return -1;
}

/* Hands the packet to the second program `prog`. */
static __always_inline int l2_continue_in(struct iov_ctx *ctx, struct iov_md *md, __u32 prog) {
    if (ctx_md_store(ctx, md)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    bpf_tail_call(ctx, &l2_progs, prog);
    return iov_drop(ctx, IOV_DROP_CHAIN_MISSING);
}

/* Multicast and unknown unicast: TC hands the packet to l2switch_flood, XDP
 * floods through a devmap. */
static __always_inline int flood_from(struct iov_ctx *ctx, struct iov_md *md, const struct l2_dst *dst) {
#ifdef IOV_XDP
    return flood(ctx, md, dst);
#else
    (void)dst;
    return l2_continue_in(ctx, md, L2_PROG_FLOOD);
#endif
}

static __always_inline int l2switch(struct iov_ctx *ctx, struct iov_md *md) {
    struct iov_pkt pkt;
    struct l2_dst dst = {};
    const __u32 in_port = md->in_port;

    int err = iov_parse_eth(ctx, &pkt);
    if (err) return iov_drop(ctx, err);
    struct l2_port *cfg = port_config(md->module, in_port);
    if (!cfg || !(cfg->flags & L2_PORT_ENABLED)) return iov_drop(ctx, IOV_DROP_PORT_DISABLED);
    if (iov_mac_is_multicast(pkt.eth->h_source)) return iov_drop(ctx, IOV_DROP_SRC_MAC_MULTICAST);
    err = read_destination(&pkt, &dst);
    if (err) return iov_drop(ctx, err);
    if (cfg->flags & L2_PORT_SECURITY) {
        err = ps_check_ingress(&pkt, (struct ps_port){md->module, in_port});
        if (err) return iov_drop(ctx, err);
    }
    if (cfg->flags & L2_PORT_LEARN) learn(md->module, pkt.eth->h_source, in_port);
    if (cfg->flags & L2_PORT_ACL_IN) {
        err = acl_stage(ctx, md->module, in_port, ACL_DIR_FROM_LPORT);
        if (err == ACL_REJECTED) return acl_send_reject(ctx, md, in_port);
        if (err) return iov_drop(ctx, err);
        if (iov_parse_eth(ctx, &pkt)) return iov_drop(ctx, IOV_DROP_INTERNAL); /* pointers renewed */
    }

    if (cfg->flags & L2_PORT_ANSWERED) {
        const int prog = answer_prog_for(ctx, md->module, in_port, cfg->flags);
        if (prog >= 0) return l2_continue_in(ctx, md, prog);
    }
    const int respond = !(cfg->flags & L2_PORT_NO_RESPONDER);
    if (respond && pkt.proto == bpf_htons(ETH_P_ARP) && arp_respond(&pkt, md->module, in_port))
        return iov_send(ctx, md, in_port);
#ifdef IOV_XDP /* TC: in l2switch_flood */
    if (respond && pkt.proto == bpf_htons(ETH_P_IPV6) && iov_mac_is_multicast(dst.mac) &&
        nd_respond(ctx, &pkt, md->module, in_port))
        return iov_send(ctx, md, in_port);
#endif
    if (iov_mac_is_multicast(dst.mac)) return flood_from(ctx, md, &dst);

    struct l2_fdb_mkey key = {.module = md->module};
    iov_mac_copy(key.key.mac, dst.mac);
    struct l2_fdb_entry *entry = bpf_map_lookup_elem(&l2_fdb, &key);
    if (!entry) return flood_from(ctx, md, &dst);
    const __u32 out_port = entry->port;
    if (out_port == in_port) return iov_drop(ctx, IOV_DROP_SAME_PORT);
    struct l2_port *out = port_config(md->module, out_port);
    if (!out || !(out->flags & L2_PORT_ENABLED)) return iov_drop(ctx, IOV_DROP_PORT_DISABLED);
    if (out->flags & L2_PORT_SECURITY) {
        err = ps_check_egress(&dst, (struct ps_port){md->module, out_port});
        if (err) return iov_drop(ctx, err);
    }
    if (out->flags & L2_PORT_ACL_OUT) {
        err = acl_stage(ctx, md->module, out_port, ACL_DIR_TO_LPORT);
        if (err == ACL_REJECTED) return acl_send_reject(ctx, md, in_port);
        if (err) return iov_drop(ctx, err);
    }
    /* Unicast by the fdb: the same for the flow's next packets (ACL and
     * connection changes renew the flow generation). */
    iov_flow_replayable(ctx);
    return iov_send(ctx, md, out_port);
}

IOV_MODULE(l2switch, l2switch);
