/* Router Solicitations answered by the switch: a solicitation from a port
 * of a switch whose router port advertises (OVN's ipv6_ra_configs; the
 * control plane precomputed the advertisement, table ra, struct l2_ra) gets
 * the advertisement northd's put_nd_ra_opts makes, where OVN sends each
 * solicitation to ovn-controller. As OVN: the solicitation's IPv6 header
 * kept but for the addresses, sent from the router port's MAC and
 * link-local address back to the solicitor (to ff02::1 if it had no address
 * yet) out of the port it came from. */
#ifndef IOVISOR_BPF_ND_RA_H
#define IOVISOR_BPF_ND_RA_H

#include "lib/answer.h"
#include "lib/nd.h"
#include "lib/parse.h"
#include "lib/tables.h"

/* Switch -> the advertisement its router port answers solicitations with. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, IOV_MAX_MODULES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ra_mkey);
    __type(value, struct l2_ra);
} l2_ra SEC(".maps");

#define RA_ICMP_OFF (ETH_HLEN + 40) /* no extension headers */
#define ND_ROUTER_SOLICIT 133

/* The switch's advertisement if it answers this packet (OVN's match:
 * ip6.dst == ff02::2 && nd_rs, i.e. ICMPv6 133 code 0 with hop limit 255);
 * null otherwise. */
static __always_inline const struct l2_ra *ra_answers(const struct iov_pkt *pkt, __u32 module) {
    const struct ipv6hdr *ip6 = pkt->l3;
    if ((void *)(ip6 + 1) > pkt->data_end || ip6->nexthdr != IPPROTO_ICMPV6 || ip6->hop_limit != 255) return 0;
    const __u32 *dst = ip6->daddr.in6_u.u6_addr32;
    if (dst[0] != bpf_htonl(0xff020000) || dst[1] || dst[2] || dst[3] != bpf_htonl(2)) return 0;
    const struct iov_icmp *icmp = (const void *)(ip6 + 1);
    if ((void *)(icmp + 1) > pkt->data_end || icmp->type != ND_ROUTER_SOLICIT || icmp->code != 0) return 0;
    const struct l2_ra_mkey key = {.module = module};
    return bpf_map_lookup_elem(&l2_ra, &key);
}

/* Ethernet and IPv6 headers of the advertisement, from the solicitation's. */
struct ra_headers {
    __u16 pad; /* aligns the IPv6 header */
    struct ethhdr eth;
    struct ipv6hdr ip6;
};

/* Answers the solicitation the switch took (ra_answers) from any of its
 * ports: the packet becomes the advertisement to send back out of the port
 * it came from (returns 0), or the drop reason. */
static __always_inline int ra_respond(struct iov_ctx *ctx, __u32 module, __u32 port) {
    (void)port;
    const struct l2_ra_mkey key = {.module = module};
    const struct l2_ra *o = bpf_map_lookup_elem(&l2_ra, &key);
    __u8 *scratch = answer_scratch_get();
    struct ra_headers h;
    if (!o || !scratch || ctx_load(ctx, 0, &h.eth, RA_ICMP_OFF)) return IOV_DROP_INTERNAL;
    const __u32 len = CTX_CLAMP(o->len, 16, L2_RA_MESSAGE_SIZE);
    __builtin_memcpy(h.eth.h_dest, h.eth.h_source, ETH_ALEN);
    __builtin_memcpy(h.eth.h_source, o->mac, ETH_ALEN);
    if (ip6_is_unspecified(h.ip6.saddr.in6_u.u6_addr8)) {
        __u32 *d = h.ip6.daddr.in6_u.u6_addr32;
        d[0] = bpf_htonl(0xff020000);
        d[1] = d[2] = 0;
        d[3] = bpf_htonl(1);
    } else {
        h.ip6.daddr = h.ip6.saddr;
    }
    __builtin_memcpy(&h.ip6.saddr, o->src, 16);
    h.ip6.payload_len = bpf_htons(len);
    if (ctx_resize(ctx, RA_ICMP_OFF + len) || ctx_store_bytes(ctx, 0, &h.eth, RA_ICMP_OFF) ||
        answer_copy(ctx, RA_ICMP_OFF, o->message, sizeof(o->message), 0, len, scratch))
        return IOV_DROP_INTERNAL;
    const __sum16 check = answer_checksum6(ctx, &h.ip6, IPPROTO_ICMPV6, RA_ICMP_OFF, len, scratch);
    return ctx_store_bytes(ctx, RA_ICMP_OFF + 2, &check, 2) ? IOV_DROP_INTERNAL : 0;
}

#endif /* IOVISOR_BPF_ND_RA_H */
