// Attaching a module's netdev entry program to an interface: TC ingress
// (clsact, the default for taps/veths) or XDP. RAII: the destructor detaches
// and removes the clsact qdisc if this attachment created it, unless
// release() handed ownership to the kernel pins (hoverd restarts).
// Built-in modules share one TC filter per hook (SharedTcBlock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "iovisor/result.h"

namespace hover {

enum class AttachMode { kTc, kXdp };

const char *attachModeName(AttachMode mode);
iovisor::Result<AttachMode> parseAttachMode(const std::string &name);

class Attachment {
public:
    static iovisor::Result<std::unique_ptr<Attachment>> attach(uint32_t ifindex, int prog_fd, AttachMode mode);
    // Takes ownership of an attachment made by an earlier hoverd process.
    static std::unique_ptr<Attachment> adopt(uint32_t ifindex, AttachMode mode, bool created_qdisc) {
        return std::unique_ptr<Attachment>(new Attachment(ifindex, mode, created_qdisc));
    }
    ~Attachment();
    Attachment(const Attachment &) = delete;
    Attachment &operator=(const Attachment &) = delete;

    iovisor::Status detach();
    // Leaves the program attached when this object goes away.
    void release() { attached_ = false; }

    uint32_t ifindex() const { return ifindex_; }
    AttachMode mode() const { return mode_; }
    bool createdQdisc() const { return created_qdisc_; }
    // After a restart the clsact qdisc already exists; this remembers that an
    // earlier hoverd created it, so that detach() still removes it.
    void setCreatedQdisc(bool created) { created_qdisc_ = created_qdisc_ || created; }

private:
    friend class SharedTcBlock;
    Attachment(uint32_t ifindex, AttachMode mode, bool created_qdisc)
        : ifindex_(ifindex), mode_(mode), created_qdisc_(created_qdisc) {}
    uint32_t ifindex_;
    AttachMode mode_;
    bool created_qdisc_;
    bool attached_ = true;
};

// A hook's shared TC blocks: every netdev of a built-in module gets a clsact
// bound to them, and the ingress block's one filter (the hook's shared
// entry, which finds the module of the netdev) serves them all. A clsact of
// its own would cost a filter per netdev and, for netdevs without offload
// (taps, veths), an entry in a kernel list that every later clsact creation
// walks (flow_indr_dev_setup_offload): ~0.2-1 ms per link at 5,000 links.
class SharedTcBlock {
public:
    // `ingress` and `ingress + 1` (egress, no filter) are the blocks' indices.
    SharedTcBlock(uint32_t ingress, int entry_prog_fd) : ingress_(ingress), prog_fd_(entry_prog_fd) {}
    // An index for the blocks of the hook pinned at `pin_dir` (one hoverd
    // instance): different instances of one host get different blocks.
    static uint32_t indexFor(const std::string &pin_dir);
    // Binds `ifindex` to the blocks through a clsact of its own making. A
    // netdev that has a clsact already gets a filter of its own on it,
    // unless that clsact is bound to our blocks (made by an earlier hoverd).
    iovisor::Result<std::unique_ptr<Attachment>> attach(uint32_t ifindex);

private:
    // The filter (re)put with the current entry program: on a block just
    // made (its first clsact), and once per process (after a restart).
    iovisor::Status putFilter();

    uint32_t ingress_;
    int prog_fd_;
    bool filter_current_ = false;
};

}  // namespace hover
