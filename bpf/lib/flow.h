/* The maps every module instance of a hook shares (libbpf pins them by name
 * under hoverd's directory for the hook, and reuses them in every object
 * loaded after the first), and the flow cache: record a flow's walk through the
 * module graph once, replay it for the next packets at the netdev entry.
 * The contract (what may be replayed, what invalidates a record) is in
 * abi.h, next to the structs hoverd reads. */
#ifndef IOVISOR_BPF_FLOW_H
#define IOVISOR_BPF_FLOW_H

#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "lib/ctx.h"
#include "lib/parse.h"

/* Module id -> the module's chain entry program; slot IOV_ENTRY_SLOT: the
 * shared netdev entry (bpf/entry.bpf.c). */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_MAX_MODULES);
    __type(key, __u32);
    __type(value, __u32);
} iov_chain SEC(".maps");

/* Ingress netdev ifindex -> the module and port it feeds. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_MAX_NETDEVS);
    __type(key, __u32);
    __type(value, struct iov_netdev_port);
} iov_netdev_ports SEC(".maps");

/* IOV_PORT_SLOT(module, port) -> the port's peer (netdev or module port)
 * and counter index. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_MAX_MODULES * IOV_MAX_PORTS);
    __type(key, __u32);
    __type(value, struct iov_port);
} iov_ports SEC(".maps");

/* Drop reason -> packets the shared entry dropped before any module, per CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_DROP_MAX);
    __type(key, __u32);
    __type(value, __u64);
} iov_entry_drops SEC(".maps");

/* Slot 0: the flow generation; a record made under another one is stale. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} iov_flow_gen SEC(".maps");

/* Counter index -> a module port's packets and bytes, per CPU (index in the
 * port's iov_ports entry; 0 is a sink nobody reads). Sized by hoverd. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_COUNTERS_DEFAULT);
    __type(key, __u32);
    __type(value, struct iov_port_stats);
} iov_port_counters SEC(".maps");

/* (module, reason) -> packets the module dropped for it, per CPU; entries
 * appear with the first drop. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_DROP_KEYS);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct iov_drop_key);
    __type(value, __u64);
} iov_module_drops SEC(".maps");

/* Hash of the key -> the flow recorded there, per CPU (no locks; a
 * collision replaces the older flow). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_FLOW_CACHE_SIZE);
    __type(key, __u32);
    __type(value, struct iov_flow);
} iov_flow_cache SEC(".maps");

/* Slot 0: the walk being recorded on this CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct iov_flow_record);
} iov_flow_record SEC(".maps");

/* enum iov_flow_counter -> packets, per CPU. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_FLOW_COUNTERS);
    __type(key, __u32);
    __type(value, __u64);
} iov_flow_stats SEC(".maps");

/* Headers of a cacheable packet, valid until the packet changes. */
struct iov_flow_pkt {
    struct ethhdr *eth;
    struct iphdr *ip;
    void *l4;
    __u16 ttl_word; /* TTL and protocol, as on the wire */
};

static __always_inline void iov_flow_count(__u32 counter) {
    __u64 *n = bpf_map_lookup_elem(&iov_flow_stats, &counter);
    if (n) *n += 1;
}

/* A generation: slot `slot` of a u64 array (slot 0 of iov_flow_gen here,
 * a module's slot of iov_config_gen in config_gen.h). */
static __always_inline __u64 iov_generation_of(void *map, __u32 slot) {
    __u64 *gen = bpf_map_lookup_elem(map, &slot);
    return gen ? *gen : 0;
}

static __always_inline void iov_generation_bump(void *map, __u32 slot) {
    __u64 *gen = bpf_map_lookup_elem(map, &slot);
    if (gen) __sync_fetch_and_add(gen, 1);
}

static __always_inline __u64 iov_flow_generation(void) { return iov_generation_of(&iov_flow_gen, 0); }

/* Something the datapath changed makes every record stale. */
static __always_inline void iov_flow_invalidate(void) { iov_generation_bump(&iov_flow_gen, 0); }

/* Bytes of the L4 header the flow key and the rewrites need. */
static __always_inline __u32 iov_flow_l4_len(__u8 proto) {
    if (proto == IPPROTO_TCP) return 20;
    if (proto == IPPROTO_UDP || proto == IPPROTO_ICMP) return 8;
    return 0;
}

/* Fills `key` for an IPv4 TCP/UDP/ICMP packet without options that is not
 * a fragment, is consistent with its lengths and has its L4 header in the
 * linear data, and is no TCP SYN, FIN or RST; returns 0 for anything else (the graph decides, and counts). */
static __always_inline int iov_flow_parse(struct iov_ctx *ctx, struct iov_flow_key *key, struct iov_flow_pkt *fp) {
    void *end = ctx_data_end(ctx);
    struct ethhdr *eth = ctx_data(ctx);
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
    if (ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff))) return 0;
    const __u32 tot_len = bpf_ntohs(ip->tot_len);
    if (tot_len < sizeof(*ip) || tot_len > CTX_PROG_LEN(ctx) - ETH_HLEN) return 0;
    const __u32 l4_len = iov_flow_l4_len(ip->protocol);
    __be16 *l4 = (void *)(ip + 1);
    if (!l4_len || (void *)l4 + l4_len > end) return 0;
    /* TCP SYN, FIN and RST walk: connection tracking follows the state. */
    if (ip->protocol == IPPROTO_TCP && (((__u8 *)l4)[13] & 0x07)) return 0;

    __builtin_memcpy(key->dst_mac, eth->h_dest, 6);
    __builtin_memcpy(key->src_mac, eth->h_source, 6);
    key->ifindex = CTX_INGRESS_IFINDEX(ctx);
    key->saddr = ip->saddr;
    key->daddr = ip->daddr;
    if (ip->protocol == IPPROTO_ICMP) {
        key->l4_a = l4[2];
        key->l4_b = l4[0];
    } else {
        key->l4_a = l4[0];
        key->l4_b = l4[1];
    }
    key->proto = ip->protocol;
    key->pad[0] = key->pad[1] = key->pad[2] = 0;
    fp->eth = eth;
    fp->ip = ip;
    fp->l4 = l4;
    fp->ttl_word = *(__u16 *)&ip->ttl;
    return 1;
}

static __always_inline __u32 iov_flow_index(const struct iov_flow_key *key) {
    const __u64 *w = (const __u64 *)key;
    __u64 h = w[0] * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 29) ^ w[1]) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 32) ^ w[2]) * 0x94d049bb133111ebull;
    h = (h ^ (h >> 29) ^ w[3]) * 0x9e3779b97f4a7c15ull;
    return (__u32)(h >> 32) & (IOV_FLOW_CACHE_SIZE - 1);
}

static __always_inline int iov_flow_key_equal(const struct iov_flow_key *a, const struct iov_flow_key *b) {
    const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

/* Ones' complement sum folded to 16 bits, not inverted. */
static __always_inline __u16 iov_csum_fold_plain(__u32 sum) { return (__u16)~csum_fold32(sum); }

/* The TCP/UDP checksum after the flow's rewrites. A CHECKSUM_PARTIAL packet
 * (offloaded, from a local VM) holds only the pseudo-header sum: the
 * addresses change it, the ports do not. Others hold the full sum. In TC
 * the packet's state is read through the kernel's sk_buff where the kernel
 * allows it (bpf_cast_to_kern_ctx, 6.3+); otherwise, and for
 * CHECKSUM_COMPLETE (whose skb->csum must follow), the kernel helper does
 * it. Last: the helper invalidates packet pointers. */
#define IOV_CHECKSUM_NONE 0
#define IOV_CHECKSUM_UNNECESSARY 1
#define IOV_CHECKSUM_PARTIAL 3
#ifndef IOV_XDP
extern void *bpf_cast_to_kern_ctx(void *) __ksym __weak;
struct sk_buff___iov {
    __u8 ip_summed : 2;
} __attribute__((preserve_access_index));
#endif
/* The packet's checksum state (IOV_CHECKSUM_*, 2 is CHECKSUM_COMPLETE), -1
 * if the kernel does not tell; XDP packets carry full sums. */
static __always_inline int iov_csum_state(struct iov_ctx *ctx) {
#ifndef IOV_XDP
    if (bpf_cast_to_kern_ctx) {
        const struct sk_buff___iov *skb = bpf_cast_to_kern_ctx(ctx);
        return BPF_CORE_READ_BITFIELD(skb, ip_summed);
    }
    return -1;
#else
    return IOV_CHECKSUM_NONE;
#endif
}
static __always_inline void iov_flow_l4_csum(struct iov_ctx *ctx, __sum16 *check, __u32 check_off,
                                             const struct iov_flow *f, int udp) {
    if (udp && *check == 0) return; /* no UDP checksum: stays none */
    const int summed = iov_csum_state(ctx);
    if (summed == IOV_CHECKSUM_PARTIAL) {
        *check = iov_csum_fold_plain((__u32)*check + f->pseudo_diff);
    } else if (summed == IOV_CHECKSUM_NONE || summed == IOV_CHECKSUM_UNNECESSARY) {
        *check = csum_fold32((__u16)~*check + (__u32)f->pseudo_diff + f->l4_diff);
    } else {
#ifndef IOV_XDP
        const __u64 mangled = udp ? BPF_F_MARK_MANGLED_0 : 0;
        bpf_l4_csum_replace(ctx, check_off, 0, f->pseudo_diff, BPF_F_PSEUDO_HDR | mangled);
        bpf_l4_csum_replace(ctx, check_off, 0, f->l4_diff, mangled);
#endif
        return;
    }
    if (udp && *check == 0) *check = 0xffff;
}

/* Adds a packet of `len` bytes to a port's counters, received or sent. */
static __always_inline void iov_count_port(__u32 counter, int tx, __u64 len) {
    struct iov_port_stats *s = bpf_map_lookup_elem(&iov_port_counters, &counter);
    if (!s) return;
    if (tx) {
        s->tx_packets++;
        s->tx_bytes += len;
    } else {
        s->rx_packets++;
        s->rx_bytes += len;
    }
}

/* Adds the packet to every counter the flow's walk touched. */
static __always_inline void iov_flow_count_ports(const struct iov_flow *f, __u64 len) {
    const __u32 n = f->nslots;
#pragma unroll
    for (__u32 i = 0; i < IOV_FLOW_MAX_SLOTS; i++)
        if (i < n) iov_count_port(IOV_FLOW_SLOT_COUNTER(f->slots[i]), IOV_FLOW_SLOT_TX(f->slots[i]), len);
}

/* Replays the flow recorded for `key`: the verdict, or -1 to walk the graph. */
static __always_inline int iov_flow_replay(struct iov_ctx *ctx, const struct iov_flow_key *key,
                                           const struct iov_flow_pkt *fp) {
    __u32 index = iov_flow_index(key);
    struct iov_flow *f = bpf_map_lookup_elem(&iov_flow_cache, &index);
    if (!f || !iov_flow_key_equal(&f->key, key) || f->gen != iov_flow_generation() ||
        ctx_now_ns() > f->expires_ns || fp->ip->ttl <= f->ttl_dec)
        return -1;

    struct iphdr *ip = fp->ip;
    iov_mac_copy(fp->eth->h_dest, f->dst_mac);
    iov_mac_copy(fp->eth->h_source, f->src_mac);
    if (f->flags & IOV_FLOW_F_L3) {
        ip->ttl -= f->ttl_dec;
        ip->saddr = f->saddr;
        ip->daddr = f->daddr;
        ip->check = csum_fold32((__u16)~ip->check + (__u32)f->ip_diff);
    }
    if (f->flags & IOV_FLOW_F_L4) {
        __be16 *l4 = fp->l4;
        if (key->proto == IPPROTO_ICMP) {
            struct iov_icmp *icmp = fp->l4;
            icmp->id = f->l4_a;
            icmp->checksum = csum_fold32((__u16)~icmp->checksum + (__u32)f->l4_diff);
        } else {
            l4[0] = f->l4_a;
            l4[1] = f->l4_b;
            const int udp = key->proto == IPPROTO_UDP;
            const __u32 check_off = udp ? 3 : 8; /* in 16-bit words */
            iov_flow_l4_csum(ctx, &l4[check_off], ETH_HLEN + sizeof(*ip) + check_off * 2, f, udp);
        }
    }
    /* No packet access from here: the checksum helper may have moved it. */
    iov_flow_count_ports(f, CTX_PROG_LEN(ctx));
    iov_flow_count(IOV_FLOW_HIT);
    return bpf_redirect(f->ifindex, 0);
}

/* Starts recording a cacheable packet's walk; tags `md` with it. */
static __always_inline void iov_flow_record_start(const struct iov_flow_key *key, const struct iov_flow_pkt *fp,
                                                  struct iov_md *md) {
    __u32 zero = 0;
    struct iov_flow_record *rec = bpf_map_lookup_elem(&iov_flow_record, &zero);
    if (!rec) return;
    rec->key = *key;
    rec->gen = iov_flow_generation(); /* before the walk: a change during it makes the record stale */
    rec->tag = rec->tag + 1 ? rec->tag + 1 : 1;
    rec->ttl_word = fp->ttl_word;
    rec->replayable = 0;
    rec->nslots = 0;
    md->flags |= IOV_MD_F_RECORD;
    md->record = rec->tag;
    iov_flow_count(IOV_FLOW_MISS);
}

/* This CPU's record if it is the one of the packet tagged `tag`. */
static __always_inline struct iov_flow_record *iov_flow_record_of(__u32 tag) {
    __u32 zero = 0;
    struct iov_flow_record *rec = bpf_map_lookup_elem(&iov_flow_record, &zero);
    return rec && rec->tag == tag ? rec : 0;
}

/* Global functions (verified once per program, not at every call site);
 * only packets being recorded call them. */
__attribute__((noinline)) int iov_flow_note_replayable(__u32 tag) {
    struct iov_flow_record *rec = iov_flow_record_of(tag);
    if (rec) rec->replayable++;
    return 0;
}

__attribute__((noinline)) int iov_flow_note_slot(__u32 tag, __u32 slot) {
    struct iov_flow_record *rec = iov_flow_record_of(tag);
    if (!rec) return 0;
    const __u32 n = rec->nslots;
    if (n < IOV_FLOW_MAX_SLOTS) rec->slots[n] = slot;
    if (n <= IOV_FLOW_MAX_SLOTS) rec->nslots = n + 1;
    return 0;
}

/* The record tag of the packet if its walk is being recorded, else 0; read
 * from the metadata the packet carries (see ctx_md_word). */
static __always_inline __u32 iov_flow_tag(const struct iov_ctx *ctx) {
    if (!((ctx_md_word(ctx, 1) >> 24) & IOV_MD_F_RECORD)) return 0; /* flags: the top byte of word 1 */
    return ctx_md_word(ctx, 2);
}
_Static_assert(__builtin_offsetof(struct iov_md, flags) == 7 && __builtin_offsetof(struct iov_md, record) == 8, "iov_flow_tag reads them");

/* A module declares that what it did to this packet may be replayed for the
 * flow's next packets (see abi.h for what qualifies). */
static __always_inline void iov_flow_replayable(const struct iov_ctx *ctx) {
    const __u32 tag = iov_flow_tag(ctx);
    if (tag) iov_flow_note_replayable(tag);
}

static __always_inline void iov_flow_record_slot(const struct iov_ctx *ctx, __u32 slot) {
    const __u32 tag = iov_flow_tag(ctx);
    if (tag) iov_flow_note_slot(tag, slot);
}

/* ~old + new for each 16-bit word that changed. */
static __always_inline __u32 iov_csum_delta16(__u16 from, __u16 to) { return from == to ? 0 : (__u16)~from + (__u32)to; }
static __always_inline __u32 iov_csum_delta32(__u32 from, __u32 to) {
    return iov_csum_delta16(from >> 16, to >> 16) + iov_csum_delta16(from & 0xffff, to & 0xffff);
}

/* The walk ends at a netdev: if every module on it was replayable, store it
 * with the headers as they leave. */
/* Stores the walk of the packet tagged `tag`, `modules` long, leaving by
 * `ifindex`, if every module declared it replayable. */
static __always_inline int iov_flow_store(struct iov_ctx *ctx, __u32 tag, __u32 modules, __u32 ifindex) {
    struct iov_flow_record *rec = iov_flow_record_of(tag);
    if (!rec || rec->replayable != modules || rec->nslots > IOV_FLOW_MAX_SLOTS) return 0;
    __u32 index = iov_flow_index(&rec->key);
    struct iov_flow *f = bpf_map_lookup_elem(&iov_flow_cache, &index);
    if (!f) return 0;
    /* The slot's key holds the packet as it leaves until it is filled in;
     * a generation of 0 keeps it out of use meanwhile (and if we give up).
     * Not on the stack: this call's frame adds to the module's. */
    f->gen = 0;
    struct iov_flow_key *out = &f->key;
    struct iov_flow_pkt fp;
    if (!iov_flow_parse(ctx, out, &fp) || out->proto != rec->key.proto) return 0;

    const struct iov_flow_key *in = &rec->key;
    const __u16 ttl_word = fp.ttl_word;
    const __u32 addr_delta = iov_csum_delta32(in->saddr, out->saddr) + iov_csum_delta32(in->daddr, out->daddr);
    const __u32 l4_delta = iov_csum_delta16(in->l4_a, out->l4_a) + iov_csum_delta16(in->l4_b, out->l4_b);
    __builtin_memcpy(f->dst_mac, out->dst_mac, 6);
    __builtin_memcpy(f->src_mac, out->src_mac, 6);
    f->saddr = out->saddr;
    f->daddr = out->daddr;
    f->l4_a = out->l4_a;
    f->l4_b = out->l4_b;
    f->key = *in;
    f->ttl_dec = *(const __u8 *)&rec->ttl_word - *(const __u8 *)&ttl_word; /* TTL: the word's first byte */
    f->ip_diff = iov_csum_fold_plain(addr_delta + iov_csum_delta16(rec->ttl_word, ttl_word));
    f->pseudo_diff = in->proto == IPPROTO_ICMP ? 0 : iov_csum_fold_plain(addr_delta);
    f->l4_diff = iov_csum_fold_plain(l4_delta);
    f->flags = (addr_delta || f->ttl_dec ? IOV_FLOW_F_L3 : 0) | (l4_delta || f->pseudo_diff ? IOV_FLOW_F_L4 : 0);
    f->ifindex = ifindex;
    f->nslots = rec->nslots;
#pragma unroll
    for (int i = 0; i < IOV_FLOW_MAX_SLOTS; i++) f->slots[i] = rec->slots[i];
    f->gen = rec->gen;
    f->expires_ns = ctx_now_ns() + IOV_FLOW_MAX_AGE_NS;
    rec->tag = 0; /* stored once */
    iov_flow_count(IOV_FLOW_STORED);
    return 1;
}

/* The walk of the packet tagged `tag` leaves by netdev `ifindex` after
 * crossing `modules` modules, its last counter `slot`: note it, and store
 * the flow if it may be replayed. One global function, so a module's many
 * sends to a netdev cost the verifier one branch each. */
__attribute__((noinline)) int iov_flow_leave(struct iov_ctx *ctx, __u32 tag, __u32 modules, __u32 slot,
                                             __u32 ifindex) {
    iov_flow_note_slot(tag, slot);
    return iov_flow_store(ctx, tag, modules, ifindex);
}

#endif /* IOVISOR_BPF_FLOW_H */
