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

// Neutron's options for 10.0.0.0/24 (neutron-server 21 with ML2/OVN), with
// `lease` seconds; vm1 (10.0.0.5) uses them.
void neutronDhcp(Chassis &c, const std::string &lease = "43200") {
    c.nbctl("ls-add sw0");
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

Lease dhclientLease(Chassis &c, TestHost &vm) {
    const std::string dir = c.dir() + "/dhclient", log = dir + "/events";
    testsupport::shell("mkdir -p " + dir);
    const std::string script = recordingScript(c, "dhclient", log);
    vm.exec("timeout 20 dhclient -1 -lf " + dir + "/lease -pf " + dir + "/pid -sf " + script + " eth0 >/dev/null 2>&1");
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

// dhcpcd's test mode: the offer's variables, the interface untouched. Its
// privilege-separation helpers outlive it (and would hold a pipe open):
// output goes to a file, the helpers are stopped.
Lease dhcpcdLease(Chassis &c, TestHost &vm) {
    const std::string out = c.dir() + "/dhcpcd.out";
    vm.exec("timeout 20 dhcpcd -T -B -4 -f /dev/null -t 10 eth0 >" + out + " 2>&1");
    vm.stopProcesses();
    Lease lease;
    std::istringstream in(testsupport::shell("cat " + out).output);
    std::string line;
    while (std::getline(in, line))
        if (auto eq = line.find('='); eq != std::string::npos && line.rfind("new_", 0) == 0)
            lease[line.substr(0, eq)] = line.substr(eq + 1);
    for (auto &[k, v] : lease)
        if (v.size() > 1 && v.front() == '\'') v = v.substr(1, v.size() - 2);
    return lease;
}

void seeLease(Observations &see, const std::string &client, const Lease &lease,
              const std::vector<std::pair<std::string, std::string>> &fields) {
    for (const auto &[name, expected] : fields) {
        auto it = lease.find(name);
        see(client + ": " + name, expected, it == lease.end() ? "(none)" : it->second);
    }
}

TEST_F(DhcpE2E, ThreeClientsGetEveryOptionNeutronSets) {
    compare([](Chassis &c, Observations &see) {
        neutronDhcp(c);
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        c.syncHv();
        seeLease(see, "dhclient", dhclientLease(c, vm1),
                 {{"new_ip_address", "10.0.0.5"},
                  {"new_subnet_mask", "255.255.255.0"},
                  {"new_routers", "10.0.0.1"},
                  {"new_domain_name_servers", "8.8.8.8 1.1.1.1"},
                  {"new_domain_name", "openstack.internal."},
                  {"new_interface_mtu", "1442"},
                  {"new_rfc3442_classless_static_routes", "32 169 254 169 254 10 0 0 2 0 10 0 0 1"},
                  {"new_dhcp_lease_time", "43200"},
                  {"new_dhcp_server_identifier", "10.0.0.1"}});
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
                 {{"new_ip_address", "10.0.0.5"},
                  {"new_subnet_mask", "255.255.255.0"},
                  {"new_routers", "10.0.0.1"},
                  {"new_domain_name_servers", "8.8.8.8 1.1.1.1"},
                  {"new_domain_name", "openstack.internal."},
                  {"new_interface_mtu", "1442"},
                  {"new_classless_static_routes", "169.254.169.254/32 10.0.0.2 0.0.0.0/0 10.0.0.1"},
                  {"new_dhcp_lease_time", "43200"},
                  {"new_dhcp_server_identifier", "10.0.0.1"}});
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

}  // namespace
}  // namespace e2e
