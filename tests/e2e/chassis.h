// One chassis on its own fresh OVN (scripts/ovn-sandbox.sh), driven as a
// user drives it: ovn-nbctl, ovn-sbctl, ovs-vsctl, namespaces as VMs.
// "iovisor" is ours (hoverd + iovisor-ovnd), "reference" is ovn-controller +
// ovs-vswitchd with the userspace datapath; the same calls work on both.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netns.h"
#include "test_support.h"

namespace e2e {

using testsupport::CommandResult;
using testsupport::TestHost;

class Chassis {
public:
    static constexpr const char *kOurs = "iovisor";
    static constexpr const char *kReference = "reference";

    Chassis(const std::string &impl, const std::string &dir);
    ~Chassis();
    Chassis(const Chassis &) = delete;
    Chassis &operator=(const Chassis &) = delete;

    bool started() const { return started_; }
    const std::string &error() const { return error_; }
    const std::string &impl() const { return impl_; }
    bool ours() const { return impl_ == kOurs; }
    const std::string &dir() const { return dir_; }
    // hoverd's API (ours): the endpoint for iovisorctl, and curl on its socket.
    std::string hoverUrl() const { return "unix:" + dir_ + "/hoverd.sock"; }
    std::string hoverCurl(const std::string &flags, const std::string &path) const {
        return "curl " + flags + " --unix-socket " + dir_ + "/hoverd.sock http://hoverd" + path;
    }

    // The test fails when one of these fails.
    std::string nbctl(const std::string &args) { return checked("ovn-nbctl " + args); }
    std::string sbctl(const std::string &args) { return checked("ovn-sbctl " + args); }
    std::string vsctl(const std::string &args) { return checked("timeout 20 ovs-vsctl " + args); }
    // Runs a command with this chassis' OVN_RUNDIR/OVS_RUNDIR; no check.
    CommandResult shell(const std::string &command) const;
    std::string systemId();
    // `ovn-nbctl --wait=hv sync`: every chassis has applied the NB.
    void syncHv() { checked("ovn-nbctl --timeout=20 --wait=hv sync"); }
    // Stops and starts one daemon by PID on the same state: ovnsb, ovnnb,
    // or ovnd (our iovisor-ovnd, the reference's ovn-controller).
    CommandResult restart(const std::string &what);
    // The last lines of the chassis' daemon logs, for failure messages.
    std::string logs() const;
    // Ours only: a fresh full recompute finds nothing to change in hoverd.
    bool inSync(std::string *why) const;

    // A VM: a namespace plugged into `bridge`, with iface-id `lsp` ("" for
    // a plain port, e.g. on a provider bridge).
    TestHost &vm(const std::string &lsp, const std::string &mac, const std::string &cidr,
                 const std::string &bridge = "br-int");
    // Unplugs a VM's port from br-int.
    void unplug(const TestHost &vm) { vsctl("del-port br-int " + vm.hostIfname()); }
    // A bridge of ovn-bridge-mappings for `network` (userspace on the reference).
    void mappedBridge(const std::string &bridge, const std::string &network);

private:
    std::string checked(const std::string &command);
    std::string impl_, dir_, error_;
    bool started_ = false;
    std::vector<std::unique_ptr<TestHost>> vms_;
};

}  // namespace e2e
