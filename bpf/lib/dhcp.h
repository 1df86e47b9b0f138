/* Native DHCPv4: the switch answers a port's DHCP requests itself, from
 * what the control plane precomputed for the port (table dhcp4, struct
 * l2_dhcp4), where OVN sends each request to ovn-controller (put_dhcp_opts,
 * pinctrl). The reply follows pinctrl: the request rewritten in place (its
 * BOOTP header kept: xid, secs, flags, ciaddr, giaddr, chaddr, sname,
 * file), sent back out of the port from server_mac and server_id to the
 * offered address (255.255.255.255 if the client sets the broadcast flag),
 * its options laid out as message type, the port's options, 4 pad bytes,
 * end, 4 pad bytes. DISCOVER gets an OFFER, REQUEST an ACK (a NAK unless
 * it asks for the offered address), INFORM an ACK without netmask and lease
 * times; RELEASE and DECLINE get nothing. */
#ifndef IOVISOR_BPF_DHCP_H
#define IOVISOR_BPF_DHCP_H

#include <linux/udp.h>

#include "lib/answer.h"
#include "lib/chain.h"
#include "lib/parse.h"
#include "lib/tables.h"

/* (switch, port, client MAC) -> what that client's requests are answered with. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_dhcp_mkey);
    __type(value, struct l2_dhcp4);
} l2_dhcp4 SEC(".maps");

#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68
/* Offsets in the frame: untagged, IPv4 header without options (requests
 * with IP options take the normal path). */
#define DHCP4_UDP_OFF (ETH_HLEN + 20)
#define DHCP4_OFF (DHCP4_UDP_OFF + 8)
#define DHCP4_FLAGS_OFF (DHCP4_OFF + 10)
#define DHCP4_YIADDR_OFF (DHCP4_OFF + 16)
#define DHCP4_SIADDR_OFF (DHCP4_OFF + 20)
#define DHCP4_COOKIE_OFF (DHCP4_OFF + 236)
#define DHCP4_OPTIONS_OFF (DHCP4_OFF + 240)
#define DHCP4_MAGIC 0x63825363
#define DHCP4_FLAG_BROADCAST 0x8000
#define DHCP4_OPTION_STEPS 1500 /* more than a frame's option bytes */

#define DHCP4_DISCOVER 1
#define DHCP4_OFFER 2
#define DHCP4_REQUEST 3
#define DHCP4_DECLINE 4
#define DHCP4_ACK 5
#define DHCP4_NAK 6
#define DHCP4_RELEASE 7
#define DHCP4_INFORM 8

#define DHCP4_OPT_PAD 0
#define DHCP4_OPT_REQUESTED_IP 50
#define DHCP4_OPT_MSG_TYPE 53
#define DHCP4_OPT_ETHERBOOT 175 /* sent by iPXE */
#define DHCP4_OPT_END 255

/* The port's answers if the switch answers this packet (OVN's match: from
 * the MAC of an address with options, UDP 68 -> 67, from 0.0.0.0 or the
 * offered address, to 255.255.255.255 or the server); null otherwise. */
static __always_inline const struct l2_dhcp4 *dhcp4_answers(const struct iov_pkt *pkt, __u32 module, __u32 port) {
    const struct iphdr *ip = pkt->l3;
    if ((void *)(ip + 1) > pkt->data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP || iov_ipv4_is_fragment(ip))
        return 0;
    const struct udphdr *udp = (const void *)(ip + 1);
    if ((void *)(udp + 1) > pkt->data_end || udp->source != bpf_htons(DHCP4_CLIENT_PORT) ||
        udp->dest != bpf_htons(DHCP4_SERVER_PORT))
        return 0;
    struct l2_dhcp_mkey key = {.module = module, .key.port = port};
    iov_mac_copy(key.key.mac, pkt->eth->h_source);
    const struct l2_dhcp4 *o = bpf_map_lookup_elem(&l2_dhcp4, &key);
    if (!o || (ip->saddr && ip->saddr != o->offer_ip) || (ip->daddr != 0xffffffff && ip->daddr != o->server_ip))
        return 0;
    return o;
}

/* What a request says, read option by option (bpf_loop callback). */
struct dhcp4_request {
    struct iov_ctx *ctx;
    __u32 off, end; /* the next option; the end of the UDP payload */
    __be32 requested; /* option 50 */
    __u8 type;        /* option 53 */
    __u8 ipxe;        /* option 175 seen */
    __u8 malformed;   /* an option runs past the end */
};

static int dhcp4_option(__u32 i, struct dhcp4_request *r) {
    __u8 opt[2];
    if (r->off >= r->end) return 1;
    if (ctx_load(r->ctx, r->off, opt, 1)) goto bad;
    if (opt[0] == DHCP4_OPT_PAD) {
        r->off += 1;
        return 0;
    }
    if (opt[0] == DHCP4_OPT_END) return 1;
    if (r->off + 2 > r->end || ctx_load(r->ctx, r->off, opt, 2)) goto bad;
    const __u32 value = r->off + 2;
    r->off = value + opt[1];
    if (r->off > r->end) goto bad;
    if (opt[0] == DHCP4_OPT_MSG_TYPE && opt[1] == 1 && ctx_load(r->ctx, value, &r->type, 1)) goto bad;
    if (opt[0] == DHCP4_OPT_REQUESTED_IP && opt[1] == 4 && ctx_load(r->ctx, value, &r->requested, 4)) goto bad;
    if (opt[0] == DHCP4_OPT_ETHERBOOT) r->ipxe = 1;
    return 0;
bad:
    r->malformed = 1;
    return 1;
}

/* The fixed part of a BOOTP message the reply depends on. */
struct dhcp4_fixed {
    __u8 op, htype, hlen, hops;
    __be32 xid;
    __be16 secs, flags;
    __be32 ciaddr, yiaddr, siaddr;
};

/* Reads the request; 0 or the drop reason. */
static __always_inline int dhcp4_parse(struct iov_ctx *ctx, struct dhcp4_request *r, struct dhcp4_fixed *h) {
    struct udphdr udp;
    __be32 cookie;
    if (ctx_load(ctx, DHCP4_UDP_OFF, &udp, sizeof(udp)) || ctx_load(ctx, DHCP4_OFF, h, sizeof(*h)) ||
        ctx_load(ctx, DHCP4_COOKIE_OFF, &cookie, sizeof(cookie)))
        return IOV_DROP_DHCP_MALFORMED;
    const __u32 end = DHCP4_UDP_OFF + bpf_ntohs(udp.len);
    if (end < DHCP4_OPTIONS_OFF || end > CTX_PROG_LEN(ctx) || h->op != 1 || h->htype != 1 || h->hlen != ETH_ALEN ||
        cookie != bpf_htonl(DHCP4_MAGIC))
        return IOV_DROP_DHCP_MALFORMED;
    r->ctx = ctx;
    r->off = DHCP4_OPTIONS_OFF;
    r->end = end;
    bpf_loop(DHCP4_OPTION_STEPS, dhcp4_option, r, 0);
    return r->malformed || !r->type ? IOV_DROP_DHCP_MALFORMED : 0;
}

/* The reply's message type; 0: none is due. */
static __always_inline __u8 dhcp4_reply_type(const struct dhcp4_request *r, const struct dhcp4_fixed *h,
                                             const struct l2_dhcp4 *o) {
    if (r->type == DHCP4_DISCOVER) return DHCP4_OFFER;
    if (r->type == DHCP4_REQUEST) return (r->requested ? r->requested : h->ciaddr) == o->offer_ip ? DHCP4_ACK : DHCP4_NAK;
    if (r->type == DHCP4_INFORM) return DHCP4_ACK;
    return 0;
}

/* Where the reply's options come from in l2_dhcp4.options (see tables.h). */
struct dhcp4_segments {
    __u32 boot_off, boot_len, rest_off, rest_len;
};

static __always_inline int dhcp4_segments(const struct l2_dhcp4 *o, const struct dhcp4_request *r, __u8 type,
                                          struct dhcp4_segments *s) {
    __builtin_memset(s, 0, sizeof(*s));
    if (type == DHCP4_NAK) return 0; /* the message type alone */
    const __u32 alt = o->boot_alt_len, boot = o->boot_len, lease = o->lease_len, rest = o->rest_len;
    if (alt > L2_DHCP4_BOOT_MAX || boot > L2_DHCP4_BOOT_MAX || lease > L2_DHCP4_LEASE_MAX || rest > L2_DHCP4_REST_MAX)
        return -1;
    const int boot_for_ipxe = boot && (r->ipxe || !alt);
    s->boot_off = boot_for_ipxe ? alt : 0;
    s->boot_len = boot_for_ipxe ? boot : alt;
    const int inform = r->type == DHCP4_INFORM;
    s->rest_off = alt + boot + (inform ? lease : 0);
    s->rest_len = (inform ? 0 : lease) + rest;
    return 0;
}

/* Ethernet, IPv4 and UDP headers of the reply, from the request's (the
 * padding aligns the IP header for the checksum's word reads). */
struct dhcp4_headers {
    __u16 pad;
    struct ethhdr eth;
    struct iphdr ip;
    struct udphdr udp;
};
#define DHCP4_HEADERS_LEN DHCP4_OFF

static __always_inline void dhcp4_reply_headers(struct iov_ctx *ctx, struct dhcp4_headers *h, const struct l2_dhcp4 *o,
                                                __be16 flags, __u32 len) {
    __builtin_memcpy(h->eth.h_dest, h->eth.h_source, ETH_ALEN); /* 2-byte aligned: no word copies */
    __builtin_memcpy(h->eth.h_source, o->server_mac, ETH_ALEN);
    h->ip.tot_len = bpf_htons(len - ETH_HLEN);
    h->ip.saddr = o->server_ip;
    h->ip.daddr = flags & bpf_htons(DHCP4_FLAG_BROADCAST) ? 0xffffffff : o->offer_ip;
    answer_ip4_checksum(&h->ip);
    h->udp.source = bpf_htons(DHCP4_SERVER_PORT);
    h->udp.dest = bpf_htons(DHCP4_CLIENT_PORT);
    h->udp.len = bpf_htons(len - DHCP4_UDP_OFF);
    h->udp.check = answer_udp4_check(ctx, &h->ip, h->udp.len);
}

/* Turns the request into the reply of `type`; -1 if it cannot. */
static __always_inline int dhcp4_make_reply(struct iov_ctx *ctx, const struct l2_dhcp4 *o, const struct dhcp4_request *r,
                                            const struct dhcp4_fixed *req, __u8 type) {
    static const __u8 trailer[9] = {0, 0, 0, 0, DHCP4_OPT_END, 0, 0, 0, 0};
    struct dhcp4_segments s;
    struct dhcp4_headers h;
    if (dhcp4_segments(o, r, type, &s) || ctx_load(ctx, 0, &h.eth, DHCP4_HEADERS_LEN)) return -1;
    const __u32 boot_at = DHCP4_OPTIONS_OFF + 3, rest_at = boot_at + s.boot_len, end_at = rest_at + s.rest_len;
    dhcp4_reply_headers(ctx, &h, o, req->flags, end_at + sizeof(trailer));
    const __u8 op = 2, msg_type[3] = {DHCP4_OPT_MSG_TYPE, 1, type};
    const __be32 yiaddr = type == DHCP4_NAK || r->type == DHCP4_INFORM ? 0 : o->offer_ip;
    __be32 siaddr = req->siaddr;
    if (type == DHCP4_NAK) siaddr = 0;
    else if (r->type != DHCP4_INFORM && (o->flags & L2_DHCP4_NEXT_SERVER)) siaddr = o->next_server;
    if (ctx_resize(ctx, end_at + sizeof(trailer)) || ctx_store_bytes(ctx, 0, &h.eth, DHCP4_HEADERS_LEN) ||
        ctx_store_bytes(ctx, DHCP4_OFF, &op, 1) || ctx_store_bytes(ctx, DHCP4_YIADDR_OFF, &yiaddr, 4) ||
        ctx_store_bytes(ctx, DHCP4_SIADDR_OFF, &siaddr, 4) ||
        ctx_store_bytes(ctx, DHCP4_OPTIONS_OFF, msg_type, sizeof(msg_type)))
        return -1;
    /* Each segment's bounds (dhcp4_segments) keep offset + length inside options. */
    if (s.boot_len && ctx_store_bytes(ctx, boot_at, o->options + CTX_CLAMP(s.boot_off, 0, L2_DHCP4_BOOT_MAX),
                                      CTX_CLAMP(s.boot_len, 1, L2_DHCP4_BOOT_MAX)))
        return -1;
    if (s.rest_len &&
        ctx_store_bytes(ctx, rest_at, o->options + CTX_CLAMP(s.rest_off, 0, 2 * L2_DHCP4_BOOT_MAX + L2_DHCP4_LEASE_MAX),
                        CTX_CLAMP(s.rest_len, 1, L2_DHCP4_REST_MAX + L2_DHCP4_LEASE_MAX)))
        return -1;
    return ctx_store_bytes(ctx, end_at, trailer, sizeof(trailer));
}

/* What `answers` (l2_dhcp4 or l2_dhcp6) holds for the sender of the frame
 * on `port` (its source MAC), or null. */
static __always_inline const void *dhcp_answers_for_sender(struct iov_ctx *ctx, void *answers, __u32 module, __u32 port) {
    struct l2_dhcp_mkey key = {.module = module, .key.port = port};
    if (ctx_load(ctx, ETH_ALEN, key.key.mac, ETH_ALEN)) return 0;
    return bpf_map_lookup_elem(answers, &key);
}

/* Answers the DHCP request the switch took (dhcp4_answers) from `port`:
 * the packet becomes the reply to send back out of it (returns 0), or the
 * drop reason. */
static __always_inline int dhcp4_respond(struct iov_ctx *ctx, __u32 module, __u32 port) {
    const struct l2_dhcp4 *o = dhcp_answers_for_sender(ctx, &l2_dhcp4, module, port);
    if (!o) return IOV_DROP_INTERNAL;
    struct dhcp4_request r = {};
    struct dhcp4_fixed req;
    const int err = dhcp4_parse(ctx, &r, &req);
    if (err) return err;
    const __u8 type = dhcp4_reply_type(&r, &req, o);
    if (!type) return IOV_DROP_DHCP_NO_REPLY;
    return dhcp4_make_reply(ctx, o, &r, &req, type) ? IOV_DROP_INTERNAL : 0;
}

#endif /* IOVISOR_BPF_DHCP_H */
