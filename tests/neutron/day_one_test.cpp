// A tenant's day one through a real neutron-server (Debian's, ML2/OVN), on
// our chassis and on ovn-controller + OVS (tests/e2e/differential.h): what
// the tenant asks of Neutron's API, the VMs plugged as os-vif plugs them,
// configured by DHCP, and their traffic. tests/neutron/README.md lists the
// day-one checks that are here and those still to come.
#include "differential.h"
#include "neutron.h"

namespace e2e {
namespace {

using DayOne = Differential;
using nlohmann::json;

struct Vm {
    json port;
    TestHost *host = nullptr;
    std::string ip() const { return port["fixed_ips"][0].value("ip_address", ""); }
};

// Two tenant networks behind a router; a security group "web" (SSH from
// anywhere, ICMP and HTTP from net1's CIDR only); vm1 and vm3 in the
// default group, vm2 in web, vm4 without port security.
struct Tenant {
    NeutronServer &neutron;
    json net1, net2, sub1, sub2, web, router;
    Vm vm1, vm2, vm3, vm4;

    explicit Tenant(NeutronServer &n) : neutron(n) {
        net1 = neutron.create("network", {{"name", "net1"}});
        net2 = neutron.create("network", {{"name", "net2"}});
        // Addresses from .10 to .99: day two moves vm1 to a free one above.
        sub1 = neutron.create("subnet", {{"network_id", net1["id"]}, {"cidr", "10.0.0.0/24"}, {"ip_version", 4},
                                         {"allocation_pools", {{{"start", "10.0.0.10"}, {"end", "10.0.0.99"}}}}});
        sub2 = neutron.create("subnet", {{"network_id", net2["id"]}, {"cidr", "10.1.0.0/24"}, {"ip_version", 4}});
        router = neutron.create("router", {{"name", "r1"}});
        for (const auto *sub : {&sub1, &sub2})
            neutron.request("PUT", "routers/" + router.value("id", "") + "/add_router_interface", {{"subnet_id", (*sub)["id"]}});
        web = neutron.create("security_group", {{"name", "web"}});
        for (const json &rule : {json{{"protocol", "tcp"}, {"port_range_min", 22}, {"port_range_max", 22}},
                                 json{{"protocol", "icmp"}, {"remote_ip_prefix", "10.0.0.0/24"}},
                                 json{{"protocol", "tcp"}, {"port_range_min", 80}, {"port_range_max", 80},
                                      {"remote_ip_prefix", "10.0.0.0/24"}}}) {
            json r = rule;
            r.update({{"security_group_id", web["id"]}, {"direction", "ingress"}, {"ethertype", "IPv4"}});
            neutron.create("security_group_rule", r);
        }
        vm1.port = neutron.vmPort(net1["id"], "vm1", {{"dns_name", "vm1"}});
        vm2.port = neutron.vmPort(net1["id"], "vm2", {{"dns_name", "vm2"}, {"security_groups", {web["id"]}}});
        vm3.port = neutron.vmPort(net2["id"], "vm3", {{"dns_name", "vm3"}});
        vm4.port = neutron.vmPort(net1["id"], "vm4", {{"port_security_enabled", false}, {"security_groups", json::array()}});
    }
    std::vector<Vm *> vms() { return {&vm1, &vm2, &vm3, &vm4}; }
};

std::string field(const std::map<std::string, std::string> &lease, const std::string &name) {
    auto it = lease.find(name);
    return it == lease.end() ? "(none)" : it->second;
}

void seeLeases(Observations &see, Chassis &c, Tenant &t) {
    for (auto *vm : t.vms()) {
        const std::string name = vm->port.value("name", "");
        const auto lease = configureByDhcp(c, *vm->host);
        // Each side's Neutron picks its own addresses: compared as yes/no.
        see(name + ": DHCP address is its fixed IP", "yes", yesNo(field(lease, "ip") == vm->ip()));
        see(name + ": gateway", vm == &t.vm3 ? "10.1.0.1" : "10.0.0.1", field(lease, "router"));
        see(name + ": MTU", "1442", field(lease, "mtu"));
        see(name + ": route to the metadata service", "yes",
            yesNo(field(lease, "staticroutes").rfind("169.254.169.254/32 ", 0) == 0));
    }
}

void seeTraffic(Observations &see, Tenant &t) {
    auto ping = [](const Vm &from, const Vm &to) { return packetLoss(from.host->exec("ping -c 2 -W 1 " + to.ip())); };
    see("vm1 -> vm2 ping (ICMP from net1 allowed by web)", "0%", ping(t.vm1, t.vm2));
    see("vm3 -> vm2 ping (ICMP from net2 not allowed)", "100%", ping(t.vm3, t.vm2));
    see("vm3 -> vm2 TCP 22 (allowed from anywhere)", "open", t.vm3.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 22));
    see("vm1 -> vm2 TCP 80 (HTTP from net1 allowed)", "open", t.vm1.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 80));
    see("vm3 -> vm2 TCP 80 (HTTP from net2 not allowed)", "timeout", t.vm3.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 80));
    see("vm3 -> vm2 TCP 8080 (no rule)", "timeout", t.vm3.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 8080));
    see("vm1 -> vm3 ping, routed (default group: same group)", "0%", ping(t.vm1, t.vm3));
    see("vm2 -> vm3 ping (web is not in vm3's default group)", "100%", ping(t.vm2, t.vm3));
    see("vm2 -> vm1 TCP 8080 (default group admits no web member)", "timeout",
        t.vm2.host->tcpConnect(*t.vm1.host, t.vm1.ip(), 8080));
}

// The flat provider network "public" on the chassis' br-ex, with an
// external host (172.24.4.254, the subnet's gateway) on it; the router's
// external gateway there (the chassis may host gateways) and a floating IP
// for vm2. Returns the external host.
TestHost &externalAccess(Chassis &c, Tenant &t, json *floating_ip, json *gateway_ip) {
    c.vsctl("set open . external_ids:ovn-cms-options=enable-chassis-as-gw");
    c.mappedBridge("br-ex", "public");
    TestHost &ext = c.vm("", "02:00:00:00:04:fe", "172.24.4.254/24", "br-ex");
    const json pub = t.neutron.create("network", {{"name", "public"}, {"router:external", true},
                                                  {"provider:network_type", "flat"}, {"provider:physical_network", "public"}});
    t.neutron.create("subnet", {{"network_id", pub["id"]}, {"cidr", "172.24.4.0/24"}, {"ip_version", 4},
                                {"gateway_ip", "172.24.4.254"}, {"enable_dhcp", false},
                                {"allocation_pools", {{{"start", "172.24.4.10"}, {"end", "172.24.4.100"}}}}});
    const json r = t.neutron.request("PUT", "routers/" + t.router.value("id", ""),
                                     {{"router", {{"external_gateway_info", {{"network_id", pub["id"]}}}}}});
    *gateway_ip = r["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"];
    *floating_ip = t.neutron.create("floatingip", {{"floating_network_id", pub["id"]}, {"port_id", t.vm2.port["id"]}})
                       ["floating_ip_address"];
    c.syncHv();
    return ext;
}

void seeExternal(Observations &see, Chassis &c, Tenant &t) {
    json fip, gateway;
    TestHost &ext = externalAccess(c, t, &fip, &gateway);
    const std::string fip_ip = fip.is_string() ? fip.get<std::string>() : "", gw = gateway.is_string() ? gateway.get<std::string>() : "";
    see("SNAT: the external host sees vm1 as the router's gateway address", "yes",
        yesNo(!gw.empty() && echoSourceSeenBy(ext, [&] { t.vm1.host->exec("ping -c 3 -W 1 172.24.4.254"); }) == gw));
    see("vm2 reaches the external host as its floating IP", "yes",
        yesNo(!fip_ip.empty() && echoSourceSeenBy(ext, [&] { t.vm2.host->exec("ping -c 3 -W 1 172.24.4.254"); }) == fip_ip));
    see("floating IP from outside: TCP 22 (web allows SSH from anywhere)", "open", ext.tcpConnect(*t.vm2.host, fip_ip, 22));
    see("floating IP from outside: TCP 80 (HTTP only from net1)", "timeout", ext.tcpConnect(*t.vm2.host, fip_ip, 80));
    see("floating IP from outside: ping (ICMP only from net1)", "100%", packetLoss(ext.exec("ping -c 2 -W 1 " + fip_ip)));
}

// vm4 (port security disabled) may send from any address; vm1 may not.
void seeSpoofing(Observations &see, Tenant &t) {
    see("a spoofed source from vm4 (no port security) reaches vm2", "10.0.0.250", echoSourceSeenBy(*t.vm2.host, [&] {
            t.vm4.host->exec("ip addr add 10.0.0.250/32 dev eth0 && ping -c 2 -W 1 -I 10.0.0.250 " + t.vm2.ip());
        }));
    see("a spoofed source from vm1 (port security) is dropped", "", echoSourceSeenBy(*t.vm2.host, [&] {
            t.vm1.host->exec("ip addr add 10.0.0.251/32 dev eth0 && ping -c 2 -W 1 -I 10.0.0.251 " + t.vm2.ip());
            t.vm1.host->exec("ip addr del 10.0.0.251/32 dev eth0");
        }));
}

// Day two: each change through Neutron's API shows in traffic once the
// chassis caught up (ovn-nbctl --wait=hv sync).
void seeDayTwo(Observations &see, Chassis &c, Tenant &t) {
    NeutronServer &n = t.neutron;
    auto ping = [](const Vm &from, const std::string &to) { return packetLoss(from.host->exec("ping -c 2 -W 1 " + to)); };
    const json rule = n.create("security_group_rule", {{"security_group_id", t.web["id"]}, {"direction", "ingress"},
                                                       {"ethertype", "IPv4"}, {"protocol", "tcp"},
                                                       {"port_range_min", 8080}, {"port_range_max", 8080}});
    c.syncHv();
    see("day two: a rule for TCP 8080 added to web: vm3 -> vm2 TCP 8080", "open",
        t.vm3.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 8080));
    n.request("DELETE", "security-group-rules/" + rule.value("id", ""));
    c.syncHv();
    see("day two: the rule removed: vm3 -> vm2 TCP 8080", "timeout", t.vm3.host->tcpConnect(*t.vm2.host, t.vm2.ip(), 8080));
    n.request("PUT", "ports/" + t.vm3.port.value("id", ""), {{"port", {{"security_groups", {t.web["id"]}}}}});
    c.syncHv();
    see("day two: vm3 moved into web: vm2 -> vm3 ping (ICMP from net1)", "0%", ping(t.vm2, t.vm3.ip()));
    n.request("PUT", "ports/" + t.vm1.port.value("id", ""),
              {{"port", {{"fixed_ips", {{{"subnet_id", t.sub1["id"]}, {"ip_address", "10.0.0.200"}}}}}}});
    c.syncHv();
    t.vm1.host->exec("ip addr flush dev eth0; ip route flush dev eth0");
    see("day two: vm1's new fixed IP by DHCP", "10.0.0.200", configureByDhcp(c, *t.vm1.host)["ip"]);
    see("day two: vm1 at its new address reaches vm3 (routed)", "0%", ping(t.vm1, t.vm3.ip()));
    n.request("DELETE", "ports/" + t.vm3.port.value("id", ""));
    c.syncHv();
    see("day two: vm3's port deleted: vm1 -> vm3", "100%", ping(t.vm1, t.vm3.ip()));
    n.request("PUT", "routers/" + t.router.value("id", "") + "/remove_router_interface", {{"subnet_id", t.sub2["id"]}});
    n.request("DELETE", "networks/" + t.net2.value("id", ""));
    c.syncHv();
    see("day two: net2 deleted: its switch is gone from OVN", "no",
        yesNo(c.nbctl("ls-list").find("neutron-" + t.net2.value("id", "")) != std::string::npos));
    see("day two: net2 deleted: vm1 -> its old gateway 10.1.0.1", "100%", ping(t.vm1, "10.1.0.1"));
}

TEST_F(DayOne, TenantNetworksThroughNeutron) {
    compare([](Chassis &c, Observations &see) {
        NeutronServer neutron(c, c.ours() ? 19696 : 19697);
        MetadataAgent agent(c, c.ours() ? 18777 : 18778);
        Tenant t(neutron);
        for (auto *vm : t.vms()) vm->host = &neutron.plug(vm->port);
        c.syncHv();
        for (auto *vm : t.vms())
            see(vm->port.value("name", "") + " ACTIVE in Neutron", "ACTIVE", neutron.awaitActive(vm->port.value("id", "")));
        seeLeases(see, c, t);
        seeTraffic(see, t);
        seeSpoofing(see, t);
        seeExternal(see, c, t);
        see("vm1's metadata through the agent", t.vm1.port.value("device_id", ""),
            t.vm1.host->exec("curl -s -m 3 --retry 20 --retry-delay 1 --retry-all-errors "
                             "http://169.254.169.254/latest/meta-data/instance-id").output);
        const std::string answer =
            t.vm1.host->exec("dig +short +noedns +time=2 +tries=1 @10.0.0.1 vm2.openstack.internal A").output;
        see("vm2's name resolves to its fixed IP (the network's DNS records)", "yes",
            yesNo(answer == t.vm2.ip() + "\n"));
        seeDayTwo(see, c, t);
        for (auto *vm : t.vms()) vm->host->stopProcesses();
    });
}

}  // namespace
}  // namespace e2e
