// Attaching a module's netdev entry program to an interface: TC ingress
// (the default for taps/veths) or XDP. TC uses a TCX link (Linux 6.6+),
// pinned so that it outlives a hoverd restart, and falls back to a clsact
// filter on older kernels: each clsact qdisc costs every later one a walk
// of the kernel's list of them (~1 ms per attach at 5,000 ports). RAII: the
// destructor detaches (removing the pin, or the clsact qdisc if this
// attachment created it), unless release() left it to the kernel.
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
    // `link_pin`: where the TCX link is pinned (a link already pinned there
    // gets the program swapped in, atomically); empty: not pinned.
    static iovisor::Result<std::unique_ptr<Attachment>> attach(uint32_t ifindex, int prog_fd, AttachMode mode,
                                                               const std::string &link_pin = "");
    // Removes what a hoverd of the clsact era attached at our handle.
    static void removeClsactFilter(uint32_t ifindex, bool created_qdisc);
    // Detaches and unpins a TCX link pinned at `link_pin`.
    static void removePinnedLink(const std::string &link_pin);
    // Takes ownership of an attachment made by an earlier hoverd process.
    static std::unique_ptr<Attachment> adopt(uint32_t ifindex, AttachMode mode, bool created_qdisc) {
        return std::unique_ptr<Attachment>(new Attachment(ifindex, mode, created_qdisc));
    }
    ~Attachment();
    Attachment(const Attachment &) = delete;
    Attachment &operator=(const Attachment &) = delete;

    iovisor::Status detach();
    // Leaves the program attached when this object goes away.
    void release();
    bool isTcxLink() const { return link_fd_ >= 0; }

    uint32_t ifindex() const { return ifindex_; }
    AttachMode mode() const { return mode_; }
    bool createdQdisc() const { return created_qdisc_; }
    // After a restart the clsact qdisc already exists; this remembers that an
    // earlier hoverd created it, so that detach() still removes it.
    void setCreatedQdisc(bool created) { created_qdisc_ = created_qdisc_ || created; }

private:
    Attachment(uint32_t ifindex, AttachMode mode, bool created_qdisc)
        : ifindex_(ifindex), mode_(mode), created_qdisc_(created_qdisc) {}
    static iovisor::Result<std::unique_ptr<Attachment>> attachClsact(uint32_t ifindex, int prog_fd);
    uint32_t ifindex_;
    AttachMode mode_;
    bool created_qdisc_;
    bool attached_ = true;
    int link_fd_ = -1;  // a TCX link
    std::string link_pin_;
};

}  // namespace hover
