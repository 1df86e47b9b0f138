/* How long a tracked connection may idle, shared by the datapath
 * (lib/conntrack.h) and hoverd (which shows what is left of it). ACL-tracked
 * connections follow their state with Linux's nf_conntrack defaults (a
 * closed TCP connection goes in seconds, an established one stays days);
 * nat's keep their protocol's timeout (RFC 5382/4787 lower bounds). */
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

IOV_CT_INLINE __u64 iov_ct_timeout(__u8 proto, __u8 flags) {
    if (!(flags & IOV_CT_ACL)) {
        if (proto == IOV_CT_PROTO_TCP) return 7440ull * IOV_SEC_NS;
        if (proto == IOV_CT_PROTO_UDP) return 180ull * IOV_SEC_NS;
        return 30ull * IOV_SEC_NS;
    }
    if (proto == IOV_CT_PROTO_TCP) {
        if (flags & IOV_CT_RST) return 10 * IOV_SEC_NS;                          /* CLOSE */
        if (flags & (IOV_CT_FIN_ORIG | IOV_CT_FIN_REPLY)) return 120 * IOV_SEC_NS; /* FIN_WAIT, TIME_WAIT */
        if (!(flags & IOV_CT_REPLIED)) return 120 * IOV_SEC_NS;                  /* SYN_SENT */
        return 432000ull * IOV_SEC_NS;                                           /* ESTABLISHED */
    }
    if (proto == IOV_CT_PROTO_UDP) return (flags & IOV_CT_REPLIED ? 120 : 30) * IOV_SEC_NS;
    if (proto == IOV_CT_PROTO_ICMP || proto == IOV_CT_PROTO_ICMPV6) return 30 * IOV_SEC_NS;
    return 600 * IOV_SEC_NS; /* generic */
}

#endif /* IOVISOR_BPF_CT_TIMEOUTS_H */
