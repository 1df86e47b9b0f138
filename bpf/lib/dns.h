/* DNS answered by the switch: a query from any port of a switch with DNS
 * records, for one of its names (table dns, struct l2_dns), gets the answer
 * ovn-controller's dns_lookup makes, where OVN sends every query to
 * userspace; any other query goes on to its server untouched. The reply is
 * the query rewritten in place, as pinctrl's: its headers kept but swapped
 * (MACs, addresses, UDP ports from 53), the question kept, the answers
 * appended (additional records dropped), TTL 3600, no UDP checksum over
 * IPv4. Deliberate difference: each answer names the question's name by a
 * pointer (RFC 1035 4.1.4) where pinctrl repeats it. */
#ifndef IOVISOR_BPF_DNS_H
#define IOVISOR_BPF_DNS_H

#include <linux/udp.h>

#include "lib/answer.h"
#include "lib/parse.h"
#include "lib/tables.h"

/* (switch, record name) -> its answers. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_dns_mkey);
    __type(value, struct l2_dns);
} l2_dns SEC(".maps");

/* The query dns_answers took, for the answering program that runs right
 * after it (the same packet on the same CPU: a tail call does not migrate). */
struct dns_query {
    struct l2_dns_mkey key;
    __u32 udp_off;      /* the UDP header */
    __u32 question_end; /* past the question's name, type and class */
    __u16 qtype;
    __u16 pad;
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct dns_query);
} dns_query SEC(".maps");

#define DNS_PORT 53
#define DNS_HEADER_LEN 12
#define DNS_UDP4 (ETH_HLEN + 20) /* the UDP header after IPv4 without options */
#define DNS_UDP6 (ETH_HLEN + 40) /* ... after IPv6 without extension headers */
#define DNS_QUESTION(udp) ((udp) + 8 + DNS_HEADER_LEN)
#define DNS_FLAG_RESPONSE 0x80 /* in the first flags byte */
#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255

struct dns_header {
    __be16 id;
    __u8 flags[2];
    __be16 qdcount, ancount, nscount, arcount;
};

/* Where the answers for `qtype` are in `r` and how many; 0: none (OVN
 * answers A, AAAA, ANY and PTR). */
static __always_inline __u32 dns_pick(const struct l2_dns *r, __u16 qtype, __u32 *off, __u32 *len) {
    *off = 0;
    if (qtype == DNS_TYPE_A) {
        *len = r->a_len;
        return r->a_count;
    }
    if (qtype == DNS_TYPE_ANY) {
        *len = r->a_len + r->aaaa_len;
        return r->a_count + r->aaaa_count;
    }
    *off = r->a_len;
    if (qtype == DNS_TYPE_AAAA) {
        *len = r->aaaa_len;
        return r->aaaa_count;
    }
    *off = r->a_len + r->aaaa_len;
    *len = r->ptr_len;
    return qtype == DNS_TYPE_PTR && r->ptr_len ? 1 : 0;
}

/* A name being read in a key (bpf_loop callbacks: the verifier checks a
 * callback once instead of every unrolled step). */
struct dns_name_walk {
    __u8 *name;
    __u32 off; /* the next label */
    __u32 len; /* the name's length with its final zero; 0: not (yet) a name we hold */
};

/* One label: at its end the name's length; stops at a malformed,
 * compressed or too long name (len stays 0). */
static int dns_label(__u32 i, struct dns_name_walk *w) {
    if (w->off >= L2_DNS_NAME_MAX) return 1;
    const __u8 len = w->name[CTX_CLAMP(w->off, 0, L2_DNS_NAME_MAX - 1)];
    if (len > 63) return 1;
    w->off += len + 1;
    if (len == 0) w->len = w->off;
    return len == 0;
}

/* One byte of the key: lowercase (OVN looks names up so), zero past the name. */
static int dns_key_byte(__u32 i, struct dns_name_walk *w) {
    __u8 *c = &w->name[CTX_CLAMP(i, 0, L2_DNS_NAME_MAX - 1)];
    if (i >= w->len) *c = 0;
    else if (*c >= 'A' && *c <= 'Z') *c += 32;
    return 0;
}

/* The UDP header's offset if the packet is UDP to port 53 over IPv4 without
 * options or over IPv6 without extension headers; 0 otherwise. */
static __always_inline __u32 dns_udp_offset(const struct iov_pkt *pkt) {
    const struct udphdr *udp;
    __u32 off;
    if (pkt->proto == bpf_htons(ETH_P_IP)) {
        const struct iphdr *ip = pkt->l3;
        if ((void *)(ip + 1) > pkt->data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP || iov_ipv4_is_fragment(ip))
            return 0;
        udp = (const void *)(ip + 1);
        off = ETH_HLEN + sizeof(*ip);
    } else if (pkt->proto == bpf_htons(ETH_P_IPV6)) {
        const struct ipv6hdr *ip6 = pkt->l3;
        if ((void *)(ip6 + 1) > pkt->data_end || ip6->nexthdr != IPPROTO_UDP) return 0;
        udp = (const void *)(ip6 + 1);
        off = ETH_HLEN + sizeof(*ip6);
    } else {
        return 0;
    }
    if ((void *)(udp + 1) > pkt->data_end || udp->dest != bpf_htons(DNS_PORT)) return 0;
    return off;
}

/* Whether the switch answers this packet (OVN's match: udp.dst == 53, a
 * query with a question for one of the switch's names of a type it has
 * answers for); leaves the question in dns_query for l2switch_dns. */
static __always_inline int dns_answers(struct iov_ctx *ctx, const struct iov_pkt *pkt, __u32 module) {
    const __u32 zero = 0, udp_off = dns_udp_offset(pkt);
    struct dns_query *q = bpf_map_lookup_elem(&dns_query, &zero);
    struct dns_header h;
    struct udphdr udp;
    if (!udp_off || !q || ctx_load(ctx, udp_off, &udp, sizeof(udp)) ||
        ctx_load(ctx, udp_off + sizeof(udp), &h, sizeof(h)) || (h.flags[0] & DNS_FLAG_RESPONSE) || !h.qdcount)
        return 0;
    const __u32 name_off = udp_off + sizeof(udp) + DNS_HEADER_LEN;
    __u32 end = udp_off + bpf_ntohs(udp.len);
    if (end > CTX_PROG_LEN(ctx)) end = CTX_PROG_LEN(ctx);
    if (name_off >= end) return 0;
    const __u32 loaded = CTX_CLAMP(end - name_off, 1, L2_DNS_NAME_MAX);
    if (ctx_load(ctx, name_off, q->key.key.name, loaded)) return 0;
    struct dns_name_walk w = {.name = q->key.key.name};
    bpf_loop(L2_DNS_NAME_MAX / 2, dns_label, &w, 0);
    const __u32 len = w.len;
    if (!len || len > loaded || name_off + len + 4 > end) return 0;
    bpf_loop(L2_DNS_NAME_MAX, dns_key_byte, &w, 0);
    __be16 qtype;
    if (ctx_load(ctx, name_off + len, &qtype, sizeof(qtype))) return 0;
    q->key.module = module;
    q->udp_off = udp_off;
    q->question_end = name_off + len + 4;
    q->qtype = bpf_ntohs(qtype);
    const struct l2_dns *r = bpf_map_lookup_elem(&l2_dns, &q->key);
    __u32 off, n;
    return r && dns_pick(r, q->qtype, &off, &n) > 0;
}

/* Swaps the `half`-byte fields at `off` and `off + half` (MACs, addresses). */
static __always_inline int dns_swap(struct iov_ctx *ctx, __u32 off, __u32 half) {
    __u8 a[16], b[16];
    half = CTX_CLAMP(half, 4, 16);
    if (ctx_load(ctx, off, a, half) || ctx_load(ctx, off + half, b, half)) return -1;
    return ctx_store_bytes(ctx, off, b, half) || ctx_store_bytes(ctx, off + half, a, half);
}

/* The reply's IP and UDP lengths and checksums, for `len` bytes in all.
 * Not inlined: its buffers must not reuse answer_copy's dynptr slots. */
static __attribute__((noinline)) int dns_reply_l3(struct iov_ctx *ctx, __u32 udp_off, __u32 len, __u8 *scratch) {
    const __be16 udp_len = bpf_htons(len - udp_off);
    __sum16 check = 0;
    if (udp_off == DNS_UDP4) {
        struct iphdr ip;
        if (ctx_load(ctx, ETH_HLEN, &ip, sizeof(ip))) return -1;
        ip.tot_len = bpf_htons(len - ETH_HLEN);
        answer_ip4_checksum(&ip);
        check = answer_udp4_check(ctx, &ip, udp_len);
        return ctx_store_bytes(ctx, ETH_HLEN, &ip, sizeof(ip)) || ctx_store_bytes(ctx, udp_off + 4, &udp_len, 2) ||
               ctx_store_bytes(ctx, udp_off + 6, &check, 2);
    }
    struct ipv6hdr ip6;
    if (ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6))) return -1;
    ip6.payload_len = udp_len;
    if (ctx_store_bytes(ctx, ETH_HLEN, &ip6, sizeof(ip6)) || ctx_store_bytes(ctx, udp_off + 4, &udp_len, 2) ||
        ctx_store_bytes(ctx, udp_off + 6, &check, 2))
        return -1;
    check = answer_checksum6(ctx, &ip6, IPPROTO_UDP, udp_off, len - udp_off, scratch);
    if (!check) check = 0xffff; /* UDP's zero means none */
    return ctx_store_bytes(ctx, udp_off + 6, &check, 2);
}

/* Answers the query dns_answers took from any port of the switch: the
 * packet becomes the reply to send back out of the port it came from
 * (returns 0), or the drop reason. */
static __always_inline int dns_respond(struct iov_ctx *ctx, __u32 module, __u32 port) {
    (void)port;
    const __u32 zero = 0;
    struct dns_query *q = bpf_map_lookup_elem(&dns_query, &zero);
    __u8 *scratch = answer_scratch_get();
    if (!q || !scratch || q->key.module != module) return IOV_DROP_INTERNAL;
    const struct l2_dns *r = bpf_map_lookup_elem(&l2_dns, &q->key);
    __u32 off, len;
    const __u32 count = r ? dns_pick(r, q->qtype, &off, &len) : 0;
    if (!count) return IOV_DROP_INTERNAL;
    const int ip4 = q->udp_off == DNS_UDP4;
    const __u32 udp_off = ip4 ? DNS_UDP4 : DNS_UDP6, dns_off = udp_off + sizeof(struct udphdr);
    /* The question's end, bounded for the verifier: a name of 1 to L2_DNS_NAME_MAX bytes, type, class. */
    const __u32 at = ip4 ? CTX_CLAMP(q->question_end, DNS_QUESTION(DNS_UDP4) + 5, DNS_QUESTION(DNS_UDP4) + L2_DNS_NAME_MAX + 4)
                         : CTX_CLAMP(q->question_end, DNS_QUESTION(DNS_UDP6) + 5, DNS_QUESTION(DNS_UDP6) + L2_DNS_NAME_MAX + 4);
    len = CTX_CLAMP(len, 1, L2_DNS_ANSWERS_SIZE);
    struct dns_header h;
    __be16 ports[2];
    if (ctx_load(ctx, dns_off, &h, sizeof(h)) || ctx_load(ctx, udp_off, ports, sizeof(ports))) return IOV_DROP_INTERNAL;
    h.flags[0] |= DNS_FLAG_RESPONSE;
    h.ancount = bpf_htons(count);
    h.arcount = 0;
    ports[1] = ports[0];
    ports[0] = bpf_htons(DNS_PORT);
    if (ctx_resize(ctx, at + len) || dns_swap(ctx, 0, ETH_ALEN) ||
        dns_swap(ctx, ip4 ? ETH_HLEN + 12 : ETH_HLEN + 8, ip4 ? 4 : 16) || ctx_store_bytes(ctx, udp_off, ports, 4) ||
        ctx_store_bytes(ctx, dns_off, &h, sizeof(h)) ||
        answer_copy(ctx, at, r->answers, sizeof(r->answers), off, len, scratch) ||
        dns_reply_l3(ctx, udp_off, at + len, scratch))
        return IOV_DROP_INTERNAL;
    return 0;
}

#endif /* IOVISOR_BPF_DNS_H */
