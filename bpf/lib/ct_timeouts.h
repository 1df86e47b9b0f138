/* How long a tracked connection may idle, shared by the datapath
 * (lib/conntrack.h) and hoverd (which shows what is left of it). ACL-tracked
 * connections follow their state with Linux's nf_conntrack defaults (a
 * closed TCP connection goes in seconds, an established one stays days),
 * or what hoverd was told (--ct-timeout); nat's keep their protocol's
 * timeout (RFC 5382/4787 lower bounds). */
#ifndef IOVISOR_BPF_CT_TIMEOUTS_H
#define IOVISOR_BPF_CT_TIMEOUTS_H

#include <linux/types.h>

#include "lib/tables.h"

#define IOV_SEC_NS 1000000000ull
#define IOV_CT_PROTO_ICMP 1
#define IOV_CT_PROTO_TCP 6
#define IOV_CT_PROTO_UDP 17
#define IOV_CT_PROTO_ICMPV6 58

#ifdef __bpf__
#define IOV_CT_INLINE static __always_inline
#else
#define IOV_CT_INLINE static inline
#endif

/* Linux's nf_conntrack defaults, in seconds. */
#define IOV_CT_DEFAULT_TCP_SYN_SENT 120
#define IOV_CT_DEFAULT_TCP_ESTABLISHED 432000
#define IOV_CT_DEFAULT_TCP_FIN_WAIT 120
#define IOV_CT_DEFAULT_TCP_CLOSE 10
#define IOV_CT_DEFAULT_UDP 30
#define IOV_CT_DEFAULT_UDP_STREAM 120
#define IOV_CT_DEFAULT_ICMP 30
#define IOV_CT_DEFAULT_GENERIC 600

IOV_CT_INLINE __u64 iov_ct_secs(__u32 configured, __u32 fallback) {
    return (__u64)(configured ? configured : fallback) * IOV_SEC_NS;
}

/* `t`: the configured timeouts (NULL: the defaults). */
IOV_CT_INLINE __u64 iov_ct_timeout(const struct iov_ct_timeouts *t, __u8 proto, __u8 flags) {
    if (!(flags & IOV_CT_ACL)) {
        if (proto == IOV_CT_PROTO_TCP) return 7440ull * IOV_SEC_NS;
        if (proto == IOV_CT_PROTO_UDP) return 180ull * IOV_SEC_NS;
        return 30ull * IOV_SEC_NS;
    }
    if (proto == IOV_CT_PROTO_TCP) {
        if (flags & IOV_CT_RST) return iov_ct_secs(t ? t->tcp_close : 0, IOV_CT_DEFAULT_TCP_CLOSE);
        if (flags & (IOV_CT_FIN_ORIG | IOV_CT_FIN_REPLY)) return iov_ct_secs(t ? t->tcp_fin_wait : 0, IOV_CT_DEFAULT_TCP_FIN_WAIT);
        if (!(flags & IOV_CT_REPLIED)) return iov_ct_secs(t ? t->tcp_syn_sent : 0, IOV_CT_DEFAULT_TCP_SYN_SENT);
        return iov_ct_secs(t ? t->tcp_established : 0, IOV_CT_DEFAULT_TCP_ESTABLISHED);
    }
    if (proto == IOV_CT_PROTO_UDP)
        return flags & IOV_CT_REPLIED ? iov_ct_secs(t ? t->udp_stream : 0, IOV_CT_DEFAULT_UDP_STREAM)
                                      : iov_ct_secs(t ? t->udp : 0, IOV_CT_DEFAULT_UDP);
    if (proto == IOV_CT_PROTO_ICMP || proto == IOV_CT_PROTO_ICMPV6) return iov_ct_secs(t ? t->icmp : 0, IOV_CT_DEFAULT_ICMP);
    return iov_ct_secs(t ? t->generic : 0, IOV_CT_DEFAULT_GENERIC);
}

#endif /* IOVISOR_BPF_CT_TIMEOUTS_H */
