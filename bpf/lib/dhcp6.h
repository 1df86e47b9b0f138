/* Native DHCPv6: the switch answers a port's DHCPv6 requests itself, from
 * what the control plane precomputed for the port (table dhcp6, struct
 * l2_dhcp6), as ovn-controller's pinctrl answers OVN's put_dhcpv6_opts:
 * Solicit gets an Advertise; Request, Confirm, Decline and
 * Information-request a Reply; Release a Reply with a success status;
 * nothing else is answered (OVN's addresses never expire, so there are no
 * Renews to answer). The reply is the request rewritten in place: its
 * transaction id and client id kept, sent back out of the port from
 * server_mac and its link-local address to the client's address, with its
 * UDP checksum. */
#ifndef IOVISOR_BPF_DHCP6_H
#define IOVISOR_BPF_DHCP6_H

#include <linux/udp.h>

#include "lib/answer.h"
#include "lib/dhcp.h"

/* (switch, port, client MAC) -> what that client's requests are answered with. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_dhcp_mkey);
    __type(value, struct l2_dhcp6);
} l2_dhcp6 SEC(".maps");

#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547
#define DHCP6_UDP_OFF (ETH_HLEN + 40) /* no extension headers */
#define DHCP6_OFF (DHCP6_UDP_OFF + 8)
#define DHCP6_OPTIONS_OFF (DHCP6_OFF + 4)
#define DHCP6_CLIENT_ID_MAX 132 /* option header and a DUID of up to 128 bytes */
#define DHCP6_OPTION_STEPS 256

#define DHCP6_SOLICIT 1
#define DHCP6_ADVERTISE 2
#define DHCP6_REQUEST 3
#define DHCP6_CONFIRM 4
#define DHCP6_REPLY 7
#define DHCP6_RELEASE 8
#define DHCP6_DECLINE 9
#define DHCP6_INFO_REQUEST 11

#define DHCP6_OPT_CLIENT_ID 1
#define DHCP6_OPT_IA_NA 3
#define DHCP6_OPT_USER_CLASS 15

/* The port's answers if the switch answers this packet (OVN's match: from
 * the MAC of an address with options, to ff02::1:2, UDP 546 -> 547); null
 * otherwise. */
static __always_inline const struct l2_dhcp6 *dhcp6_answers(const struct iov_pkt *pkt, __u32 module, __u32 port) {
    const struct ipv6hdr *ip6 = pkt->l3;
    if ((void *)(ip6 + 1) > pkt->data_end || ip6->nexthdr != IPPROTO_UDP) return 0;
    const __u32 *dst = ip6->daddr.in6_u.u6_addr32;
    if (dst[0] != bpf_htonl(0xff020000) || dst[1] || dst[2] || dst[3] != bpf_htonl(0x00010002)) return 0;
    const struct udphdr *udp = (const void *)(ip6 + 1);
    if ((void *)(udp + 1) > pkt->data_end || udp->source != bpf_htons(DHCP6_CLIENT_PORT) ||
        udp->dest != bpf_htons(DHCP6_SERVER_PORT))
        return 0;
    struct l2_dhcp_mkey key = {.module = module, .key.port = port};
    iov_mac_copy(key.key.mac, pkt->eth->h_source);
    return bpf_map_lookup_elem(&l2_dhcp6, &key);
}

/* What a request says, read option by option (bpf_loop callback). */
struct dhcp6_request {
    struct iov_ctx *ctx;
    __u32 off, end;       /* the next option; the end of the UDP payload */
    __u32 client_id_off;  /* the client id option, header included */
    __u32 client_id_len;
    __be32 iaid;          /* of the first IA_NA (0: none, as pinctrl reads it) */
    __u8 ipxe;            /* a user class saying iPXE */
    __u8 malformed;       /* an option runs past the end */
};

static int dhcp6_option(__u32 i, struct dhcp6_request *r) {
    struct {
        __be16 code, len;
    } h;
    if (r->off + sizeof(h) > r->end) {
        r->malformed = r->off != r->end;
        return 1;
    }
    if (ctx_load(r->ctx, r->off, &h, sizeof(h))) goto bad;
    const __u32 value = r->off + sizeof(h), len = bpf_ntohs(h.len);
    if (value + len > r->end) goto bad;
    const __u16 code = bpf_ntohs(h.code);
    if (code == DHCP6_OPT_CLIENT_ID) {
        r->client_id_off = r->off;
        r->client_id_len = sizeof(h) + len;
    } else if (code == DHCP6_OPT_IA_NA && len >= 12 && !r->iaid) {
        if (ctx_load(r->ctx, value, &r->iaid, 4)) goto bad;
    } else if (code == DHCP6_OPT_USER_CLASS && len >= 6) {
        char class[4];
        if (ctx_load(r->ctx, value + 2, class, 4)) goto bad;
        r->ipxe = class[0] == 'i' && class[1] == 'P' && class[2] == 'X' && class[3] == 'E';
    }
    r->off = value + len;
    return 0;
bad:
    r->malformed = 1;
    return 1;
}

/* Reads the request: its message type, or 0 and the drop reason in `err`. */
static __always_inline __u8 dhcp6_parse(struct iov_ctx *ctx, struct dhcp6_request *r, int *err) {
    struct udphdr udp;
    __u8 type;
    *err = IOV_DROP_DHCP_MALFORMED;
    if (ctx_load(ctx, DHCP6_UDP_OFF, &udp, sizeof(udp)) || ctx_load(ctx, DHCP6_OFF, &type, 1)) return 0;
    const __u32 end = DHCP6_UDP_OFF + bpf_ntohs(udp.len);
    if (end < DHCP6_OPTIONS_OFF || end > CTX_PROG_LEN(ctx)) return 0;
    r->ctx = ctx;
    r->off = DHCP6_OPTIONS_OFF;
    r->end = end;
    bpf_loop(DHCP6_OPTION_STEPS, dhcp6_option, r, 0);
    if (r->malformed || r->client_id_len < 4 || r->client_id_len > DHCP6_CLIENT_ID_MAX) return 0;
    if (!r->iaid && type != DHCP6_INFO_REQUEST) return 0;
    *err = 0;
    return type;
}

/* What the request has that segments may need (L2_DHCP6_NEED_*). */
static __always_inline __u8 dhcp6_has(const struct dhcp6_request *r, __u8 type) {
    return (r->iaid ? L2_DHCP6_NEED_ADDRESS : 0) | (r->ipxe ? L2_DHCP6_NEED_IPXE : L2_DHCP6_NEED_NOT_IPXE) |
           (type == DHCP6_RELEASE ? L2_DHCP6_NEED_RELEASE : L2_DHCP6_NEED_NOT_RELEASE);
}

/* Ethernet, IPv6 and UDP headers of the reply, from the request's. */
struct dhcp6_headers {
    __u16 pad; /* aligns the IPv6 header */
    struct ethhdr eth;
    struct ipv6hdr ip6;
    struct udphdr udp;
};

/* The reply's length: the request's headers and client id, and each
 * segment the request has what it needs for. */
static __always_inline __u32 dhcp6_reply_len(const struct l2_dhcp6 *o, __u32 client_id_len, __u8 has) {
    __u32 len = DHCP6_OPTIONS_OFF + client_id_len;
#pragma unroll
    for (int i = 0; i < L2_DHCP6_SEGMENTS; i++)
        if (!(o->segments[i].needs & ~has)) len += o->segments[i].len;
    return len;
}

/* Turns the request into the reply of `type`; -1 if it cannot. */
static __always_inline int dhcp6_make_reply(struct iov_ctx *ctx, const struct l2_dhcp6 *o,
                                            const struct dhcp6_request *r, __u8 type, __u8 has) {
    __u8 *scratch = answer_scratch_get();
    struct dhcp6_headers h;
    if (!scratch || ctx_load(ctx, 0, &h.eth, DHCP6_UDP_OFF + 8)) return -1;
    const __u32 cid_len = CTX_CLAMP(r->client_id_len, 4, DHCP6_CLIENT_ID_MAX);
    if (ctx_load(ctx, r->client_id_off, scratch, cid_len)) return -1; /* before the resize may cut it */
    const __u32 len = dhcp6_reply_len(o, cid_len, has);
    __builtin_memcpy(h.eth.h_dest, h.eth.h_source, ETH_ALEN);
    __builtin_memcpy(h.eth.h_source, o->server_mac, ETH_ALEN);
    h.ip6.daddr = h.ip6.saddr;
    __builtin_memcpy(&h.ip6.saddr, o->server_ip, 16);
    h.ip6.payload_len = bpf_htons(len - DHCP6_UDP_OFF);
    h.udp.source = bpf_htons(DHCP6_SERVER_PORT);
    h.udp.dest = bpf_htons(DHCP6_CLIENT_PORT);
    h.udp.len = h.ip6.payload_len;
    h.udp.check = 0;
    if (ctx_resize(ctx, len) || ctx_store_bytes(ctx, 0, &h.eth, DHCP6_UDP_OFF + 8) ||
        ctx_store_bytes(ctx, DHCP6_OFF, &type, 1) || ctx_store_bytes(ctx, DHCP6_OPTIONS_OFF, scratch, cid_len))
        return -1;
    __u32 at = DHCP6_OPTIONS_OFF + cid_len;
#pragma unroll
    for (int i = 0; i < L2_DHCP6_SEGMENTS; i++) {
        const struct l2_dhcp6_segment seg = o->segments[i];
        if (!seg.len || (seg.needs & ~has)) continue;
        if (answer_copy(ctx, at, o->options, sizeof(o->options), seg.off, seg.len, scratch)) return -1;
        if ((seg.needs & L2_DHCP6_NEED_ADDRESS) && ctx_store_bytes(ctx, at + 4, &r->iaid, 4)) return -1;
        at += seg.len;
    }
    h.udp.check = answer_checksum6(ctx, &h.ip6, IPPROTO_UDP, DHCP6_UDP_OFF, len - DHCP6_UDP_OFF, scratch);
    if (!h.udp.check) h.udp.check = 0xffff; /* UDP's zero means none */
    return ctx_store_bytes(ctx, DHCP6_UDP_OFF + 6, &h.udp.check, 2);
}

/* Answers the DHCPv6 request the switch took (dhcp6_answers) from `port`:
 * the packet becomes the reply to send back out of it (returns 0), or the
 * drop reason. */
static __always_inline int dhcp6_respond(struct iov_ctx *ctx, __u32 module, __u32 port) {
    const struct l2_dhcp6 *o = dhcp_answers_for_sender(ctx, &l2_dhcp6, module, port);
    if (!o) return IOV_DROP_INTERNAL;
    struct dhcp6_request r = {};
    int err;
    const __u8 type = dhcp6_parse(ctx, &r, &err);
    if (err) return err;
    __u8 reply = DHCP6_REPLY;
    if (type == DHCP6_SOLICIT) reply = DHCP6_ADVERTISE;
    else if (type != DHCP6_REQUEST && type != DHCP6_CONFIRM && type != DHCP6_DECLINE && type != DHCP6_INFO_REQUEST &&
             type != DHCP6_RELEASE)
        return IOV_DROP_DHCP_NO_REPLY;
    return dhcp6_make_reply(ctx, o, &r, reply, dhcp6_has(&r, type)) ? IOV_DROP_INTERNAL : 0;
}

#endif /* IOVISOR_BPF_DHCP6_H */
