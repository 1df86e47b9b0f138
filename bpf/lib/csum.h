/* Internet checksum helpers (RFC 1071/1624) that work the same in TC and
 * XDP: incremental updates for rewritten fields, and a full sum for headers
 * the module builds itself. */
#ifndef IOVISOR_BPF_CSUM_H
#define IOVISOR_BPF_CSUM_H

#include <linux/types.h>

static __always_inline __u16 csum_fold32(__u32 sum) {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (__u16)~sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), 16-bit field. */
static __always_inline void csum_replace2(__sum16 *check, __be16 old, __be16 new_value) {
    __u32 sum = (__u16)~*check;
    sum += (__u16)~old;
    sum += new_value;
    *check = csum_fold32(sum);
}

static __always_inline void csum_replace4(__sum16 *check, __be32 old, __be32 new_value) {
    csum_replace2(check, (__be16)(old >> 16), (__be16)(new_value >> 16));
    csum_replace2(check, (__be16)(old & 0xffff), (__be16)(new_value & 0xffff));
}

/* Sum of `words` 16-bit words at `p` (bounds already checked by the caller). */
static __always_inline __u32 csum_add_words(const __u16 *p, int words, __u32 sum) {
#pragma unroll
    for (int i = 0; i < words; i++) sum += p[i];
    return sum;
}

#endif /* IOVISOR_BPF_CSUM_H */
