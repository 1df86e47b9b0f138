#include "differential.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace e2e {

void Observations::add(const std::string &what, const std::string &expected, const std::string &value, Kind kind) {
    auto trimmed = [](const std::string &text) {
        const auto from = text.find_first_not_of(" \n\t"), to = text.find_last_not_of(" \n\t");
        return from == std::string::npos ? std::string() : text.substr(from, to - from + 1);
    };
    rows_.push_back({what, trimmed(expected), trimmed(value), kind});
}

void Differential::SetUp() {
    REQUIRE_ROOT();
    for (const auto &[tool, pkg] : std::vector<std::pair<const char *, const char *>>{
             {"ovsdb-server", "openvswitch-switch"}, {"ovs-vswitchd", "openvswitch-switch"},
             {"ovn-controller", "ovn-host"}, {"ovn-northd", "ovn-central"}, {"ovn-nbctl", "ovn-central"},
             {"tcpdump", "tcpdump"}, {"ethtool", "ethtool"}, {"iperf3", "iperf3"}, {"ping", "iputils-ping"},
             {"curl", "curl"}})
        REQUIRE_TOOL(tool, pkg);
}

Observations Differential::play(const std::string &impl, const Scenario &scenario) {
    Observations seen(impl == Chassis::kOurs);
    testsupport::TempDir dir("iovisor-e2e");
    Chassis chassis(impl, dir.path() + "/ovn");
    EXPECT_TRUE(chassis.started()) << impl << " sandbox did not start:\n" << chassis.error();
    if (chassis.started()) scenario(chassis, seen);
    if (::testing::Test::HasFailure()) std::printf("%s\n", chassis.logs().c_str());
    return seen;
}

namespace {

const char *label(Observations::Kind kind) {
    switch (kind) {
    case Observations::Kind::Goal: return "[goal] ";
    case Observations::Kind::OursOnly: return "[ours only] ";
    default: return "";
    }
}

}  // namespace

void Differential::compare(const Scenario &scenario) {
    const auto started = std::chrono::steady_clock::now();
    const Observations ours = play(Chassis::kOurs, scenario);
    const auto half = std::chrono::steady_clock::now();
    const Observations reference = play(Chassis::kReference, scenario);
    const auto done = std::chrono::steady_clock::now();
    std::map<std::string, std::string> ref;
    for (const auto &row : reference.rows()) ref[row.what] = row.value;
    std::ostringstream table;
    bool differ = false;
    table << "  observation | expected | iovisor-ovn | ovn-controller + OVS\n";
    for (const auto &row : ours.rows()) {
        const bool shared = row.kind != Observations::Kind::OursOnly;
        const std::string theirs = !shared ? "-" : ref.count(row.what) ? ref[row.what] : "(missing)";
        const bool ok = row.value == row.expected && (row.kind != Observations::Kind::Same || theirs == row.expected);
        differ |= !ok;
        table << (ok ? "  " : "! ") << label(row.kind) << row.what << " | " << row.expected << " | " << row.value
              << " | " << theirs << "\n";
        ref.erase(row.what);
    }
    for (const auto &[what, value] : ref) {
        differ = true;
        table << "! " << what << " | ? | (missing) | " << value << "\n";
    }
    auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    table << "  (played in " << seconds(half - started) << " s on ours, " << seconds(done - half)
          << " s on the reference)\n";
    EXPECT_FALSE(differ) << "the chassis differ from the expected outcome:\n" << table.str();
    std::printf("%s", table.str().c_str());
}

std::string yesNo(bool b) { return b ? "yes" : "no"; }

std::string packetLoss(const CommandResult &ping) {
    const auto at = ping.output.find("% packet loss");
    if (at == std::string::npos) return "?";
    const auto from = ping.output.rfind(' ', at);
    return ping.output.substr(from + 1, at - from);
}

namespace {

// Runs `capture` (a tcpdump writing to `file`) in `host` while `traffic` runs;
// returns what it wrote.
std::string captured(const TestHost &host, const std::string &capture, const std::function<void()> &traffic) {
    const std::string file = "/tmp/" + host.ns() + ".cap";
    host.exec(capture + " > " + file + " 2>/dev/null &");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    traffic();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return testsupport::shell("cat " + file + "; rm -f " + file).output;
}

}  // namespace

std::string sourceSeenBy(const TestHost &host, const std::string &filter, const std::function<void()> &traffic) {
    std::istringstream words(captured(host, "timeout 4 tcpdump -lnni eth0 -c 1 '" + filter + "'", traffic));
    std::string w, src;
    while (words >> w)
        if (w == "IP" || w == "IP6") {
            words >> src;
            break;
        }
    return src;
}

std::string echoSourceSeenBy(const TestHost &host, const std::function<void()> &traffic) {
    return sourceSeenBy(host, "icmp[icmptype] == 8", traffic);
}

int arpsFromSeenBy(const TestHost &host, const std::string &mac, const std::function<void()> &traffic) {
    const std::string lines = captured(host, "timeout 4 tcpdump -lnni eth0 'arp and ether src " + mac + "'", traffic);
    int count = 0;
    for (char ch : lines) count += ch == '\n';
    return count;
}

std::string iovisorctl(const Chassis &c) {
    return BUILD_DIR "/bin/iovisorctl --hover " + c.hoverUrl() + " --ovnd " + c.dir() + "/ovnd.sock ";
}

std::string inSyncObservation(Chassis &c) {
    std::string why;
    const bool same = c.inSync(&why);
    EXPECT_TRUE(same) << "incremental state differs from a full recompute:\n" << why;
    return yesNo(same);
}

int hoverDrops(Chassis &c, const std::string &module, const std::string &reason) {
    auto r = testsupport::shell(c.hoverCurl("-s", "/modules/" + module + "/stats"));
    const auto at = r.output.find("\"" + reason + "\":");
    return at == std::string::npos ? 0 : std::atoi(r.output.c_str() + at + reason.size() + 3);
}

// Two VMs on sw0 with port security: vm1 10.0.0.1, vm2 10.0.0.2.
std::pair<TestHost *, TestHost *> twoVms(Chassis &c) {
    c.nbctl("ls-add sw0");
    addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1");
    addVifPort(c, "sw0", "vm2", "02:00:00:00:00:02", "10.0.0.2");
    TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
    TestHost &vm2 = c.vm("vm2", "02:00:00:00:00:02", "10.0.0.2/24");
    c.syncHv();
    return {&vm1, &vm2};
}

void addVifPort(Chassis &c, const std::string &ls, const std::string &name, const std::string &mac,
                const std::string &ips, bool port_security) {
    c.nbctl("lsp-add " + ls + " " + name + " -- lsp-set-addresses " + name + " '" + mac + " " + ips + "'" +
            (port_security ? " -- lsp-set-port-security " + name + " '" + mac + " " + ips + "'" : ""));
}

void connectRouterPort(Chassis &c, const std::string &ls, const std::string &lrp) {
    const std::string p = ls + "-" + lrp;
    c.nbctl("lsp-add " + ls + " " + p + " -- lsp-set-type " + p + " router -- lsp-set-addresses " + p +
            " router -- lsp-set-options " + p + " router-port=" + lrp);
}

void addLocalnetPort(Chassis &c, const std::string &ls, const std::string &name, const std::string &network) {
    c.nbctl("lsp-add " + ls + " " + name + " -- lsp-set-type " + name + " localnet -- lsp-set-addresses " + name +
            " unknown -- lsp-set-options " + name + " network_name=" + network);
}

// Router `lr` between `ls` (its port `lr`-`ls`, MAC ...:`n`0, `ip`.254/24)
// and the provider network ext (172.24.4.`ext_ip`/24, a gateway port on this
// chassis), default route to the external host 172.24.4.254.
void tenantRouter(Chassis &c, const std::string &lr, const std::string &ls, const std::string &n,
                  const std::string &net, const std::string &ext_ip) {
    c.nbctl("lr-add " + lr + " -- lrp-add " + lr + " " + lr + "-" + ls + " 02:00:00:00:a" + n + ":00 " + net +
            ".254/24 -- lrp-add " + lr + " " + lr + "-ext 02:00:00:00:a" + n + ":02 172.24.4." + ext_ip + "/24");
    connectRouterPort(c, ls, lr + "-" + ls);
    connectRouterPort(c, "ext", lr + "-ext");
    // NAT happens at a gateway, as Neutron sets it: the router's external
    // port is a distributed gateway port with this chassis as its gateway.
    c.nbctl("lrp-set-gateway-chassis " + lr + "-ext " + c.systemId() + " 10 -- lr-route-add " + lr +
            " 0.0.0.0/0 172.24.4.254");
}

// The provider network: switch ext with a localnet port on physnet1, mapped
// to br-ex, where the external host 172.24.4.254 lives.
TestHost &externalNetwork(Chassis &c) {
    c.nbctl("ls-add ext");
    addLocalnetPort(c, "ext", "ext-ln", "physnet1");
    c.mappedBridge("br-ex", "physnet1");
    return c.vm("", "02:00:00:00:04:fe", "172.24.4.254/24", "br-ex");
}

}  // namespace e2e
