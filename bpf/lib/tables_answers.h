/* The tables of what the l2switch answers itself (DHCP: bpf/lib/dhcp.h,
 * bpf/lib/dhcp6.h; router advertisements: bpf/lib/nd_ra.h; DNS:
 * bpf/lib/dns.h), included by lib/tables.h: keys and values shared with
 * the model. */
#ifndef IOVISOR_BPF_TABLES_ANSWERS_H
#define IOVISOR_BPF_TABLES_ANSWERS_H

/* Native DHCPv4 (bpf/lib/dhcp.h): what a port's requests are answered
 * with, precomputed by the control plane (OVN's put_dhcp_opts). `options`
 * holds the reply's options after the message type, in segments the
 * datapath picks from: [bootfile_name_alt as code 67][bootfile_name]
 * [netmask, lease_time, T1, T2 (left out of an INFORM's ACK)][the rest].
 * An iPXE client (option 175) gets bootfile_name, any other the alternative
 * when both are set. */
#define L2_DHCP4_BOOT_MAX 257     /* one option: code, length, 255 bytes */
#define L2_DHCP4_LEASE_MAX 24     /* netmask, lease_time, T1, T2: 6 bytes each */
#define L2_DHCP4_OPTIONS_SIZE 1536
/* The rest's bound: it starts after at most two bootfile options and the
 * lease part, and may take the lease part with it. */
#define L2_DHCP4_REST_MAX (L2_DHCP4_OPTIONS_SIZE - 2 * L2_DHCP4_BOOT_MAX - 2 * L2_DHCP4_LEASE_MAX)
#define L2_DHCP4_NEXT_SERVER 1u /* l2_dhcp4.flags: siaddr of offers and ACKs is next_server */

/* Key of `dhcp4` and `dhcp6`: a port and the MAC of one of its addresses
 * (OVN matches eth.src). */
struct l2_dhcp_key {
    __u32 port;
    iov_mac_t mac;
    __u16 pad;
};

/* Value of `dhcp4`. */
struct l2_dhcp4 {
    __be32 offer_ip;  /* the port's address in the options' cidr */
    __be32 server_ip; /* server_id: the reply's source */
    __be32 next_server;
    iov_mac_t server_mac;
    __u16 flags;       /* L2_DHCP4_* */
    __u16 boot_alt_len; /* segment lengths (see above) */
    __u16 boot_len;
    __u16 lease_len;
    __u16 rest_len;
    __u8 options[L2_DHCP4_OPTIONS_SIZE];
};

struct l2_dhcp_mkey {
    __u32 module;
    struct l2_dhcp_key key;
};

/* Native DHCPv6 (bpf/lib/dhcp6.h): a reply is the request's client id
 * followed by the segments of `options` whose needs the request meets
 * (L2_DHCP6_NEED_*), in order. An address segment (IA_NA) gets the
 * request's IAID at its offset 4. */
#define L2_DHCP6_SEGMENTS 6
#define L2_DHCP6_OPTIONS_SIZE 360
#define L2_DHCP6_NEED_ADDRESS 1u   /* asks for an address (IA_NA; not an Information-request) */
#define L2_DHCP6_NEED_IPXE 2u      /* from iPXE (user class) */
#define L2_DHCP6_NEED_NOT_IPXE 4u
#define L2_DHCP6_NEED_RELEASE 8u   /* a Release: only the status */
#define L2_DHCP6_NEED_NOT_RELEASE 16u

struct l2_dhcp6_segment {
    __u16 off, len;
    __u8 needs; /* L2_DHCP6_NEED_* */
    __u8 pad[3];
};

/* Value of `dhcp6`. */
struct l2_dhcp6 {
    iov_ip6_t server_ip; /* the link-local address of server_mac: the reply's source */
    iov_mac_t server_mac;
    __u16 pad;
    struct l2_dhcp6_segment segments[L2_DHCP6_SEGMENTS];
    __u8 options[L2_DHCP6_OPTIONS_SIZE];
};

/* Router Solicitations (bpf/lib/nd_ra.h): the advertisement a switch's
 * router port answers them with (OVN's put_nd_ra_opts), key 0 (one per
 * switch). */
#define L2_RA_MESSAGE_SIZE 496
struct l2_ra {
    iov_ip6_t src;   /* the router port's link-local address */
    iov_mac_t mac;   /* the router port's MAC */
    __u16 len;       /* of message */
    __u32 router_port;
    __u8 message[L2_RA_MESSAGE_SIZE]; /* ICMPv6 type 134 and its options, checksum zero */
};

struct l2_ra_mkey {
    __u32 module;
    __u32 key;
};

/* DNS (bpf/lib/dns.h): the answers for one of a switch's records (OVN's
 * dns_lookup), keyed by the name in DNS wire format, lowercase, zero
 * padded. `answers` holds whole resource records, each naming the query's
 * name by a pointer to it (offset 12): [A][AAAA][PTR]; an ANY query gets
 * A and AAAA. */
#define L2_DNS_NAME_MAX 128
#define L2_DNS_ANSWERS_SIZE 448
struct l2_dns_key {
    __u8 name[L2_DNS_NAME_MAX];
};

struct l2_dns {
    __u16 a_len, aaaa_len, ptr_len;
    __u8 a_count, aaaa_count;
    __u8 answers[L2_DNS_ANSWERS_SIZE];
};

struct l2_dns_mkey {
    __u32 module;
    struct l2_dns_key key;
};

#endif /* IOVISOR_BPF_TABLES_ANSWERS_H */
