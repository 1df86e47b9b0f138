/* The shared netdev entry of a hook, loaded once by hoverd into slot
 * IOV_ENTRY_SLOT of iov_chain; every module's <name>_netdev tail-calls it.
 * It replays the packet's flow if the flow cache has it; otherwise it finds
 * the module and port the netdev feeds, writes the metadata (recording the
 * walk if the packet is cacheable) and tail-calls that module. Loaded
 * first, it also creates the hook's shared maps (the connection table too). */
#include "lib/conntrack.h"
#include "lib/flow.h"

static __always_inline int entry_drop(__u32 reason) {
    __u64 *count = bpf_map_lookup_elem(&iov_entry_drops, &reason);
    if (count) *count += 1;
    return CTX_DROP;
}

#ifndef IOV_XDP
/* A flood's copy for a further module peer (lib/chain.h): to that peer. */
static __always_inline int recirculated(struct iov_ctx *ctx, __u32 mark) {
    ctx->mark = 0;
    const __u32 module = IOV_RECIRC_MODULE(mark);
    struct iov_md md = {.module = module, .in_port = IOV_RECIRC_PORT(mark), .hops = IOV_RECIRC_HOPS(mark)};
    if (module == 0 || ctx_md_store(ctx, &md)) return entry_drop(IOV_DROP_INTERNAL);
    bpf_tail_call(ctx, &iov_chain, module);
    return entry_drop(IOV_DROP_CHAIN_MISSING);
}
#endif

SEC(IOV_SEC) int iov_entry(struct iov_ctx *ctx) {
#ifndef IOV_XDP
    const __u32 mark = ctx->mark;
    if ((mark & IOV_RECIRC_MAGIC_MASK) == IOV_RECIRC_MAGIC) return recirculated(ctx, mark);
#endif
    struct iov_flow_key key;
    struct iov_flow_pkt fp;
    const int cacheable = iov_flow_parse(ctx, &key, &fp);
    if (cacheable) {
        const int verdict = iov_flow_replay(ctx, &key, &fp);
        if (verdict >= 0) return verdict;
    }
    __u32 ifindex = CTX_INGRESS_IFINDEX(ctx);
    struct iov_netdev_port *where = bpf_map_lookup_elem(&iov_netdev_ports, &ifindex);
    if (!where) return entry_drop(IOV_DROP_NO_INGRESS_PORT);
    const __u32 module = where->module;
    struct iov_md md = {.module = module, .in_port = (__u16)where->port};
    if (cacheable) iov_flow_record_start(&key, &fp, &md);
    if (ctx_md_init(ctx) || ctx_md_store(ctx, &md)) return entry_drop(IOV_DROP_INTERNAL);
    bpf_tail_call(ctx, &iov_chain, module);
    return entry_drop(IOV_DROP_CHAIN_MISSING);
}

char LICENSE[] SEC("license") = "GPL";
