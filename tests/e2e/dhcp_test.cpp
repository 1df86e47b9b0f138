// Native DHCPv4 end to end, on our chassis and on ovn-controller + OVS (see
// differential.h): DHCP options typed with ovn-nbctl as Neutron sets them,
// and real clients in the VMs (ISC dhclient, busybox udhcpc, dhcpcd), each
// lease checked field by field.
#include <chrono>
#include <map>
#include <thread>

#include "differential.h"

namespace e2e {
namespace {

using DhcpE2E = Differential;
using Lease = std::map<std::string, std::string>;

// Neutron's network: 10.0.0.0/24 behind router lr0 (10.0.0.1, the DHCP
// server_id as Neutron sets it, so unicast renewals find it by ARP), its
// DHCP options (neutron-server 21 with ML2/OVN) with `lease` seconds; vm1
// (10.0.0.5) uses them.
void neutronDhcp(Chassis &c, const std::string &lease = "43200") {
    c.nbctl("ls-add sw0 -- lr-add lr0 -- lrp-add lr0 lr0-sw0 fa:16:3e:00:00:01 10.0.0.1/24");
    connectRouterPort(c, "sw0", "lr0-sw0");
    addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.5");
    c.nbctl("dhcp-options-create 10.0.0.0/24");
    const std::string row = c.nbctl("--bare --columns=_uuid find DHCP_Options").substr(0, 36);
    c.nbctl("dhcp-options-set-options " + row + " lease_time=" + lease +
            " server_id=10.0.0.1 server_mac=fa:16:3e:00:00:fe router=10.0.0.1 'dns_server={8.8.8.8, 1.1.1.1}'"
            " 'domain_name=\"openstack.internal.\"' mtu=1442"
            " 'classless_static_route={169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}'");
    c.nbctl("lsp-set-dhcpv4-options vm1 " + row);
}

// The `name=value` lines a client's script printed for its last lease
// (the block after the last "event=" line that is one of `reasons`).
Lease lastLease(const std::string &log, const std::vector<std::string> &reasons) {
    Lease lease, current;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string name = line.substr(0, eq), value = line.substr(eq + 1);
        if (name == "event") {
            if (std::find(reasons.begin(), reasons.end(), current["event"]) != reasons.end()) lease = current;
            current = {};
        }
        current[name] = value.size() > 1 && value.front() == '\'' ? value.substr(1, value.size() - 2) : value;
    }
    if (std::find(reasons.begin(), reasons.end(), current["event"]) != reasons.end()) lease = current;
    return lease;
}

// A client's script: appends "event=<its reason>" and its variables to `log`.
std::string recordingScript(Chassis &c, const std::string &name, const std::string &log) {
    const std::string path = c.dir() + "/" + name + ".sh";
    testsupport::shell("printf '#!/bin/sh\\n{ echo event=${reason:-$1}; env | sort; } >> " + log + "\\n' > " + path +
                       " && chmod +x " + path);
    return path;
}

Lease dhclientLease(Chassis &c, TestHost &vm, int seconds = 20) {
    const std::string dir = c.dir() + "/dhclient", log = dir + "/events";
    testsupport::shell("mkdir -p " + dir);
    const std::string script = recordingScript(c, "dhclient", log);
    vm.exec("timeout " + std::to_string(seconds) + " dhclient -1 -lf " + dir + "/lease -pf " + dir + "/pid -sf " + script + " eth0 >/dev/null 2>&1");
    vm.exec("kill $(cat " + dir + "/pid) 2>/dev/null");
    return lastLease(testsupport::shell("cat " + log).output, {"BOUND"});
}

Lease udhcpcLease(Chassis &c, TestHost &vm) {
    const std::string log = c.dir() + "/udhcpc.events";
    const std::string script = recordingScript(c, "udhcpc", log);
    vm.exec("timeout 20 busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -O mtu -O staticroutes -s " + script +
            " >/dev/null 2>&1");
    return lastLease(testsupport::shell("cat " + log).output, {"bound"});
}

// dhcpcd's test mode: the offer's variables (quoted name='value' lines, read
// as one event), the interface untouched. Its
// privilege-separation helpers outlive it (and would hold a pipe open):
// output goes to a file, the helpers are stopped.
Lease dhcpcdLease(Chassis &c, TestHost &vm) {
    const std::string out = c.dir() + "/dhcpcd.out";
    vm.exec("timeout 20 dhcpcd -T -B -4 -f /dev/null -t 10 eth0 >" + out + " 2>&1");
    vm.stopProcesses();
    return lastLease("event=TEST\n" + testsupport::shell("cat " + out).output, {"TEST"});
}

void seeLease(Observations &see, const std::string &client, const Lease &lease,
              const std::vector<std::pair<std::string, std::string>> &fields) {
    for (const auto &[name, expected] : fields) {
        auto it = lease.find(name);
        see(client + ": " + name, expected, it == lease.end() ? "(none)" : it->second);
    }
}

// Neutron's lease under the variable names dhclient and dhcpcd share (ISC's
// dhclient-script names); they differ in the classless routes.
std::vector<std::pair<std::string, std::string>> iscNames(const std::string &routes, const std::string &routes_value) {
    return {{"new_ip_address", "10.0.0.5"},
            {"new_subnet_mask", "255.255.255.0"},
            {"new_routers", "10.0.0.1"},
            {"new_domain_name_servers", "8.8.8.8 1.1.1.1"},
            {"new_domain_name", "openstack.internal."},
            {"new_interface_mtu", "1442"},
            {routes, routes_value},
            {"new_dhcp_lease_time", "43200"},
            {"new_dhcp_server_identifier", "10.0.0.1"}};
}

TEST_F(DhcpE2E, ThreeClientsGetEveryOptionNeutronSets) {
    compare([](Chassis &c, Observations &see) {
        neutronDhcp(c);
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        c.syncHv();
        seeLease(see, "dhclient", dhclientLease(c, vm1),
                 iscNames("new_rfc3442_classless_static_routes", "32 169 254 169 254 10 0 0 2 0 10 0 0 1"));
        seeLease(see, "udhcpc", udhcpcLease(c, vm1),
                 {{"ip", "10.0.0.5"},
                  {"subnet", "255.255.255.0"},
                  {"router", "10.0.0.1"},
                  {"dns", "8.8.8.8 1.1.1.1"},
                  {"domain", "openstack.internal."},
                  {"mtu", "1442"},
                  {"staticroutes", "169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1"},
                  {"lease", "43200"},
                  {"serverid", "10.0.0.1"}});
        seeLease(see, "dhcpcd", dhcpcdLease(c, vm1),
                 iscNames("new_classless_static_routes", "169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1"));
        see.ours("iovisorctl ovn shows the offer", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "ovn").output;
            const bool ok = out.find("DHCPv4: offers 10.0.0.5 to 02:00:00:00:00:01 from 10.0.0.1") != std::string::npos;
            return yesNo(ok) + (ok ? "" : "\n" + out);
        });
        // An option OVN does not know: northd's flow fails to parse, the
        // port gets no DHCP; ours says so by name.
        const std::string row = c.nbctl("--bare --columns=_uuid find DHCP_Options").substr(0, 36);
        c.nbctl("dhcp-options-set-options " + row + " lease_time=60 server_id=10.0.0.1 server_mac=fa:16:3e:00:00:fe"
                " no_such_option=1");
        c.syncHv();
        testsupport::shell("rm -rf " + c.dir() + "/dhclient");
        const Lease none = dhclientLease(c, vm1, 6);
        see("a lease under an unknown option", "(none)",
            none.count("new_ip_address") ? none.at("new_ip_address") : "(none)");
        see.ours("iovisorctl ovn names the problem", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "ovn").output;
            const bool ok = out.find("DHCP NOT ANSWERED: DHCPv4: unknown DHCPv4 option no_such_option") != std::string::npos;
            return yesNo(ok) + (ok ? "" : "\n" + out);
        });
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// Security groups apply to DHCP as in OVN: from-lport ACLs judge the
// requests (a group without egress rules leaves the VM without a lease),
// and the server's replies pass the port's to-lport ACLs.
TEST_F(DhcpE2E, SecurityGroupsJudgeRequestsNotReplies) {
    compare([](Chassis &c, Observations &see) {
        neutronDhcp(c);
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        const std::string acl = "--type=port-group acl-add ";
        c.nbctl("pg-add neutron_pg_drop vm1 -- pg-add pg_vm vm1");
        c.nbctl(acl + "neutron_pg_drop to-lport 1001 'outport == @neutron_pg_drop && ip' drop");
        c.nbctl(acl + "neutron_pg_drop from-lport 1001 'inport == @neutron_pg_drop && ip' drop");
        c.nbctl(acl + "pg_vm from-lport 1002 'inport == @pg_vm && ip4' allow-related");
        c.syncHv();
        see("a lease with egress allowed and no ingress rule", "10.0.0.5",
            dhclientLease(c, vm1)["new_ip_address"]);
        c.nbctl("acl-del pg_vm");
        c.syncHv();
        testsupport::shell("rm -rf " + c.dir() + "/dhclient");
        const Lease none = dhclientLease(c, vm1, 6);
        see("a lease with no egress rule", "(none)", none.count("new_ip_address") ? none.at("new_ip_address") : "(none)");
    });
}

// DHCPv6 options for fd00::/64 on sw0 as Neutron sets them for a
// DHCPv6-stateful (or stateless) subnet; vm1 (fd00::5) uses them.
void neutronDhcp6(Chassis &c, bool stateless) {
    c.nbctl("ls-add sw0");
    addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.5 fd00::5");
    c.nbctl("dhcp-options-create fd00::/64");
    const std::string row = c.nbctl("--bare --columns=_uuid find DHCP_Options").substr(0, 36);
    c.nbctl("dhcp-options-set-options " + row + " server_id=fa:16:3e:00:00:fe 'dns_server={fd00::53}'"
            " 'domain_search=\"openstack.internal\"'" + (stateless ? " dhcpv6_stateless=true" : ""));
    c.nbctl("lsp-set-dhcpv6-options vm1 " + row);
}

// dhclient -6 (-S: stateless, an Information-request, reported as RENEW6)
// once the VM's link-local address is usable.
Lease dhclient6Lease(Chassis &c, TestHost &vm, bool stateless) {
    const std::string dir = c.dir() + "/dhclient6", log = dir + "/events";
    testsupport::shell("mkdir -p " + dir);
    const std::string script = recordingScript(c, "dhclient6", log);
    vm.exec("for i in $(seq 50); do ip -6 addr show dev eth0 scope link | grep -q tentative || break; sleep 0.1; done");
    vm.exec("timeout 20 dhclient -6 -1 " + std::string(stateless ? "-S " : "") + "-lf " + dir + "/lease -pf " + dir +
            "/pid -sf " + script + " eth0 >/dev/null 2>&1");
    vm.stopProcesses();
    return lastLease(testsupport::shell("cat " + log).output, {"BOUND6", "RENEW6"});
}

TEST_F(DhcpE2E, Dhcpv6StatefulAndStateless) {
    for (const bool stateless : {false, true}) {
        compare([&](Chassis &c, Observations &see) {
            neutronDhcp6(c, stateless);
            TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
            c.syncHv();
            const Lease lease = dhclient6Lease(c, vm1, stateless);
            const std::string mode = stateless ? "stateless: " : "stateful: ";
            auto field = [&](const char *name) { return lease.count(name) ? lease.at(name) : "(none)"; };
            see(mode + "new_ip6_address", stateless ? "(none)" : "fd00::5", field("new_ip6_address"));
            see(mode + "new_dhcp6_name_servers", "fd00::53", field("new_dhcp6_name_servers"));
            // pinctrl sends the search list as one label; dhclient discards it.
            see.goal(mode + "new_dhcp6_domain_search", "openstack.internal.", field("new_dhcp6_domain_search"));
        });
    }
}

// dhclient left running, with a script that records each event and
// configures eth0 as dhclient-script would (without touching the host's
// resolv.conf): it renews on its own.
void startDhclient(Chassis &c, TestHost &vm, const std::string &log) {
    const std::string dir = c.dir() + "/dhclient-renew", script = dir + "/script.sh";
    testsupport::shell("mkdir -p " + dir + " && cat > " + script + " <<'EOF'\n#!/bin/sh\n"
                       "{ echo event=$reason; env | sort; } >> " + log + "\n"
                       "case $reason in BOUND|RENEW|REBIND|REBOOT)\n"
                       "  [ \"$old_ip_address\" = \"$new_ip_address\" ] || ip addr flush dev eth0\n"
                       "  ip addr replace $new_ip_address/$new_subnet_mask dev eth0 ;;\n"
                       "EXPIRE|FAIL|RELEASE|STOP) ip addr flush dev eth0 ;;\nesac\nEOF\nchmod +x " + script);
    vm.exec("dhclient -lf " + dir + "/lease -pf " + dir + "/pid -sf " + script + " eth0 >/dev/null 2>&1");
}

// Polls the client's log until its last lease of `events` has `name` =
// `value` (up to `seconds`); returns the value seen last.
std::string awaitLease(const std::string &log, const std::vector<std::string> &events, const std::string &name,
                       const std::string &value, int seconds) {
    std::string seen;
    for (int i = 0; i < seconds * 4; ++i) {
        Lease lease = lastLease(testsupport::shell("cat " + log).output, events);
        seen = lease.count(name) ? lease[name] : "(none)";
        if (seen == value) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return seen;
}

// A short lease (T1 = 10 s): renewals (unicast to the server, from a
// socket with checksum offload on ours) are answered, and a change in the
// Northbound reaches the client at its next renewal (new options) or, for a
// new address, once the old lease runs out.
TEST_F(DhcpE2E, RenewalsFollowTheNorthbound) {
    compare([](Chassis &c, Observations &see) {
        neutronDhcp(c, "20");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        c.syncHv();
        const std::string log = c.dir() + "/dhclient-renew.events";
        startDhclient(c, vm1, log);
        see("dhclient bound to", "10.0.0.5", awaitLease(log, {"BOUND"}, "new_ip_address", "10.0.0.5", 20));
        see("dhclient renewed", "10.0.0.5", awaitLease(log, {"RENEW"}, "new_ip_address", "10.0.0.5", 25));
        const std::string row = c.nbctl("--bare --columns=_uuid find DHCP_Options").substr(0, 36);
        c.nbctl("dhcp-options-set-options " + row + " lease_time=20 server_id=10.0.0.1 server_mac=fa:16:3e:00:00:fe"
                " router=10.0.0.1 mtu=1400");
        c.syncHv();
        see("a renewal after the options changed has the new MTU", "1400",
            awaitLease(log, {"RENEW", "REBIND"}, "new_interface_mtu", "1400", 25));
        c.nbctl("lsp-set-addresses vm1 '02:00:00:00:00:01 10.0.0.6' -- "
                "lsp-set-port-security vm1 '02:00:00:00:00:01 10.0.0.6'");
        c.syncHv();
        see("the new address once the old lease ran out", "10.0.0.6",
            awaitLease(log, {"BOUND", "RENEW", "REBIND"}, "new_ip_address", "10.0.0.6", 50));
        see("vm1's address on eth0", "10.0.0.6/24",
            vm1.exec("ip -o -4 addr show dev eth0 | awk '{print $4}'").output);
        vm1.stopProcesses();
    });
}

}  // namespace
}  // namespace e2e
