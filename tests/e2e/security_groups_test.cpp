// Security groups end to end, on our chassis and on ovn-controller + OVS
// (see differential.h): the ACLs, port groups and address sets Neutron
// writes, typed with ovn-nbctl.
#include <nlohmann/json.hpp>

#include <chrono>
#include <regex>
#include <thread>

#include "differential.h"

namespace e2e {
namespace {

using SecurityGroupE2E = Differential;

// What neutron-server writes for three ports: every port in neutron_pg_drop
// (IP dropped both ways at 1001), each in its security group's port group
// with allow-related rules at 1002. pg_web (vm2): egress open; ingress SSH,
// ICMP, anything from the admin group (a remote group: its implicit address
// set), and TCP 23 rejected. pg_client (vm1) and pg_admin (vm3): egress only.
void neutronSecurityGroups(Chassis &c) {
    c.nbctl("pg-add neutron_pg_drop vm1 vm2 vm3 -- pg-add pg_web vm2 -- pg-add pg_client vm1 -- pg-add pg_admin vm3");
    const std::string acl = "--type=port-group acl-add ";
    c.nbctl(acl + "neutron_pg_drop to-lport 1001 'outport == @neutron_pg_drop && ip' drop");
    c.nbctl(acl + "neutron_pg_drop from-lport 1001 'inport == @neutron_pg_drop && ip' drop");
    for (const std::string pg : {"pg_web", "pg_client", "pg_admin"})
        c.nbctl(acl + pg + " from-lport 1002 'inport == @" + pg + " && ip4' allow-related");
    c.nbctl(acl + "pg_web to-lport 1002 'outport == @pg_web && ip4 && tcp && tcp.dst == 22' allow-related");
    c.nbctl(acl + "pg_web to-lport 1002 'outport == @pg_web && ip4 && icmp4' allow-related");
    c.nbctl(acl + "pg_web to-lport 1002 'outport == @pg_web && ip4 && ip4.src == $pg_admin_ip4' allow-related");
    c.nbctl(acl + "pg_web to-lport 1002 'outport == @pg_web && ip4 && tcp && tcp.dst == 23' reject");
    c.nbctl("create Address_Set name=blocked");
    c.nbctl(acl + "pg_web to-lport 1003 'outport == @pg_web && ip4.src == $blocked' drop");
    c.syncHv();
}

// Ours only: counters, iovisorctl's view of the ACLs, and the controller
// in sync.
void operatorView(Chassis &c, Observations &see) {
    const std::string sw0 = "ls-" + c.nbctl("get Logical_Switch sw0 _uuid").substr(0, 36);
    see.ours("drops counted as ACL_DROP", "yes", [&] { return yesNo(hoverDrops(c, sw0, "ACL_DROP") > 0); });
    see.ours("rejects counted as ACL_REJECT", "yes", [&] { return yesNo(hoverDrops(c, sw0, "ACL_REJECT") > 0); });
    const std::string ctl = iovisorctl(c);
    see.ours("iovisorctl acl vm2 shows the SSH rule in force, tracked", "yes", [&] {
        const std::string out = testsupport::shell(ctl + "acl vm2").output;
        const bool ok = out.find("tcp.dst == 22") != std::string::npos && out.find("connections tracked") != std::string::npos;
        return yesNo(ok) + (ok ? "" : "\n" + out);
    });
    see.ours("the SSH rule counted the connection's packets", "yes", [&] {
        const auto acls = nlohmann::json::parse(testsupport::shell(ctl + "--json acl vm2").output, nullptr, false);
        uint64_t hits = 0;
        for (const auto &a : acls.is_object() ? acls["in_force"] : nlohmann::json::array())
            if (a["match"].get<std::string>().find("tcp.dst == 22") != std::string::npos) hits = a["hits"].get<uint64_t>();
        return yesNo(hits > 0) + (hits > 0 ? "" : " " + acls.dump());
    });
    see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
}

// A match we cannot compile (tcp.flags): OVN drops TCP SYNs to vm2; ours
// reports the ACL and fails the ports it applies to closed.
void uncompilableAcl(Chassis &c, Observations &see, TestHost &vm1, TestHost &vm2) {
    const std::string sw0 = "ls-" + c.nbctl("get Logical_Switch sw0 _uuid").substr(0, 36);
    const std::string ctl = iovisorctl(c);
    c.nbctl("--type=port-group acl-add pg_web to-lport 1004 'outport == @pg_web && ip4 && tcp.flags == 0x002' drop");
    c.syncHv();
    see("vm1 -> vm2 TCP 22 under an ACL dropping SYNs", "timeout", vm1.tcpConnect(vm2, "10.0.0.2", 22));
    see.goal("vm1 pings vm2 under it (ours: the port fails closed)", "no", yesNo(vm1.ping("10.0.0.2", 2)));
    see.ours("iovisorctl acl vm2 names the ACL it cannot apply", "yes", [&] {
        const std::string out = testsupport::shell(ctl + "acl vm2").output;
        const bool ok = out.find("FAILS CLOSED") != std::string::npos && out.find("tcp.flags") != std::string::npos;
        return yesNo(ok) + (ok ? "" : "\n" + out);
    });
    see.ours("drops counted as ACL_UNSUPPORTED", "yes", [&] { return yesNo(hoverDrops(c, sw0, "ACL_UNSUPPORTED") > 0); });
}

TEST_F(SecurityGroupE2E, NeutronShapedGroupsFilterStatefully) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        addVifPort(c, "sw0", "vm3", "02:00:00:00:00:03", "10.0.0.3");
        TestHost &vm3 = c.vm("vm3", "02:00:00:00:00:03", "10.0.0.3/24");
        c.syncHv();
        see("before any ACL: vm2 pings vm1", "yes", yesNo(vm2->ping("10.0.0.1")));
        neutronSecurityGroups(c);
        see("vm1 pings vm2 (ICMP allowed in, replies pass)", "yes", yesNo(vm1->ping("10.0.0.2")));
        see("vm2 pings vm1 (vm1 takes nothing in)", "no", yesNo(vm2->ping("10.0.0.1", 2)));
        see("vm1 -> vm2 TCP 22", "open", vm1->tcpConnect(*vm2, "10.0.0.2", 22));
        see.ours("iovisorctl conntrack lists it in vm2's zone, both ways", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "conntrack").output;
            const bool orig = out.find("10.0.0.1:") != std::string::npos && out.find("-> 10.0.0.2:22") != std::string::npos;
            const bool reply = out.find("10.0.0.2:22 -> 10.0.0.1:") != std::string::npos;
            return yesNo(orig && reply && out.find(" port ") != std::string::npos) + (orig && reply ? "" : "\n" + out);
        });
        see("vm1 -> vm2 TCP 80", "timeout", vm1->tcpConnect(*vm2, "10.0.0.2", 80));
        see("vm1 -> vm2 TCP 23 (reject)", "refused", vm1->tcpConnect(*vm2, "10.0.0.2", 23));
        see.ours("iovisorctl trace names the ACL that rejects TCP 23", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "trace vm1 eth.src=02:00:00:00:00:01 "
                                                       "eth.dst=02:00:00:00:00:02 ip4.src=10.0.0.1 ip4.dst=10.0.0.2 tcp.dst=23")
                                        .output;
            const bool ok = out.find("decided by ACL") != std::string::npos && out.find("tcp.dst == 23") != std::string::npos;
            return yesNo(ok) + (ok ? "" : "\n" + out);
        });
        see("vm3 (remote group pg_admin) -> vm2 TCP 80", "open", vm3.tcpConnect(*vm2, "10.0.0.2", 80));
        see("vm2 -> vm3 TCP 80 (vm3 takes nothing in)", "timeout", vm2->tcpConnect(vm3, "10.0.0.3", 80));

        c.nbctl("add Address_Set blocked addresses '\"10.0.0.1\"'");
        c.syncHv();
        see("vm1 in the blocked address set pings vm2", "no", yesNo(vm1->ping("10.0.0.2", 2)));
        see("vm3 still reaches vm2", "yes", yesNo(vm3.ping("10.0.0.2")));
        c.nbctl("clear Address_Set blocked addresses");
        c.syncHv();
        see("vm1 out of the set pings vm2 again", "yes", yesNo(vm1->ping("10.0.0.2")));

        c.nbctl("pg-set-ports pg_admin vm1");  // vm1 joins the admin group, vm3 leaves it
        c.syncHv();
        see("vm1 (now an admin) -> vm2 TCP 80", "open", vm1->tcpConnect(*vm2, "10.0.0.2", 80));
        see("vm3 (no longer one) -> vm2 TCP 80", "timeout", vm3.tcpConnect(*vm2, "10.0.0.2", 80));

        operatorView(c, see);
        uncompilableAcl(c, see, *vm1, *vm2);
    });
}

// A VM whose group lets only its own connections out, behind a router that
// SNATs to the provider network, with IPv6 to another network: its outbound
// connections and their replies pass the ACLs and the NAT (one connection
// table holds both zones), nothing gets in unasked, over IPv4 and IPv6.
TEST_F(SecurityGroupE2E, EgressOnlyGroupBehindSnatAndOverIpv6) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0 -- ls-add sw1");
        addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1 fd00::1");
        addVifPort(c, "sw1", "vm3", "02:00:00:00:01:03", "10.0.1.3 fd01::3");
        TestHost &ext = externalNetwork(c);
        tenantRouter(c, "r0", "sw0", "0", "10.0.0", "1");
        c.nbctl("lrp-add r0 r0-sw1 02:00:00:00:a0:01 10.0.1.254/24 fd01::fe/64 -- lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24");
        c.nbctl("set Logical_Router_Port r0-sw0 networks='[\"10.0.0.254/24\", \"fd00::fe/64\"]'");
        connectRouterPort(c, "sw1", "r0-sw1");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        TestHost &vm3 = c.vm("vm3", "02:00:00:00:01:03", "10.0.1.3/24");
        vm1.exec("ip route add default via 10.0.0.254 && ip -6 addr add fd00::1/64 dev eth0 nodad"
                 " && ip -6 route add default via fd00::fe");
        vm3.exec("ip route add default via 10.0.1.254 && ip -6 addr add fd01::3/64 dev eth0 nodad"
                 " && ip -6 route add default via fd01::fe");
        c.nbctl("pg-add neutron_pg_drop vm1 -- pg-add pg_out vm1");
        const std::string acl = "--type=port-group acl-add ";
        c.nbctl(acl + "neutron_pg_drop to-lport 1001 'outport == @neutron_pg_drop && ip' drop");
        c.nbctl(acl + "neutron_pg_drop from-lport 1001 'inport == @neutron_pg_drop && ip' drop");
        c.nbctl(acl + "pg_out from-lport 1002 'inport == @pg_out && ip4' allow-related");
        c.nbctl(acl + "pg_out from-lport 1002 'inport == @pg_out && ip6' allow-related");
        c.syncHv();
        auto ping6 = [](TestHost &h, const std::string &ip) {
            return yesNo(h.exec("ping -6 -c 3 -i 0.3 -W 1 " + ip).exit_code == 0);
        };
        see("vm1 reaches the external host through SNAT", "yes", yesNo(vm1.ping("172.24.4.254", 4)));
        std::string log;
        see("TCP vm1 -> external host through SNAT", "yes", yesNo(vm1.tcpTo(ext, "172.24.4.254", &log)));
        ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1");
        see("the external host routed in to vm1", "no", yesNo(ext.ping("10.0.0.1", 2)));
        see("vm1 -> vm3 over IPv6 (replies pass)", "yes", ping6(vm1, "fd01::3"));
        see("vm3 -> vm1 over IPv6", "no", ping6(vm3, "fd00::1"));
        see("TCP vm3 -> vm1 over IPv6", "timeout", vm3.tcpConnect(vm1, "fd00::1", 22));
        see("TCP vm1 -> vm3 over IPv6", "open", vm1.tcpConnect(vm3, "fd01::3", 22));
        see.ours("one connection table holds the nat's and the port's zones", "yes", [&] {
            // Zones: "<module>" for a nat, "<module>:<port>" for a switch port.
            auto r = testsupport::shell(c.hoverCurl("-sf", "/conntrack"));
            bool port_zone = false, nat_zone = false;
            const auto tables = nlohmann::json::parse(r.output, nullptr, false);
            for (const auto &t : tables.is_array() ? tables : nlohmann::json::array())
                for (auto it = t["zones"].begin(); it != t["zones"].end(); ++it)
                    (it.key().find(':') == std::string::npos ? nat_zone : port_zone) = true;
            return yesNo(port_zone && nat_zone) + (port_zone && nat_zone ? "" : " " + r.output);
        });
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// from-lport ACLs with options:apply-after-lb form a second stage with
// priorities of its own (ovn-nb(5)): a packet passes only if both stages let
// it. Written as a user writes it: ovn-nbctl's generic create.
TEST_F(SecurityGroupE2E, ApplyAfterLbIsASecondStage) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        auto aclOnSw0 = [&](int priority, const std::string &match, const std::string &action, bool after_lb) {
            c.nbctl("--id=@a create ACL direction=from-lport priority=" + std::to_string(priority) + " match='\"" + match +
                    "\"' action=" + action + (after_lb ? " options:apply-after-lb=true" : "") +
                    " -- add Logical_Switch sw0 acls @a");
        };
        aclOnSw0(1000, "ip4", "allow-related", false);
        aclOnSw0(100, "inport == \\\"vm1\\\" && icmp4 && icmp4.type == 8", "drop", true);
        c.syncHv();
        see("vm1 pings vm2 (a low after-lb drop outlasts the first stage's allow)", "no", yesNo(vm1->ping("10.0.0.2", 2)));
        see("vm2 pings vm1 (its echo requests meet no after-lb ACL)", "yes", yesNo(vm2->ping("10.0.0.1")));
        aclOnSw0(2000, "tcp", "drop", false);
        aclOnSw0(3000, "tcp", "allow-related", true);
        c.syncHv();
        see("TCP vm1 -> vm2 (a first-stage drop outlasts a higher after-lb allow)", "timeout",
            vm1->tcpConnect(*vm2, "10.0.0.2", 22));
        aclOnSw0(100, "inport == \\\"vm1\\\" && icmp4 && icmp4.type == 0", "drop", true);
        c.syncHv();
        see("vm2 pings vm1 (replies of a tracked connection pass the after-lb stage too)", "yes", yesNo(vm2->ping("10.0.0.1")));
        c.nbctl("clear Logical_Switch sw0 acls");
        c.syncHv();
        see("vm1 pings vm2 with no ACL", "yes", yesNo(vm1->ping("10.0.0.2")));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// The first log line of the chassis naming `acl` (ours: hoverd's log; the
// reference: ovn-controller's), from "name=" on; "" if none.
std::string aclLogLine(Chassis &c, const std::string &acl) {
    const std::string log = c.dir() + (c.ours() ? "/hoverd.log" : "/controller.log");
    const std::string line = c.shell("grep -m1 -h 'name=\"" + acl + "\"' " + log).output;
    const auto at = line.find("name=");
    return at == std::string::npos ? "" : line.substr(at, line.find('\n', at) - at);
}

// ACLs with `log` (ovn-nbctl acl-add --log, as Neutron's network log sets
// them): each packet such an ACL decides is logged, in ovn-controller's form.
TEST_F(SecurityGroupE2E, LoggedAclsAreLoggedAsOvnLogsThem) {
    compare([](Chassis &c, Observations &see) {
        auto [vm1, vm2] = twoVms(c);
        c.nbctl("acl-add sw0 from-lport 1002 'inport == \"vm1\" && ip4' allow-related");
        c.nbctl("--log --name=ping-in --severity=info acl-add sw0 to-lport 1002 'outport == \"vm2\" && icmp4' allow-related");
        c.nbctl("--log --name=tcp-in --severity=alert acl-add sw0 to-lport 1001 'outport == \"vm2\" && tcp' drop");
        c.syncHv();
        see("vm1 pings vm2", "yes", yesNo(vm1->ping("10.0.0.2", 1)));
        see("TCP vm1 -> vm2", "timeout", vm1->tcpConnect(*vm2, "10.0.0.2", 22));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the log is written after the packet
        see("the echo request's log line",
            "name=\"ping-in\", verdict=allow, severity=info, direction=to-lport: icmp,vlan_tci=0x0000,"
            "dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,"
            "nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0",
            aclLogLine(c, "ping-in"));
        const std::string syn = aclLogLine(c, "tcp-in");
        see("the SYN's log line (its port left out)", "name=\"tcp-in\", verdict=drop, severity=alert, direction=to-lport: "
            "tcp,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,"
            "nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_dst=22,tcp_flags=syn",
            std::regex_replace(syn, std::regex(",tp_src=[0-9]+"), ""));
        // Neutron's network log meter: 100 dropped datagrams, logged at its rate.
        c.nbctl("meter-add log-meter drop 5 pktps 5");
        c.nbctl("--log --name=udp-in --meter=log-meter acl-add sw0 to-lport 1001 'outport == \"vm2\" && udp' drop");
        c.syncHv();
        vm1->exec("python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                  "[s.sendto(b'x', ('10.0.0.2', 9999)) for _ in range(100)]\"");
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const std::string log = c.dir() + (c.ours() ? "/hoverd.log" : "/controller.log");
        const int lines = std::atoi(c.shell("grep -c 'name=\"udp-in\"' " + log).output.c_str());
        see("log lines of 100 dropped datagrams, meter 5/s burst 5", "5 to 15",
            lines >= 5 && lines <= 15 ? "5 to 15" : std::to_string(lines));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

}  // namespace
}  // namespace e2e
