/* What the switch's answering programs (DHCPv6, router advertisements,
 * DNS) share: a per-CPU scratch to copy through, the copy of precomputed
 * answer bytes into the packet, and the IPv6 upper-layer checksum of a
 * reply they built. */
#ifndef IOVISOR_BPF_ANSWER_H
#define IOVISOR_BPF_ANSWER_H

#include "lib/csum.h"
#include "lib/ctx.h"
#include "lib/flow.h"

/* Room to copy through (per CPU): answers on their way to the packet, or
 * a reply's upper-layer message for its checksum (bpf_csum_diff reads
 * memory, not packets). */
#define ANSWER_SCRATCH 512
struct answer_scratch {
    __u8 bytes[ANSWER_SCRATCH + 4];
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct answer_scratch);
} answer_scratch SEC(".maps");

static __always_inline __u8 *answer_scratch_get(void) {
    const __u32 zero = 0;
    struct answer_scratch *s = bpf_map_lookup_elem(&answer_scratch, &zero);
    return s ? s->bytes : 0;
}

/* Copies `len` bytes at `off` of `answers` (`size` bytes of a map value)
 * to the packet at `at`, through the scratch (the offsets are checked at
 * run time by the dynptr). The verifier refuses helpers writing over a
 * dynptr's stack slots: buffers a caller fills after it must live in
 * another frame. */
static __always_inline int answer_copy(struct iov_ctx *ctx, __u32 at, const void *answers, __u32 size, __u32 off,
                                       __u32 len, __u8 *scratch) {
    struct bpf_dynptr from;
    if (bpf_dynptr_from_mem((void *)answers, size, 0, &from)) return -1;
    const __u32 n = CTX_CLAMP(len, 1, ANSWER_SCRATCH);
    if (bpf_dynptr_read(scratch, n, &from, off, 0)) return -1;
    return ctx_store_bytes(ctx, at, scratch, n);
}

/* The checksum of the upper-layer message of `len` bytes at `off` (its own
 * checksum field zero), with the IPv6 pseudo-header of `ip6` (addresses
 * and payload length final) and `proto`. A request whose checksum the
 * device completes (CHECKSUM_PARTIAL) gets the pseudo-header sum, for the
 * device to complete the reply's. */
static __always_inline __sum16 answer_checksum6(struct iov_ctx *ctx, const struct ipv6hdr *ip6, __u8 proto, __u32 off,
                                                __u32 len, __u8 *scratch) {
    __u32 pseudo = csum_add_words((const __u16 *)&ip6->saddr, 16, 0) + bpf_htons(proto) + ip6->payload_len;
    if (iov_csum_state(ctx) == IOV_CHECKSUM_PARTIAL) return (__sum16)~csum_fold32(pseudo);
    const __u32 n = CTX_CLAMP(len, 4, ANSWER_SCRATCH);
    if (ctx_load(ctx, off, scratch, n)) return 0;
    *(__u32 *)(scratch + n) = 0; /* the sum reads whole words */
    const __s64 sum = bpf_csum_diff(0, 0, (__be32 *)scratch, CTX_CLAMP((n + 3) & ~3u, 4, ANSWER_SCRATCH), 0);
    __u64 total = (__u64)(__u32)sum + pseudo;
    total = (total & 0xffffffff) + (total >> 32);
    return csum_fold32((__u32)total);
}

/* An IPv4 reply's header checksum, over its final fields. */
static __always_inline void answer_ip4_checksum(struct iphdr *ip) {
    ip->check = 0;
    ip->check = csum_fold32(csum_add_words((const __u16 *)ip, 10, 0));
}

/* An IPv4 reply's UDP checksum as pinctrl sends it: none; but an offloaded
 * request (CHECKSUM_PARTIAL) leaves the reply to be completed, so it must
 * hold the pseudo-header sum. */
static __always_inline __sum16 answer_udp4_check(struct iov_ctx *ctx, const struct iphdr *ip, __be16 udp_len) {
    if (iov_csum_state(ctx) != IOV_CHECKSUM_PARTIAL) return 0;
    return (__sum16)~csum_fold32(csum_add_words((const __u16 *)&ip->saddr, 4, 0) + bpf_htons(IPPROTO_UDP) + udp_len);
}

#endif /* IOVISOR_BPF_ANSWER_H */
