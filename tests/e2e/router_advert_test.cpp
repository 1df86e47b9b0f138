// IPv6 router advertisements end to end, on our chassis and on
// ovn-controller + OVS (see differential.h): a router port's
// ipv6_ra_configs typed with ovn-nbctl, a VM's kernel forming its SLAAC
// address and default route from them, rdisc6 (ndisc6) reading each field,
// and the periodic advertisement captured byte for byte.
#include <chrono>
#include <sstream>
#include <thread>

#include "differential.h"
#include "packet.h"

namespace e2e {
namespace {

using RouterAdvertE2E = Differential;
using testsupport::Bytes;

// sw0 behind lr0's port lr0-sw0 (fa:16:3e:00:00:01, 10.0.0.1/24 and
// fd00:10::1/64) advertising as Neutron's slaac subnets do, with every
// option; vm1's address is the one SLAAC forms from its MAC.
void advertisingNetwork(Chassis &c) {
    c.nbctl("ls-add sw0 -- lr-add lr0 -- lrp-add lr0 lr0-sw0 fa:16:3e:00:00:01 10.0.0.1/24 fd00:10::1/64");
    connectRouterPort(c, "sw0", "lr0-sw0");
    c.nbctl("set Logical_Router_Port lr0-sw0 ipv6_ra_configs:address_mode=slaac ipv6_ra_configs:mtu=1442"
            " ipv6_ra_configs:rdnss=fd00::53 ipv6_ra_configs:dnssl=openstack.internal"
            " ipv6_ra_configs:router_preference=HIGH ipv6_ra_configs:route_info=HIGH-fd00:99::/48");
    addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.5 fd00:10::ff:fe00:1");
}

// rdisc6's "name : value" lines, by name (the first of each).
std::map<std::string, std::string> rdisc6(TestHost &vm) {
    vm.exec("for i in $(seq 50); do ip -6 addr show dev eth0 scope link | grep -q tentative || break; sleep 0.1; done");
    std::map<std::string, std::string> out;
    std::istringstream in(vm.exec("rdisc6 -1 -r 3 -w 1000 eth0").output);
    auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(' '));
        s.erase(s.find_last_not_of(' ') + 1);
        return s;
    };
    for (std::string line; std::getline(in, line);) {
        line = trim(line);
        if (line.rfind("from ", 0) == 0) out.emplace("from", line.substr(5));
        const size_t colon = line.find(" : ") != std::string::npos ? line.find(" : ") : line.find(": ");
        if (colon == std::string::npos) continue;
        out.emplace(trim(line.substr(0, colon)), trim(line.substr(line.find(':', colon) + 1)));
    }
    return out;
}

void seeFields(Observations &see, const std::string &mode, const std::map<std::string, std::string> &ra,
               const std::vector<std::pair<std::string, std::string>> &fields) {
    for (const auto &[name, expected] : fields) {
        auto it = ra.find(name);
        see(mode + name, expected, it == ra.end() ? "(none)" : it->second);
    }
}

// What `cmd` prints in the VM once it matches `expected`, or at the end of `seconds`.
std::string await(TestHost &vm, const std::string &cmd, const std::string &expected, int seconds) {
    std::string seen;
    for (int i = 0; i < seconds * 4; ++i) {
        seen = vm.exec(cmd).output;
        if (seen == expected) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return seen;
}

TEST_F(RouterAdvertE2E, SolicitationsAnsweredAndSlaacForms) {
    compare([](Chassis &c, Observations &see) {
        advertisingNetwork(c);
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        c.syncHv();
        seeFields(see, "slaac: ", rdisc6(vm1),
                  {{"Hop limit", "255 (      0xff)"},
                   {"Stateful address conf.", "No"},
                   {"Stateful other conf.", "No"},
                   {"Router preference", "high"},
                   {"Router lifetime", "65535 (0x0000ffff) seconds"},
                   {"Source link-layer address", "FA:16:3E:00:00:01"},
                   {"MTU", "1442 bytes (valid)"},
                   {"Recursive DNS server", "fd00::53"},
                   {"DNS search list", "openstack.internal"},
                   {"Route", "fd00:99::/48"},
                   {"Route preference", "high"},
                   {"Prefix", "fd00:10::/64"},
                   {"On-link", "Yes"},
                   {"Autonomous address conf.", "Yes"},
                   {"from", "fe80::f816:3eff:fe00:1"}});
        see("the SLAAC address", "fd00:10::ff:fe00:1/64",
            await(vm1, "ip -6 -o addr show dev eth0 scope global | awk '{print $4}'", "fd00:10::ff:fe00:1/64", 5));
        see("the default route", "via fe80::f816:3eff:fe00:1",
            await(vm1, "ip -6 route show default | awk '{print $2, $3}'", "via fe80::f816:3eff:fe00:1", 5));
        see("the router answers ping over it", "yes", yesNo(vm1.exec("ping -6 -c 2 -W 1 fd00:10::1").exit_code == 0));

        c.nbctl("set Logical_Router_Port lr0-sw0 ipv6_ra_configs:address_mode=dhcpv6_stateful");
        c.syncHv();
        seeFields(see, "dhcpv6_stateful: ", rdisc6(vm1),
                  {{"Stateful address conf.", "Yes"}, {"Stateful other conf.", "No"}, {"Autonomous address conf.", "No"}});
        c.nbctl("set Logical_Router_Port lr0-sw0 ipv6_ra_configs:address_mode=dhcpv6_stateless");
        c.syncHv();
        seeFields(see, "dhcpv6_stateless: ", rdisc6(vm1),
                  {{"Stateful address conf.", "No"}, {"Stateful other conf.", "Yes"}, {"Autonomous address conf.", "Yes"}});
        c.nbctl("remove Logical_Router_Port lr0-sw0 ipv6_ra_configs address_mode");
        c.syncHv();
        see("no address_mode: no answer", "(none)", rdisc6(vm1).count("from") ? "an advertisement" : "(none)");
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
    });
}

// The frame tcpdump -xx printed (its first packet).
Bytes capturedFrame(const std::string &dump) {
    Bytes out;
    std::istringstream in(dump);
    for (std::string line; std::getline(in, line);) {
        const size_t at = line.find("0x");
        if (at == std::string::npos || line.find(':', at) == std::string::npos) continue;
        if (line.substr(at, 7) == "0x0000:" && !out.empty()) break;
        std::istringstream words(line.substr(line.find(':', at) + 1));
        for (std::string w; words >> w;)
            for (size_t i = 0; i + 1 < w.size(); i += 2) out.push_back(uint8_t(std::stoi(w.substr(i, 2), nullptr, 16)));
    }
    return out;
}

// pinctrl's periodic advertisement for advertisingNetwork(), written out.
Bytes periodicAdvert() {
    using namespace testsupport;
    Bytes m = {134, 0, 0, 0, 255, 0x08, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
    const Bytes options[] = {
        {1, 1, 0xfa, 0x16, 0x3e, 0, 0, 1},
        {5, 1, 0, 0, 0, 0, 0x05, 0xa2},
        {3, 4, 64, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0},
        {25, 3, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53},
        {31, 4, 0, 0, 0xff, 0xff, 0xff, 0xff, 9, 'o', 'p', 'e', 'n', 's', 't', 'a', 'c', 'k', 8, 'i', 'n', 't', 'e',
         'r', 'n', 'a', 'l', 0, 0, 0, 0, 0},
        {24, 2, 48, 0x08, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 0, 0x99, 0, 0, 0, 0},
    };
    for (const auto &o : options) m.insert(m.end(), o.begin(), o.end());
    const Ip6 src = ip6("fe80::f816:3eff:fe00:1"), all_nodes = ip6("ff02::1");
    return eth(mac("33:33:00:00:00:01"), mac("fa:16:3e:00:00:01"), kEthIp6, ipv6(src, all_nodes, 58, icmp6(src, all_nodes, m), 255));
}

TEST_F(RouterAdvertE2E, PeriodicAdvertisementsReachTheVms) {
    compare([](Chassis &c, Observations &see) {
        advertisingNetwork(c);
        c.nbctl("set Logical_Router_Port lr0-sw0 ipv6_ra_configs:send_periodic=true ipv6_ra_configs:max_interval=4"
                " ipv6_ra_configs:min_interval=3");
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "");
        c.syncHv();
        const std::string dump =
            vm1.exec("timeout 12 tcpdump -i eth0 -c 1 -xx -n 'icmp6 and ip6[40] == 134 and ip6 dst ff02::1' 2>/dev/null").output;
        see("an unsolicited advertisement within 12 s, byte for byte", testsupport::hex(periodicAdvert()),
            testsupport::hex(capturedFrame(dump)));
        see.ours("iovisorctl ovn shows it", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "ovn").output;
            const bool ok = out.find("RA: answers Router Solicitations every 3-4 s") != std::string::npos;
            return yesNo(ok) + (ok ? "" : "\n" + out);
        });
        c.nbctl("set Logical_Router_Port lr0-sw0 ipv6_ra_configs:send_periodic=false");
        c.syncHv();
        see("none once send_periodic is false", "",
            vm1.exec("timeout 6 tcpdump -i eth0 -c 1 -n 'icmp6 and ip6[40] == 134 and ip6 dst ff02::1' 2>/dev/null").output);
    });
}

}  // namespace
}  // namespace e2e
