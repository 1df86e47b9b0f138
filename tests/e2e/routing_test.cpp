// Logical routers end to end, on our chassis and on ovn-controller + OVS
// (see differential.h): routing between switches, static routes, NAT at a
// gateway port, IPv6 with Neighbor Discovery, routers sharing a switch.
#include "differential.h"

namespace e2e {
namespace {

using RouterE2E = Differential;

TEST_F(RouterE2E, StaticRoutesSnatFloatingIpAndRoutedIn) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0 -- ls-add sw1");
        addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1");
        addVifPort(c, "sw0", "vm2", "02:00:00:00:00:02", "10.0.0.2");
        addVifPort(c, "sw1", "vm3", "02:00:00:00:01:03", "10.0.1.3");
        addVifPort(c, "sw1", "gw", "02:00:00:00:01:64", "10.0.1.100", false);
        TestHost &ext = externalNetwork(c);
        tenantRouter(c, "r0", "sw0", "0", "10.0.0", "1");
        c.nbctl("lrp-add r0 r0-sw1 02:00:00:00:a0:01 10.0.1.254/24");
        connectRouterPort(c, "sw1", "r0-sw1");
        c.nbctl("lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24 -- lr-nat-add r0 dnat_and_snat 172.24.4.50 10.0.0.2"
                " -- lr-route-add r0 192.168.50.0/24 10.0.1.100");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        TestHost &vm2 = c.vm("vm2", "02:00:00:00:00:02", "10.0.0.2/24");
        TestHost &vm3 = c.vm("vm3", "02:00:00:00:01:03", "10.0.1.3/24");
        TestHost &gw = c.vm("gw", "02:00:00:00:01:64", "10.0.1.100/24");
        for (TestHost *h : {&vm1, &vm2}) h->exec("ip route add default via 10.0.0.254");
        vm3.exec("ip route add default via 10.0.1.254");
        gw.exec("ip addr add 192.168.50.1/32 dev lo && ip route add 10.0.0.0/16 via 10.0.1.254");
        c.syncHv();

        see("vm1 -> vm3, two switches through the router", "yes", yesNo(vm1.ping("10.0.1.3", 4)));
        see("vm1 -> static route via a next-hop VM", "yes", yesNo(vm1.ping("192.168.50.1", 4)));
        see("vm1 reaches the external host", "yes", yesNo(vm1.ping("172.24.4.254", 4)));
        see("the external host sees vm1 as", "172.24.4.1",
            echoSourceSeenBy(ext, [&] { vm1.ping("172.24.4.254", 1); }));
        see("the external host reaches the floating IP", "yes", yesNo(ext.ping("172.24.4.50", 4)));
        see("the external host sees the floating-IP VM as", "172.24.4.50",
            echoSourceSeenBy(ext, [&] { vm2.ping("172.24.4.254", 1); }));
        std::string log;
        see("TCP vm1 -> external host through SNAT", "yes", yesNo(vm1.tcpTo(ext, "172.24.4.254", &log)));
        // An external host routing the tenant network via the router reaches
        // a VM's private address; the replies are not SNATed.
        ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1");
        see("routed in to vm1's private address", "yes", yesNo(ext.ping("10.0.0.1", 4)));
        // Our goal (issue 14): routed-in connections work, SNAT applies to
        // connections leaving. The reference's SNAT zone does not know a
        // connection opened from outside: it lets ICMP echo replies pass
        // untranslated but SNATs the VM's TCP answers (resets and SYN-ACK
        // retransmissions leave as 172.24.4.1), so TCP never connects there.
        see.goal("TCP routed in, answered untranslated", "yes", yesNo(ext.tcpTo(vm1, "10.0.0.1", &log, 2)));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// A distributed router without a gateway port: OVN does no NAT there.
TEST_F(RouterE2E, NoNatWithoutAGateway) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0");
        addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1");
        TestHost &ext = externalNetwork(c);
        c.nbctl("lr-add r0 -- lrp-add r0 r0-sw0 02:00:00:00:aa:00 10.0.0.254/24"
                " -- lrp-add r0 r0-ext 02:00:00:00:aa:02 172.24.4.1/24");
        connectRouterPort(c, "sw0", "r0-sw0");
        connectRouterPort(c, "ext", "r0-ext");
        c.nbctl("lr-nat-add r0 snat 172.24.4.1 10.0.0.0/24 -- lr-route-add r0 0.0.0.0/0 172.24.4.254");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        vm1.exec("ip route add default via 10.0.0.254");
        ext.exec("ip route add 10.0.0.0/16 via 172.24.4.1");
        c.syncHv();
        see("vm1 reaches the external host", "yes", yesNo(vm1.ping("172.24.4.254", 4)));
        see("the external host sees vm1 as", "10.0.0.1", echoSourceSeenBy(ext, [&] { vm1.ping("172.24.4.254", 1); }));
    });
}

// Two tenants' routers on one provider network, with overlapping tenant
// subnets (as in any Neutron cloud): each router's gateway, SNAT and
// floating IP work side by side on the shared external switch. The switch
// leaves ARP from its localnet port to the owners (as northd), so the
// external host's requests reach each router only if a flood reaches every
// module peer of the switch (issue 14's third difference).
TEST_F(RouterE2E, TwoTenantRoutersShareTheExternalNetwork) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add tenant-a -- ls-add tenant-b");
        addVifPort(c, "tenant-a", "vma", "02:00:00:00:0a:01", "10.0.0.1");
        addVifPort(c, "tenant-b", "vmb", "02:00:00:00:0b:01", "10.0.0.1");
        TestHost &ext = externalNetwork(c);
        tenantRouter(c, "ra", "tenant-a", "1", "10.0.0", "1");
        tenantRouter(c, "rb", "tenant-b", "2", "10.0.0", "2");
        c.nbctl("lr-nat-add ra snat 172.24.4.1 10.0.0.0/24 -- lr-nat-add ra dnat_and_snat 172.24.4.50 10.0.0.1"
                " -- lr-nat-add rb snat 172.24.4.2 10.0.0.0/24");
        TestHost &vma = c.vm("vma", "02:00:00:00:0a:01", "10.0.0.1/24");
        TestHost &vmb = c.vm("vmb", "02:00:00:00:0b:01", "10.0.0.1/24");
        for (TestHost *h : {&vma, &vmb}) h->exec("ip route add default via 10.0.0.254");
        c.syncHv();
        see("the external host pings router a's gateway", "yes", yesNo(ext.ping("172.24.4.1", 4)));
        see("the external host pings router b's gateway", "yes", yesNo(ext.ping("172.24.4.2", 4)));
        see("the external host reaches tenant a's floating IP", "yes", yesNo(ext.ping("172.24.4.50", 4)));
        see("tenant a reaches the external host", "yes", yesNo(vma.ping("172.24.4.254", 4)));
        see("tenant b reaches the external host", "yes", yesNo(vmb.ping("172.24.4.254", 4)));
        see("the external host sees tenant a as", "172.24.4.50",
            echoSourceSeenBy(ext, [&] { vma.ping("172.24.4.254", 1); }));
        see("the external host sees tenant b as", "172.24.4.2",
            echoSourceSeenBy(ext, [&] { vmb.ping("172.24.4.254", 1); }));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// Dual-stack networks through a router: IPv6 hosts find the gateway with
// Neighbor Discovery (answered by the router) and reach across it.
TEST_F(RouterE2E, Ipv6ThroughARouter) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0 -- ls-add sw1");
        addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.1 fd00::1");
        addVifPort(c, "sw1", "vm3", "02:00:00:00:01:03", "10.0.1.3 fd01::3");
        c.nbctl("lr-add r0 -- lrp-add r0 r0-sw0 02:00:00:00:aa:00 10.0.0.254/24 fd00::fe/64"
                " -- lrp-add r0 r0-sw1 02:00:00:00:aa:01 10.0.1.254/24 fd01::fe/64");
        connectRouterPort(c, "sw0", "r0-sw0");
        connectRouterPort(c, "sw1", "r0-sw1");
        // A next-hop router OVN knows only by MAC: the router must solicit it.
        c.nbctl("lsp-add sw1 gw6 -- lsp-set-addresses gw6 02:00:00:00:01:66 -- lr-route-add r0 fd50::/64 fd01::66");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.1/24");
        TestHost &vm3 = c.vm("vm3", "02:00:00:00:01:03", "10.0.1.3/24");
        TestHost &gw6 = c.vm("gw6", "02:00:00:00:01:66", "10.0.1.66/24");
        vm1.exec("ip -6 addr add fd00::1/64 dev eth0 nodad && ip -6 route add default via fd00::fe");
        vm3.exec("ip -6 addr add fd01::3/64 dev eth0 nodad && ip -6 route add default via fd01::fe");
        gw6.exec("ip -6 addr add fd01::66/64 dev eth0 nodad && ip -6 addr add fd50::1/128 dev lo"
                 " && ip -6 route add fd00::/64 via fd01::fe");
        c.syncHv();
        auto ping6 = [&](const std::string &ip) { return yesNo(vm1.exec("ping -6 -c 3 -i 0.3 -W 1 " + ip).exit_code == 0); };
        see("the gateway answers NS and ping", "yes", ping6("fd00::fe"));
        see("vm1 -> vm3 across the router", "yes", ping6("fd01::3"));
        see("the gateway's MAC learnt from its NA", "yes",
            yesNo(vm1.exec("ip -6 neigh show fd00::fe").output.find("02:00:00:00:aa:00") != std::string::npos));
        see("static route via a next hop found by NS", "yes", ping6("fd50::1"));
        std::string log;
        see("TCP over IPv6 across the router", "yes", yesNo(vm1.tcpTo(vm3, "fd01::3", &log)));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
        see("hop limit 1: time exceeded from the gateway", "yes",
            yesNo(vm1.exec("ping -6 -c 1 -W 1 -t 1 fd01::3").output.find("fd00::fe") != std::string::npos));
        // A router port goes away: the rest still routes.
        c.nbctl("lsp-del sw1-r0-sw1 -- lrp-del r0-sw1");
        c.syncHv();
        see("vm3 after its router port is deleted", "no", yesNo(vm1.exec("ping -6 -c 1 -W 1 fd01::3").exit_code == 0));
        see("the gateway after another port is deleted", "yes", ping6("fd00::fe"));
        see.ours("incremental equals a full recompute after the deletion", "yes", [&] { return inSyncObservation(c); });
    });
}

// Two routers on one join switch, a static route via the other router's
// port: every packet arrives, the first included (the routers know each
// other's ports statically, as northd tells ovn-controller).
TEST_F(RouterE2E, StaticRouteViaAnotherRouterOnAJoinSwitch) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add lsa -- ls-add lsb -- ls-add join");
        addVifPort(c, "lsa", "vm1", "02:00:00:00:00:01", "10.0.1.1");
        addVifPort(c, "lsb", "vm2", "02:00:00:00:00:02", "10.0.2.1");
        c.nbctl("lr-add r0 -- lrp-add r0 r0-a 02:00:00:00:aa:01 10.0.1.254/24 -- lrp-add r0 r0-j 02:00:00:00:aa:02 "
                "10.0.0.1/24 -- lr-add r1 -- lrp-add r1 r1-b 02:00:00:00:bb:01 10.0.2.254/24 -- lrp-add r1 r1-j "
                "02:00:00:00:bb:02 10.0.0.2/24");
        for (const auto &[ls, lrp] : std::vector<std::pair<std::string, std::string>>{
                 {"lsa", "r0-a"}, {"join", "r0-j"}, {"lsb", "r1-b"}, {"join", "r1-j"}})
            connectRouterPort(c, ls, lrp);
        c.nbctl("lr-route-add r0 10.0.2.0/24 10.0.0.2 -- lr-route-add r1 10.0.1.0/24 10.0.0.1");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.1.1/24");
        TestHost &vm2 = c.vm("vm2", "02:00:00:00:00:02", "10.0.2.1/24");
        vm1.exec("ip route add default via 10.0.1.254");
        vm2.exec("ip route add default via 10.0.2.254");
        c.syncHv();
        see("pings lost vm1 -> vm2 via r0, join, r1", "0%", packetLoss(vm1.exec("ping -c 4 -i 0.3 -W 1 10.0.2.1")));
        std::string log;
        see("TCP vm1 -> vm2", "yes", yesNo(vm1.tcpTo(vm2, "10.0.2.1", &log)));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

}  // namespace
}  // namespace e2e
