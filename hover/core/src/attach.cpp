#include "hover/attach.h"

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>

#include "tc_netlink.h"

namespace hover {

using iovisor::errnoError;
using iovisor::Errc;
using iovisor::makeError;

const char *attachModeName(AttachMode mode) { return mode == AttachMode::kXdp ? "xdp" : "tc"; }

iovisor::Result<AttachMode> parseAttachMode(const std::string &name) {
    if (name == "tc") return AttachMode::kTc;
    if (name == "xdp") return AttachMode::kXdp;
    return makeError(Errc::kInvalid, "attach mode '" + name + "' is not tc or xdp");
}

iovisor::Result<std::unique_ptr<Attachment>> Attachment::attach(uint32_t ifindex, int prog_fd, AttachMode mode) {
    const std::string what = std::string("attach ") + attachModeName(mode) + " program to ifindex " +
                              std::to_string(ifindex);
    if (mode == AttachMode::kXdp) {
        if (bpf_xdp_attach(ifindex, prog_fd, 0, nullptr) != 0) return errnoError(errno, what);
        return std::unique_ptr<Attachment>(new Attachment(ifindex, mode, false));
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex), .attach_point = BPF_TC_INGRESS);
    bool created = false;
    int err = bpf_tc_hook_create(&hook);
    if (err == 0) created = true;
    else if (err != -EEXIST) return errnoError(err, what + ": create clsact");
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = tc::kHandle,
                .priority = tc::kPriority);
    err = bpf_tc_attach(&hook, &opts);
    if (err != 0) {
        if (created) {
            hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
            bpf_tc_hook_destroy(&hook);
        }
        return errnoError(err, what);
    }
    return std::unique_ptr<Attachment>(new Attachment(ifindex, mode, created));
}

iovisor::Status Attachment::detach() {
    if (!attached_) return {};
    attached_ = false;
    if (mode_ == AttachMode::kXdp) {
        if (bpf_xdp_detach(ifindex_, 0, nullptr) != 0) return errnoError(errno, "detach XDP");
        return {};
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex_), .attach_point = BPF_TC_INGRESS);
    if (created_qdisc_) {
        // Removing the clsact qdisc removes our filter with it.
        hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
        int err = bpf_tc_hook_destroy(&hook);
        if (err != 0 && err != -ENODEV && err != -ENOENT) return errnoError(err, "remove clsact");
        return {};
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = tc::kHandle, .priority = tc::kPriority);
    int err = bpf_tc_detach(&hook, &opts);
    if (err != 0 && err != -ENODEV && err != -ENOENT) return errnoError(err, "detach TC filter");
    return {};
}

Attachment::~Attachment() { (void)detach(); }

uint32_t SharedTcBlock::indexFor(const std::string &pin_dir) {
    uint32_t hash = 2166136261u;  // FNV-1a
    for (unsigned char c : pin_dir) hash = (hash ^ c) * 16777619u;
    // Even, above what tc users number by hand, never 0.
    return 0x40000000u | (hash & 0x3ffffffeu);
}

iovisor::Status SharedTcBlock::putFilter() {
    if (auto s = tc::setBlockFilter(ingress_, prog_fd_, "iov_entry"); !s.ok()) return s;
    filter_current_ = true;
    return {};
}

iovisor::Result<std::unique_ptr<Attachment>> SharedTcBlock::attach(uint32_t ifindex) {
    auto created = tc::createClsact(ifindex, ingress_, ingress_ + 1);
    if (!created.ok()) return created.error();
    if (!*created) {
        auto block = tc::ingressBlockOf(ifindex);
        if (!block.ok()) return block.error();
        if (*block != ingress_) return Attachment::attach(ifindex, prog_fd_, AttachMode::kTc);
    }
    // A block exists while a clsact holds it: the first one made it empty.
    if (*created || !filter_current_) {
        if (auto s = putFilter(); !s.ok()) {
            if (*created) (void)Attachment(ifindex, AttachMode::kTc, true).detach();
            return s.error();
        }
    }
    // Ours either way: removing the clsact removes the netdev from the block.
    return std::unique_ptr<Attachment>(new Attachment(ifindex, AttachMode::kTc, true));
}

}  // namespace hover
