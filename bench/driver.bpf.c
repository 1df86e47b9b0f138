/* Benchmark driver: BPF_PROG_TEST_RUN with `repeat` reuses one skb, so a
 * module that rewrites the packet (router: TTL, MACs) would see its own
 * output on the next round. The driver restores the frame and the chaining
 * metadata before every round, then tail-calls the program under test. Its
 * own cost is measured with an empty target and subtracted. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define BENCH_FRAME_LEN 60

/* What every round starts from. */
struct bench_round {
    __u8 frame[BENCH_FRAME_LEN];
    __u32 cb[5];
};

/* Slot 0: the frame and metadata to restore. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct bench_round);
} bench_round SEC(".maps");

/* Slot 0: the program under test (empty = measure the driver alone). */
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} bench_target SEC(".maps");

SEC("tc")
int bench_driver(struct __sk_buff *skb) {
    __u32 zero = 0;
    struct bench_round *round = bpf_map_lookup_elem(&bench_round, &zero);
    if (!round) return TC_ACT_SHOT;
    if (bpf_skb_store_bytes(skb, 0, round->frame, BENCH_FRAME_LEN, 0)) return TC_ACT_SHOT;
    skb->cb[0] = round->cb[0];
    skb->cb[1] = round->cb[1];
    skb->cb[2] = round->cb[2];
    skb->cb[3] = round->cb[3];
    skb->cb[4] = round->cb[4];
    bpf_tail_call(skb, &bench_target, 0);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
