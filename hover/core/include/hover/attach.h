// Attaching a module's netdev entry program to an interface: TC ingress
// (clsact, the default for taps/veths) or XDP. RAII: the destructor detaches
// and removes the clsact qdisc if this attachment created it, unless
// release() handed ownership to the kernel pins (hoverd restarts).
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
    Attachment(uint32_t ifindex, AttachMode mode, bool created_qdisc)
        : ifindex_(ifindex), mode_(mode), created_qdisc_(created_qdisc) {}
    uint32_t ifindex_;
    AttachMode mode_;
    bool created_qdisc_;
    bool attached_ = true;
};

}  // namespace hover
