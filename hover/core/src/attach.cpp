#include "hover/attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <unistd.h>

#include <cerrno>

namespace hover {

using iovisor::errnoError;
using iovisor::Errc;
using iovisor::makeError;

namespace {
// Our filters live at a fixed handle/priority on the clsact ingress hook.
constexpr uint32_t kTcHandle = 1;
constexpr uint32_t kTcPriority = 1;
}  // namespace

const char *attachModeName(AttachMode mode) { return mode == AttachMode::kXdp ? "xdp" : "tc"; }

iovisor::Result<AttachMode> parseAttachMode(const std::string &name) {
    if (name == "tc") return AttachMode::kTc;
    if (name == "xdp") return AttachMode::kXdp;
    return makeError(Errc::kInvalid, "attach mode '" + name + "' is not tc or xdp");
}

namespace {

// enum bpf_attach_type's BPF_TCX_INGRESS (Linux 6.6), newer than Debian 12's
// uapi headers (BPF_LSM_CGROUP 43, STRUCT_OPS, NETFILTER, TCX_INGRESS).
constexpr auto kTcxIngress = static_cast<bpf_attach_type>(46);

// A TCX link of `prog_fd` on `ifindex`: the one pinned at `pin` with the
// program swapped in, or a new one (pinned there). EINVAL: no TCX here.
iovisor::Result<int> tcxLink(uint32_t ifindex, int prog_fd, const std::string &pin) {
    if (!pin.empty()) {
        const int fd = bpf_obj_get(pin.c_str());
        if (fd >= 0 && bpf_link_update(fd, prog_fd, nullptr) == 0) return fd;
        if (fd >= 0) close(fd);  // its interface is gone: a new link
        unlink(pin.c_str());
    }
    const int fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), kTcxIngress, nullptr);
    if (fd < 0) return errnoError(errno, "TCX link");
    if (!pin.empty() && bpf_obj_pin(fd, pin.c_str()) != 0) {
        const int err = errno;
        close(fd);
        return errnoError(err, "pin TCX link at " + pin);
    }
    return fd;
}

}  // namespace

iovisor::Result<std::unique_ptr<Attachment>> Attachment::attach(uint32_t ifindex, int prog_fd, AttachMode mode,
                                                                 const std::string &link_pin) {
    const std::string what = std::string("attach ") + attachModeName(mode) + " program to ifindex " +
                              std::to_string(ifindex);
    if (mode == AttachMode::kXdp) {
        if (bpf_xdp_attach(ifindex, prog_fd, 0, nullptr) != 0) return errnoError(errno, what);
        return std::unique_ptr<Attachment>(new Attachment(ifindex, mode, false));
    }
    auto link = tcxLink(ifindex, prog_fd, link_pin);
    if (!link.ok() && link.error().code != Errc::kInvalid) return link.error().context(what);
    if (!link.ok()) return attachClsact(ifindex, prog_fd);
    std::unique_ptr<Attachment> out(new Attachment(ifindex, mode, false));
    out->link_fd_ = *link;
    out->link_pin_ = link_pin;
    return out;
}

iovisor::Result<std::unique_ptr<Attachment>> Attachment::attachClsact(uint32_t ifindex, int prog_fd) {
    const std::string what = "attach tc program to ifindex " + std::to_string(ifindex);
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex), .attach_point = BPF_TC_INGRESS);
    bool created = false;
    int err = bpf_tc_hook_create(&hook);
    if (err == 0) created = true;
    else if (err != -EEXIST) return errnoError(err, what + ": create clsact");
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = kTcHandle,
                .priority = kTcPriority);
    err = bpf_tc_attach(&hook, &opts);
    if (err != 0) {
        if (created) {
            hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
            bpf_tc_hook_destroy(&hook);
        }
        return errnoError(err, what);
    }
    return std::unique_ptr<Attachment>(new Attachment(ifindex, AttachMode::kTc, created));
}

void Attachment::removeClsactFilter(uint32_t ifindex, bool created_qdisc) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex), .attach_point = BPF_TC_INGRESS);
    if (created_qdisc) {
        hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
        bpf_tc_hook_destroy(&hook);
        return;
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    bpf_tc_detach(&hook, &opts);
}

void Attachment::removePinnedLink(const std::string &link_pin) {
    const int fd = bpf_obj_get(link_pin.c_str());
    if (fd >= 0) {
        bpf_link_detach(fd);
        close(fd);
    }
    unlink(link_pin.c_str());
}

void Attachment::release() {
    attached_ = false;
    if (link_fd_ >= 0) close(link_fd_);  // its pin keeps it
    link_fd_ = -1;
}

iovisor::Status Attachment::detach() {
    if (!attached_) return {};
    attached_ = false;
    if (mode_ == AttachMode::kXdp) {
        if (bpf_xdp_detach(ifindex_, 0, nullptr) != 0) return errnoError(errno, "detach XDP");
        return {};
    }
    if (link_fd_ >= 0) {
        // Gone with its interface already: ENOLINK.
        const int err = bpf_link_detach(link_fd_) == 0 ? 0 : errno;
        if (!link_pin_.empty()) unlink(link_pin_.c_str());
        close(link_fd_);
        link_fd_ = -1;
        if (err != 0 && err != ENOLINK && err != ENODEV && err != ENOENT) return errnoError(err, "detach TCX link");
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
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    int err = bpf_tc_detach(&hook, &opts);
    if (err != 0 && err != -ENODEV && err != -ENOENT) return errnoError(err, "detach TC filter");
    return {};
}

Attachment::~Attachment() {
    (void)detach();
    if (link_fd_ >= 0) close(link_fd_);
}

}  // namespace hover
