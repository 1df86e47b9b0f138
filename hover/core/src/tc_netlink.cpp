#include "tc_netlink.h"

#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "hover/fd.h"

namespace hover::tc {

using iovisor::errnoError;
using iovisor::Result;
using iovisor::Status;

namespace {

// One request: a tcmsg and its attributes, built in place.
class Request {
public:
    Request(uint16_t type, uint16_t flags) {
        hdr()->nlmsg_len = NLMSG_LENGTH(sizeof(tcmsg));
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    }
    nlmsghdr *hdr() { return reinterpret_cast<nlmsghdr *>(buf_); }
    tcmsg *tc() { return static_cast<tcmsg *>(NLMSG_DATA(hdr())); }
    void put(uint16_t type, const void *data, size_t len) {
        auto *rta = reinterpret_cast<rtattr *>(buf_ + NLMSG_ALIGN(hdr()->nlmsg_len));
        rta->rta_type = type;
        rta->rta_len = RTA_LENGTH(len);
        std::memcpy(RTA_DATA(rta), data, len);
        hdr()->nlmsg_len = NLMSG_ALIGN(hdr()->nlmsg_len) + RTA_ALIGN(rta->rta_len);
    }
    void putU32(uint16_t type, uint32_t value) { put(type, &value, sizeof(value)); }
    void putString(uint16_t type, const std::string &s) { put(type, s.c_str(), s.size() + 1); }
    // Attributes put between begin and end nest in `type`.
    rtattr *beginNested(uint16_t type) {
        auto *rta = reinterpret_cast<rtattr *>(buf_ + NLMSG_ALIGN(hdr()->nlmsg_len));
        put(type, nullptr, 0);
        return rta;
    }
    void endNested(rtattr *nest) {
        nest->rta_len = static_cast<unsigned short>(buf_ + hdr()->nlmsg_len - reinterpret_cast<char *>(nest));
    }

private:
    alignas(nlmsghdr) char buf_[512] = {};
};

// What the kernel answered: 0 or an errno, and its reason when it gave one
// (extended ack).
struct Ack {
    int err = 0;
    std::string reason;
    Status status(const std::string &what) const {
        if (!err) return {};
        return errnoError(err, reason.empty() ? what : what + " (" + reason + ")");
    }
};

// The reason of an error ack (NLMSGERR_ATTR_MSG), if the kernel gave one.
std::string ackReason(const nlmsghdr *h) {
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
    const auto *e = static_cast<const nlmsgerr *>(NLMSG_DATA(h));
    // The request is echoed unless capped: the attributes follow it.
    const size_t echoed = (h->nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : e->msg.nlmsg_len;
    const size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr) - sizeof(nlmsghdr) + NLMSG_ALIGN(echoed);
    if (offset >= h->nlmsg_len) return "";
    int len = static_cast<int>(h->nlmsg_len - offset);
    for (auto *a = reinterpret_cast<const rtattr *>(reinterpret_cast<const char *>(h) + offset); RTA_OK(a, len);
         a = RTA_NEXT(a, len))
        if (a->rta_type == NLMSGERR_ATTR_MSG) {
            const auto *text = static_cast<const char *>(RTA_DATA(a));
            return std::string(text, strnlen(text, RTA_PAYLOAD(a)));
        }
    return "";
}

// Called with each answer's tcmsg and its attributes (a get).
using OnReply = void (*)(const rtattr *attrs, int len, void *out);

// Sends `req` and reads to its acknowledgement.
Ack exchange(Request &req, OnReply on_reply = nullptr, void *out = nullptr) {
    Fd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!sock.valid()) return {errno, "netlink socket"};
    int on = 1;
    (void)setsockopt(sock.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
    if (send(sock.get(), req.hdr(), req.hdr()->nlmsg_len, 0) < 0) return {errno, "send"};
    alignas(nlmsghdr) char buf[8192];
    for (;;) {
        const ssize_t n = recv(sock.get(), buf, sizeof(buf), 0);
        if (n < 0) return {errno, "receive"};
        int len = static_cast<int>(n);
        for (auto *h = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_ERROR) return {-static_cast<nlmsgerr *>(NLMSG_DATA(h))->error, ackReason(h)};
            if (!on_reply || h->nlmsg_len < NLMSG_LENGTH(sizeof(tcmsg))) continue;
            const char *t = static_cast<const char *>(NLMSG_DATA(h));
            on_reply(reinterpret_cast<const rtattr *>(t + NLMSG_ALIGN(sizeof(tcmsg))),
                     static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(tcmsg))), out);
        }
    }
}

}  // namespace

Result<bool> createClsact(uint32_t ifindex, uint32_t ingress_block, uint32_t egress_block) {
    Request req(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
    req.tc()->tcm_family = AF_UNSPEC;
    req.tc()->tcm_ifindex = static_cast<int>(ifindex);
    req.tc()->tcm_parent = TC_H_CLSACT;
    req.tc()->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    req.putString(TCA_KIND, "clsact");
    req.putU32(TCA_INGRESS_BLOCK, ingress_block);
    req.putU32(TCA_EGRESS_BLOCK, egress_block);
    const Ack ack = exchange(req);
    if (ack.err == EEXIST) return false;
    if (auto s = ack.status("create clsact on ifindex " + std::to_string(ifindex)); !s.ok()) return s.error();
    return true;
}

Result<uint32_t> ingressBlockOf(uint32_t ifindex) {
    Request req(RTM_GETQDISC, NLM_F_ECHO);  // a get answers its asker only if asked to echo
    req.tc()->tcm_family = AF_UNSPEC;
    req.tc()->tcm_ifindex = static_cast<int>(ifindex);
    req.tc()->tcm_parent = TC_H_CLSACT;
    struct Found {
        bool clsact = false;
        uint32_t block = 0;
    } found;
    OnReply read = [](const rtattr *rta, int len, void *out) {
        auto *f = static_cast<Found *>(out);
        for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
            if (rta->rta_type == TCA_KIND)
                f->clsact = std::strcmp(static_cast<const char *>(RTA_DATA(rta)), "clsact") == 0;
            if (rta->rta_type == TCA_INGRESS_BLOCK && RTA_PAYLOAD(rta) >= sizeof(uint32_t))
                std::memcpy(&f->block, RTA_DATA(rta), sizeof(uint32_t));
        }
    };
    const Ack ack = exchange(req, read, &found);
    if (ack.err == ENOENT || ack.err == EINVAL) return 0;  // no clsact, no ingress queue
    if (auto s = ack.status("read the clsact of ifindex " + std::to_string(ifindex)); !s.ok()) return s.error();
    return found.clsact ? found.block : 0;
}

Status setBlockFilter(uint32_t block, int prog_fd, const std::string &name) {
    Request req(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE);
    req.tc()->tcm_family = AF_UNSPEC;
    req.tc()->tcm_ifindex = TCM_IFINDEX_MAGIC_BLOCK;
    req.tc()->tcm_block_index = block;
    req.tc()->tcm_handle = kHandle;
    req.tc()->tcm_info = TC_H_MAKE(kPriority << 16, htons(ETH_P_ALL));
    req.putString(TCA_KIND, "bpf");
    rtattr *options = req.beginNested(TCA_OPTIONS);
    req.putU32(TCA_BPF_FD, static_cast<uint32_t>(prog_fd));
    req.putString(TCA_BPF_NAME, name);
    req.putU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
    req.endNested(options);
    return exchange(req).status("put the filter on shared tc block " + std::to_string(block));
}

}  // namespace hover::tc
