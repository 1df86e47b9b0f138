/* Helpers every module has: its ports' peers and the hand-over to a peer
 * (netdev or module). Ports, peers and counters live in the hook's shared
 * maps (lib/flow.h), under the module id the packet's metadata carries: one
 * program serves every instance of its type. See abi.h for the contract. */
#ifndef IOVISOR_BPF_CHAIN_H
#define IOVISOR_BPF_CHAIN_H

#include "lib/ctx.h"
#include "lib/flow.h"

/* The peer of `module`'s `port` (null: none). */
static __always_inline struct iov_port *iov_peer(__u32 module, __u32 port) {
    const __u32 slot = IOV_PORT_SLOT(module, port);
    return bpf_map_lookup_elem(&iov_ports, &slot);
}

/* Counts a drop for `reason` under `module` (0: the module processing the
 * packet, as its metadata says: the id comes with the packet, not from the
 * program). A global function: its key lives in its own frame, not in the
 * stack of every module that drops (the XDP l2switch is close to the
 * 512-byte limit), and it is verified once. */
__attribute__((noinline)) int iov_count_module_drop(struct iov_ctx *ctx, __u32 module, __u32 reason) {
    struct iov_drop_key key = {.module = module ? module : ctx_md_word(ctx, 0), .reason = reason};
    __u64 *count = bpf_map_lookup_elem(&iov_module_drops, &key);
    if (count) {
        *count += 1;
        return 0;
    }
    __u64 first = 1; /* this CPU's value; the others start at 0 */
    bpf_map_update_elem(&iov_module_drops, &key, &first, BPF_NOEXIST);
    return 0;
}

/* Counts a drop without deciding the verdict (e.g. one flood copy lost),
 * for the module processing the packet (the metadata's module: the id
 * comes with the packet, not from the program). */
static __always_inline void iov_count_drop(struct iov_ctx *ctx, __u32 reason) { iov_count_module_drop(ctx, 0, reason); }

static __always_inline int iov_drop(struct iov_ctx *ctx, __u32 reason) {
    iov_count_drop(ctx, reason);
    return CTX_DROP;
}

/* The packet was used up by the module (an ARP reply learned, a flood whose
 * copies are out): not a drop, nothing to count. */
static __always_inline int iov_consume(struct iov_ctx *ctx) {
    (void)ctx;
    return CTX_DROP;
}

/* The counter index of `module`'s `port` (0, the sink, if it has none). */
static __always_inline __u32 iov_port_counter(__u32 module, __u32 port) {
    struct iov_port *p = iov_peer(module, port);
    return p ? p->counter : 0;
}

/* Port counters; a walk being recorded for the flow cache notes each one. */
static __always_inline void iov_count_at(const struct iov_ctx *ctx, __u32 counter, int tx) {
    iov_count_port(counter, tx, CTX_PROG_LEN(ctx));
    iov_flow_record_slot(ctx, IOV_FLOW_SLOT(counter, tx));
}

static __always_inline void iov_count_rx(const struct iov_ctx *ctx, __u32 module, __u32 port) {
    iov_count_at(ctx, iov_port_counter(module, port), 0);
}

/* Hands the packet to `port`'s peer. Returns the verdict to return. */
static __always_inline int iov_send(struct iov_ctx *ctx, struct iov_md *md, __u32 port) {
    struct iov_port *peer = iov_peer(md->module, port);
    if (!peer || peer->kind == IOV_PEER_NONE) return iov_drop(ctx, IOV_DROP_PORT_UNCONNECTED);
    const __u32 counter = peer->counter;
    if (peer->kind == IOV_PEER_NETDEV) {
        iov_count_port(counter, 1, CTX_PROG_LEN(ctx));
        const __u32 ifindex = peer->ifindex;
        const __u32 tag = iov_flow_tag(ctx);
        if (tag) iov_flow_leave(ctx, tag, md->hops + 1, IOV_FLOW_SLOT(counter, 1), ifindex);
        return bpf_redirect(ifindex, 0);
    }
    if (md->hops >= IOV_MAX_HOPS) return iov_drop(ctx, IOV_DROP_CHAIN_DEPTH);
    iov_count_at(ctx, counter, 1);
    const __u32 self = md->module;
    md->module = peer->peer_module;
    md->in_port = peer->peer_port;
    md->hops++;
    if (ctx_md_store(ctx, md)) return iov_drop(ctx, IOV_DROP_INTERNAL);
    bpf_tail_call(ctx, &iov_chain, peer->peer_module);
    /* The metadata names the peer by now: counted under the sender. */
    iov_count_module_drop(ctx, self, IOV_DROP_CHAIN_MISSING);
    return CTX_DROP;
}

/* Flood helper: a copy of the packet out of `module`'s `port` if its peer is
 * a netdev. Returns 1 if the peer is a module (the caller decides), 0
 * otherwise. */
static __always_inline int iov_clone_to_netdev(struct iov_ctx *ctx, __u32 module, __u32 port) {
    struct iov_port *peer = iov_peer(module, port);
    if (!peer || peer->kind == IOV_PEER_NONE) return 0;
    if (peer->kind == IOV_PEER_MODULE) return 1;
#ifdef IOV_XDP
    /* XDP cannot clone; floods in XDP mode use the module's devmap. */
    iov_count_drop(ctx, IOV_DROP_FLOOD_PEER_LIMIT);
#else
    if (bpf_clone_redirect(ctx, peer->ifindex, 0) == 0) iov_count_at(ctx, peer->counter, 1);
    else iov_count_drop(ctx, IOV_DROP_INTERNAL);
#endif
    return 0;
}

#ifndef IOV_XDP
/* Flood helper: a copy of the packet for a further module peer of
 * `module`'s `port` (the first is tail-called): sent back in at the
 * packet's ingress netdev with the peer in skb->mark, where the shared entry
 * hands it on. */
static __always_inline void iov_recirculate(struct iov_ctx *ctx, __u32 module, __u32 port, __u8 hops) {
    struct iov_port *peer = iov_peer(module, port);
    if (!peer || peer->kind != IOV_PEER_MODULE) return;
    if (hops >= IOV_MAX_HOPS) {
        iov_count_drop(ctx, IOV_DROP_CHAIN_DEPTH);
        return;
    }
    const __u32 ifindex = ctx->ingress_ifindex;
    if (!ifindex) {
        iov_count_drop(ctx, IOV_DROP_FLOOD_PEER_LIMIT);
        return;
    }
    const __u32 mark = ctx->mark;
    ctx->mark = IOV_RECIRC_MARK(peer->peer_module, peer->peer_port, hops + 1);
    if (bpf_clone_redirect(ctx, ifindex, BPF_F_INGRESS) == 0) iov_count_at(ctx, peer->counter, 1);
    else iov_count_drop(ctx, IOV_DROP_INTERNAL);
    ctx->mark = mark;
}
#endif

/* Defines the two entry programs of a module over its body
 *   static __always_inline int body(struct iov_ctx *ctx, struct iov_md *md);
 *   <name>_chain:  tail-call target, reads the metadata left by the sender;
 *   <name>_netdev: attached to a netdev hook, hands the packet to the shared
 *                  entry (flow cache, then the module owning the netdev).
 * The body is verified once per type and hook: every instance of the type
 * runs this program. */
#define IOV_MODULE(name, body)                                                     \
    SEC(IOV_SEC) int name##_netdev(struct iov_ctx *ctx) {                          \
        bpf_tail_call(ctx, &iov_chain, IOV_ENTRY_SLOT);                            \
        return iov_drop(ctx, IOV_DROP_CHAIN_MISSING);                              \
    }                                                                              \
    SEC(IOV_SEC) int name##_chain(struct iov_ctx *ctx) {                           \
        struct iov_md md;                                                          \
        if (ctx_md_load(ctx, &md)) return iov_drop(ctx, IOV_DROP_INTERNAL);        \
        if (md.in_port >= IOV_MAX_PORTS) return iov_drop(ctx, IOV_DROP_INTERNAL);  \
        iov_count_rx(ctx, md.module, md.in_port);                                  \
        return body(ctx, &md);                                                     \
    }                                                                              \
    char LICENSE[] SEC("license") = "GPL"

#endif /* IOVISOR_BPF_CHAIN_H */
