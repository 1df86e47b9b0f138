/* The ACL stage of the l2switch: OVN's from-lport ACLs on the packets a port
 * sends into the switch, to-lport ACLs on those the switch sends to a port
 * (ovn-northd(8) "ACLs"). Where the switch has stateful ACLs, IP connections
 * are tracked in the port's zone of the hook's connection table, with OVN's
 * rules: replies and related ICMP errors of an allowed connection pass
 * without a lookup of the ACLs; other packets of a connection are checked
 * again, and an ACL that now drops them blocks the connection both ways.
 * Classification reads each field the port's policy uses once (acl_classes)
 * and the deciding ACL once (acl_rules): its cost does not grow with the
 * number of ACLs or addresses. */
#ifndef IOVISOR_BPF_ACL_H
#define IOVISOR_BPF_ACL_H

#include "lib/acl_reject.h"
#include "lib/chain.h"
#include "lib/conntrack.h"
#include "lib/tables.h"

#define ACL_PASS 0
#define ACL_REJECTED (-1) /* the packet is now the reject reply: send it back out of its ingress port */
#define ACL_NO_REPLY 0x100 /* with a direction: the packet must stay as it is (a flood copy), reject drops */

/* (switch, port, direction) -> the port's policy; absent: no ACL stage. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_port_mkey);
    __type(value, struct acl_port);
} acl_ports SEC(".maps");

/* (switch, policy, field, value prefix) -> the class of the values under it. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1048576);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_class_mkey);
    __type(value, struct acl_class);
} acl_classes SEC(".maps");

/* (switch, policy, class of each field) -> the highest-priority ACL they meet. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1048576);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_rule_mkey);
    __type(value, struct acl_verdict);
} acl_rules SEC(".maps");

/* (switch, ACL number) -> packets it decided, per CPU (iovisorctl acl). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_hit_mkey);
    __type(value, __u64);
} acl_hits SEC(".maps");

/* (switch, ACL number) -> how log lines name an ACL with `log` (read by hoverd). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_log_mkey);
    __type(value, struct acl_log_info);
} acl_logs SEC(".maps");

/* (switch, bucket) -> the rate a log meter lets packets be logged at. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_meter_mkey);
    __type(value, struct acl_meter);
} acl_log_meters SEC(".maps");

/* (switch, bucket) -> the log meter's tokens (kept by the datapath). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct acl_meter_mkey);
    __type(value, struct acl_meter_state);
} acl_log_meter_state SEC(".maps");

/* Packets that ACLs with `log` decided, to hoverd (which logs them as
 * ovn-controller does); when full, events are lost, never packets. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} acl_log_ring SEC(".maps");

/* The stage's working set, per CPU: it would not fit the stack next to the
 * switch's frame (512 bytes for the whole call chain). */
struct acl_scratch {
    struct acl_port_mkey port_key;
    struct acl_port port; /* the port's policy in this direction */
    struct acl_pkt p;
    struct acl_class_mkey class_key;
    struct acl_rule_mkey rule_key;
    struct iov_ct_key other; /* the connection's other direction */
    struct iov_ct_entry entry;
    struct acl_hit_mkey hit;
    struct acl_meter_mkey meter_key;
    struct acl_meter_state meter_fresh;
    __u64 one;
    __u8 quote[ACL_QUOTE_MAX]; /* a reject's copy of the offending headers */
};

/* One working set per CPU (a stage runs to its end on its CPU). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct acl_scratch);
} acl_scratch SEC(".maps");

#define ACL_METER_PACKET 1000000000ull /* tokens a logged packet takes */

/* Whether the log meter of `v` lets one more packet be logged now: a token
 * bucket filled at its rate up to its burst. CPUs may race on a bucket and
 * log a few packets more; never fewer. */
static __always_inline int acl_log_metered(struct acl_scratch *s, __u32 module, const struct acl_verdict *v) {
    if (!v->meter) return 1;
    s->meter_key.module = module;
    s->meter_key.bucket = v->meter;
    const struct acl_meter *m = bpf_map_lookup_elem(&acl_log_meters, &s->meter_key);
    if (!m || !m->rate) return 1;
    const __u64 now = ctx_now_ns();
    const __u64 cap = (__u64)(m->burst ? m->burst : m->rate) * ACL_METER_PACKET;
    struct acl_meter_state *st = bpf_map_lookup_elem(&acl_log_meter_state, &s->meter_key);
    if (!st) { /* a full bucket, less this packet */
        s->meter_fresh.tokens = cap - ACL_METER_PACKET;
        s->meter_fresh.last_ns = now;
        bpf_map_update_elem(&acl_log_meter_state, &s->meter_key, &s->meter_fresh, BPF_ANY);
        return 1;
    }
    const __u64 elapsed = now > st->last_ns ? now - st->last_ns : 0;
    __u64 tokens = elapsed >= cap / m->rate ? cap : st->tokens + elapsed * m->rate;
    if (tokens > cap) tokens = cap;
    st->last_ns = now;
    const int pass = tokens >= ACL_METER_PACKET;
    st->tokens = pass ? tokens - ACL_METER_PACKET : tokens;
    return pass;
}

/* Hands the packet the verdict `v` decided to hoverd's log: its first bytes. */
static __always_inline void acl_log(const struct iov_ctx *ctx, struct acl_scratch *s, __u32 module,
                                    const struct acl_verdict *v) {
    if (!acl_log_metered(s, module, v)) return;
    struct acl_log_event *e = bpf_ringbuf_reserve(&acl_log_ring, sizeof(*e), 0);
    if (!e) return;
    e->module = module;
    e->acl = v->acl;
    e->action = v->action;
    e->dir = s->port_key.key.dir;
    e->port = s->port_key.key.port;
    __u32 len = CTX_PROG_LEN(ctx) < ACL_LOG_BYTES ? (__u32)CTX_PROG_LEN(ctx) : ACL_LOG_BYTES;
    len = CTX_CLAMP(len, 1, ACL_LOG_BYTES);
    e->len = ctx_load(ctx, 0, e->data, len) ? 0 : len;
    bpf_ringbuf_submit(e, 0);
}

/* The ACL action for the packet under the port's policy (0: none matches). */
static __always_inline __u8 acl_classify(const struct iov_ctx *ctx, struct acl_scratch *s, __u32 module) {
    const struct acl_port *ap = &s->port;
    if (!ap->policy) return 0;
    struct acl_class_mkey *ck = &s->class_key;
    struct acl_rule_mkey *rk = &s->rule_key;
    __builtin_memset(rk, 0, sizeof(*rk));
    rk->module = module;
    rk->key.policy = ap->policy;
    ck->prefixlen = 8 * (sizeof(*ck) - 4);
    ck->module = module;
    ck->policy = ap->policy;
    ck->pad = 0;
#pragma unroll
    for (int f = 0; f < ACL_FIELDS; f++) {
        if (!(ap->fields & (1u << f))) continue;
        ck->field = f;
        acl_field_data(&s->p, f, ck->data);
        const struct acl_class *c = bpf_map_lookup_elem(&acl_classes, ck);
        rk->key.classes[f] = c ? (__u16)c->id : 0;
    }
    const struct acl_verdict *v = bpf_map_lookup_elem(&acl_rules, rk);
    if (!v) return 0;
    if (v->flags & ACL_VERDICT_LOG) acl_log(ctx, s, module, v);
    s->hit.module = module;
    s->hit.key = v->acl;
    __u64 *hits = bpf_map_lookup_elem(&acl_hits, &s->hit);
    if (hits) {
        *hits += 1;
    } else {
        s->one = 1;
        bpf_map_update_elem(&acl_hits, &s->hit, &s->one, BPF_NOEXIST);
    }
    return v->action;
}

static __always_inline int acl_denies(__u8 action) {
    return action == ACL_DROP || action == ACL_REJECT || action == ACL_UNSUPPORTED;
}

/* The verdict of a denying action (ACL_REJECTED once the reply is built). */
static __always_inline int acl_deny(struct iov_ctx *ctx, struct acl_scratch *s, __u8 action, int may_reply) {
    if (action == ACL_UNSUPPORTED) return IOV_DROP_ACL_UNSUPPORTED;
    if (action != ACL_REJECT) return IOV_DROP_ACL_DROP;
    if (!may_reply || acl_make_reject(ctx, &s->p, s->quote)) return IOV_DROP_ACL_REJECT;
    return ACL_REJECTED;
}

/* Sets `set` and clears `clear` in both entries of the connection. */
static __always_inline void acl_ct_mark(struct acl_scratch *s, struct iov_ct_entry *e, __u8 set, __u8 clear) {
    const __u8 flags = (e->flags | set) & ~clear;
    if (flags == e->flags) return;
    e->flags = flags;
    iov_ct_reverse_to(&s->other, &s->p.ct);
    struct iov_ct_entry *o = bpf_map_lookup_elem(&iov_conntrack, &s->other);
    if (o) o->flags = (flags & ~IOV_CT_REPLY) | (o->flags & IOV_CT_REPLY);
    if (set & IOV_CT_BLOCKED) iov_flow_invalidate(); /* cached replies of it must stop */
}

/* The state a packet of a tracked connection adds (TCP FIN/RST, a reply). */
static __always_inline __u8 acl_ct_progress(const struct acl_pkt *p, const struct iov_ct_entry *e) {
    const int reply = e->flags & IOV_CT_REPLY;
    __u8 set = reply ? IOV_CT_REPLIED : 0;
    if (p->ct.proto == IPPROTO_TCP) {
        if (p->tcp_flags & ACL_TCP_RST) set |= IOV_CT_RST;
        if (p->tcp_flags & ACL_TCP_FIN) set |= reply ? IOV_CT_FIN_REPLY : IOV_CT_FIN_ORIG;
    }
    return set;
}

/* Tracks a new connection allowed here: both directions, in the port's zone. */
static __always_inline int acl_ct_commit(struct acl_scratch *s, __u64 now) {
    const struct acl_pkt *p = &s->p;
    s->entry.addr = 0;
    s->entry.port = 0;
    s->entry.rewrite = 0;
    s->entry.flags = IOV_CT_ACL | (p->ct.proto == IPPROTO_TCP && (p->tcp_flags & ACL_TCP_RST) ? IOV_CT_RST : 0);
    s->entry.last_seen_ns = now;
    if (bpf_map_update_elem(&iov_conntrack, &p->ct, &s->entry, BPF_ANY)) return IOV_DROP_INTERNAL;
    iov_ct_reverse_to(&s->other, &p->ct);
    s->entry.flags |= IOV_CT_REPLY;
    if (bpf_map_update_elem(&iov_conntrack, &s->other, &s->entry, BPF_ANY)) return IOV_DROP_INTERNAL;
    return ACL_PASS;
}

/* OVN's stateful ACL rules for an IP packet of the port's zone. */
static __always_inline int acl_stateful(struct iov_ctx *ctx, struct acl_scratch *s, __u32 module, int may_reply) {
    const __u64 now = ctx_now_ns();
    struct iov_ct_entry *e = iov_ct_lookup(&s->p.ct, now);
    if (e && (e->flags & IOV_CT_REPLY)) { /* a reply: passes unless blocked */
        if (e->flags & IOV_CT_BLOCKED) return IOV_DROP_ACL_BLOCKED;
        acl_ct_mark(s, e, acl_ct_progress(&s->p, e), 0);
        return ACL_PASS;
    }
    if (!e && s->p.is_error) { /* related: an ICMP error about a connection of the zone */
        const struct iov_ct_entry *about = iov_ct_lookup(&s->p.inner, now);
        if (about && !(about->flags & IOV_CT_BLOCKED)) return ACL_PASS;
    }
    const __u8 action = acl_classify(ctx, s, module);
    if (action == ACL_ALLOW_STATELESS) return ACL_PASS;
    if (acl_denies(action)) {
        if (e) acl_ct_mark(s, e, IOV_CT_BLOCKED, 0);
        return acl_deny(ctx, s, action, may_reply);
    }
    if (!e) return acl_ct_commit(s, now);
    acl_ct_mark(s, e, acl_ct_progress(&s->p, e), IOV_CT_BLOCKED); /* allowed (again) */
    return ACL_PASS;
}

/* Neighbor Discovery and MLD (OVN's nd, nd_rs, nd_ra, mldv1, mldv2): northd
 * lets them through every ACL at priority 65532, untracked. */
static __always_inline int acl_is_neighbor_discovery(const struct acl_pkt *p) {
    if (p->ip != 6 || p->ct.proto != IPPROTO_ICMPV6 || !p->l4_read) return 0;
    const __u16 type = bpf_ntohs(p->l4_src);
    if (type >= 133 && type <= 136) return p->ttl == 255; /* RS, RA, NS, NA */
    return (type >= 130 && type <= 132) || type == 143;   /* MLD query, reports, done */
}

/* The ACL stage of `port` in direction `how` (ACL_DIR_*, | ACL_NO_REPLY):
 * ACL_PASS, ACL_REJECTED, or the drop reason. A global function: verified
 * once, whatever the number of places that call it. */
__attribute__((noinline)) int acl_stage(struct iov_ctx *ctx, __u32 module, __u32 port, __u32 how) {
    const __u32 zero = 0;
    struct acl_scratch *s = bpf_map_lookup_elem(&acl_scratch, &zero);
    if (!s) return IOV_DROP_INTERNAL;
    s->port_key.module = module;
    s->port_key.key = (struct acl_port_key){.port = (__u16)port, .dir = (__u8)(how & 1)};
    const int may_reply = !(how & ACL_NO_REPLY);
    const struct acl_port *found = bpf_map_lookup_elem(&acl_ports, &s->port_key);
    if (!found) return ACL_PASS;
    s->port = *found;
    __builtin_memset(&s->p, 0, sizeof(s->p));
    int err = acl_parse(ctx, &s->p);
    if (err) return err;
    if (acl_is_neighbor_discovery(&s->p)) return ACL_PASS;
    if (s->p.ip && (s->port.flags & ACL_PORT_CT)) {
        s->p.ct.zone = s->p.inner.zone = IOV_CT_ZONE_PORT | IOV_PORT_SLOT(module, port);
        return acl_stateful(ctx, s, module, may_reply);
    }
    const __u8 action = acl_classify(ctx, s, module);
    return acl_denies(action) ? acl_deny(ctx, s, action, may_reply) : ACL_PASS;
}

#endif /* IOVISOR_BPF_ACL_H */
