/* nat: OVN NAT on a router port. Port 0 faces the router (inside), port 1
 * the external network (outside).
 *   snat           inside prefix -> external IP, ports allocated per
 *                  connection (TCP/UDP ports, ICMP echo ids);
 *   dnat           external IP -> logical IP, stateful;
 *   dnat_and_snat  1:1 floating IP, stateless both ways.
 * Connections live in the hook's shared connection table (lib/conntrack.h)
 * in this instance's zone, with per-protocol idle timeouts. Port
 * allocation claims the reply-direction key with BPF_NOEXIST: an atomic
 * insert, so CPUs never take a shared lock. */
#include "lib/chain.h"
#include "lib/conntrack.h"
#include "lib/parse.h"
#include "lib/tables.h"

#define NAT_PORT_TRIES 16

/* The tables of every nat instance of the hook, shared (pinned by name) and
 * keyed by the instance's module id (the model's sharedTable): creating an
 * instance adds entries, not maps. */

/* (instance, inside source prefix) -> external IP and port range (OVN snat). */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct nat_snat_mkey);
    __type(value, struct nat_snat);
} nat_snat_rules SEC(".maps");

/* (instance, external IP) -> logical IP (OVN dnat, stateful). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct nat_ip_mkey);
    __type(value, struct nat_dnat);
} nat_dnat_rules SEC(".maps");

/* (instance, floating IP) -> logical IP (OVN dnat_and_snat, inbound). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct nat_ip_mkey);
    __type(value, struct nat_fip);
} nat_fip_in SEC(".maps");

/* (instance, logical IP) -> floating IP (OVN dnat_and_snat, outbound). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct nat_ip_mkey);
    __type(value, struct nat_fip);
} nat_fip_out SEC(".maps");

/* (instance, external IP) -> MAC answering ARP for it on the outside port. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct nat_ip_mkey);
    __type(value, struct nat_arp);
} nat_arp_ext SEC(".maps");

/* Where a packet's translatable fields are, by offset (helpers that fix
 * checksums invalidate packet pointers). */
struct nat_pkt {
    struct iov_ct_key key;
    __u32 l4_off;
    __u32 csum_off;   /* L4 checksum field */
    __u32 csum_flags; /* CTX_CSUM_UDP for UDP */
    __u8 has_ports;   /* TCP/UDP/ICMP echo: key ports are meaningful */
    __u8 fragment;
};

/* Reads the IPv4 packet (`pkt`, `ip`: already parsed) into `np`; returns 0
 * or a drop reason. */
static __always_inline int nat_parse(struct iov_ctx *ctx, struct iov_pkt pkt, struct iphdr *ip, struct nat_pkt *np) {
    const __u32 l4_off = ETH_HLEN + ip->ihl * 4;
    if ((void *)ip + ip->ihl * 4 + sizeof(struct tcphdr) > pkt.data_end) {
        /* L4 header in pages: make it readable, then parse again. */
        if (ctx_pull(ctx, l4_off + sizeof(struct tcphdr))) return IOV_DROP_INTERNAL;
        if (iov_parse_eth(ctx, &pkt) || iov_parse_ipv4(&pkt, &ip)) return IOV_DROP_TRUNCATED;
    }
    np->key.saddr = ip->saddr;
    np->key.daddr = ip->daddr;
    np->key.proto = ip->protocol;
    np->key.zone = ctx_md_word(ctx, 0); /* this instance's module id */
    np->l4_off = l4_off;
    np->fragment = iov_ipv4_is_fragment(ip);
    if (np->fragment) return 0;

    if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
        struct udphdr *l4 = iov_ipv4_l4(&pkt, ip, ip->protocol == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(*l4));
        if (!l4) return IOV_DROP_BAD_L4;
        np->key.sport = l4->source;
        np->key.dport = l4->dest;
        np->csum_off = l4_off + (ip->protocol == IPPROTO_TCP ? offsetof(struct tcphdr, check)
                                                               : offsetof(struct udphdr, check));
        np->csum_flags = ip->protocol == IPPROTO_UDP ? CTX_CSUM_UDP : 0;
        np->has_ports = 1;
    } else if (ip->protocol == IPPROTO_ICMP) {
        struct iov_icmp *icmp = iov_ipv4_l4(&pkt, ip, sizeof(*icmp));
        if (!icmp) return IOV_DROP_BAD_L4;
        np->csum_off = l4_off + offsetof(struct iov_icmp, checksum);
        if (icmp->type == ICMP_ECHO) {
            np->key.sport = icmp->id;
            np->has_ports = 1;
        } else if (icmp->type == ICMP_ECHOREPLY) {
            np->key.dport = icmp->id;
            np->has_ports = 1;
        }
    }
    return 0;
}

/* Rewrites the source or destination address (and port/id if non-zero):
 * fields and the IP/ICMP checksums directly, then the TCP/UDP checksum. */
static __always_inline int nat_rewrite(struct iov_ctx *ctx, const struct nat_pkt *np, __u8 which, __be32 addr,
                                       __be16 port) {
    const int src = which == NAT_REWRITE_SRC;
    const __be32 old_addr = src ? np->key.saddr : np->key.daddr;
    const __u32 addr_off = ETH_HLEN + (src ? offsetof(struct iphdr, saddr) : offsetof(struct iphdr, daddr));
    const __u8 proto = np->key.proto;
    const int l4_csum = !np->fragment && (proto == IPPROTO_TCP || proto == IPPROTO_UDP);
    const __be16 old_port = src ? np->key.sport : np->key.dport; /* the echo id for ICMP */
    const int new_port = port && np->has_ports && port != old_port;
    const __u32 port_off = proto == IPPROTO_ICMP ? np->l4_off + offsetof(struct iov_icmp, id)
                                                 : np->l4_off + (src ? 0 : 2);

    if (ctx_csum_replace(ctx, ETH_HLEN + offsetof(struct iphdr, check), old_addr, addr, 4)) return -1;
    if (ctx_store(ctx, addr_off, &addr, 4)) return -1;
    if (new_port) {
        if (ctx_store(ctx, port_off, &port, 2)) return -1;
        if (proto == IPPROTO_ICMP && ctx_csum_replace(ctx, np->csum_off, old_port, port, 2)) return -1;
    }
    if (l4_csum && ctx_l4_csum_replace(ctx, np->csum_off, old_addr, addr, CTX_CSUM_PSEUDO | np->csum_flags | 4))
        return -1;
    if (l4_csum && new_port && ctx_l4_csum_replace(ctx, np->csum_off, old_port, port, np->csum_flags | 2))
        return -1;
    return 0;
}

static __always_inline int apply_ct(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np,
                                    const struct iov_ct_entry *e, __u32 out_port) {
    if (e->rewrite != NAT_REWRITE_NONE && nat_rewrite(ctx, np, e->rewrite, e->addr, e->port))
        return iov_drop(ctx, IOV_DROP_INTERNAL);
    return iov_send(ctx, md, out_port);
}

/* A packet of a known connection: its next packets may be replayed from the
 * flow cache (which walks here again at least once per IOV_FLOW_MAX_AGE_NS,
 * so the connection stays fresh). */
static __always_inline int apply_established(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np,
                                             const struct iov_ct_entry *e, __u32 out_port) {
    iov_flow_replayable(ctx);
    return apply_ct(ctx, md, np, e, out_port);
}

/* Claims external `port` for a new SNAT connection: its reply key must be
 * free (an atomic insert, no lock). Fills `fwd`; 0 on success. */
static __always_inline int snat_claim(const struct nat_pkt *np, const struct nat_snat *rule, __be16 port, __u64 now,
                                      struct iov_ct_entry *fwd) {
    const struct iov_ct_entry back = {
        .addr = np->key.saddr, .port = np->key.sport, .rewrite = NAT_REWRITE_DST, .last_seen_ns = now};
    struct iov_ct_key translated = np->key;
    translated.saddr = rule->external_ip;
    translated.sport = port;
    struct iov_ct_key rk = iov_ct_reverse(&translated);
    if (bpf_map_update_elem(&iov_conntrack, &rk, &back, BPF_NOEXIST)) return -1;
    *fwd = (struct iov_ct_entry){.addr = rule->external_ip, .port = port, .rewrite = NAT_REWRITE_SRC, .last_seen_ns = now};
    if (bpf_map_update_elem(&iov_conntrack, &np->key, fwd, BPF_ANY)) {
        bpf_map_delete_elem(&iov_conntrack, &rk);
        return -1;
    }
    return 0;
}

/* SNAT a new connection: its own port if free and in range (as Linux does:
 * nothing to rewrite but the address), else a random one from the range. */
static __always_inline int snat_new(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np,
                                    const struct nat_snat *rule, __u64 now) {
    if (np->fragment) return iov_drop(ctx, IOV_DROP_FRAGMENT);
    if (!np->has_ports) return iov_drop(ctx, IOV_DROP_NAT_PROTO);
    struct iov_ct_entry fwd;
    const __u16 own = bpf_ntohs(np->key.sport);
    if (own >= rule->port_min && own <= rule->port_max && !snat_claim(np, rule, np->key.sport, now, &fwd))
        return apply_ct(ctx, md, np, &fwd, NAT_PORT_OUTSIDE);
    const __u32 range = (__u32)rule->port_max - rule->port_min + 1;
    const __u32 start = bpf_get_prandom_u32();
#pragma unroll
    for (int i = 0; i < NAT_PORT_TRIES; i++) {
        const __be16 port = bpf_htons(rule->port_min + (start + i) % range);
        if (!snat_claim(np, rule, port, now, &fwd)) return apply_ct(ctx, md, np, &fwd, NAT_PORT_OUTSIDE);
    }
    return iov_drop(ctx, IOV_DROP_NAT_NO_PORT);
}

/* DNAT a new inbound connection and remember how to un-DNAT its replies. */
static __always_inline int dnat_new(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np,
                                    const struct nat_dnat *rule, __u64 now) {
    if (np->fragment) return iov_drop(ctx, IOV_DROP_FRAGMENT);
    const struct iov_ct_entry fwd = {.addr = rule->logical_ip, .rewrite = NAT_REWRITE_DST, .last_seen_ns = now};
    const struct iov_ct_entry back = {.addr = np->key.daddr, .rewrite = NAT_REWRITE_SRC, .last_seen_ns = now};
    struct iov_ct_key translated = np->key;
    translated.daddr = rule->logical_ip;
    struct iov_ct_key rk = iov_ct_reverse(&translated);
    if (bpf_map_update_elem(&iov_conntrack, &rk, &back, BPF_ANY) ||
        bpf_map_update_elem(&iov_conntrack, &np->key, &fwd, BPF_ANY))
        return iov_drop(ctx, IOV_DROP_INTERNAL);
    return apply_ct(ctx, md, np, &fwd, NAT_PORT_INSIDE);
}

/* Remembers that the replies of an untranslated inbound connection go out
 * untranslated (no SNAT): a tracked connection wins over the rules. */
static __always_inline void track_untranslated(const struct nat_pkt *np, __u64 now) {
    if (np->fragment || !np->has_ports) return;
    if (np->key.proto == IPPROTO_ICMP && !np->key.sport) return; /* only echo requests start a connection */
    struct iov_ct_key reply = iov_ct_reverse(&np->key);
    if (iov_ct_lookup(&reply, now)) return;
    const struct iov_ct_entry pass = {.rewrite = NAT_REWRITE_NONE, .last_seen_ns = now};
    bpf_map_update_elem(&iov_conntrack, &reply, &pass, BPF_ANY);
}

static __always_inline int outbound(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np) {
    const __u64 now = ctx_now_ns();
    struct iov_ct_entry *e = np->fragment ? 0 : iov_ct_lookup(&np->key, now);
    if (e) return apply_established(ctx, md, np, e, NAT_PORT_OUTSIDE);
    const struct nat_ip_mkey out = {.module = md->module, .key = np->key.saddr};
    struct nat_fip *fip = bpf_map_lookup_elem(&nat_fip_out, &out);
    if (fip) {
        if (nat_rewrite(ctx, np, NAT_REWRITE_SRC, fip->addr, 0)) return iov_drop(ctx, IOV_DROP_INTERNAL);
        iov_flow_replayable(ctx); /* stateless */
        return iov_send(ctx, md, NAT_PORT_OUTSIDE);
    }
    const struct nat_snat_mkey sk = {.prefixlen = 64, .module = md->module, .addr = np->key.saddr};
    struct nat_snat *rule = bpf_map_lookup_elem(&nat_snat_rules, &sk);
    if (rule) return snat_new(ctx, md, np, rule, now);
    iov_flow_replayable(ctx); /* not translated */
    return iov_send(ctx, md, NAT_PORT_OUTSIDE);
}

static __always_inline int inbound(struct iov_ctx *ctx, struct iov_md *md, const struct nat_pkt *np) {
    const __u64 now = ctx_now_ns();
    struct iov_ct_entry *e = np->fragment ? 0 : iov_ct_lookup(&np->key, now);
    if (e) return apply_established(ctx, md, np, e, NAT_PORT_INSIDE);
    const struct nat_ip_mkey in = {.module = md->module, .key = np->key.daddr};
    struct nat_fip *fip = bpf_map_lookup_elem(&nat_fip_in, &in);
    if (fip) {
        if (nat_rewrite(ctx, np, NAT_REWRITE_DST, fip->addr, 0)) return iov_drop(ctx, IOV_DROP_INTERNAL);
        iov_flow_replayable(ctx); /* stateless */
        return iov_send(ctx, md, NAT_PORT_INSIDE);
    }
    struct nat_dnat *rule = bpf_map_lookup_elem(&nat_dnat_rules, &in);
    if (rule) return dnat_new(ctx, md, np, rule, now);
    /* Not translated (an inside address routed from outside, the router's
     * own): its replies leave as they are, not SNATed, as in OVN. */
    track_untranslated(np, now);
    iov_flow_replayable(ctx);
    return iov_send(ctx, md, NAT_PORT_INSIDE);
}

/* ARP on the outside for an external address: answered here. */
static __always_inline int arp_external_reply(struct iov_ctx *ctx, struct iov_md *md, struct iov_pkt *pkt) {
    struct iov_arp *arp;
    if (iov_parse_arp(pkt, &arp) || arp->op != ARPOP_REQUEST_BE) return 0;
    __be32 target = arp->tpa;
    const struct nat_ip_mkey key = {.module = md->module, .key = target};
    struct nat_arp *entry = bpf_map_lookup_elem(&nat_arp_ext, &key);
    if (!entry) return 0;
    iov_arp_make_reply(pkt, arp, entry->mac, target);
    return 1;
}

static __always_inline int nat(struct iov_ctx *ctx, struct iov_md *md) {
    struct iov_pkt pkt;
    int err = iov_parse_eth(ctx, &pkt);
    if (err) return iov_drop(ctx, err);
    const __u32 in_port = md->in_port;
    if (in_port > NAT_PORT_OUTSIDE) return iov_drop(ctx, IOV_DROP_PORT_UNCONNECTED);
    const __u32 other = in_port ^ 1;

    if (pkt.proto == bpf_htons(ETH_P_ARP)) {
        if (in_port == NAT_PORT_OUTSIDE && arp_external_reply(ctx, md, &pkt)) return iov_send(ctx, md, in_port);
        return iov_send(ctx, md, other);
    }
    if (pkt.proto != bpf_htons(ETH_P_IP)) return iov_send(ctx, md, other);
    struct iphdr *ip;
    err = iov_parse_ipv4(&pkt, &ip);
    if (err) return iov_drop(ctx, err);

    struct nat_pkt np = {};
    err = nat_parse(ctx, pkt, ip, &np);
    if (err) return iov_drop(ctx, err);
    return in_port == NAT_PORT_INSIDE ? outbound(ctx, md, &np) : inbound(ctx, md, &np);
}

IOV_MODULE(nat, nat);
