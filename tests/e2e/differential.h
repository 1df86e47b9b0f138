// The differential harness: a scenario is played twice from the same code,
// on our chassis and on the reference (ovn-controller + OVS), each on its own
// fresh OVN, and what each saw is compared with the expected outcome.
//
// A scenario records observations:
//   see(what, expected, value)        both chassis must show `expected`;
//   see.goal(what, expected, value)   both are measured, only ours must meet
//                                     the goal (where we deliberately differ:
//                                     the reference's value is printed);
//   see.ours(what, expected, probe)   only our chassis has it (hoverd's
//                                     counters, iovisorctl, --check): probed
//                                     on ours, shown as "-" for the reference.
// The test fails on any mismatch and prints every observation of both sides.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chassis.h"

namespace e2e {

class Observations {
public:
    enum class Kind { Same, Goal, OursOnly };
    struct Row {
        std::string what, expected, value;
        Kind kind;
    };
    explicit Observations(bool ours) : ours_(ours) {}

    // Values are compared without surrounding white space ("true\n" = "true").
    void operator()(const std::string &what, const std::string &expected, const std::string &value) {
        add(what, expected, value, Kind::Same);
    }
    void goal(const std::string &what, const std::string &expected, const std::string &value) {
        add(what, expected, value, Kind::Goal);
    }
    void ours(const std::string &what, const std::string &expected, const std::function<std::string()> &probe) {
        if (ours_) add(what, expected, probe(), Kind::OursOnly);
    }
    const std::vector<Row> &rows() const { return rows_; }

private:
    void add(const std::string &what, const std::string &expected, const std::string &value, Kind kind);
    bool ours_;
    std::vector<Row> rows_;
};

using Scenario = std::function<void(Chassis &, Observations &)>;

class Differential : public ::testing::Test {
protected:
    void SetUp() override;
    // Plays `scenario` on both chassis and compares what each saw.
    void compare(const Scenario &scenario);

private:
    Observations play(const std::string &impl, const Scenario &scenario);
};

// Observation helpers.
std::string yesNo(bool b);
// The packet loss `ping` reported ("0%", "12%"; "?" if it did not say).
std::string packetLoss(const CommandResult &ping);
// The source (address, or address.port) of the first packet matching the
// tcpdump `filter` that `host` receives while `traffic` runs ("" if none).
std::string sourceSeenBy(const TestHost &host, const std::string &filter, const std::function<void()> &traffic);
// The source address of the first ICMP echo request `host` receives while
// `traffic` runs ("" if none).
std::string echoSourceSeenBy(const TestHost &host, const std::function<void()> &traffic);
// How many ARP packets with sender MAC `mac` `host` hears while `traffic` runs.
int arpsFromSeenBy(const TestHost &host, const std::string &mac, const std::function<void()> &traffic);
// Our CLI pointed at this chassis' daemons ("iovisorctl --hover ... --ovnd ... ").
std::string iovisorctl(const Chassis &c);
// Ours: "yes" if a fresh full recompute finds nothing to change in hoverd.
std::string inSyncObservation(Chassis &c);
// How many packets hoverd dropped on module `module` for `reason` (ours).
int hoverDrops(Chassis &c, const std::string &module, const std::string &reason);

// Topology helpers, as a user types them.
// A VIF port with addresses "MAC IP..." (and port security on them).
void addVifPort(Chassis &c, const std::string &ls, const std::string &name, const std::string &mac,
                const std::string &ips, bool port_security = true);
// The switch port of type router `ls`-`lrp` that leads to router port `lrp`.
void connectRouterPort(Chassis &c, const std::string &ls, const std::string &lrp);
// Two VMs on a new switch sw0 with port security (vm1 02:..:01 10.0.0.1,
// vm2 02:..:02 10.0.0.2), plugged, the NB applied.
std::pair<TestHost *, TestHost *> twoVms(Chassis &c);
// A localnet port `name` on `ls` for the provider network `network`.
void addLocalnetPort(Chassis &c, const std::string &ls, const std::string &name, const std::string &network);
// Router `lr` between `ls` (its port `lr`-`ls`, MAC ...:`n`0, `net`.254/24)
// and the provider network ext (172.24.4.`ext_ip`/24, a gateway port on this
// chassis), default route to the external host 172.24.4.254.
void tenantRouter(Chassis &c, const std::string &lr, const std::string &ls, const std::string &n,
                  const std::string &net, const std::string &ext_ip);
// The provider network: switch ext with a localnet port on physnet1, mapped
// to br-ex, where the external host 172.24.4.254 lives.
TestHost &externalNetwork(Chassis &c);

}  // namespace e2e
