/* Attached to a namespace's veth end in XDP tests: a veth only accepts
 * frames redirected into it by XDP when its peer runs an XDP program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
