// The log of ACLs with `log` (ovn-nb(5) ACL log, name, severity): the
// l2switch hands each packet such an ACL decides to its hook's ring
// (bpf/lib/acl.h acl_log_ring); hoverd writes one line for it, as
// ovn-controller's acl_log does:
//   acl_log|INFO|name="ssh", verdict=allow, severity=info, direction=to-lport: tcp,vlan_tci=0x0000,...
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace hover {

// The frame's headers in OVS's flow notation (as ovs-ofctl and OVN's ACL
// log print them): "icmp,vlan_tci=0x0000,dl_src=...,nw_src=...,icmp_type=8,...".
std::string flowText(const uint8_t *frame, size_t len);

class AclLogger {
public:
    // Reads the rings pinned under `pin_root`/tc and /xdp (once a switch
    // has created them) and hands each line to `write`.
    AclLogger(std::string pin_root, std::function<void(const std::string &)> write);
    ~AclLogger();  // stops reading
    AclLogger(const AclLogger &) = delete;
    AclLogger &operator=(const AclLogger &) = delete;

    // The line of one event of a ring; `info_fd`: that hook's acl_logs map.
    static std::string line(const void *event, size_t size, int info_fd);
    // Writes `line` unless this second's kMaxLinesPerSecond are written
    // (unmetered ACLs under a flood must not fill the disk); the lines left
    // out are counted in one line when the second is over.
    void emit(const std::string &line);
    static constexpr uint64_t kMaxLinesPerSecond = 1000;

private:
    void run();
    void endSecond();  // mu_ held
    std::string pin_root_;
    std::function<void(const std::string &)> write_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;  // over the counts of this second
    uint64_t second_ = 0, written_ = 0, left_out_ = 0;
    std::thread thread_;
};

}  // namespace hover
