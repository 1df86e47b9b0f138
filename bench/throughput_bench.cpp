// TCP throughput between two namespaces (iperf3, 3 s, one stream), through
// our IOModules and through the Linux reference measured in the same run:
//   l2switch (TC and XDP)  vs  a Linux bridge in its own namespace
//   router (TC)            vs  Linux IP forwarding in a router namespace
//   sudo build/bench/throughput_bench [seconds]
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "acl_match.h"
#include "hover/attach.h"
#include "hover/l2switch.h"
#include "hover/router.h"
#include "module_harness.h"
#include "netns.h"

namespace {

using namespace testsupport;

int g_seconds = 3;

void must(bool ok, const std::string &what) {
    if (!ok) {
        std::fprintf(stderr, "setup failed: %s\n", what.c_str());
        std::exit(1);
    }
}
void must(const iovisor::Status &s) { must(s.ok(), s.ok() ? "" : s.error().message); }

// Gbit/s received by `server` from `client`.
double iperfGbps(const TestHost &client, const TestHost &server, const std::string &server_ip) {
    TempDir dir("iovisor-bench");
    const std::string pidfile = dir.path() + "/iperf3.pid";
    must(server.exec("iperf3 -s -1 -D -B " + server_ip + " --pidfile " + pidfile + " >/dev/null 2>&1").exit_code == 0,
         "iperf3 server");
    client.ping(server_ip, 2);  // resolve ARP first
    auto r = client.exec("timeout 30 iperf3 -J -c " + server_ip + " -t " + std::to_string(g_seconds));
    stopPid(readPidfile(pidfile));
    auto json = nlohmann::json::parse(r.output, nullptr, false);
    if (r.exit_code != 0 || json.is_discarded() || !json.contains("end")) {
        std::fprintf(stderr, "iperf3 failed:\n%s\n", r.output.c_str());
        return 0;
    }
    return json["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
}

// New TCP connections per second from `client` to `server` (connect, then
// close; the server accepts and closes): what a stateful filter pays per
// connection.
double connectionsPerSecond(const TestHost &client, const TestHost &server, const std::string &server_ip) {
    TempDir dir("iovisor-bench");
    const std::string pidfile = dir.path() + "/listener.pid";
    std::ofstream(dir.path() + "/listen.py") << "import socket\ns = socket.socket()\n"
                                                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                                                "s.bind(('" + server_ip + "', 5201))\ns.listen(512)\n"
                                                "while True:\n    s.accept()[0].close()\n";
    std::ofstream(dir.path() + "/connect.py")
        << "import socket, time\nn, end = 0, time.time() + " << g_seconds << "\nwhile time.time() < end:\n"
        << "    c = socket.create_connection(('" << server_ip << "', 5201), 2)\n"
        << "    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00')\n"
        << "    c.close()\n    n += 1\nprint(n / " << g_seconds << ")\n";
    server.exec("python3 " + dir.path() + "/listen.py >/dev/null 2>&1 & echo $! > " + pidfile +
                "; for i in $(seq 50); do ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.05; done");
    client.ping(server_ip, 2);  // resolve ARP first
    auto r = client.exec("timeout 60 python3 " + dir.path() + "/connect.py");
    stopPid(readPidfile(pidfile));
    if (r.exit_code != 0) std::fprintf(stderr, "connection loop failed:\n%s\n", r.output.c_str());
    return r.exit_code == 0 ? std::atof(r.output.c_str()) : 0;
}

using Probe = double (*)(const TestHost &client, const TestHost &server, const std::string &server_ip);

struct Pair {
    std::unique_ptr<TestHost> a, b;
};

Pair hosts(const std::string &ip_a, const std::string &ip_b, int prefix) {
    Pair p{std::make_unique<TestHost>(uniqueName("p"), "02:00:00:00:00:01", ip_a + "/" + std::to_string(prefix)),
           std::make_unique<TestHost>(uniqueName("q"), "02:00:00:00:00:02", ip_b + "/" + std::to_string(prefix))};
    must(p.a->ok() && p.b->ok(), p.a->error() + p.b->error());
    return p;
}

// Neutron's shape of security groups on both ports: IP dropped both ways
// (1001), egress allowed and iperf3's port allowed in (1002, allow-related).
void securityGroups(hover::L2Switch &sw) {
    const std::map<std::string, std::vector<std::string>> groups = {{"pg", {"p0", "p1"}}}, sets;
    const std::vector<ctl::acl::AclText> acls = {
        {1001, ACL_DROP, ACL_DIR_TO_LPORT, "outport == @pg && ip"},
        {1001, ACL_DROP, ACL_DIR_FROM_LPORT, "inport == @pg && ip"},
        {1002, ACL_ALLOW_RELATED, ACL_DIR_FROM_LPORT, "inport == @pg && ip4"},
        {1002, ACL_ALLOW_RELATED, ACL_DIR_TO_LPORT, "outport == @pg && ip4 && tcp && tcp.dst == 5201"}};
    std::map<uint32_t, hover::model::acl::Policy> policies;
    std::map<uint32_t, hover::PortAcls> ports;
    for (uint32_t port = 0; port < 2; ++port) {
        ports[port].track = true;
        for (uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)}) {
            auto policy = ctl::acl::policyFor(acls, "p" + std::to_string(port), dir, {&groups, &sets});
            must(policy.ok(), policy.ok() ? "" : policy.error().message);
            const uint32_t id = 1 + port * 2 + dir;
            policies[id] = *policy;
            (dir == ACL_DIR_FROM_LPORT ? ports[port].from : ports[port].to) = id;
        }
    }
    must(sw.setAcls(policies, ports));
}

double ourSwitch(hover::AttachMode mode, bool security_groups = false, Probe probe = iperfGbps) {
    Pair p = hosts("10.0.0.1", "10.0.0.2", 24);
    if (mode == hover::AttachMode::kXdp)
        for (auto *h : {p.a.get(), p.b.get()}) must(h->prepareForXdp(XDP_PASS_OBJECT).empty(), "XDP peer");
    bpftest::ModuleHarness harness(mode);
    auto &module = harness.load("l2switch", 1);
    hover::L2Switch sw(module);
    std::vector<std::unique_ptr<hover::Attachment>> attached;
    const TestHost *hs[] = {p.a.get(), p.b.get()};
    const char *macs[] = {"02:00:00:00:00:01", "02:00:00:00:00:02"};
    const char *ips[] = {"10.0.0.1", "10.0.0.2"};
    for (uint32_t port = 0; port < 2; ++port) {
        must(module.connectNetdev(port, hs[port]->hostIfindex()));
        must(sw.setPort(port, {}));
        must(sw.addFdb(mac(macs[port]), port));
        must(sw.addArpResponder(ip4(ips[port]), mac(macs[port]), port));
        must(sw.setPortSecurity(port, {{mac(macs[port]), {{ip4(ips[port]), 32}}, {}}}));
        auto a = hover::Attachment::attach(hs[port]->hostIfindex(), module.netdevProgFd(), mode);
        must(a.ok(), a.ok() ? "" : a.error().message);
        attached.push_back(std::move(a.value()));
    }
    if (security_groups) securityGroups(sw);
    return probe(*p.a, *p.b, "10.0.0.2");
}

// The host ends of both veths moved into namespace `ns`, run `setup` there.
double linuxReference(Pair &p, const std::string &setup, const std::string &server_ip, Probe probe = iperfGbps) {
    const std::string ns = uniqueName("k");
    must(run({"ip", "netns", "add", ns}).exit_code == 0, "ip netns add " + ns);
    const std::string a = p.a->hostIfname(), b = p.b->hostIfname();
    auto r = shell("ip link set " + a + " netns " + ns + " && ip link set " + b + " netns " + ns +
                   " && ip netns exec " + ns + " sh -c 'A=" + a + " B=" + b + "; " + setup + "'");
    double gbps = r.exit_code == 0 ? probe(*p.a, *p.b, server_ip) : 0;
    if (r.exit_code != 0) std::fprintf(stderr, "reference setup failed: %s\n", r.output.c_str());
    run({"ip", "netns", "del", ns});
    return gbps;
}

double linuxBridge() {
    Pair p = hosts("10.0.0.1", "10.0.0.2", 24);
    return linuxReference(p,
                          "ip link add br0 type bridge && ip link set $A master br0 && ip link set $B master br0 && "
                          "ip link set $A up && ip link set $B up && ip link set br0 up",
                          "10.0.0.2");
}

Pair routedHosts() {
    Pair p = hosts("10.0.0.1", "10.0.1.2", 24);
    // Both on /24s of their own; the gateway is .254 on each side.
    must(p.b->exec("ip addr flush dev eth0 && ip addr add 10.0.1.2/24 dev eth0").exit_code == 0, "host b");
    must(p.a->exec("ip route add default via 10.0.0.254").exit_code == 0, "route a");
    must(p.b->exec("ip route add default via 10.0.1.254").exit_code == 0, "route b");
    return p;
}

// Linux IP forwarding; `stateful`: through nftables connection tracking
// set up like the security groups (established and related pass, new
// connections only to the server's port 5201).
double linuxRouter(Probe probe = iperfGbps, bool stateful = false) {
    Pair p = routedHosts();
    // (Double quotes: the setup runs inside sh -c '...'.)
    const std::string nft = stateful ? " && nft \"add table inet f\" && nft \"add chain inet f forward { type filter hook forward "
                                       "priority 0; policy drop; }\" && nft \"add rule inet f forward ct state established,related "
                                       "accept\" && nft \"add rule inet f forward tcp dport 5201 ct state new accept\" && nft \"add "
                                       "rule inet f forward icmp type echo-request accept\""
                                     : "";
    return linuxReference(p,
                          "sysctl -qw net.ipv4.ip_forward=1 && ip addr add 10.0.0.254/24 dev $A && "
                          "ip addr add 10.0.1.254/24 dev $B && ip link set $A up && ip link set $B up" + nft,
                          "10.0.1.2", probe);
}

double ourRouter() {
    Pair p = routedHosts();
    bpftest::ModuleHarness harness;
    hover::Router rt(harness.load("router", 1));
    auto &module = harness.module(1);
    must(rt.setPort(0, {mac("02:00:00:00:aa:00"), {{ip4("10.0.0.254"), 24}}}));
    must(rt.setPort(1, {mac("02:00:00:00:aa:01"), {{ip4("10.0.1.254"), 24}}}));
    must(module.connectNetdev(0, p.a->hostIfindex()));
    must(module.connectNetdev(1, p.b->hostIfindex()));
    std::vector<std::unique_ptr<hover::Attachment>> attached;
    for (const TestHost *h : {p.a.get(), p.b.get()}) {
        auto a = hover::Attachment::attach(h->hostIfindex(), module.netdevProgFd(), hover::AttachMode::kTc);
        must(a.ok(), a.ok() ? "" : a.error().message);
        attached.push_back(std::move(a.value()));
    }
    return iperfGbps(*p.a, *p.b, "10.0.1.2");
}

// `target` 0: informational row.
void row(const char *name, double ours, double reference, const char *reference_name, double target) {
    const double ratio = reference > 0 ? ours / reference : 0.0;
    std::printf("%-22s %6.2f Gbit/s   %-22s %6.2f Gbit/s   %5.2fx", name, ours, reference_name, reference, ratio);
    if (target > 0) std::printf(" (target >= %.1fx) %s", target, ratio >= target ? "ok" : "MISSED");
    std::printf("\n");
}

// New connections per second through our security groups, next to Linux's
// nftables connection tracking (routed: this kernel has no bridge
// conntrack), in the same namespaces, each next to itself unfiltered.
void connectionRates() {
    std::printf("New TCP connections per second (Python connect/close loop, %d s, a SYN, SYN-ACK, ACK and the\n"
                "close each; the loop's own cost is in every figure)\n", g_seconds);
    const double l2 = ourSwitch(hover::AttachMode::kTc, false, connectionsPerSecond);
    const double l2_sg = ourSwitch(hover::AttachMode::kTc, true, connectionsPerSecond);
    const double fwd = linuxRouter(connectionsPerSecond);
    const double fwd_nft = linuxRouter(connectionsPerSecond, true);
    std::printf("  %-44s %8.0f /s   %5.2fx without (%.0f /s)\n", "l2switch + security groups (TC)", l2_sg,
                l2 > 0 ? l2_sg / l2 : 0, l2);
    std::printf("  %-44s %8.0f /s   %5.2fx without (%.0f /s)\n", "Linux forwarding + nftables conntrack", fwd_nft,
                fwd > 0 ? fwd_nft / fwd : 0, fwd);
    std::printf("  ours / nftables: %.2fx\n", fwd_nft > 0 ? l2_sg / fwd_nft : 0);
}

}  // namespace

int main(int argc, char **argv) {
    if (geteuid() != 0) {
        std::fprintf(stderr, "throughput_bench needs root (namespaces, eBPF)\n");
        return 1;
    }
    if (argc > 1) g_seconds = std::atoi(argv[1]);
    std::printf("iperf3 TCP, one stream, %d s, between two namespaces (2 cores shared by both ends)\n", g_seconds);
    const double bridge = linuxBridge();
    const double l2_tc = ourSwitch(hover::AttachMode::kTc);
    const double l2_sg = ourSwitch(hover::AttachMode::kTc, true);
    const double l2_xdp = ourSwitch(hover::AttachMode::kXdp);
    const double fwd = linuxRouter();
    const double rt = ourRouter();
    row("l2switch (TC)", l2_tc, bridge, "Linux bridge", 0.9);
    row("l2switch + security groups (TC)", l2_sg, l2_tc, "l2switch (TC)", 0.9);
    row("l2switch (XDP)", l2_xdp, bridge, "Linux bridge", 0);
    row("router (TC)", rt, fwd, "Linux IP forwarding", 0.9);
    std::printf("(XDP on veth runs without checksum offload and GSO: tx offload is off in the namespaces)\n");
    connectionRates();
    return 0;
}
