/* The reference for per-packet cost: one hash lookup on the destination MAC
 * and a redirect, the least a switch can do. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct mac_key {
    __u8 mac[ETH_ALEN];
    __u16 pad;
};

/* Destination MAC -> ifindex. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct mac_key);
    __type(value, __u32);
} baseline_fdb SEC(".maps");

SEC("tc")
int baseline(struct __sk_buff *skb) {
    void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) return TC_ACT_SHOT;
    struct mac_key key = {};
    __builtin_memcpy(key.mac, eth->h_dest, ETH_ALEN);
    __u32 *ifindex = bpf_map_lookup_elem(&baseline_fdb, &key);
    if (!ifindex) return TC_ACT_SHOT;
    return bpf_redirect(*ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
