// The incremental engine against the full recompute: a seeded random stream
// of the changes a cloud makes (VMs plugged and unplugged, ports readdressed
// or moved to another chassis, routers attached, NAT rules, switches
// renamed and deleted), each reported as the monitor reports it, must leave the engine
// with exactly what translate() computes from scratch, and its delta must
// name every module and link that differs from the round before.
#include <gtest/gtest.h>

#include <algorithm>

#include <random>

#include "engine.h"
#include "translate.h"

namespace ctl {
namespace {

using ovnmon::Change;

class Cloud {
public:
    explicit Cloud(unsigned seed) : rng_(seed) { ovs_.bridge_mappings = "physnet:br-ex"; }

    TranslateInput input() const { return {nb_, sb_, ovs_, "hv1"}; }

    // One random change; returns the rows it touched.
    std::vector<Change> step() {
        switch (pick(18)) {
        case 17: return rematch();
        case 16: return hostile();
        case 14: return dnsRecords();
        case 15: return advertise();
        case 12: return dhcpForPort();
        case 13: return retimeDhcp();
        case 10: return securityGroup();
        case 11: return regroup();
        case 0: return addSwitch();
        case 9: return renameSwitch();
        case 1: case 2: case 3: return plugVm();
        case 4: return unplugVm();
        case 5: return readdress();
        case 6: return elsewhere();
        case 7: return attachRouter();
        default: return pick(2) ? addNat() : deleteSwitch();
        }
    }

private:
    unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }
    template <typename Map>
    std::string any(const Map &m) {
        if (m.empty()) return "";
        auto it = m.begin();
        std::advance(it, pick(m.size()));
        return it->first;
    }
    static Change nb(const char *table, const std::string &what, const std::string &uuid, const std::string &row = "") {
        return {"NB", table, what, row, uuid};
    }

    std::vector<Change> addSwitch() {
        const std::string ls = "ls" + std::to_string(next_++);
        nb_.switches[ls] = {ls, ls, {}, {}, {}};
        return {nb("Logical_Switch", "inserted", ls, ls)};
    }

    std::vector<Change> renameSwitch() {
        const std::string ls = any(nb_.switches);
        if (ls.empty()) return addSwitch();
        nb_.switches[ls].name += "x";
        return {nb("Logical_Switch", "modified", ls, nb_.switches[ls].name)};
    }

    std::vector<Change> plugVm() {
        const std::string ls = any(nb_.switches);
        if (ls.empty()) return addSwitch();
        const int n = next_++;
        ovnmon::LogicalSwitchPort lsp;
        lsp.uuid = "lsp" + std::to_string(n);
        lsp.name = "vm" + std::to_string(n);
        lsp.addresses = {"02:00:00:00:" + hex(n / 256) + ":" + hex(n % 256) + " 10.0." + std::to_string(n % 250) + ".2"};
        nb_.switch_ports[lsp.uuid] = lsp;
        nb_.switches[ls].ports.push_back(lsp.uuid);
        std::vector<Change> out = {nb("Logical_Switch_Port", "inserted", lsp.uuid, lsp.name),
                                   nb("Logical_Switch", "modified", ls, ls)};
        if (pick(4)) {  // most VMs are here
            ovs_.interfaces["tap" + std::to_string(n)] = {"i" + std::to_string(n), "tap" + std::to_string(n), "", "br-int",
                                                          lsp.name, 1, false};
            out.push_back({"OVS", "Interface", "inserted", "tap" + std::to_string(n), "i" + std::to_string(n)});
        }
        return out;
    }

    std::vector<Change> unplugVm() {
        const std::string tap = any(ovs_.interfaces);
        if (tap.empty()) return plugVm();
        const std::string uuid = ovs_.interfaces.at(tap).uuid;
        ovs_.interfaces.erase(tap);
        return {{"OVS", "Interface", "deleted", tap, uuid}};
    }

    std::vector<Change> readdress() {
        const std::string lsp = any(nb_.switch_ports);
        if (lsp.empty() || nb_.switch_ports[lsp].type == "router") return plugVm();
        nb_.switch_ports[lsp].addresses = {"02:00:00:01:00:" + hex(pick(256)) + " 10.1.0." + std::to_string(pick(250) + 1)};
        if (pick(2)) nb_.switch_ports[lsp].port_security = nb_.switch_ports[lsp].addresses;
        return {nb("Logical_Switch_Port", "modified", lsp, nb_.switch_ports[lsp].name)};
    }

    // Northbound content OVN's own tools would refuse or that makes no
    // sense: unparseable and duplicate addresses, port security that cannot
    // be enforced, odd names, ports listed that do not exist.
    std::vector<Change> hostile() {
        const std::string lsp = any(nb_.switch_ports);
        if (lsp.empty() || nb_.switch_ports[lsp].type == "router") return plugVm();
        auto &port = nb_.switch_ports[lsp];
        static const std::vector<std::string> kValues = {"zz:zz:zz:zz:zz:zz", "02:00:00:00:00:01 10.0.0.999",
                                                          "02:00:00:00:00:01 10.0.0.2 10.0.0.2", "", " ", "dynamic",
                                                          "02:00:00:00:00:01 fd00::/200", std::string(2000, 'a')};
        switch (pick(4)) {
        case 0: port.addresses = {kValues[pick(kValues.size())]}; break;
        case 1: port.port_security = {kValues[pick(kValues.size())]}; break;
        case 2: port.name = "\"'\n" + std::string(pick(300), 'n') + std::to_string(next_++); break;
        default: {
            const std::string ls = any(nb_.switches);
            nb_.switches[ls].ports.push_back("dangling" + std::to_string(next_++));
            return {nb("Logical_Switch", "modified", ls, ls)};
        }
        }
        return {nb("Logical_Switch_Port", "modified", lsp, port.name)};
    }

    // A port's binding asks for another chassis, or for this one again.
    std::vector<Change> elsewhere() {
        const std::string lsp = any(nb_.switch_ports);
        if (lsp.empty()) return plugVm();
        const std::string name = nb_.switch_ports[lsp].name;
        sb_.port_bindings[name] = {"pb-" + lsp, name, "", "", pick(2) ? "hv2" : "hv1", std::nullopt};
        return {{"SB", "Port_Binding", "modified", name, "pb-" + lsp}};
    }

    std::vector<Change> attachRouter() {
        const std::string ls = any(nb_.switches);
        if (ls.empty()) return addSwitch();
        std::string lr = any(nb_.routers);
        std::vector<Change> out;
        if (lr.empty() || !pick(3)) {
            lr = "lr" + std::to_string(next_++);
            nb_.routers[lr].uuid = lr;
            nb_.routers[lr].name = lr;
            out.push_back(nb("Logical_Router", "inserted", lr, lr));
        }
        const int n = next_++;
        ovnmon::LogicalRouterPort lrp;
        lrp.uuid = "lrp" + std::to_string(n);
        lrp.name = "rp" + std::to_string(n);
        lrp.mac = "02:00:00:aa:" + hex(n / 256) + ":" + hex(n % 256);
        lrp.networks = {"10.2." + std::to_string(n % 250) + ".1/24", "fd00:" + hex(n) + "::1/64"};
        if (pick(4) == 0) lrp.gateway_chassis = {"hv1"};
        nb_.router_ports[lrp.uuid] = lrp;
        nb_.routers[lr].ports.push_back(lrp.uuid);
        ovnmon::LogicalSwitchPort lsp;
        lsp.uuid = "lsp" + std::to_string(n);
        lsp.name = "to-" + lrp.name;
        lsp.type = "router";
        lsp.addresses = {"router"};
        lsp.options["router-port"] = lrp.name;
        nb_.switch_ports[lsp.uuid] = lsp;
        nb_.switches[ls].ports.push_back(lsp.uuid);
        out.push_back(nb("Logical_Router_Port", "inserted", lrp.uuid, lrp.name));
        out.push_back(nb("Logical_Router", "modified", lr, lr));
        out.push_back(nb("Logical_Switch_Port", "inserted", lsp.uuid, lsp.name));
        out.push_back(nb("Logical_Switch", "modified", ls, ls));
        return out;
    }

    std::vector<Change> addNat() {
        const std::string lr = any(nb_.routers);
        if (lr.empty()) return attachRouter();
        nb_.routers[lr].nat.push_back({pick(2) ? "snat" : "dnat_and_snat", "172.24.4." + std::to_string(pick(250) + 1),
                                       "", pick(2) ? "10.0.0.0/8" : "10.0.0.5", ""});
        return {nb("NAT", "inserted", "nat" + std::to_string(next_++)), nb("Logical_Router", "modified", lr, lr)};
    }

    // A Neutron-shaped security group: a port group of some ports, an
    // allow-related rule naming another group's implicit address set.
    std::vector<Change> securityGroup() {
        const int n = next_++;
        const std::string pg = "pg" + std::to_string(n), other = any(nb_.port_groups);
        nb_.port_groups[pg] = {"pgu" + std::to_string(n), pg, {}, {}};
        for (int i = 0; i < 3; ++i)
            if (const std::string lsp = any(nb_.switch_ports); !lsp.empty()) nb_.port_groups[pg].ports.push_back(lsp);
        const std::vector<std::pair<std::string, std::string>> rules = {
            {"from-lport", "inport == @" + pg + " && ip4"},
            {"to-lport", "outport == @" + pg + " && ip4 && tcp.dst == " + std::to_string(pick(1000))},
            {"to-lport", other.empty() ? "outport == @" + pg + " && ip" : "outport == @" + pg + " && ip4.src == $" + other + "_ip4"}};
        std::vector<Change> out = {nb("Port_Group", "inserted", "pgu" + std::to_string(n), pg)};
        for (const auto &[dir, match] : rules) {
            const std::string uuid = "acl" + std::to_string(next_++);
            nb_.acls[uuid] = {uuid, "", dir, 1002, match, pick(4) ? "allow-related" : "drop", false};
            nb_.port_groups[pg].acls.push_back(uuid);
            out.push_back(nb("ACL", "inserted", uuid));
        }
        return out;
    }

    // A port gets a subnet's DHCP options (a new row or an existing one).
    std::vector<Change> dhcpForPort() {
        const std::string lsp = any(nb_.switch_ports);
        if (lsp.empty()) return plugVm();
        std::vector<Change> out;
        std::string row = any(nb_.dhcp_options);
        if (row.empty() || !pick(3)) {
            row = "dhcp" + std::to_string(next_++);
            nb_.dhcp_options[row] = {row, "10.0.0.0/8",
                                     {{"server_id", "10.0.0.1"}, {"server_mac", "02:00:00:00:00:fe"}, {"lease_time", "60"}}};
            out.push_back(nb("DHCP_Options", "inserted", row));
        }
        nb_.switch_ports[lsp].dhcpv4_options = row;
        out.push_back(nb("Logical_Switch_Port", "modified", lsp, nb_.switch_ports[lsp].name));
        return out;
    }

    // A switch gets DNS records (a new row or an existing one), or a DNS row
    // changes alone: every switch using it must follow.
    std::vector<Change> dnsRecords() {
        std::string row = any(nb_.dns);
        if (!row.empty() && pick(2)) {
            nb_.dns[row].records["vm" + std::to_string(next_++) + ".example"] = "10.9.0." + std::to_string(pick(250) + 1);
            return {nb("DNS", "modified", row)};
        }
        const std::string ls = any(nb_.switches);
        if (ls.empty()) return addSwitch();
        std::vector<Change> out;
        if (row.empty() || !pick(3)) {
            row = "dns" + std::to_string(next_++);
            nb_.dns[row] = {row, {{"vm.example", "10.9.0.1 fd00::9"}, {"1.0.9.10.in-addr.arpa", "vm.example"}}};
            out.push_back(nb("DNS", "inserted", row));
        }
        nb_.switches[ls].dns_records.push_back(row);
        out.push_back(nb("Logical_Switch", "modified", ls, nb_.switches[ls].name));
        return out;
    }

    // A router port starts or stops advertising, or changes how.
    std::vector<Change> advertise() {
        const std::string lrp = any(nb_.router_ports);
        if (lrp.empty()) return attachRouter();
        static const char *kModes[] = {"", "slaac", "dhcpv6_stateful", "dhcpv6_stateless"};
        auto &ra = nb_.router_ports[lrp].ipv6_ra_configs;
        ra["address_mode"] = kModes[pick(4)];
        if (ra["address_mode"].empty()) ra.erase("address_mode");
        ra["send_periodic"] = pick(2) ? "true" : "false";
        ra["mtu"] = std::to_string(1280 + pick(300));
        return {nb("Logical_Router_Port", "modified", lrp, nb_.router_ports[lrp].name)};
    }

    // A DHCP_Options row changes alone: every port using it must follow.
    std::vector<Change> retimeDhcp() {
        const std::string row = any(nb_.dhcp_options);
        if (row.empty()) return dhcpForPort();
        nb_.dhcp_options[row].options["lease_time"] = std::to_string(pick(100000) + 1);
        return {nb("DHCP_Options", "modified", row)};
    }

    // A rule changes its match, its uuid staying: a port, or another
    // group's addresses.
    std::vector<Change> rematch() {
        const std::string acl = any(nb_.acls), other = any(nb_.port_groups);
        if (acl.empty()) return securityGroup();
        nb_.acls[acl].match = other.empty() || pick(2) ? "ip4 && tcp.dst == " + std::to_string(pick(1000))
                                                       : "ip4 && ip4.src == $" + other + "_ip4";
        return {nb("ACL", "modified", acl)};
    }

    // A port joins or leaves a security group.
    std::vector<Change> regroup() {
        const std::string pg = any(nb_.port_groups), lsp = any(nb_.switch_ports);
        if (pg.empty() || lsp.empty()) return securityGroup();
        auto &ports = nb_.port_groups[pg].ports;
        if (auto it = std::find(ports.begin(), ports.end(), lsp); it != ports.end()) ports.erase(it);
        else ports.push_back(lsp);
        return {nb("Port_Group", "modified", nb_.port_groups[pg].uuid, pg)};
    }

    std::vector<Change> deleteSwitch() {
        const std::string ls = any(nb_.switches);
        if (ls.empty()) return addSwitch();
        std::vector<Change> out = {nb("Logical_Switch", "deleted", ls, ls)};
        for (const auto &p : nb_.switches[ls].ports) {
            out.push_back(nb("Logical_Switch_Port", "deleted", p, nb_.switch_ports[p].name));
            nb_.switch_ports.erase(p);
            for (auto &[name, pg] : nb_.port_groups) {  // as OVN: a deleted port leaves its groups
                auto &ports = pg.ports;
                if (std::find(ports.begin(), ports.end(), p) == ports.end()) continue;
                ports.erase(std::find(ports.begin(), ports.end(), p));
                out.push_back(nb("Port_Group", "modified", pg.uuid, name));
            }
        }
        nb_.switches.erase(ls);
        return out;
    }

    static std::string hex(unsigned v) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", v & 0xff);
        return buf;
    }

    std::mt19937 rng_;
    int next_ = 1;
    ovnmon::NbState nb_;
    ovnmon::SbState sb_;
    ovnmon::OvsState ovs_;
};

// Modules and links that differ between two desired states.
DesiredDelta difference(const DesiredState &a, const DesiredState &b) {
    DesiredDelta d;
    for (const auto *x : {&a, &b})
        for (const auto &[name, m] : x->modules)
            if (!a.modules.count(name) || !b.modules.count(name) || !(a.modules.at(name) == b.modules.at(name)))
                d.modules.insert(name);
    for (const auto &l : a.links)
        if (!b.links.count(l)) d.links.insert(l);
    for (const auto &l : b.links)
        if (!a.links.count(l)) d.links.insert(l);
    return d;
}

TEST(Engine, IncrementalEqualsFullRecomputeOverAStreamOfChanges) {
    for (unsigned seed : {1u, 2u, 3u}) {
        Cloud cloud(seed);
        Engine engine;
        PortAllocator incremental, full;
        engine.recompute(cloud.input(), incremental);
        (void)engine.takeDelta();
        DesiredState before = engine.desired();
        for (int step = 0; step < 300; ++step) {
            const auto changes = cloud.step();
            engine.update(cloud.input(), changes, incremental);
            const DesiredState want = translate(cloud.input(), full);
            ASSERT_TRUE(engine.desired() == want) << "seed " << seed << ", step " << step << ": " << changes.front().table
                                                  << " " << changes.front().what << " " << changes.front().uuid;
            const DesiredDelta delta = engine.takeDelta();
            const DesiredDelta changed = difference(before, want);
            for (const auto &m : changed.modules) EXPECT_TRUE(delta.modules.count(m)) << "step " << step << ": " << m;
            for (const auto &l : changed.links) EXPECT_TRUE(delta.links.count(l)) << "step " << step << ": " << l.first;
            before = want;
        }
        EXPECT_GT(before.modules.size(), 5u) << "the stream built something";
        EXPECT_GT(before.links.size(), 5u);
    }
}

}  // namespace
}  // namespace ctl
