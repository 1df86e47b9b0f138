/* The connection table of a hook: one for the host, shared by every module
 * that tracks connections (nat, the switches' ACL stages; load balancers
 * next), each in its own zone (a nat instance's module id, a switch port's
 * IOV_CT_ZONE_PORT slot). hoverd sizes it (--conntrack-entries) and
 * shows how full it is (GET /conntrack). An LRU: under pressure the least
 * recently used connections go first. */
#ifndef IOVISOR_BPF_CONNTRACK_H
#define IOVISOR_BPF_CONNTRACK_H

#include <linux/in.h>
#include <linux/in6.h>

#include "lib/abi.h"
#include "lib/ct_timeouts.h"
#include "lib/ctx.h"
#include "lib/tables.h"

#define IOV_CT_REFRESH_NS IOV_SEC_NS /* last_seen written at most once a second */

/* Connection (one direction, in a zone) -> the rewrite its packets get. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, IOV_CT_DEFAULT_ENTRIES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct iov_ct_key);
    __type(value, struct iov_ct_entry);
} iov_conntrack SEC(".maps");

/* The idle timeouts of ACL-tracked connections (hoverd --ct-timeout). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, struct iov_ct_timeouts);
} iov_ct_timeouts SEC(".maps");

/* The live entry for `key`, or NULL (absent or idle past its timeout). */
static __always_inline struct iov_ct_entry *iov_ct_lookup(const struct iov_ct_key *key, __u64 now) {
    struct iov_ct_entry *e = bpf_map_lookup_elem(&iov_conntrack, key);
    if (!e) return 0;
    const __u32 zero = 0; /* configured timeouts are the ACL-tracked ones': nat's lookups skip the read */
    const struct iov_ct_timeouts *t = e->flags & IOV_CT_ACL ? bpf_map_lookup_elem(&iov_ct_timeouts, &zero) : 0;
    if (now - e->last_seen_ns > iov_ct_timeout(t, key->proto, e->flags)) return 0;
    if (now - e->last_seen_ns > IOV_CT_REFRESH_NS) e->last_seen_ns = now;
    return e;
}

/* Writes to `r` the key of the packets answering `key` (same zone). */
static __always_inline void iov_ct_reverse_to(struct iov_ct_key *r, const struct iov_ct_key *key) {
    r->saddr = key->daddr;
    r->daddr = key->saddr;
    r->sport = key->dport;
    r->dport = key->sport;
    r->proto = key->proto;
    r->family = key->family;
    r->pad = 0;
    r->zone = key->zone;
    __builtin_memcpy(r->saddr6, key->daddr6, 16);
    __builtin_memcpy(r->daddr6, key->saddr6, 16);
}

/* The key of the packets answering `key` (same zone). */
static __always_inline struct iov_ct_key iov_ct_reverse(const struct iov_ct_key *key) {
    struct iov_ct_key r;
    iov_ct_reverse_to(&r, key);
    return r;
}

#endif /* IOVISOR_BPF_CONNTRACK_H */
