/* An ACL's `reject`: the packet becomes the reply OVN sends from the logical
 * port, addressed back to the sender: a TCP RST for TCP (RFC 793: seq from
 * the segment's ACK, or an ACK of the segment), otherwise an ICMP port
 * unreachable (IPv4) or ICMPv6 administratively prohibited carrying the
 * offending IP header and 8 bytes of what follows.
 *
 * Checksums in TC: a packet a local VM sent with checksum offload
 * (CHECKSUM_PARTIAL) keeps that state, and whoever receives it completes the
 * checksum at csum_start + csum_offset, which BPF cannot change. The reply
 * keeps its L4 header where the original's was (the IP header is rebuilt
 * without options) and is written so that the completion comes out right:
 * a RST holds the pseudo-header sum (its completion is the TCP one); an
 * ICMP error from an offloaded UDP datagram has its checksum complete with
 * the "unused" word (where UDP's checksum was) such that completing it
 * writes what is there. What cannot be made right (IP options or other
 * offloaded protocols, CHECKSUM_COMPLETE) is dropped without a reply. */
#ifndef IOVISOR_BPF_ACL_REJECT_H
#define IOVISOR_BPF_ACL_REJECT_H

#include "lib/acl_parse.h"
#include "lib/csum.h"
#include "lib/flow.h"

#define ACL_REJECT_TTL 255

/* The IP header of the reply, addresses swapped; returns the L4 pseudo-header sum. */
static __always_inline __u32 acl_reply_ip(void *l3, const struct acl_pkt *p, __u8 proto, __u16 l4_len) {
    __u32 sum = bpf_htons(proto) + bpf_htons(l4_len);
    if (p->ip == 6) {
        struct ipv6hdr *ip6 = l3;
        *(__be32 *)ip6 = bpf_htonl(0x60000000);
        ip6->payload_len = bpf_htons(l4_len);
        ip6->nexthdr = proto;
        ip6->hop_limit = ACL_REJECT_TTL;
        __builtin_memcpy(&ip6->saddr, p->ct.daddr6, 16);
        __builtin_memcpy(&ip6->daddr, p->ct.saddr6, 16);
        return csum_add_words((const __u16 *)&ip6->saddr, 16, sum);
    }
    struct iphdr *ip = l3;
    *(__u16 *)ip = bpf_htons(0x4500);
    ip->tot_len = bpf_htons(sizeof(*ip) + l4_len);
    ip->id = 0;
    ip->frag_off = 0;
    ip->ttl = ACL_REJECT_TTL;
    ip->protocol = proto;
    ip->check = 0;
    ip->saddr = p->ct.daddr;
    ip->daddr = p->ct.saddr;
    ip->check = csum_fold32(csum_add_words((const __u16 *)ip, 10, 0));
    return csum_add_words((const __u16 *)&ip->saddr, 4, sum);
}

static __always_inline void acl_reply_eth(struct ethhdr *eth, const struct acl_pkt *p) {
    __builtin_memcpy(eth->h_dest, p->eth_src, ETH_ALEN);
    __builtin_memcpy(eth->h_source, p->eth_dst, ETH_ALEN);
}

static __always_inline int acl_reject_tcp(struct iov_ctx *ctx, const struct acl_pkt *p, int summed) {
    const __u32 l3 = p->ip == 6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
    if (summed == IOV_CHECKSUM_PARTIAL && p->l3_len != l3) return -1;
    if (ctx_resize(ctx, ETH_HLEN + l3 + sizeof(struct tcphdr))) return -1;
    struct ethhdr *eth = ctx_data(ctx);
    struct tcphdr *th = (void *)(eth + 1) + l3;
    if ((void *)(th + 1) > ctx_data_end(ctx)) return -1;
    acl_reply_eth(eth, p);
    const __u32 pseudo = acl_reply_ip(eth + 1, p, IPPROTO_TCP, sizeof(*th));
    __builtin_memset(th, 0, sizeof(*th));
    th->source = p->ct.dport;
    th->dest = p->ct.sport;
    th->doff = 5;
    th->rst = 1;
    if (p->tcp_flags & ACL_TCP_ACK) {
        th->seq = p->tcp_ack;
    } else {
        th->ack = 1;
        th->ack_seq = bpf_htonl(bpf_ntohl(p->tcp_seq) + p->tcp_data);
    }
    th->check = summed == IOV_CHECKSUM_PARTIAL ? (__sum16)~csum_fold32(pseudo)
                                               : csum_fold32(csum_add_words((const __u16 *)th, 10, pseudo));
    return 0;
}

/* The ICMP error quoting the offending IP header (`l3` bytes, no options)
 * and the 8 bytes after it: one layout per family, each with constant
 * offsets for the verifier. */
#define ACL_ICMP_ERROR(name, l3, quote, icmp_proto, type, code)                                           \
    static __always_inline int name(struct iov_ctx *ctx, const struct acl_pkt *p, int summed, __u8 *saved) { \
        if (ctx_load(ctx, ETH_HLEN, saved, (quote))) return -1;                                         \
        if (ctx_resize(ctx, ETH_HLEN + (l3) + 8 + (quote))) return -1;                                  \
        struct ethhdr *eth = ctx_data(ctx);                                                           \
        __u8 *icmp = (__u8 *)(eth + 1) + (l3);                                                        \
        if ((void *)(icmp + 8 + (quote)) > ctx_data_end(ctx)) return -1;                               \
        acl_reply_eth(eth, p);                                                                        \
        const __u32 pseudo = acl_reply_ip(eth + 1, p, icmp_proto, 8 + (quote));                       \
        __builtin_memset(icmp, 0, 8);                                                                 \
        icmp[0] = type;                                                                               \
        icmp[1] = code;                                                                               \
        __builtin_memcpy(icmp + 8, saved, (quote));                                                   \
        __u32 sum = csum_add_words((const __u16 *)icmp, (8 + (quote)) / 2, (l3) == 40 ? pseudo : 0); \
        *(__sum16 *)(icmp + 2) = csum_fold32(sum);                                                    \
        /* Offloaded UDP: the completion sums the message from the ICMP header */                    \
        /* into the word at offset 6 (where UDP's checksum was); holding the */                       \
        /* pseudo-header sum (IPv6; IPv4's ICMP has none) it comes out 0. */                          \
        if (summed == IOV_CHECKSUM_PARTIAL && (l3) == 40)                                             \
            *(__sum16 *)(icmp + 6) = (__sum16)~csum_fold32(pseudo);                                   \
        return 0;                                                                                     \
    }
ACL_ICMP_ERROR(acl_reject_icmp4, 20, 28, IPPROTO_ICMP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH)
ACL_ICMP_ERROR(acl_reject_icmp6, 40, 48, IPPROTO_ICMPV6, ICMPV6_DEST_UNREACH, ICMPV6_ADM_PROHIBITED)

static __always_inline int acl_reject_icmp(struct iov_ctx *ctx, const struct acl_pkt *p, int summed, __u8 *saved) {
    const __u32 l3 = p->ip == 6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
    if (p->l3_len != l3 || (summed == IOV_CHECKSUM_PARTIAL && p->ct.proto != IPPROTO_UDP)) return -1;
    return p->ip == 6 ? acl_reject_icmp6(ctx, p, summed, saved) : acl_reject_icmp4(ctx, p, summed, saved);
}

/* Turns the packet into its reject reply; -1 if it cannot (then dropped).
 * `saved`: room for the quoted headers (ACL_QUOTE_MAX bytes). */
#define ACL_QUOTE_MAX 48
static __always_inline int acl_make_reject(struct iov_ctx *ctx, const struct acl_pkt *p, __u8 *saved) {
    const int summed = iov_csum_state(ctx);
    if (!p->ip || summed < 0 || summed == 2 /* CHECKSUM_COMPLETE */) return -1;
    if (p->ct.proto == IPPROTO_TCP && p->l4_read) return acl_reject_tcp(ctx, p, summed);
    return acl_reject_icmp(ctx, p, summed, saved);
}

#endif /* IOVISOR_BPF_ACL_REJECT_H */
