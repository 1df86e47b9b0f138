/* Header parsing with bounds checks. Each parser returns 0 or the drop
 * reason (enum iov_drop_reason) that explains why the packet is malformed. */
#ifndef IOVISOR_BPF_PARSE_H
#define IOVISOR_BPF_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "lib/ctx.h"

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* ARP for Ethernet/IPv4 (RFC 826), the only kind OVN deals with. */
struct iov_arp {
    __be16 htype;
    __be16 ptype;
    __u8 hlen;
    __u8 plen;
    __be16 op;
    __u8 sha[ETH_ALEN];
    __be32 spa;
    __u8 tha[ETH_ALEN];
    __be32 tpa;
} __attribute__((packed));

/* ICMP header with the echo fields (RFC 792). */
struct iov_icmp {
    __u8 type;
    __u8 code;
    __sum16 checksum;
    __be16 id;
    __be16 seq;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11

#define ARPOP_REQUEST_BE bpf_htons(1)
#define ARPOP_REPLY_BE bpf_htons(2)

/* What the parsers found; pointers are valid until the packet is changed. */
struct iov_pkt {
    __u32 len; /* whole packet; in TC the directly readable part may be shorter */
    void *data_end;
    struct ethhdr *eth;
    void *l3;
    __be16 proto; /* EtherType of l3 */
};

static __always_inline int iov_mac_is_multicast(const __u8 *mac) { return mac[0] & 1; }

static __always_inline int iov_mac_equal(const __u8 *a, const __u8 *b) {
    return *(const __u32 *)a == *(const __u32 *)b && *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline void iov_mac_copy(__u8 *dst, const __u8 *src) {
    *(__u32 *)dst = *(const __u32 *)src;
    *(__u16 *)(dst + 4) = *(const __u16 *)(src + 4);
}

/* Ethernet. VLAN tags are not accepted: OVN VIF ports are access ports. */
static __always_inline int iov_parse_eth(struct iov_ctx *ctx, struct iov_pkt *pkt) {
    pkt->len = CTX_PROG_LEN(ctx);
    pkt->data_end = ctx_data_end(ctx);
    pkt->eth = ctx_data(ctx);
    if ((void *)(pkt->eth + 1) > pkt->data_end) return IOV_DROP_TRUNCATED;
    pkt->proto = pkt->eth->h_proto;
    if (pkt->proto == bpf_htons(ETH_P_8021Q) || pkt->proto == bpf_htons(ETH_P_8021AD))
        return IOV_DROP_VLAN_TAGGED;
    pkt->l3 = pkt->eth + 1;
    return 0;
}

/* IPv4 fixed header plus options: IHL >= 5, header inside the readable
 * data, total length inside the whole packet (TCP payload may sit in pages
 * that only bpf_skb_pull_data makes readable). */
static __always_inline int iov_parse_ipv4(struct iov_pkt *pkt, struct iphdr **out) {
    struct iphdr *ip = pkt->l3;
    if ((void *)(ip + 1) > pkt->data_end) return IOV_DROP_TRUNCATED;
    if (ip->ihl < 5) return IOV_DROP_BAD_IHL;
    if ((void *)ip + ip->ihl * 4 > pkt->data_end) return IOV_DROP_BAD_IHL;
    __u32 tot_len = bpf_ntohs(ip->tot_len);
    if (tot_len < ip->ihl * 4 || tot_len > pkt->len - ETH_HLEN) return IOV_DROP_BAD_IP_LEN;
    *out = ip;
    return 0;
}

static __always_inline int iov_ipv4_is_fragment(const struct iphdr *ip) {
    return (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) != 0;
}

/* Start of the L4 header (after IPv4 options); NULL if not in the packet. */
static __always_inline void *iov_ipv4_l4(const struct iov_pkt *pkt, const struct iphdr *ip, __u32 len) {
    void *l4 = (void *)ip + ip->ihl * 4;
    if (l4 + len > pkt->data_end) return 0;
    return l4;
}

static __always_inline int iov_parse_arp(struct iov_pkt *pkt, struct iov_arp **out) {
    struct iov_arp *arp = pkt->l3;
    if ((void *)(arp + 1) > pkt->data_end) return IOV_DROP_TRUNCATED;
    if (arp->htype != bpf_htons(1) || arp->ptype != bpf_htons(ETH_P_IP) || arp->hlen != ETH_ALEN ||
        arp->plen != 4)
        return IOV_DROP_UNSUPPORTED_L3;
    *out = arp;
    return 0;
}

/* Turns the ARP request `arp` into the reply announcing `ip` at `mac`, in
 * place, addressed back to the asker. */
static __always_inline void iov_arp_make_reply(struct iov_pkt *pkt, struct iov_arp *arp, const __u8 *mac,
                                               __be32 ip) {
    iov_mac_copy(pkt->eth->h_dest, pkt->eth->h_source);
    iov_mac_copy(pkt->eth->h_source, mac);
    arp->op = ARPOP_REPLY_BE;
    iov_mac_copy(arp->tha, arp->sha);
    iov_mac_copy(arp->sha, mac);
    arp->tpa = arp->spa;
    arp->spa = ip;
}

/* ICMPv6 echo and Neighbor Discovery (RFC 4861): a Neighbor Solicitation
 * or Advertisement with one link-layer address option. */
#define IOV_ICMP6_ECHO_REQUEST 128
#define IOV_ICMP6_ECHO_REPLY 129
#define IOV_ND_SOLICIT 135
#define IOV_ND_ADVERT 136
#define IOV_ND_OPT_SOURCE_LL 1
#define IOV_ND_OPT_TARGET_LL 2
#define IOV_ND_ROUTER 0x80000000u    /* NA flags */
#define IOV_ND_SOLICITED 0x40000000u
#define IOV_ND_OVERRIDE 0x20000000u
struct iov_nd {
    __u8 type;
    __u8 code;
    __sum16 checksum;
    __be32 flags;
    __u8 target[16];
    __u8 opt_type;
    __u8 opt_len; /* in units of 8 bytes */
    __u8 opt_mac[ETH_ALEN];
};

static __always_inline int iov_parse_ipv6(struct iov_pkt *pkt, struct ipv6hdr **out) {
    struct ipv6hdr *ip6 = pkt->l3;
    if ((void *)(ip6 + 1) > pkt->data_end) return IOV_DROP_TRUNCATED;
    if (sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > pkt->len - ETH_HLEN) return IOV_DROP_BAD_IP_LEN;
    *out = ip6;
    return 0;
}

#endif /* IOVISOR_BPF_PARSE_H */
