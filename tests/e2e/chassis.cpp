#include "chassis.h"

#include <gtest/gtest.h>

namespace e2e {

Chassis::Chassis(const std::string &impl, const std::string &dir) : impl_(impl), dir_(dir) {
    auto r = shell("IMPL=" + impl + " BUILD_DIR=" BUILD_DIR " " SANDBOX_SCRIPT " start " + dir_ + " 2>&1");
    started_ = r.exit_code == 0;
    if (!started_) error_ = r.output + logs();
}

Chassis::~Chassis() {
    vms_.clear();
    if (!started_) return;
    shell("IMPL=" + impl_ + " " SANDBOX_SCRIPT " stop " + dir_ + " >/dev/null 2>&1");
    // Everything the sandbox started runs with a path under its dir (the
    // bracket keeps pgrep from matching its own command line).
    auto left = testsupport::shell("pgrep -af '[" + dir_.substr(0, 1) + "]" + dir_.substr(1) + "/' || true");
    EXPECT_EQ(left.output, "") << impl_ << ": processes the sandbox left running";
}

CommandResult Chassis::shell(const std::string &command) const {
    return testsupport::shell("env -u OVN_NB_DB -u OVN_SB_DB OVN_RUNDIR=" + dir_ + " OVS_RUNDIR=" + dir_ + " " + command);
}

std::string Chassis::checked(const std::string &command) {
    auto r = shell(command + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << impl_ << ": " << command << ":\n" << r.output;
    return r.output;
}

std::string Chassis::systemId() {
    const std::string id = vsctl("get open . external_ids:system-id");
    return id.substr(0, id.find('\n'));
}

CommandResult Chassis::restart(const std::string &what) {
    return shell("IMPL=" + impl_ + " BUILD_DIR=" BUILD_DIR " " SANDBOX_SCRIPT " restart " + dir_ + " " + what + " 2>&1");
}

std::string Chassis::logs() const {
    std::string out;
    for (const char *log : ours() ? std::vector<const char *>{"ovnd.log", "hoverd.log"}
                                  : std::vector<const char *>{"controller.log", "vswitchd.log"})
        out += "\n--- " + impl_ + " " + log + ":\n" + testsupport::shell("tail -20 " + dir_ + "/" + log).output;
    return out;
}

bool Chassis::inSync(std::string *why) const {
    auto r = testsupport::shell(BUILD_DIR "/bin/iovisor-ovnd --check --ovs-db unix:" + dir_ +
                                "/db.sock --ovnnb-db unix:" + dir_ + "/ovnnb_db.sock --hover " + hoverUrl() + " 2>&1");
    if (r.exit_code != 0) *why = r.output + logs();
    return r.exit_code == 0;
}

TestHost &Chassis::vm(const std::string &lsp, const std::string &mac, const std::string &cidr,
                      const std::string &bridge) {
    vms_.push_back(std::make_unique<TestHost>(testsupport::uniqueName("x"), mac, cidr));
    TestHost &h = *vms_.back();
    EXPECT_TRUE(h.ok()) << h.error();
    // OVS's userspace datapath forwards veth frames with their checksums
    // still to be filled in (offload): the VMs of the reference fill them.
    if (!ours()) {
        EXPECT_EQ(h.exec("ethtool -K eth0 tx off >/dev/null").exit_code, 0);
    }
    vsctl("add-port " + bridge + " " + h.hostIfname() +
          (lsp.empty() ? "" : " -- set Interface " + h.hostIfname() + " external_ids:iface-id=" + lsp));
    return h;
}

void Chassis::mappedBridge(const std::string &bridge, const std::string &network) {
    vsctl("add-br " + bridge + " -- set bridge " + bridge + " datapath_type=netdev -- set open . " +
          "external_ids:ovn-bridge-mappings=" + network + ":" + bridge);
}

}  // namespace e2e
