/* OVN port security (ovn-nb(5) Logical_Switch_Port:port_security) for the
 * l2switch: per port, a set of allowed MACs, each optionally bound to IPv4
 * and/or IPv6 addresses or prefixes.
 *   ingress: eth.src must be allowed; ARP sha must equal eth.src and spa be
 *            allowed; IPv4/IPv6 source must be allowed when the MAC's entry
 *            lists addresses of any family (DHCP discover 0.0.0.0 ->
 *            255.255.255.255, IPv6 :: and the MAC's EUI-64 link-local are
 *            always allowed).
 *   egress:  eth.dst must be allowed (or multicast/broadcast); the IP
 *            destination likewise, plus broadcast and multicast.
 * Single addresses (OpenStack's "MAC IP") sit in hashes keyed by (port, MAC,
 * address): one lookup allows a packet, without the MAC lookup or the LPM
 * tries, which only hold real prefixes. */
#ifndef IOVISOR_BPF_PORT_SECURITY_H
#define IOVISOR_BPF_PORT_SECURITY_H

#include "lib/parse.h"
#include "lib/tables.h"

/* The port-security tables of every switch of the hook, shared (pinned by
 * name) and keyed by the switch's module id (the model's sharedTable). */

/* (switch, port, MAC) -> allowed, with the families its addresses restrict. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ps_mac_mkey);
    __type(value, struct l2_ps_mac);
} l2_ps_macs SEC(".maps");

/* (switch, port, MAC, IPv4 address) -> allowed. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ps_ipv4_host_mkey);
    __type(value, __u8);
} l2_ps_ip4_hosts SEC(".maps");

/* (switch, port, MAC, IPv6 address) -> allowed. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ps_ipv6_host_mkey);
    __type(value, __u8);
} l2_ps_ip6_hosts SEC(".maps");

/* (switch, port, MAC, IPv4 prefix) -> allowed. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ps_ipv4_mkey);
    __type(value, __u8);
} l2_ps_ipv4 SEC(".maps");

/* (switch, port, MAC, IPv6 prefix) -> allowed. */
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 262144);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct l2_ps_ipv6_mkey);
    __type(value, __u8);
} l2_ps_ipv6 SEC(".maps");

/* The addresses a packet goes to, copied out of the packet so that they stay
 * usable after it is cloned (floods). */
struct l2_dst {
    __u8 mac[ETH_ALEN];
    __u8 family; /* 0, 4 or 6 */
    __u8 pad;
    __be32 ip4;
    __u8 ip6[16];
};

/* Where a port-security check applies: the switch (module id) and its port. */
struct ps_port {
    __u32 module;
    __u32 port;
};

static __always_inline struct l2_ps_mac *ps_lookup_mac(struct ps_port at, const __u8 *mac) {
    struct l2_ps_mac_mkey key = {.module = at.module, .key = {.port = at.port}};
    iov_mac_copy(key.key.mac, mac);
    return bpf_map_lookup_elem(&l2_ps_macs, &key);
}

static __always_inline int ps_ipv4_host(struct ps_port at, const __u8 *mac, __be32 addr) {
    struct l2_ps_ipv4_host_mkey key = {.module = at.module, .key = {.port = at.port, .addr = addr}};
    iov_mac_copy(key.key.mac, mac);
    return bpf_map_lookup_elem(&l2_ps_ip4_hosts, &key) != 0;
}

static __always_inline int ps_ipv6_host(struct ps_port at, const __u8 *mac, const __u8 *addr) {
    struct l2_ps_ipv6_host_mkey key = {.module = at.module, .key = {.port = at.port}};
    iov_mac_copy(key.key.mac, mac);
    __builtin_memcpy(key.key.addr, addr, 16);
    return bpf_map_lookup_elem(&l2_ps_ip6_hosts, &key) != 0;
}

/* `addr` allowed for the MAC of `entry`: one of its addresses or prefixes. */
static __always_inline int ps_ipv4_allowed(const struct l2_ps_mac *entry, struct ps_port at, const __u8 *mac,
                                           __be32 addr) {
    if (!(entry->flags & L2_PS_IPV4)) return 0;
    if (ps_ipv4_host(at, mac, addr)) return 1;
    if (!(entry->flags & L2_PS_IPV4_PREFIXES)) return 0;
    struct l2_ps_ipv4_mkey key = {.prefixlen = 32 + L2_PS_KEY_BITS + 32, .module = at.module, .port = at.port, .addr = addr};
    iov_mac_copy(key.mac, mac);
    return bpf_map_lookup_elem(&l2_ps_ipv4, &key) != 0;
}

static __always_inline int ps_ipv6_allowed(const struct l2_ps_mac *entry, struct ps_port at, const __u8 *mac,
                                           const __u8 *addr) {
    if (!(entry->flags & L2_PS_IPV6)) return 0;
    if (ps_ipv6_host(at, mac, addr)) return 1;
    if (!(entry->flags & L2_PS_IPV6_PREFIXES)) return 0;
    struct l2_ps_ipv6_mkey key = {.prefixlen = 32 + L2_PS_KEY_BITS + 128, .module = at.module, .port = at.port};
    iov_mac_copy(key.mac, mac);
    __builtin_memcpy(key.addr, addr, 16);
    return bpf_map_lookup_elem(&l2_ps_ipv6, &key) != 0;
}

/* fe80::/64 with the modified EUI-64 interface id of `mac`. */
static __always_inline int ipv6_is_eui64_of(const __u8 *a, const __u8 *mac) {
    return a[0] == 0xfe && a[1] == 0x80 && !a[2] && !a[3] && !a[4] && !a[5] && !a[6] && !a[7] &&
           a[8] == (mac[0] ^ 2) && a[9] == mac[1] && a[10] == mac[2] && a[11] == 0xff && a[12] == 0xfe &&
           a[13] == mac[3] && a[14] == mac[4] && a[15] == mac[5];
}

static __always_inline int ipv6_is_unspecified(const __u8 *a) {
    const __u32 *w = (const __u32 *)a;
    return !(w[0] | w[1] | w[2] | w[3]);
}

/* Ingress check on `port` (of its switch); returns 0 or a drop reason. */
static __always_inline int ps_check_ingress(struct iov_pkt *pkt, struct ps_port port) {
    const __u8 *src = pkt->eth->h_source;
    struct iphdr *ip = 0;
    struct iov_arp *arp = 0;
    int err;
    /* The common case first: an IPv4 source (or ARP sender) listed as a
     * single address of this MAC, which also proves the MAC allowed. */
    if (pkt->proto == bpf_htons(ETH_P_IP)) {
        if ((err = iov_parse_ipv4(pkt, &ip))) return err;
        if (ps_ipv4_host(port, src, ip->saddr)) return 0;
    } else if (pkt->proto == bpf_htons(ETH_P_ARP)) {
        if ((err = iov_parse_arp(pkt, &arp))) return err;
        if (iov_mac_equal(arp->sha, src) && ps_ipv4_host(port, src, arp->spa)) return 0;
    }

    struct l2_ps_mac *entry = ps_lookup_mac(port, src);
    if (!entry) return IOV_DROP_PS_SRC_MAC;
    const int restricts_ip = entry->flags & (L2_PS_IPV4 | L2_PS_IPV6);
    if (arp) {
        if (!iov_mac_equal(arp->sha, src)) return IOV_DROP_PS_ARP;
        return restricts_ip && !ps_ipv4_allowed(entry, port, src, arp->spa) ? IOV_DROP_PS_ARP : 0;
    }
    if (!restricts_ip) return 0;
    if (ip) {
        if (ps_ipv4_allowed(entry, port, src, ip->saddr)) return 0;
        if (ip->saddr == 0 && ip->daddr == 0xffffffff) return 0; /* DHCP discover */
        return IOV_DROP_PS_SRC_IP;
    }
    if (pkt->proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6;
        if ((err = iov_parse_ipv6(pkt, &ip6))) return err;
        const __u8 *saddr = ip6->saddr.in6_u.u6_addr8;
        if (ps_ipv6_allowed(entry, port, src, saddr)) return 0;
        if (ipv6_is_unspecified(saddr) || ipv6_is_eui64_of(saddr, src)) return 0;
        return IOV_DROP_PS_SRC_IP;
    }
    return 0;
}

/* Egress check towards `port`; returns 0 or IOV_DROP_PS_DST. */
static __always_inline int ps_check_egress(const struct l2_dst *dst, struct ps_port port) {
    if (iov_mac_is_multicast(dst->mac)) return 0;
    if (dst->family == 4 && ps_ipv4_host(port, dst->mac, dst->ip4)) return 0; /* the common case */
    struct l2_ps_mac *entry = ps_lookup_mac(port, dst->mac);
    if (!entry) return IOV_DROP_PS_DST;
    if (!(entry->flags & (L2_PS_IPV4 | L2_PS_IPV6))) return 0;
    if (dst->family == 4) {
        if (dst->ip4 == 0xffffffff || (dst->ip4 & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000)) return 0;
        if (ps_ipv4_allowed(entry, port, dst->mac, dst->ip4)) return 0;
        return IOV_DROP_PS_DST;
    }
    if (dst->family == 6) {
        if (dst->ip6[0] == 0xff || ipv6_is_eui64_of(dst->ip6, dst->mac)) return 0;
        if (ps_ipv6_allowed(entry, port, dst->mac, dst->ip6)) return 0;
        return IOV_DROP_PS_DST;
    }
    return 0;
}

#endif /* IOVISOR_BPF_PORT_SECURITY_H */
