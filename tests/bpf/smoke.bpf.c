// Smallest useful TC program: counts IPv4 frames and passes them, drops the
// rest. Proves that the toolchain (clang -target bpf, skeleton, libbpf load,
// BPF_PROG_TEST_RUN) works on this machine.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Number of IPv4 frames seen, at index 0.
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} ipv4_frames SEC(".maps");

SEC("tc")
int smoke(struct __sk_buff *skb) {
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    __u32 zero = 0;

    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_SHOT;
    __u64 *count = bpf_map_lookup_elem(&ipv4_frames, &zero);
    if (count) __sync_fetch_and_add(count, 1);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
