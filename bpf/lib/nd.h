/* IPv6 Neighbor Discovery (RFC 4861) shared by the router and the l2switch:
 * address helpers, the ICMPv6 checksum, and turning a Neighbor Solicitation
 * into the Advertisement that answers it. */
#ifndef IOVISOR_BPF_ND_H
#define IOVISOR_BPF_ND_H

#include "lib/csum.h"
#include "lib/ctx.h"
#include "lib/parse.h"

static __always_inline void ip6_copy(__u8 *dst, const __u8 *src) { __builtin_memcpy(dst, src, 16); }

static __always_inline int ip6_is_unspecified(const __u8 *a) {
    const __u32 *w = (const __u32 *)a;
    return !(w[0] | w[1] | w[2] | w[3]);
}

/* ICMPv6 checksum over the pseudo-header (addresses, length, next header)
 * and `len` bytes of message at `msg` (bounds checked by the caller). */
static __always_inline __sum16 icmp6_csum(struct ipv6hdr *ip6, void *msg, __u32 len) {
    __s64 sum = bpf_csum_diff(0, 0, (__be32 *)&ip6->saddr, 32, 0);
    sum = bpf_csum_diff(0, 0, (__be32 *)msg, len, sum);
    __u64 total = (__u32)sum + bpf_htonl(len) + bpf_htonl(IPPROTO_ICMPV6);
    total = (total & 0xffffffff) + (total >> 32);
    return csum_fold32((__u32)total + (__u32)(total >> 32));
}

/* The Neighbor Solicitation in `pkt`, if it is one: its target (copied to
 * `target`). Returns 1 for a solicitation, 0 otherwise. */
static __always_inline int nd_solicited_target(struct iov_pkt *pkt, __u8 *target) {
    struct ipv6hdr *ip6;
    if (pkt->proto != bpf_htons(ETH_P_IPV6) || iov_parse_ipv6(pkt, &ip6) || ip6->nexthdr != IPPROTO_ICMPV6) return 0;
    struct iov_nd *nd = (void *)(ip6 + 1);
    if ((void *)&nd->opt_type > pkt->data_end || nd->type != IOV_ND_SOLICIT || nd->code != 0) return 0;
    if (bpf_ntohs(ip6->payload_len) < offsetof(struct iov_nd, opt_type)) return 0; /* target past the payload */
    ip6_copy(target, nd->target);
    return 1;
}

/* Rewrites the solicitation in the packet into the Advertisement of `target`
 * at `mac` (NA flags: IOV_ND_ROUTER or 0), addressed back to the asker, or to
 * all nodes for duplicate address detection. Returns 0, or -1 if the packet
 * is not a whole solicitation or cannot be reshaped. */
static __always_inline int nd_make_advert(struct iov_ctx *ctx, const __u8 *target, const __u8 *mac, __u32 flags) {
    struct iov_pkt pkt;
    struct ipv6hdr *ip6;
    if (iov_parse_eth(ctx, &pkt) || iov_parse_ipv6(&pkt, &ip6)) return -1;
    __u8 asker_mac[ETH_ALEN], asker[16], tgt[16], own_mac[ETH_ALEN];
    iov_mac_copy(asker_mac, pkt.eth->h_source);
    ip6_copy(asker, ip6->saddr.in6_u.u6_addr8);
    ip6_copy(tgt, target);
    iov_mac_copy(own_mac, mac);
    const int dad = ip6_is_unspecified(asker);

    if (ctx_resize(ctx, ETH_HLEN + sizeof(struct ipv6hdr) + sizeof(struct iov_nd))) return -1;
    struct ethhdr *eth = ctx_data(ctx);
    ip6 = (void *)(eth + 1);
    struct iov_nd *nd = (void *)(ip6 + 1);
    if ((void *)(nd + 1) > ctx_data_end(ctx)) return -1;
    if (dad) { /* ff02::1, 33:33:00:00:00:01 */
        const __u8 all_nodes_mac[ETH_ALEN] = {0x33, 0x33, 0, 0, 0, 1};
        iov_mac_copy(eth->h_dest, all_nodes_mac);
        __u32 *d = (__u32 *)ip6->daddr.in6_u.u6_addr8;
        d[0] = bpf_htonl(0xff020000);
        d[1] = 0;
        d[2] = 0;
        d[3] = bpf_htonl(1);
    } else {
        iov_mac_copy(eth->h_dest, asker_mac);
        ip6_copy(ip6->daddr.in6_u.u6_addr8, asker);
    }
    iov_mac_copy(eth->h_source, own_mac);
    *(__be32 *)ip6 = bpf_htonl(0x60000000);
    ip6->payload_len = bpf_htons(sizeof(struct iov_nd));
    ip6->nexthdr = IPPROTO_ICMPV6;
    ip6->hop_limit = 255;
    ip6_copy(ip6->saddr.in6_u.u6_addr8, tgt);
    nd->type = IOV_ND_ADVERT;
    nd->code = 0;
    nd->checksum = 0;
    nd->flags = bpf_htonl(flags | IOV_ND_OVERRIDE | (dad ? 0 : IOV_ND_SOLICITED));
    ip6_copy(nd->target, tgt);
    nd->opt_type = IOV_ND_OPT_TARGET_LL;
    nd->opt_len = 1;
    iov_mac_copy(nd->opt_mac, own_mac);
    nd->checksum = icmp6_csum(ip6, nd, sizeof(*nd));
    return 0;
}

#endif /* IOVISOR_BPF_ND_H */
