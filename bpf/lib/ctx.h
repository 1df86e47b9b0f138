/* One source, two hooks: modules are written against `struct iov_ctx` and
 * compiled twice, once for TC (default) and once with -DIOV_XDP. This header
 * hides what differs: verdicts, data pointers, where the metadata lives. */
#ifndef IOVISOR_BPF_CTX_H
#define IOVISOR_BPF_CTX_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/csum.h"

#ifdef IOV_XDP
#define iov_ctx xdp_md
#define IOV_SEC "xdp"
#define CTX_DROP XDP_DROP
#define CTX_PASS XDP_PASS
#define CTX_PROG_LEN(ctx) ((__u64)((ctx)->data_end - (ctx)->data))
#define CTX_INGRESS_IFINDEX(ctx) ((ctx)->ingress_ifindex)
#else
#define iov_ctx __sk_buff
#define IOV_SEC "tc"
#define CTX_DROP TC_ACT_SHOT
#define CTX_PASS TC_ACT_OK
#define CTX_PROG_LEN(ctx) ((__u64)(ctx)->len)
#define CTX_INGRESS_IFINDEX(ctx) ((ctx)->ifindex)
#endif

/* Loads of ctx->data / data_end as single instructions: left to itself clang
 * may compute &ctx->data once and dereference it later, which the verifier
 * refuses ("dereference of modified ctx ptr"). */
#define CTX_LOAD_U32(ctx, field)                                                              \
    ({                                                                                        \
        __u64 v_;                                                                             \
        asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(v_) : "r"(ctx), "i"(offsetof(struct iov_ctx, field))); \
        (void *)(long)v_;                                                                     \
    })
static __always_inline void *ctx_data(const struct iov_ctx *ctx) { return CTX_LOAD_U32(ctx, data); }
static __always_inline void *ctx_data_end(const struct iov_ctx *ctx) { return CTX_LOAD_U32(ctx, data_end); }

/* Word `i` of the metadata as the packet carries it, read afresh: the
 * verifier learns nothing about the module's own copy of the metadata from
 * a branch on it (else it checks the rest of the module twice). 0 if absent. */
#ifdef IOV_XDP
static __always_inline __u32 ctx_md_word(const struct iov_ctx *ctx, const int i) {
    __u32 *m = CTX_LOAD_U32(ctx, data_meta);
    if ((void *)(m + 5) > ctx_data(ctx)) return 0;
    __u32 w;
    asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(w) : "r"(m), "i"(i * 4));
    return w;
}
#else
static __always_inline __u32 ctx_md_word(const struct iov_ctx *ctx, const int i) {
    __u32 w;
    asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(w) : "r"(ctx), "i"(offsetof(struct __sk_buff, cb) + i * 4));
    return w;
}
#endif

#ifdef IOV_XDP
/* XDP: the metadata sits in front of the packet (data_meta). */
static __always_inline int ctx_md_init(struct iov_ctx *ctx) {
    return bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct iov_md));
}
static __always_inline int ctx_md_load(struct iov_ctx *ctx, struct iov_md *md) {
    struct iov_md *m = (void *)(long)ctx->data_meta;
    if ((void *)(m + 1) > ctx_data(ctx)) return -1;
    *md = *m;
    return 0;
}
static __always_inline int ctx_md_store(struct iov_ctx *ctx, const struct iov_md *md) {
    struct iov_md *m = (void *)(long)ctx->data_meta;
    if ((void *)(m + 1) > ctx_data(ctx)) return -1;
    *m = *md;
    return 0;
}
#else
/* TC: the metadata is the 20-byte skb->cb, word by word (ctx access rules). */
static __always_inline int ctx_md_init(struct iov_ctx *ctx) { return 0; }
static __always_inline int ctx_md_load(struct iov_ctx *ctx, struct iov_md *md) {
    __u32 *w = (__u32 *)md;
    w[0] = ctx->cb[0];
    w[1] = ctx->cb[1];
    w[2] = ctx->cb[2];
    w[3] = ctx->cb[3];
    w[4] = ctx->cb[4];
    return 0;
}
static __always_inline int ctx_md_store(struct iov_ctx *ctx, const struct iov_md *md) {
    const __u32 *w = (const __u32 *)md;
    ctx->cb[0] = w[0];
    ctx->cb[1] = w[1];
    ctx->cb[2] = w[2];
    ctx->cb[3] = w[3];
    ctx->cb[4] = w[4];
    return 0;
}
#endif

/* Packet reshaping. All of them invalidate packet pointers. */
#ifdef IOV_XDP
static __always_inline int ctx_pull(struct iov_ctx *ctx, __u32 len) { return 0; }
static __always_inline int ctx_resize(struct iov_ctx *ctx, __u32 len) {
    /* The length as a helper's scalar: clang may otherwise compute
     * len - data_end + data, arithmetic the verifier refuses on pkt_end. */
    return bpf_xdp_adjust_tail(ctx, (int)len - (int)bpf_xdp_get_buff_len(ctx));
}
/* Makes `len` bytes of room right after the Ethernet header. */
static __always_inline int ctx_insert_after_eth(struct iov_ctx *ctx, __u32 len) {
    if (bpf_xdp_adjust_head(ctx, -(int)len)) return -1;
    __u8 *data = ctx_data(ctx);
    if ((void *)(data + len + 14) > ctx_data_end(ctx)) return -1;
    __builtin_memmove(data, data + len, 14);
    return 0;
}
#else
/* Makes the first `len` bytes directly readable (TCP payload sits in pages). */
static __always_inline int ctx_pull(struct iov_ctx *ctx, __u32 len) {
    if (len > ctx->len) len = ctx->len;
    return bpf_skb_pull_data(ctx, len);
}
static __always_inline int ctx_resize(struct iov_ctx *ctx, __u32 len) { return bpf_skb_change_tail(ctx, len, 0); }
static __always_inline int ctx_insert_after_eth(struct iov_ctx *ctx, __u32 len) {
    return bpf_skb_adjust_room(ctx, len, BPF_ADJ_ROOM_MAC, 0);
}
#endif

/* Field rewrites by offset with checksum fix-ups. Fields are written
 * directly; the IPv4 header and ICMP checksums are updated incrementally
 * here in both hooks. TCP/UDP checksums in TC go through the kernel helper,
 * which also handles CHECKSUM_PARTIAL packets (offloaded TCP/UDP from a local
 * VM) and CHECKSUM_COMPLETE ones; XDP packets carry full checksums, updated
 * incrementally here. Helpers invalidate packet pointers: write fields
 * first, then fix L4 checksums.
 * CTX_CSUM_PSEUDO: the field is part of the L4 pseudo-header (an address).
 * CTX_CSUM_UDP: a zero UDP checksum means "none" and stays zero. */
#define CTX_CSUM_PSEUDO 0x10
#define CTX_CSUM_UDP 0x40
#define CTX_MAX_L4_OFF (ETH_HLEN + 60)
static __always_inline __sum16 *ctx_csum_ptr(struct iov_ctx *ctx, __u32 off) {
    if (off > CTX_MAX_L4_OFF + 20) return 0;
    __sum16 *p = ctx_data(ctx) + off;
    if ((void *)(p + 1) > ctx_data_end(ctx)) return 0;
    return p;
}
/* Incremental update of the checksum at `off` for a 2- or 4-byte change. */
static __always_inline int ctx_csum_replace(struct iov_ctx *ctx, __u32 off, __u32 from, __u32 to, __u32 flags) {
    __sum16 *c = ctx_csum_ptr(ctx, off);
    if (!c) return -1;
    if ((flags & CTX_CSUM_UDP) && *c == 0) return 0;
    if ((flags & 0xf) == 4) csum_replace4(c, from, to);
    else csum_replace2(c, (__be16)from, (__be16)to);
    if ((flags & CTX_CSUM_UDP) && *c == 0) *c = 0xffff;
    return 0;
}
#ifdef IOV_XDP
#define ctx_l4_csum_replace(ctx, off, from, to, flags) ctx_csum_replace(ctx, off, from, to, flags)
#else
static __always_inline int ctx_l4_csum_replace(struct iov_ctx *ctx, __u32 off, __u32 from, __u32 to, __u32 flags) {
    __u64 f = (flags & 0xf) | ((flags & CTX_CSUM_PSEUDO) ? BPF_F_PSEUDO_HDR : 0) |
              ((flags & CTX_CSUM_UDP) ? BPF_F_MARK_MANGLED_0 : 0);
    return bpf_l4_csum_replace(ctx, off, from, to, f);
}
#endif
/* Writes 2 or 4 bytes at `off`: directly in the linear area (headers are
 * pulled there), through the helper beyond it in TC. */
static __always_inline int ctx_store(struct iov_ctx *ctx, __u32 off, const void *from, __u32 len) {
    if (off <= CTX_MAX_L4_OFF + 20) {
        __u8 *p = ctx_data(ctx) + off;
        if ((void *)(p + 4) <= ctx_data_end(ctx)) {
            if (len == 4) __builtin_memcpy(p, from, 4);
            else __builtin_memcpy(p, from, 2);
            return 0;
        }
    }
#ifdef IOV_XDP
    return -1;
#else
    return bpf_skb_store_bytes(ctx, off, from, len, 0);
#endif
}

/* Copies `len` (a constant) bytes at `off` out of the packet, wherever they
 * sit (TC payload may be in pages): no packet pointer to check or keep. */
static __always_inline int ctx_load(const struct iov_ctx *ctx, __u32 off, void *to, __u32 len) {
#ifdef IOV_XDP
    return bpf_xdp_load_bytes((struct xdp_md *)ctx, off, to, len);
#else
    return bpf_skb_load_bytes(ctx, off, to, len);
#endif
}

/* Writes `len` bytes (bounded, not necessarily constant) at `off` of the
 * packet, wherever they sit: no packet pointer to check or keep. */
static __always_inline int ctx_store_bytes(struct iov_ctx *ctx, __u32 off, const void *from, __u32 len) {
#ifdef IOV_XDP
    return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
#else
    return bpf_skb_store_bytes(ctx, off, from, len, 0);
#endif
}

/* `v` limited to [lo, hi] in the register the next use reads: a bound
 * checked in C may be checked on a copy clang keeps apart from the one it
 * passes to a helper, and then the verifier does not see it. */
#define CTX_CLAMP(v, lo, hi)                                                                  \
    ({                                                                                        \
        __u64 c_ = (v);                                                                       \
        asm volatile("if %0 <= %1 goto +1\n%0 = %1\nif %0 >= %2 goto +1\n%0 = %2"          \
                     : "+r"(c_)                                                               \
                     : "i"(hi), "i"(lo));                                                     \
        c_;                                                                                   \
    })

/* Coarse monotonic time (a tick's resolution, no clock read): enough for
 * timeouts counted in seconds, and cheaper than bpf_ktime_get_ns. */
static __always_inline __u64 ctx_now_ns(void) { return bpf_ktime_get_coarse_ns(); }

_Static_assert(sizeof(struct iov_md) == 20, "iov_md must fit skb->cb");

#endif /* IOVISOR_BPF_CTX_H */
