/* What the ACL stage reads of a packet: its connection (the conntrack key),
 * the ICMP error's inner connection, the fields ACLs match, and what a
 * reject reply needs. Read with ctx_load (copies, wherever the bytes sit):
 * no packet pointer outlives a helper, and TC payload in pages is read too. */
#ifndef IOVISOR_BPF_ACL_PARSE_H
#define IOVISOR_BPF_ACL_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

#include "lib/abi.h"
#include "lib/ctx.h"
#include "lib/parse.h"
#include "lib/tables.h"

/* ICMP (RFC 792) and ICMPv6 (RFC 4443) types and codes used here. */
#define ICMP_DEST_UNREACH 3
#define ICMP_PORT_UNREACH 3
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_ADM_PROHIBITED 1
#define ICMPV6_PARAMPROB 4

#define ACL_TCP_FIN 0x01
#define ACL_TCP_SYN 0x02
#define ACL_TCP_RST 0x04
#define ACL_TCP_ACK 0x10

struct acl_pkt {
    struct iov_ct_key ct;    /* the packet's direction of its connection (zone set later) */
    struct iov_ct_key inner; /* an ICMP error's: the connection it is about */
    iov_mac_t eth_src;
    iov_mac_t eth_dst;
    __be16 l3;     /* EtherType */
    __u8 ip;       /* 4 or 6; 0: not IP */
    __u8 is_error; /* an ICMP error whose inner headers were read */
    __u8 l4_read;  /* the L4 header was read (not a later fragment, not behind extension headers) */
    __u8 tcp_flags;
    __u8 l3_len;   /* IP header length */
    __u8 tcp_hlen; /* TCP header length */
    __u8 ttl;      /* TTL / hop limit */
    __be16 l4_src; /* ports, or the ICMP type */
    __be16 l4_dst; /* ports, or the ICMP code */
    __be32 tcp_seq;
    __be32 tcp_ack;
    __u32 tcp_data; /* TCP segment length (payload, plus one each for SYN and FIN) */
    union {         /* headers being read (the stage runs on per-CPU scratch, not the stack) */
        struct ethhdr eth;
        struct iphdr ip;
        struct tcphdr th;
        __u8 bytes[20];
    } buf;
};

/* The ports of a connection's key for the L4 header at `off`: TCP, UDP and
 * SCTP ports; ICMP echo ids like nat's (request (id, 0), reply (0, id)). */
static __always_inline int acl_ct_ports(const struct iov_ctx *ctx, __u32 off, __u8 proto, struct iov_ct_key *key,
                                        __u8 *h) {
    if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP && proto != IPPROTO_ICMP &&
        proto != IPPROTO_ICMPV6)
        return 0;
    if (ctx_load(ctx, off, h, 8)) return IOV_DROP_BAD_L4;
    const __be16 a = *(__be16 *)h, id = *(__be16 *)(h + 4);
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
        const int request = proto == IPPROTO_ICMP ? h[0] == ICMP_ECHO : h[0] == IOV_ICMP6_ECHO_REQUEST;
        const int reply = proto == IPPROTO_ICMP ? h[0] == ICMP_ECHOREPLY : h[0] == IOV_ICMP6_ECHO_REPLY;
        key->sport = request ? id : 0;
        key->dport = reply ? id : 0;
        return 0;
    }
    key->sport = a;
    key->dport = *(__be16 *)(h + 2);
    return 0;
}

/* An IP header at `off` into `key` (addresses, protocol); its length in
 * `l3_len`, or a drop reason. */
static __always_inline int acl_read_ip(const struct iov_ctx *ctx, __u32 off, int v6, struct iov_ct_key *key,
                                       __u8 *l3_len, int *later_fragment, struct iphdr *buf, __u8 *ttl) {
    if (v6) { /* straight into the key: the header would take 40 bytes of stack */
        if (ctx_load(ctx, off + offsetof(struct ipv6hdr, saddr), key->saddr6, 16) ||
            ctx_load(ctx, off + offsetof(struct ipv6hdr, daddr), key->daddr6, 16) ||
            ctx_load(ctx, off + offsetof(struct ipv6hdr, nexthdr), &key->proto, 1) ||
            ctx_load(ctx, off + offsetof(struct ipv6hdr, hop_limit), ttl, 1))
            return IOV_DROP_TRUNCATED;
        key->family = 6;
        *l3_len = sizeof(struct ipv6hdr);
        *later_fragment = 0;
        return 0;
    }
    if (ctx_load(ctx, off, buf, sizeof(*buf))) return IOV_DROP_TRUNCATED;
    if (buf->ihl < 5) return IOV_DROP_BAD_IHL;
    key->saddr = buf->saddr;
    key->daddr = buf->daddr;
    key->proto = buf->protocol;
    *ttl = buf->ttl;
    *l3_len = buf->ihl * 4;
    *later_fragment = (buf->frag_off & bpf_htons(IP_OFFSET)) != 0;
    return 0;
}

static __always_inline int acl_icmp_is_error(__u8 proto, __u8 type) {
    if (proto == IPPROTO_ICMP) return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
    return proto == IPPROTO_ICMPV6 && type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAMPROB;
}

/* The L4 header at `off`: match fields, TCP state, an ICMP error's inner connection. */
static __always_inline int acl_read_l4(const struct iov_ctx *ctx, __u32 off, struct acl_pkt *p) {
    const __u8 proto = p->ct.proto;
    int err = acl_ct_ports(ctx, off, proto, &p->ct, p->buf.bytes);
    if (err) return err;
    if (proto == IPPROTO_TCP) {
        struct tcphdr *th = &p->buf.th;
        if (ctx_load(ctx, off, th, sizeof(*th))) return IOV_DROP_BAD_L4;
        p->tcp_flags = ((__u8 *)th)[13];
        p->tcp_hlen = th->doff * 4;
        p->tcp_seq = th->seq;
        p->tcp_ack = th->ack_seq;
        p->tcp_data = (p->tcp_flags & ACL_TCP_SYN ? 1 : 0) + (p->tcp_flags & ACL_TCP_FIN ? 1 : 0);
    }
    if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6) {
        p->l4_src = p->ct.sport;
        p->l4_dst = p->ct.dport;
        p->l4_read = proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
        return 0;
    }
    __u8 *tc = p->buf.bytes;
    if (ctx_load(ctx, off, tc, 2)) return IOV_DROP_BAD_L4;
    p->l4_src = bpf_htons(tc[0]);
    p->l4_dst = bpf_htons(tc[1]);
    p->l4_read = 1;
    if (!acl_icmp_is_error(proto, tc[0])) return 0;
    __u8 inner_len;
    int later;
    __u8 inner_ttl;
    if (acl_read_ip(ctx, off + 8, p->ip == 6, &p->inner, &inner_len, &later, &p->buf.ip, &inner_ttl))
        return 0; /* not related then */
    if (!later && acl_ct_ports(ctx, off + 8 + inner_len, p->inner.proto, &p->inner, p->buf.bytes)) return 0;
    p->is_error = 1;
    return 0;
}

/* Reads the packet, or returns the reason it is malformed. */
static __always_inline int acl_parse(const struct iov_ctx *ctx, struct acl_pkt *p) {
    struct ethhdr *eth = &p->buf.eth;
    if (ctx_load(ctx, 0, eth, sizeof(*eth))) return IOV_DROP_TRUNCATED;
    __builtin_memcpy(p->eth_src, eth->h_source, 6);
    __builtin_memcpy(p->eth_dst, eth->h_dest, 6);
    p->l3 = eth->h_proto;
    if (p->l3 != bpf_htons(ETH_P_IP) && p->l3 != bpf_htons(ETH_P_IPV6)) return 0;
    p->ip = p->l3 == bpf_htons(ETH_P_IP) ? 4 : 6;
    int later_fragment;
    int err = acl_read_ip(ctx, ETH_HLEN, p->ip == 6, &p->ct, &p->l3_len, &later_fragment, &p->buf.ip, &p->ttl);
    if (err) return err;
    if (later_fragment) return 0; /* no L4 header: ports 0, as OVS matches them */
    err = acl_read_l4(ctx, ETH_HLEN + p->l3_len, p);
    if (err || p->ct.proto != IPPROTO_TCP) return err;
    __u32 ip_len = p->ip == 6 ? p->l3_len + 0u : 0;
    __be16 *len_field = (__be16 *)p->buf.bytes;
    if (ctx_load(ctx, ETH_HLEN + (p->ip == 6 ? 4 : 2), len_field, 2)) return IOV_DROP_TRUNCATED;
    ip_len += bpf_ntohs(*len_field);
    const __u32 headers = p->l3_len + p->tcp_hlen;
    if (ip_len < headers) return IOV_DROP_BAD_L4;
    p->tcp_data += ip_len - headers;
    return 0;
}

/* Bits of each byte reversed: a MAC mask like 01:00:00:00:00:00 (the group
 * bit) becomes a prefix for the LPM lookup. */
static __always_inline void acl_mac_reversed(__u8 *out, const __u8 *mac) {
    __u64 v = 0;
    __builtin_memcpy(&v, mac, 6);
    v = ((v & 0xf0f0f0f0f0f0ull) >> 4) | ((v & 0x0f0f0f0f0f0full) << 4);
    v = ((v & 0xccccccccccccull) >> 2) | ((v & 0x333333333333ull) << 2);
    v = ((v & 0xaaaaaaaaaaaaull) >> 1) | ((v & 0x555555555555ull) << 1);
    __builtin_memcpy(out, &v, 6);
}

/* The bytes of `field` as acl_classes keys them (lib/tables.h ACL_F_*). */
static __always_inline void acl_field_data(const struct acl_pkt *p, __u8 field, __u8 *data) {
    __builtin_memset(data, 0, ACL_CLASS_DATA);
    if (field == ACL_F_ETH_SRC || field == ACL_F_ETH_DST) {
        acl_mac_reversed(data, field == ACL_F_ETH_SRC ? p->eth_src : p->eth_dst);
    } else if (field == ACL_F_IP_TTL) {
        data[0] = p->ttl;
    } else if (field == ACL_F_L4_SRC || field == ACL_F_L4_DST) {
        data[0] = p->ip ? p->ct.proto : 0;
        __builtin_memcpy(data + 1, field == ACL_F_L4_SRC ? &p->l4_src : &p->l4_dst, 2);
    } else {
        __builtin_memcpy(data, &p->l3, 2);
        const int src = field == ACL_F_IP_SRC;
        if (p->ip == 4) __builtin_memcpy(data + 2, src ? &p->ct.saddr : &p->ct.daddr, 4);
        if (p->ip == 6) __builtin_memcpy(data + 2, src ? p->ct.saddr6 : p->ct.daddr6, 16);
    }
}

#endif /* IOVISOR_BPF_ACL_PARSE_H */
