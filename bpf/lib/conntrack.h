/* The connection table of a hook: one for the host, shared by every module
 * that tracks connections (nat now; ACLs and load balancers next), each in
 * its own zone (its module id). hoverd sizes it (--conntrack-entries) and
 * shows how full it is (GET /conntrack). An LRU: under pressure the least
 * recently used connections go first. */
#ifndef IOVISOR_BPF_CONNTRACK_H
#define IOVISOR_BPF_CONNTRACK_H

#include <linux/in.h>

#include "lib/abi.h"
#include "lib/ctx.h"
#include "lib/tables.h"

#define IOV_CT_TIMEOUT_TCP_NS (7440ull * 1000000000ull)
#define IOV_CT_TIMEOUT_UDP_NS (180ull * 1000000000ull)
#define IOV_CT_TIMEOUT_ICMP_NS (30ull * 1000000000ull)
#define IOV_CT_REFRESH_NS 1000000000ull /* last_seen written at most once a second */

/* Connection (one direction, in a zone) -> the rewrite its packets get. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, IOV_CT_DEFAULT_ENTRIES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct iov_ct_key);
    __type(value, struct iov_ct_entry);
} iov_conntrack SEC(".maps");

static __always_inline __u64 iov_ct_timeout(__u8 proto) {
    if (proto == IPPROTO_TCP) return IOV_CT_TIMEOUT_TCP_NS;
    if (proto == IPPROTO_UDP) return IOV_CT_TIMEOUT_UDP_NS;
    return IOV_CT_TIMEOUT_ICMP_NS;
}

/* The live entry for `key`, or NULL (absent or idle past its timeout). */
static __always_inline struct iov_ct_entry *iov_ct_lookup(const struct iov_ct_key *key, __u64 now) {
    struct iov_ct_entry *e = bpf_map_lookup_elem(&iov_conntrack, key);
    if (!e || now - e->last_seen_ns > iov_ct_timeout(key->proto)) return 0;
    if (now - e->last_seen_ns > IOV_CT_REFRESH_NS) e->last_seen_ns = now;
    return e;
}

/* The key of the packets answering `key` (same zone). */
static __always_inline struct iov_ct_key iov_ct_reverse(const struct iov_ct_key *key) {
    return (struct iov_ct_key){.saddr = key->daddr, .daddr = key->saddr, .sport = key->dport, .dport = key->sport,
                               .proto = key->proto, .zone = key->zone};
}

#endif /* IOVISOR_BPF_CONNTRACK_H */
