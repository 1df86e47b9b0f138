// End to end: a real OVN (NB, SB, northd), a local Open_vSwitch database,
// hoverd and iovisor-ovnd (scripts/ovn-sandbox.sh), and namespaces as VMs.
// The tests act only as a user would: ovn-nbctl, ovs-vsctl, traffic; plus
// hoverd's stats API and `iovisor-ovnd --check` to look inside.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "netns.h"
#include "test_support.h"

namespace {

using testsupport::CommandResult;
using testsupport::TestHost;

std::string hex2(int v) {
    char text[3];
    std::snprintf(text, sizeof text, "%02x", v & 0xff);
    return text;
}

class OvnE2E : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ovsdb-server", "openvswitch-switch");
        REQUIRE_TOOL("ovn-northd", "ovn-central");
        REQUIRE_TOOL("ovn-nbctl", "ovn-central");
        REQUIRE_TOOL("ping", "iputils-ping");
        REQUIRE_TOOL("curl", "curl");
        dir_ = std::make_unique<testsupport::TempDir>("iovisor-e2e");
        sandbox_ = dir_->path() + "/ovn";
        port_ = std::to_string(21000 + getpid() % 10000);  // below the ephemeral range
        auto r = sandbox("start " + sandbox_ + " " + port_);
        ASSERT_EQ(r.exit_code, 0) << "sandbox did not start:\n" << r.output << logs();
        started_ = true;
        setenv("OVN_RUNDIR", sandbox_.c_str(), 1);
        setenv("OVS_RUNDIR", sandbox_.c_str(), 1);
        unsetenv("OVN_NB_DB");
        unsetenv("OVN_SB_DB");
    }

    void TearDown() override {
        vms_.clear();
        if (!started_) return;
        sandbox("stop " + sandbox_);
        // Everything the sandbox started runs with a path under its dir (the
        // bracket keeps pgrep from matching its own command line).
        auto left = testsupport::shell("pgrep -af '[" + sandbox_.substr(0, 1) + "]" + sandbox_.substr(1) + "/' || true");
        EXPECT_EQ(left.output, "") << "processes the sandbox left running";
    }

    CommandResult sandbox(const std::string &args) {
        return testsupport::shell("BUILD_DIR=" BUILD_DIR " " SANDBOX_SCRIPT " " + args + " 2>&1");
    }
    std::string logs() {
        return "\n--- iovisor-ovnd log:\n" + testsupport::shell("tail -30 " + sandbox_ + "/ovnd.log").output +
               "\n--- hoverd log:\n" + testsupport::shell("tail -10 " + sandbox_ + "/hoverd.log").output;
    }

    // ovn-nbctl / ovs-vsctl as a user types them; the test fails on an error.
    std::string nbctl(const std::string &args) {
        auto r = testsupport::shell("ovn-nbctl " + args);
        EXPECT_EQ(r.exit_code, 0) << "ovn-nbctl " << args << ":\n" << r.output;
        return r.output;
    }
    std::string vsctl(const std::string &args) {
        auto r = testsupport::shell("timeout 20 ovs-vsctl " + args);
        EXPECT_EQ(r.exit_code, 0) << "ovs-vsctl " << args << " (blocks if cur_cfg is not advanced):\n" << r.output;
        return r.output;
    }
    // `ovn-nbctl --wait=hv sync`: returns once every chassis reports nb_cfg.
    void syncHv() {
        auto r = testsupport::shell("ovn-nbctl --timeout=20 --wait=hv sync");
        ASSERT_EQ(r.exit_code, 0) << "--wait=hv sync did not return:\n" << r.output << logs();
    }

    // A VM: a namespace plugged into br-int with iface-id = `lsp`.
    TestHost &vm(const std::string &lsp, const std::string &mac, const std::string &cidr, bool plug = true) {
        vms_.push_back(std::make_unique<TestHost>(testsupport::uniqueName("v"), mac, cidr));
        TestHost &h = *vms_.back();
        EXPECT_TRUE(h.ok()) << h.error();
        if (plug) vsctl("add-port br-int " + h.hostIfname() + " -- set Interface " + h.hostIfname() + " external_ids:iface-id=" + lsp);
        return h;
    }
    void lsp(const std::string &ls, const std::string &name, const std::string &mac, const std::string &ip,
             bool port_security = true) {
        nbctl("lsp-add " + ls + " " + name + " -- lsp-set-addresses " + name + " '" + mac + " " + ip + "'" +
              (port_security ? " -- lsp-set-port-security " + name + " '" + mac + " " + ip + "'" : ""));
    }
    int drops(const std::string &ls, const std::string &reason) {
        const std::string uuid = testsupport::shell("ovn-nbctl get Logical_Switch " + ls + " _uuid").output;
        auto r = testsupport::shell("curl -s http://127.0.0.1:" + port_ + "/modules/ls-" + uuid.substr(0, 36) + "/stats");
        const auto at = r.output.find("\"" + reason + "\":");
        return at == std::string::npos ? 0 : std::atoi(r.output.c_str() + at + reason.size() + 3);
    }
    // A fresh full recompute finds nothing to change in hoverd.
    void expectInSync() {
        auto r = testsupport::shell(BUILD_DIR "/bin/iovisor-ovnd --check --ovs-db unix:" + sandbox_ +
                                    "/db.sock --ovnnb-db unix:" + sandbox_ + "/ovnnb_db.sock --hover http://127.0.0.1:" +
                                    port_ + " 2>&1");
        EXPECT_EQ(r.exit_code, 0) << "incremental state differs from a full recompute:\n" << r.output << logs();
    }

    // Two VMs on sw0 with port security.
    void twoVms() {
        nbctl("ls-add sw0");
        lsp("sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1");
        lsp("sw0", "vm2", "02:00:00:00:00:02", "10.0.0.2");
        vm1_ = &vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        vm2_ = &vm("vm2", "02:00:00:00:00:02", "10.0.0.2/24");
        syncHv();
    }

    std::unique_ptr<testsupport::TempDir> dir_;
    std::string sandbox_, port_;
    bool started_ = false;
    std::vector<std::unique_ptr<TestHost>> vms_;
    TestHost *vm1_ = nullptr, *vm2_ = nullptr;
};

TEST_F(OvnE2E, SameSwitchPingTcpAndBindings) {
    twoVms();
    EXPECT_TRUE(vm1_->ping("10.0.0.2")) << logs();
    std::string log;
    EXPECT_TRUE(vm1_->tcpTo(*vm2_, "10.0.0.2", &log)) << log;
    // The chassis contract: bound, up, ovn-installed, ofport.
    EXPECT_EQ(nbctl("get Logical_Switch_Port vm1 up"), "true\n");
    EXPECT_EQ(testsupport::shell("ovn-sbctl --bare --columns=chassis find Port_Binding logical_port=vm2").output.empty(), false);
    EXPECT_NE(vsctl("get Interface " + vm1_->hostIfname() + " external_ids:ovn-installed"), "");
    EXPECT_NE(vsctl("get Interface " + vm1_->hostIfname() + " ofport"), "[]\n");
    expectInSync();
}

TEST_F(OvnE2E, PortSecurityStopsChangedMacIpAndArpSpoofing) {
    twoVms();
    nbctl("ls-add dummy");  // unrelated churn
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    // vm2 takes another IP: its ARP and IP are dropped (the original demo).
    ASSERT_EQ(vm2_->exec("ip addr flush dev eth0 && ip addr add 10.0.0.66/24 dev eth0").exit_code, 0);
    EXPECT_FALSE(vm1_->ping("10.0.0.66", 2));
    EXPECT_GT(drops("sw0", "PS_ARP") + drops("sw0", "PS_SRC_IP"), 0);
    ASSERT_EQ(vm2_->exec("ip addr flush dev eth0 && ip addr add 10.0.0.2/24 dev eth0").exit_code, 0);
    EXPECT_TRUE(vm1_->ping("10.0.0.2"));
    // vm1 claims vm2's address in its ARP: spoofing dropped.
    ASSERT_EQ(vm1_->exec("ip addr add 10.0.0.2/32 dev eth0 && ip neigh flush dev eth0").exit_code, 0);
    const int before = drops("sw0", "PS_ARP");
    vm1_->exec("ping -c 2 -W 1 -I 10.0.0.2 10.0.0.9");
    EXPECT_GT(drops("sw0", "PS_ARP"), before);
    // vm2 changes its MAC.
    ASSERT_EQ(vm2_->exec("ip link set eth0 address 02:00:00:00:00:66").exit_code, 0);
    EXPECT_FALSE(vm2_->ping("10.0.0.1", 2));
    EXPECT_GT(drops("sw0", "PS_SRC_MAC"), 0);
}

TEST_F(OvnE2E, DisableAndEnableAPort) {
    twoVms();
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    nbctl("lsp-set-enabled vm2 disabled");
    syncHv();
    EXPECT_FALSE(vm1_->ping("10.0.0.2", 2));
    nbctl("lsp-set-enabled vm2 enabled");
    syncHv();
    EXPECT_TRUE(vm1_->ping("10.0.0.2"));
}

TEST_F(OvnE2E, PortsComeAndGoWhileTrafficFlows) {
    twoVms();
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    CommandResult ping;
    std::thread pinger([&] { ping = vm1_->exec("ping -q -i 0.02 -c 150 -W 1 10.0.0.2"); });
    for (int i = 3; i <= 6; ++i) {
        const std::string name = "vm" + std::to_string(i), mac = "02:00:00:00:00:0" + std::to_string(i);
        lsp("sw0", name, mac, "10.0.0." + std::to_string(i));
        vm(name, mac, "10.0.0." + std::to_string(i) + "/24");
    }
    nbctl("lsp-del vm3");
    vsctl("del-port br-int " + vms_[2]->hostIfname());
    syncHv();
    pinger.join();
    EXPECT_NE(ping.output.find(" 0% packet loss"), std::string::npos) << ping.output;
    EXPECT_TRUE(vms_[3]->ping("10.0.0.1")) << "a port added meanwhile works";
    EXPECT_FALSE(vms_[2]->ping("10.0.0.1", 1)) << "a deleted port is cut off";
    expectInSync();
}

TEST_F(OvnE2E, RouterStaticRouteSnatAndFloatingIp) {
    twoVms();
    nbctl("ls-add sw1");
    lsp("sw1", "vm3", "02:00:00:00:01:03", "10.0.1.3");
    lsp("sw1", "gw", "02:00:00:00:01:64", "10.0.1.100", false);
    nbctl("lr-add r0 -- lrp-add r0 r0-sw0 02:00:00:00:aa:00 10.0.0.254/24 -- lrp-add r0 r0-sw1 02:00:00:00:aa:01 10.0.1.254/24"
          " -- lrp-add r0 r0-ext 02:00:00:00:aa:02 172.24.4.1/24");
    for (const char *ls : {"sw0", "sw1", "ext"}) {
        if (std::string(ls) == "ext") nbctl("ls-add ext");
        const std::string p = std::string(ls) + "-r0";
        nbctl("lsp-add " + std::string(ls) + " " + p + " -- lsp-set-type " + p + " router -- lsp-set-addresses " + p +
              " router -- lsp-set-options " + p + " router-port=r0-" + ls);
    }
    nbctl("lsp-add ext ext-localnet -- lsp-set-type ext-localnet localnet -- lsp-set-addresses ext-localnet unknown"
          " -- lsp-set-options ext-localnet network_name=physnet1");
    // NAT happens at a gateway (a distributed gateway port resident here), as in OVN.
    const std::string chassis = vsctl("get open . external_ids:system-id");
    nbctl("lrp-set-gateway-chassis r0-ext " + chassis.substr(0, chassis.find('\n')) + " 10");
    nbctl("lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24 -- lr-nat-add r0 dnat_and_snat 172.24.4.50 10.0.0.2");
    nbctl("lr-route-add r0 0.0.0.0/0 172.24.4.254 -- lr-route-add r0 192.168.50.0/24 10.0.1.100");
    TestHost &vm3 = vm("vm3", "02:00:00:00:01:03", "10.0.1.3/24");
    TestHost &gw = vm("gw", "02:00:00:00:01:64", "10.0.1.100/24");
    TestHost &ext = vm("", "02:00:00:00:04:fe", "172.24.4.254/24", false);
    vsctl("add-br br-ex -- add-port br-ex " + ext.hostIfname() + " -- set open . external_ids:ovn-bridge-mappings=physnet1:br-ex");
    for (TestHost *h : {vm1_, vm2_}) ASSERT_EQ(h->exec("ip route add default via 10.0.0.254").exit_code, 0);
    ASSERT_EQ(vm3.exec("ip route add default via 10.0.1.254").exit_code, 0);
    ASSERT_EQ(gw.exec("ip addr add 192.168.50.1/32 dev lo && ip route add 10.0.0.0/16 via 10.0.1.254").exit_code, 0);
    syncHv();

    EXPECT_TRUE(vm1_->ping("10.0.1.3")) << "two switches through the router" << logs();
    EXPECT_TRUE(vm1_->ping("192.168.50.1")) << "static route to a next-hop namespace";
    EXPECT_TRUE(vm1_->ping("172.24.4.254", 4)) << "SNAT to the external network";
    auto seen = ext.exec("ip neigh show");
    EXPECT_EQ(seen.output.find("10.0.0.1"), std::string::npos) << "the outside sees only the SNAT address";
    EXPECT_TRUE(ext.ping("172.24.4.50")) << "floating IP reachable from outside";
    EXPECT_TRUE(vm2_->ping("172.24.4.254")) << "the floating-IP VM reaches outside";
    std::string log;
    EXPECT_TRUE(vm1_->tcpTo(ext, "172.24.4.254", &log)) << "TCP through SNAT:\n" << log;
    // An external host routing the tenant network via the router reaches a
    // VM's private address, and the replies are not SNATed (as in OVN).
    ASSERT_EQ(ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1").exit_code, 0);
    EXPECT_TRUE(ext.ping("10.0.0.1")) << "routed in to a private address";
    EXPECT_TRUE(ext.tcpTo(*vm1_, "10.0.0.1", &log)) << "TCP routed in, answered untranslated:\n" << log;
    expectInSync();
}

// Dual-stack networks through a router: IPv6 hosts find the gateway with
// Neighbor Discovery (answered by the router) and ping across it.
TEST_F(OvnE2E, Ipv6ThroughARouter) {
    nbctl("ls-add sw0 -- ls-add sw1");
    lsp("sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1 fd00::1");
    lsp("sw1", "vm3", "02:00:00:00:01:03", "10.0.1.3 fd01::3");
    nbctl("lr-add r0 -- lrp-add r0 r0-sw0 02:00:00:00:aa:00 10.0.0.254/24 fd00::fe/64"
          " -- lrp-add r0 r0-sw1 02:00:00:00:aa:01 10.0.1.254/24 fd01::fe/64");
    for (const char *ls : {"sw0", "sw1"}) {
        const std::string p = std::string(ls) + "-r0";
        nbctl("lsp-add " + std::string(ls) + " " + p + " -- lsp-set-type " + p + " router -- lsp-set-addresses " + p +
              " router -- lsp-set-options " + p + " router-port=r0-" + ls);
    }
    // A next-hop router OVN knows only by MAC: the router must solicit it.
    nbctl("lsp-add sw1 gw6 -- lsp-set-addresses gw6 02:00:00:00:01:66 -- lr-route-add r0 fd50::/64 fd01::66");
    TestHost &vm1 = vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
    TestHost &vm3 = vm("vm3", "02:00:00:00:01:03", "10.0.1.3/24");
    TestHost &gw6 = vm("gw6", "02:00:00:00:01:66", "10.0.1.66/24");
    ASSERT_EQ(vm1.exec("ip -6 addr add fd00::1/64 dev eth0 nodad && ip -6 route add default via fd00::fe").exit_code, 0);
    ASSERT_EQ(vm3.exec("ip -6 addr add fd01::3/64 dev eth0 nodad && ip -6 route add default via fd01::fe").exit_code, 0);
    ASSERT_EQ(gw6.exec("ip -6 addr add fd01::66/64 dev eth0 nodad && ip -6 addr add fd50::1/128 dev lo"
                       " && ip -6 route add fd00::/64 via fd01::fe").exit_code, 0);
    syncHv();

    EXPECT_EQ(vm1.exec("ping -6 -c 2 -i 0.3 -W 1 fd00::fe").exit_code, 0) << "the gateway answers NS and ping" << logs();
    EXPECT_EQ(vm1.exec("ping -6 -c 2 -i 0.3 -W 1 fd01::3").exit_code, 0) << "across the router";
    EXPECT_NE(vm1.exec("ip -6 neigh show fd00::fe").output.find("02:00:00:00:aa:00"), std::string::npos)
        << "the router's MAC came from its Neighbor Advertisement";
    EXPECT_EQ(vm1.exec("ping -6 -c 4 -i 0.3 -W 1 fd50::1").exit_code, 0)
        << "static route via a next hop resolved by Neighbor Solicitation";
    std::string log;
    EXPECT_TRUE(vm1.tcpTo(vm3, "fd01::3", &log)) << "TCP over IPv6 across the router:\n" << log;
    expectInSync();
    // Hop limit 1 across the router: time exceeded, from the gateway.
    EXPECT_NE(vm1.exec("ping -6 -c 1 -W 1 -t 1 fd01::3").output.find("fd00::fe"), std::string::npos)
        << "ICMPv6 time exceeded from the router";
    // A router port goes away: its slot is zeroed, the rest still routes.
    nbctl("lsp-del sw1-r0 -- lrp-del r0-sw1");
    syncHv();
    EXPECT_NE(vm1.exec("ping -6 -c 1 -W 1 fd01::3").exit_code, 0) << "no route to sw1 any more";
    EXPECT_EQ(vm1.exec("ping -6 -c 1 -W 1 fd00::fe").exit_code, 0);
    expectInSync();
}

// Two routers on one join switch, a static route via the other router's port
// (issue 14's first difference): every packet arrives, the first included,
// as on ovn-controller + OVS (the routers know each other's ports statically).
TEST_F(OvnE2E, StaticRouteViaAnotherRouterOnAJoinSwitch) {
    nbctl("ls-add lsa -- ls-add lsb -- ls-add join");
    lsp("lsa", "vm1", "02:00:00:00:00:01", "10.0.1.1");
    lsp("lsb", "vm2", "02:00:00:00:00:02", "10.0.2.1");
    nbctl("lr-add r0 -- lrp-add r0 r0-a 02:00:00:00:aa:01 10.0.1.254/24 -- lrp-add r0 r0-j 02:00:00:00:aa:02 10.0.0.1/24");
    nbctl("lr-add r1 -- lrp-add r1 r1-b 02:00:00:00:bb:01 10.0.2.254/24 -- lrp-add r1 r1-j 02:00:00:00:bb:02 10.0.0.2/24");
    for (const auto &[ls, lrp] : std::vector<std::pair<std::string, std::string>>{
             {"lsa", "r0-a"}, {"join", "r0-j"}, {"lsb", "r1-b"}, {"join", "r1-j"}}) {
        const std::string p = ls + "-" + lrp;
        nbctl("lsp-add " + ls + " " + p + " -- lsp-set-type " + p + " router -- lsp-set-addresses " + p +
              " router -- lsp-set-options " + p + " router-port=" + lrp);
    }
    nbctl("lr-route-add r0 10.0.2.0/24 10.0.0.2 -- lr-route-add r1 10.0.1.0/24 10.0.0.1");
    TestHost &vm1 = vm("vm1", "02:00:00:00:00:01", "10.0.1.1/24");
    TestHost &vm2 = vm("vm2", "02:00:00:00:00:02", "10.0.2.1/24");
    ASSERT_EQ(vm1.exec("ip route add default via 10.0.1.254").exit_code, 0);
    ASSERT_EQ(vm2.exec("ip route add default via 10.0.2.254").exit_code, 0);
    syncHv();
    auto ping = vm1.exec("ping -c 4 -i 0.3 -W 1 10.0.2.1");
    EXPECT_NE(ping.output.find(" 0% packet loss"), std::string::npos) << ping.output << logs();
    std::string log;
    EXPECT_TRUE(vm1.tcpTo(vm2, "10.0.2.1", &log)) << log;
    expectInSync();
}

// A chassis serves only its local datapaths: VMs on 5 of 1,000 networks
// load 5 switches, plus the router between two of them and the remote
// network that router reaches; a switch goes with its last local port.
TEST_F(OvnE2E, OnlyTheNetworksThisChassisHostsAreLoaded) {
    std::string batch;
    for (int i = 0; i < 1000; ++i) {
        const std::string n = std::to_string(i);
        batch += " -- ls-add ls" + n + " -- lsp-add ls" + n + " p" + n + " -- lsp-set-addresses p" + n +
                 " '02:00:00:00:" + (i < 256 ? "00" : "01") + ":" + hex2(i % 256) + " 10.0." +
                 std::to_string(i % 250) + ".2'";
    }
    nbctl(batch.substr(4));
    nbctl("lr-add r0 -- lrp-add r0 r0-ls0 02:00:00:00:aa:00 10.0.0.1/24 -- lrp-add r0 r0-ls1 02:00:00:00:aa:01 10.0.1.1/24"
          " -- lrp-add r0 r0-ls999 02:00:00:00:aa:02 10.0.249.1/24");
    for (const char *ls : {"ls0", "ls1", "ls999"}) {
        const std::string p = std::string(ls) + "-r0";
        nbctl("lsp-add " + std::string(ls) + " " + p + " -- lsp-set-type " + p + " router -- lsp-set-addresses " + p +
              " router -- lsp-set-options " + p + " router-port=r0-" + ls);
    }
    std::vector<TestHost *> local;
    for (int i : {0, 1, 2, 3, 4})
        local.push_back(&vm("p" + std::to_string(i), "02:00:00:00:00:" + hex2(i),
                            "10.0." + std::to_string(i) + ".2/24"));
    syncHv();
    auto modules = [&] {
        auto health = testsupport::shell("curl -sf http://127.0.0.1:" + port_ + "/health");
        const auto at = health.output.find("\"modules\":");
        return at == std::string::npos ? -1 : std::atoi(health.output.c_str() + at + 10);
    };
    EXPECT_EQ(modules(), 7) << "5 local switches, r0 and ls999 behind it" << logs();
    ASSERT_EQ(local[0]->exec("ip route add default via 10.0.0.1").exit_code, 0);
    ASSERT_EQ(local[1]->exec("ip route add default via 10.0.1.1").exit_code, 0);
    EXPECT_TRUE(local[0]->ping("10.0.1.2")) << "across r0 between two local networks" << logs();
    expectInSync();
    // The last local port of ls4 goes: so does its module.
    vsctl("del-port br-int " + local[4]->hostIfname());
    syncHv();
    EXPECT_EQ(modules(), 6);
    expectInSync();
}

TEST_F(OvnE2E, ControllerRestartLosesNoPings) {
    twoVms();
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    CommandResult ping;
    std::thread pinger([&] { ping = vm1_->exec("ping -q -i 0.01 -c 300 -W 1 10.0.0.2"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto r = sandbox("restart " + sandbox_ + " ovnd");
    pinger.join();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(ping.output.find(" 0% packet loss"), std::string::npos) << ping.output;
    syncHv();
    EXPECT_EQ(nbctl("get Logical_Switch_Port vm1 up"), "true\n") << "re-claimed after the restart";
    expectInSync();
}

// Someone changes hoverd behind the controller's back (an operator deleting
// a link by hand): iovisor-ovnd notices and repairs it.
TEST_F(OvnE2E, RepairsWhatWasChangedInHoverdByHand) {
    twoVms();
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    const std::string hover = "http://127.0.0.1:" + port_;
    const std::string links = testsupport::shell("curl -sf " + hover + "/links/").output;
    const std::string vm2_if = vm2_->hostIfname();
    // The link whose netdev side is vm2's tap.
    const auto at = links.find("\"i:" + vm2_if + "\"");
    ASSERT_NE(at, std::string::npos) << links;
    const auto id_at = links.rfind("\"id\":", at);
    const int link_id = std::atoi(links.c_str() + id_at + 5);
    auto del = testsupport::shell("curl -sf -X DELETE " + hover + "/links/" + std::to_string(link_id));
    ASSERT_EQ(del.exit_code, 0) << del.output;
    EXPECT_FALSE(vm1_->ping("10.0.0.2", 1)) << "the link is really gone";
    bool repaired = false;
    for (int i = 0; i < 20 && !repaired; ++i) repaired = vm1_->ping("10.0.0.2", 1);
    EXPECT_TRUE(repaired) << "iovisor-ovnd put the link back" << logs();
    expectInSync();
}

TEST_F(OvnE2E, SouthboundRestartReconverges) {
    twoVms();
    auto r = sandbox("restart " + sandbox_ + " ovnsb");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    lsp("sw0", "vm3", "02:00:00:00:00:03", "10.0.0.3");
    TestHost &vm3 = vm("vm3", "02:00:00:00:00:03", "10.0.0.3/24");
    syncHv();
    EXPECT_TRUE(vm3.ping("10.0.0.1")) << logs();
    EXPECT_EQ(nbctl("get Logical_Switch_Port vm3 up"), "true\n");
    EXPECT_TRUE(vm1_->ping("10.0.0.2"));
}

TEST_F(OvnE2E, IovisorctlShowsTheOvnMapping) {
    twoVms();
    ASSERT_TRUE(vm1_->ping("10.0.0.2"));
    const std::string ctl = BUILD_DIR "/bin/iovisorctl --hover http://127.0.0.1:" + port_ + " --ovnd " + sandbox_ + "/ovnd.sock ";
    auto mapping = testsupport::shell(ctl + "ovn");
    EXPECT_EQ(mapping.exit_code, 0) << mapping.output;
    const std::string uuid = nbctl("get Logical_Switch sw0 _uuid").substr(0, 36);
    EXPECT_NE(mapping.output.find("switch sw0 -> module ls-" + uuid), std::string::npos) << mapping.output;
    EXPECT_NE(mapping.output.find("port vm1 (vif) -> port 0 via " + vm1_->hostIfname()), std::string::npos) << mapping.output;
    EXPECT_NE(mapping.output.find(", up: programmed"), std::string::npos) << mapping.output;
    auto status = testsupport::shell(ctl + "status");
    EXPECT_EQ(status.exit_code, 0) << status.output;
    const std::string sb_cfg = testsupport::shell("ovn-sbctl get SB_Global . nb_cfg").output;
    EXPECT_NE(status.output.find("nb_cfg seen " + sb_cfg.substr(0, sb_cfg.size() - 1) + " applied " +
                                 sb_cfg.substr(0, sb_cfg.size() - 1)),
              std::string::npos)
        << status.output;
    // trace: a packet from vm1 to vm2 through the real programs, then a spoofed one.
    auto ok = testsupport::shell(ctl + "trace vm1 eth.src=02:00:00:00:00:01 eth.dst=02:00:00:00:00:02 "
                                       "ip4.src=10.0.0.1 ip4.dst=10.0.0.2 udp.dst=53");
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    EXPECT_NE(ok.output.find("in port 0 -> out port 1"), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("leaves via interface " + vm2_->hostIfname()), std::string::npos) << ok.output;
    EXPECT_NE(ok.output.find("verdict: redirect"), std::string::npos) << ok.output;
    auto spoofed = testsupport::shell(ctl + "trace vm1 eth.src=02:00:00:00:00:01 eth.dst=02:00:00:00:00:02 "
                                            "ip4.src=10.0.0.99 ip4.dst=10.0.0.2");
    EXPECT_NE(spoofed.output.find("dropped: PS_SRC_IP"), std::string::npos) << spoofed.output;
    EXPECT_NE(spoofed.output.find("verdict: drop"), std::string::npos) << spoofed.output;
    EXPECT_EQ(testsupport::shell(ctl + "trace vm1 colour=red 2>&1").exit_code, 2);
    // The controller's socket gone: said so, exit code 3.
    auto missing = testsupport::shell(BUILD_DIR "/bin/iovisorctl --ovnd /nonexistent.sock ovn 2>&1");
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_NE(missing.output.find("iovisor-ovnd not reachable"), std::string::npos) << missing.output;
}

}  // namespace
