// Differential end to end: each scenario is played twice from the same
// commands, on our chassis (hoverd + iovisor-ovnd) and on the reference
// (ovn-controller + ovs-vswitchd, userspace datapath), each on its own fresh
// OVN (scripts/ovn-sandbox.sh, IMPL=reference). Every observation states the
// expected value; a test fails when either side differs from it, and prints
// both sides.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "netns.h"
#include "test_support.h"

namespace {

using testsupport::CommandResult;
using testsupport::TestHost;

// One chassis on its own OVN, driven as a user would (ovn-nbctl, ovs-vsctl).
class Chassis {
public:
    Chassis(const std::string &impl, const std::string &dir, int port) : impl_(impl), dir_(dir) {
        auto r = shellIn("IMPL=" + impl + " BUILD_DIR=" BUILD_DIR " " SANDBOX_SCRIPT " start " + dir_ + " " +
                         std::to_string(port) + " 2>&1");
        started_ = r.exit_code == 0;
        if (!started_) error_ = r.output;
    }
    ~Chassis() {
        vms_.clear();
        if (started_) shellIn("IMPL=" + impl_ + " " SANDBOX_SCRIPT " stop " + dir_ + " >/dev/null 2>&1");
    }
    bool started() const { return started_; }
    const std::string &error() const { return error_; }
    const std::string &impl() const { return impl_; }

    std::string nbctl(const std::string &args) { return checked("ovn-nbctl " + args); }
    std::string vsctl(const std::string &args) { return checked("timeout 20 ovs-vsctl " + args); }
    std::string systemId() {
        const std::string id = vsctl("get open . external_ids:system-id");
        return id.substr(0, id.find('\n'));
    }
    void syncHv() { checked("ovn-nbctl --timeout=20 --wait=hv sync"); }

    // A VM: a namespace plugged into `bridge` (with iface-id `lsp` on br-int).
    TestHost &vm(const std::string &lsp, const std::string &mac, const std::string &cidr,
                 const std::string &bridge = "br-int") {
        vms_.push_back(std::make_unique<TestHost>(testsupport::uniqueName("x"), mac, cidr));
        TestHost &h = *vms_.back();
        EXPECT_TRUE(h.ok()) << h.error();
        // OVS's userspace datapath forwards veth frames with their checksums
        // still to be filled in (offload): the VMs of the reference fill them.
        if (impl_ == "reference") EXPECT_EQ(h.exec("ethtool -K eth0 tx off >/dev/null").exit_code, 0);
        vsctl("add-port " + bridge + " " + h.hostIfname() +
              (lsp.empty() ? "" : " -- set Interface " + h.hostIfname() + " external_ids:iface-id=" + lsp));
        return h;
    }
    // A bridge of ovn-bridge-mappings (the reference's datapath is userspace).
    void mappedBridge(const std::string &bridge, const std::string &network) {
        vsctl("add-br " + bridge + " -- set bridge " + bridge + " datapath_type=netdev -- set open . " +
              "external_ids:ovn-bridge-mappings=" + network + ":" + bridge);
    }

private:
    CommandResult shellIn(const std::string &command) {
        return testsupport::shell("env -u OVN_NB_DB -u OVN_SB_DB OVN_RUNDIR=" + dir_ + " OVS_RUNDIR=" + dir_ + " " + command);
    }
    std::string checked(const std::string &command) {
        auto r = shellIn(command + " 2>&1");
        EXPECT_EQ(r.exit_code, 0) << impl_ << ": " << command << ":\n" << r.output;
        return r.output;
    }
    std::string impl_, dir_, error_;
    bool started_ = false;
    std::vector<std::unique_ptr<TestHost>> vms_;
};

// What a scenario saw: observation -> value, in order, with the expected one.
struct Observations {
    std::vector<std::pair<std::string, std::string>> seen;  // (what, value)
    std::map<std::string, std::string> expected;
    void operator()(const std::string &what, const std::string &expect, const std::string &value) {
        seen.emplace_back(what, value);
        expected[what] = expect;
    }
};

std::string yesNo(bool b) { return b ? "yes" : "no"; }

// The source address of the first ICMP echo request `host` receives while
// `traffic` runs ("" if none).
std::string echoSourceSeenBy(const TestHost &host, const std::function<void()> &traffic) {
    const std::string file = "/tmp/" + host.ns() + ".src";
    host.exec("timeout 4 tcpdump -lnni eth0 -c 1 'icmp[icmptype] == 8' > " + file + " 2>/dev/null &");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    traffic();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string line = testsupport::shell("cat " + file + "; rm -f " + file).output;
    std::istringstream words(line);
    std::string w, src;
    while (words >> w)
        if (w == "IP") {
            words >> src;
            break;
        }
    return src;
}

// Router r0 between sw0 (10.0.0.0/24) and ext (172.24.4.0/24, a localnet on
// physnet1); both switches must exist.
void routerToExternal(Chassis &c) {
    c.nbctl("lr-add r0 -- lrp-add r0 r0-sw0 02:00:00:00:aa:00 10.0.0.254/24"
            " -- lrp-add r0 r0-ext 02:00:00:00:aa:02 172.24.4.1/24");
    for (const std::string ls : {"sw0", "ext"})
        c.nbctl("lsp-add " + ls + " " + ls + "-r0 -- lsp-set-type " + ls + "-r0 router -- lsp-set-addresses " + ls +
                "-r0 router -- lsp-set-options " + ls + "-r0 router-port=r0-" + ls);
    c.nbctl("lsp-add ext ext-ln -- lsp-set-type ext-ln localnet -- lsp-set-addresses ext-ln unknown"
            " -- lsp-set-options ext-ln network_name=physnet1");
}

using Scenario = std::function<void(Chassis &, Observations &)>;

class Differential : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        for (const auto &[tool, pkg] : std::vector<std::pair<const char *, const char *>>{
                 {"ovsdb-server", "openvswitch-switch"}, {"ovs-vswitchd", "openvswitch-switch"},
                 {"ovn-controller", "ovn-host"}, {"ovn-northd", "ovn-central"}, {"tcpdump", "tcpdump"}, {"ethtool", "ethtool"},
                 {"iperf3", "iperf3"}})
            REQUIRE_TOOL(tool, pkg);
    }

    // Plays `scenario` on both chassis and compares what each saw.
    void compare(const Scenario &scenario) {
        Observations ours = play("iovisor", scenario), reference = play("reference", scenario);
        std::ostringstream table;
        bool differ = ours.seen.size() != reference.seen.size();
        table << "  observation | expected | iovisor-ovn | ovn-controller + OVS\n";
        for (size_t i = 0; i < ours.seen.size(); ++i) {
            const auto &[what, value] = ours.seen[i];
            const std::string ref = i < reference.seen.size() ? reference.seen[i].second : "(missing)";
            const std::string &expected = ours.expected[what];
            const bool ok = value == expected && ref == expected;
            differ |= !ok;
            table << (ok ? "  " : "! ") << what << " | " << expected << " | " << value << " | " << ref << "\n";
        }
        EXPECT_FALSE(differ) << "the chassis differ from the expected outcome:\n" << table.str();
        std::printf("%s", table.str().c_str());
    }

private:
    Observations play(const std::string &impl, const Scenario &scenario) {
        Observations seen;
        testsupport::TempDir dir("iovisor-diff");
        Chassis chassis(impl, dir.path() + "/ovn", 22000 + getpid() % 10000);
        EXPECT_TRUE(chassis.started()) << impl << " sandbox did not start:\n" << chassis.error();
        if (chassis.started()) scenario(chassis, seen);
        return seen;
    }
};

// Two VMs on one switch under port security; one takes another address.
TEST_F(Differential, SwitchAndPortSecurity) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0");
        for (const char *n : {"1", "2"})
            c.nbctl(std::string("lsp-add sw0 vm") + n + " -- lsp-set-addresses vm" + n + " '02:00:00:00:00:0" + n +
                    " 10.0.0." + n + "' -- lsp-set-port-security vm" + n + " '02:00:00:00:00:0" + n + " 10.0.0." +
                    n + "'");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        TestHost &vm2 = c.vm("vm2", "02:00:00:00:00:02", "10.0.0.2/24");
        c.syncHv();
        see("vm1 pings vm2", "yes", yesNo(vm1.ping("10.0.0.2", 4)));
        std::string log;
        see("TCP vm1 -> vm2", "yes", yesNo(vm1.tcpTo(vm2, "10.0.0.2", &log)));
        see("vm1 is up in the NB", "true", c.nbctl("get Logical_Switch_Port vm1 up").substr(0, 4));
        vm2.exec("ip addr flush dev eth0 && ip addr add 10.0.0.66/24 dev eth0");
        see("vm2 on a spoofed address is reachable", "no", yesNo(vm1.ping("10.0.0.66", 2)));
    });
}

// A router whose external port is a gateway port on this chassis: SNAT and
// a floating IP outward, routed-in traffic answered untranslated.
TEST_F(Differential, GatewayRouterNat) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0 -- lsp-add sw0 vm1 -- lsp-set-addresses vm1 '02:00:00:00:00:01 10.0.0.1'"
                " -- lsp-add sw0 vm2 -- lsp-set-addresses vm2 '02:00:00:00:00:02 10.0.0.2' -- ls-add ext");
        routerToExternal(c);
        c.nbctl("lrp-set-gateway-chassis r0-ext " + c.systemId() + " 10");
        c.nbctl("lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24 -- lr-nat-add r0 dnat_and_snat 172.24.4.50 10.0.0.2"
                " -- lr-route-add r0 0.0.0.0/0 172.24.4.254");
        c.mappedBridge("br-ex", "physnet1");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        c.vm("vm2", "02:00:00:00:00:02", "10.0.0.2/24").exec("ip route add default via 10.0.0.254");
        TestHost &ext = c.vm("", "02:00:00:00:04:fe", "172.24.4.254/24", "br-ex");
        vm1.exec("ip route add default via 10.0.0.254");
        ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1");
        c.syncHv();
        see("vm1 reaches the external host", "yes", yesNo(vm1.ping("172.24.4.254", 4)));
        see("the external host sees vm1 as", "172.24.4.1",
            echoSourceSeenBy(ext, [&] { vm1.ping("172.24.4.254", 1); }));
        see("the external host reaches the floating IP", "yes", yesNo(ext.ping("172.24.4.50", 4)));
        see("routed in to vm1's own address", "yes", yesNo(ext.ping("10.0.0.1", 4)));
    });
}

// A distributed router without a gateway port: OVN does no NAT there.
TEST_F(Differential, NoNatWithoutAGateway) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0 -- lsp-add sw0 vm1 -- lsp-set-addresses vm1 '02:00:00:00:00:01 10.0.0.1' -- ls-add ext");
        routerToExternal(c);
        c.nbctl("lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24 -- lr-route-add r0 0.0.0.0/0 172.24.4.254");
        c.mappedBridge("br-ex", "physnet1");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        TestHost &ext = c.vm("", "02:00:00:00:04:fe", "172.24.4.254/24", "br-ex");
        vm1.exec("ip route add default via 10.0.0.254");
        ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1");
        c.syncHv();
        see("vm1 reaches the external host", "yes", yesNo(vm1.ping("172.24.4.254", 4)));
        see("the external host sees vm1 as", "10.0.0.1", echoSourceSeenBy(ext, [&] { vm1.ping("172.24.4.254", 1); }));
    });
}

}  // namespace
