// The chassis' daemons over their life, on our chassis and on
// ovn-controller + OVS (see differential.h): restarts of the controller and
// of the Southbound, changes made by hand behind the controller's back, and
// the tools an operator looks inside with.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "differential.h"

namespace e2e {
namespace {

using LifecycleE2E = Differential;

// Our datapath keeps forwarding while iovisor-ovnd restarts; the goal is no
// lost ping (the reference's ovn-controller is shown next to it).
TEST_F(LifecycleE2E, ControllerRestartLosesNoPings) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        see("vm1 pings vm2", "yes", yesNo(vm1->ping("10.0.0.2")));
        CommandResult ping, restart;
        std::thread pinger([&, vm1 = vm1] { ping = vm1->exec("ping -q -i 0.01 -c 300 -W 1 10.0.0.2"); });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        restart = c.restart("ovnd");
        pinger.join();
        EXPECT_EQ(restart.exit_code, 0) << restart.output;
        see.goal("pings lost over a controller restart", "0%", packetLoss(ping));
        c.syncHv();
        see("vm1 is up again after the restart", "true", c.nbctl("get Logical_Switch_Port vm1 up"));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// `daemon` ("ovnd": iovisor-ovnd / ovn-controller, "datapath": hoverd /
// ovs-vswitchd) killed with SIGKILL in the middle of a change of 16 ports,
// then started again: the chassis converges on what OVN says, no binding is
// lost, and our datapath forwards all along (issue 18: crash consistency).
void killMidChangeAndRestart(Chassis &c, Observations &see, const std::string &daemon) {
    auto [vm1, vm2] = twoVms(c);
    see("vm1 pings vm2", "yes", yesNo(vm1->ping("10.0.0.2")));
    // 16 VMs plugged first; their ports then appear in one NB change, so
    // the chassis has 16 bindings, links and table entries to make at once.
    std::string batch;
    for (int i = 10; i < 26; ++i) {
        const std::string n = std::to_string(i), mac = "02:00:00:00:01:" + n, ip = "10.0.0." + n;
        c.vm("p" + n, mac, ip + "/24");
        batch += " -- lsp-add sw0 p" + n + " -- lsp-set-addresses p" + n + " \"" + mac + " " + ip + "\"";
    }
    CommandResult ping;
    std::thread pinger([&, vm1 = vm1] { ping = vm1->exec("ping -q -i 0.01 -c 300 -W 1 10.0.0.2"); });
    c.nbctl(batch.substr(4));
    const std::string pidfile = daemon == "ovnd" ? (c.ours() ? "/ovnd.pid" : "/controller.pid")
                                                 : (c.ours() ? "/hoverd.pid" : "/vswitchd.pid");
    auto kill = c.shell("kill -9 $(cat " + c.dir() + pidfile + ")");  // while it works on the 16 ports
    EXPECT_EQ(kill.exit_code, 0) << kill.output;
    auto restart = c.restart(daemon);
    pinger.join();
    EXPECT_EQ(restart.exit_code, 0) << restart.output;
    const std::string what = daemon == "ovnd" ? "controller" : "datapath daemon";
    see.goal("pings lost while the " + what + " was killed and restarted", "0%", packetLoss(ping));
    c.syncHv();
    see("vm1 and vm2 still up", "true true",
        c.nbctl("get Logical_Switch_Port vm1 up").substr(0, 4) + " " + c.nbctl("get Logical_Switch_Port vm2 up").substr(0, 4));
    // Converged, not at once: the reference's restarted ovs-vswitchd gets
    // its flows back from ovn-controller after nb_cfg says done (it once
    // missed a 1.4 s window). The first reply ends the wait.
    see("vm1 pings vm2 after the restart (within 5 s)", "yes",
        yesNo(vm1->exec("ping -c 1 -i 0.2 -w 5 10.0.0.2").exit_code == 0));
    const std::string up = c.nbctl("--bare --columns=name find Logical_Switch_Port up=true");
    int new_up = 0;
    for (int i = 10; i < 26; ++i) new_up += up.find("p" + std::to_string(i) + "\n") != std::string::npos;
    see("the 16 new ports are up", "16", std::to_string(new_up));
    see("vm1 pings the last new port", "yes", yesNo(vm1->ping("10.0.0.25")));
    see.ours("incremental equals a full recompute, and hoverd holds it", "yes", [&] { return inSyncObservation(c); });
}

TEST_F(LifecycleE2E, ControllerKilledMidChangeConverges) {
    compare([](Chassis &c, Observations &see) { killMidChangeAndRestart(c, see, "ovnd"); });
}

// hoverd (on the reference ovs-vswitchd, its userspace datapath) killed the
// same way: the programs stay in the kernel, so ours forwards on.
TEST_F(LifecycleE2E, DatapathDaemonKilledMidChangeConverges) {
    compare([](Chassis &c, Observations &see) { killMidChangeAndRestart(c, see, "datapath"); });
}

// An operator cuts vm2 off by hand: on ours by deleting its link in hoverd,
// on the reference by deleting br-int's flows. Our goal: iovisor-ovnd
// notices and repairs it.
TEST_F(LifecycleE2E, RepairsWhatWasChangedByHand) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        see("vm1 pings vm2", "yes", yesNo(vm1->ping("10.0.0.2")));
        if (c.ours()) {
            const std::string links = testsupport::shell(c.hoverCurl("-sf", "/links/")).output;
            const auto at = links.find("\"i:" + vm2->hostIfname() + "\"");  // the link to vm2's tap
            ASSERT_NE(at, std::string::npos) << links;
            const int id = std::atoi(links.c_str() + links.rfind("\"id\":", at) + 5);
            auto del = testsupport::shell(c.hoverCurl("-sf -X DELETE", "/links/" + std::to_string(id)));
            ASSERT_EQ(del.exit_code, 0) << del.output;
        } else {
            c.shell("ovs-ofctl -O OpenFlow15 del-flows br-int");
        }
        see("vm1 pings vm2 right after the change", "no", yesNo(vm1->ping("10.0.0.2", 1)));
        bool repaired = false;
        for (int i = 0; i < 10 && !repaired; ++i) repaired = vm1->ping("10.0.0.2", 1);
        see.goal("repaired by the controller within 10 s", "yes", yesNo(repaired));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

TEST_F(LifecycleE2E, SouthboundRestartReconverges) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        auto r = c.restart("ovnsb");
        ASSERT_EQ(r.exit_code, 0) << r.output;
        addVifPort(c, "sw0", "vm3", "02:00:00:00:00:03", "10.0.0.3");
        TestHost &vm3 = c.vm("vm3", "02:00:00:00:00:03", "10.0.0.3/24");
        c.syncHv();
        see("a port added after the restart reaches vm1", "yes", yesNo(vm3.ping("10.0.0.1")));
        see("the new port is up", "true", c.nbctl("get Logical_Switch_Port vm3 up"));
        see("vm1 still pings vm2", "yes", yesNo(vm1->ping("10.0.0.2")));
    });
}

std::string found(const CommandResult &r, const std::string &text) {
    const bool yes = r.output.find(text) != std::string::npos;
    EXPECT_TRUE(yes) << "no \"" << text << "\" in:\n" << r.output;
    return yesNo(yes);
}

// iovisorctl is our operator's view (the reference has ovs-appctl and
// ovn-trace): its observations are ours only.
TEST_F(LifecycleE2E, IovisorctlShowsTheOvnMapping) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        see("vm1 pings vm2", "yes", yesNo(vm1->ping("10.0.0.2")));
        const std::string ctl = iovisorctl(c);
        const std::string uuid = c.nbctl("get Logical_Switch sw0 _uuid").substr(0, 36);
        auto mapping = [&](const std::string &text) { return found(testsupport::shell(ctl + "ovn"), text); };
        see.ours("ovn: the switch's module", "yes", [&] { return mapping("switch sw0 -> module ls-" + uuid); });
        see.ours("ovn: vm1's port and tap", "yes",
                 [&] { return mapping("port vm1 (vif) -> port 0 via " + vm1->hostIfname()); });
        see.ours("ovn: vm1 is up and programmed", "yes", [&] { return mapping(", up: programmed"); });
        see.ours("status: nb_cfg seen and applied", "yes", [&] {
            std::string cfg = c.sbctl("get SB_Global . nb_cfg");
            cfg.pop_back();
            return found(testsupport::shell(ctl + "status"), "nb_cfg seen " + cfg + " applied " + cfg);
        });
        const std::string flow = "eth.src=02:00:00:00:00:01 eth.dst=02:00:00:00:00:02 ip4.dst=10.0.0.2 ";
        see.ours("trace vm1 -> vm2 leaves via vm2's tap", "yes", [&] {
            auto r = testsupport::shell(ctl + "trace vm1 " + flow + "ip4.src=10.0.0.1 udp.dst=53");
            return yesNo(found(r, "in port 0 -> out port 1") == "yes" &&
                         found(r, "leaves via interface " + vm2->hostIfname()) == "yes" &&
                         found(r, "verdict: redirect") == "yes");
        });
        see.ours("trace of a spoofed source: dropped as PS_SRC_IP", "yes", [&] {
            auto r = testsupport::shell(ctl + "trace vm1 " + flow + "ip4.src=10.0.0.99");
            return yesNo(found(r, "dropped: PS_SRC_IP") == "yes" && found(r, "verdict: drop") == "yes");
        });
        see.ours("trace of a bad field: exit code", "2",
                 [&] { return std::to_string(testsupport::shell(ctl + "trace vm1 colour=red 2>&1").exit_code); });
        see.ours("ovn without iovisor-ovnd: exit code and message", "3 yes", [&] {
            auto r = testsupport::shell(BUILD_DIR "/bin/iovisorctl --ovnd /nonexistent.sock ovn 2>&1");
            return std::to_string(r.exit_code) + " " + found(r, "iovisor-ovnd not reachable");
        });
    });
}

}  // namespace
}  // namespace e2e
