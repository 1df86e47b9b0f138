// What iovisor-ovnd's engine spends on one port added to a switch that
// already has N ports, L of them here (a tenant network; a large provider
// network whose VMs are mostly on other chassis): the changes a port add
// brings, as the monitor reports them (the NB port and switch, the plug's
// interface, the binding made and claimed), each one engine round, as in
// the daemon, summed. The reference is the engine's own full recompute of
// the same content in each round: what a controller without incremental
// processing spends.
// With security groups, every port is in two port groups, as Neutron puts
// it: neutron_pg_drop (drop what no group allows) and its group's, whose
// rules name the group's own addresses (the default group: "from the same
// group"); the port add writes both groups in its NB transaction. One
// group for every port, or one per tenant (of 10 networks each).
// Usage: engine_bench [ROUNDS=200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine.h"

namespace {

using ovnmon::Change;

enum class Groups { kNone, kOne, kPerTenant };

struct Chassis {
    ovnmon::NbState nb;
    ovnmon::SbState sb;
    ovnmon::OvsState ovs;
    int next = 0;
    Groups groups = Groups::kNone;

    ctl::TranslateInput input() const { return {nb, sb, ovs, "hv1"}; }

    static std::string hex(int v) {
        char out[3];
        snprintf(out, sizeof out, "%02x", v & 0xff);
        return out;
    }

    // The rounds of one VM's arrival, each a list of changes.
    std::vector<std::vector<Change>> addVm(bool here = true, const std::string &ls = "ls", const std::string &sg = "pg_sg") {
        const int n = next++;
        const std::string uuid = "lsp" + std::to_string(n), name = "vm" + std::to_string(n), tap = "tap" + std::to_string(n);
        ovnmon::LogicalSwitchPort lsp;
        lsp.uuid = uuid;
        lsp.name = name;
        lsp.addresses = {"02:00:00:00:" + hex(n / 256) + ":" + hex(n % 256) + " 10.0." + std::to_string(n / 250) + "." +
                         std::to_string(n % 250 + 1)};
        nb.switch_ports[uuid] = lsp;
        nb.switches[ls].ports.push_back(uuid);
        std::vector<std::vector<Change>> rounds;
        rounds.push_back({{"NB", "Logical_Switch_Port", "inserted", name, uuid}, {"NB", "Logical_Switch", "modified", ls, ls}});
        if (groups != Groups::kNone)
            for (const std::string &pg : {std::string("neutron_pg_drop"), sg}) {
                nb.port_groups[pg].ports.push_back(uuid);
                rounds.back().push_back({"NB", "Port_Group", "modified", pg, nb.port_groups[pg].uuid});
            }
        if (here) {
            ovs.interfaces[tap] = {"i" + std::to_string(n), tap, "", "br-int", name, n + 1, false};
            rounds.push_back({{"OVS", "Interface", "inserted", tap, "i" + std::to_string(n)}});
        }
        sb.port_bindings[name] = {"pb" + std::to_string(n), name, "", "", "", std::nullopt};
        rounds.push_back({{"SB", "Port_Binding", "inserted", name, "pb" + std::to_string(n)}});
        sb.port_bindings[name].chassis = here ? "hv1" : "hv2";
        sb.port_bindings[name].up = true;
        rounds.push_back({{"SB", "Port_Binding", "modified", name, "pb" + std::to_string(n)}});
        return rounds;
    }

    void acl(const std::string &pg, const std::string &uuid, const std::string &direction, int64_t priority,
             const std::string &match, const std::string &action) {
        ovnmon::Acl a;
        a.uuid = uuid;
        a.direction = direction;
        a.priority = priority;
        a.match = match;
        a.action = action;
        nb.acls[uuid] = a;
        nb.port_groups[pg].acls.push_back(uuid);
    }
    // Neutron's drop group.
    void securityGroups(Groups how) {
        groups = how;
        nb.port_groups["neutron_pg_drop"] = {"u-neutron_pg_drop", "neutron_pg_drop", {}, {}};
        acl("neutron_pg_drop", "acl-drop-in", "from-lport", 1001, "inport == @neutron_pg_drop && ip", "drop");
        acl("neutron_pg_drop", "acl-drop-out", "to-lport", 1001, "outport == @neutron_pg_drop && ip", "drop");
        securityGroup("pg_sg");
    }
    // A default security group (its rules as Neutron's OVN driver writes them).
    void securityGroup(const std::string &pg) {
        if (nb.port_groups.count(pg)) return;
        nb.port_groups[pg] = {"u-" + pg, pg, {}, {}};
        acl(pg, pg + "-egress", "from-lport", 1002, "inport == @" + pg + " && ip4", "allow-related");
        acl(pg, pg + "-ingress", "to-lport", 1002, "outport == @" + pg + " && ip4 && ip4.src == $" + pg + "_ip4",
            "allow-related");
    }

    // Other networks here, as on the ovn bench's loaded chassis: `ports`
    // ports, 5 a switch, 10 switches a router.
    void addOthers(int ports) {
        for (int s = 0; s < ports / 5; ++s) {
            const std::string ls = "other" + std::to_string(s);
            nb.switches[ls] = {ls, ls, {}, {}, {}};
            const std::string sg = groups == Groups::kPerTenant ? "pg_tenant" + std::to_string(s / 10) : "pg_sg";
            if (groups != Groups::kNone) securityGroup(sg);
            for (int p = 0; p < 5; ++p) addVm(true, ls, sg);
            const std::string lr = "lr" + std::to_string(s / 10), lrp = lr + "-" + ls, lsp = ls + "-" + lr;
            if (s % 10 == 0) nb.routers[lr] = {lr, lr, true, {}, {}, {}, {}, {}};
            nb.routers[lr].ports.push_back(lrp);
            nb.router_ports[lrp] = {lrp, lrp, "02:79:00:00:" + hex(s / 256) + ":" + hex(s % 256),
                                    {"10.1" + std::to_string(s / 250) + "." + std::to_string(s % 250) + ".254/24"}};
            ovnmon::LogicalSwitchPort port;
            port.uuid = port.name = lsp;
            port.type = "router";
            port.addresses = {"router"};
            port.options = {{"router-port", lrp}};
            nb.switch_ports[lsp] = port;
            nb.switches[ls].ports.push_back(lsp);
        }
    }
};

double nowUs() {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median µs of a port add's rounds, incremental and full recompute, with
// `ports` ports on the switch before each add, `local` of them here, and
// `others` ports on other networks of the chassis.
void measure(int ports, int local, int others, Groups groups, int rounds) {
    Chassis c;
    if (groups != Groups::kNone) c.securityGroups(groups);
    c.addOthers(others);
    c.nb.switches["ls"] = {"ls", "ls", {}, {}, {}};
    c.ovs.present = true;
    c.ovs.system_id = "hv1";
    ctl::Engine engine;
    ctl::PortAllocator allocator;
    for (int i = 0; i < ports; ++i) c.addVm(i < local);
    engine.recompute(c.input(), allocator);
    engine.takeDelta();
    std::vector<double> incremental, full;
    for (int r = 0; r < rounds; ++r) {
        const bool recompute = r % 8 == 7;  // now and then, the reference
        double spent = 0;
        for (const auto &changes : c.addVm()) {
            const double t0 = nowUs();
            if (recompute) engine.recompute(c.input(), allocator);
            else engine.update(c.input(), changes, allocator);
            engine.takeDelta();
            spent += nowUs() - t0;
        }
        (recompute ? full : incremental).push_back(spent);
        // Back to `ports` ports: the VM leaves (its removal is not timed).
        const std::string name = "vm" + std::to_string(c.next - 1), uuid = "lsp" + std::to_string(c.next - 1);
        c.nb.switch_ports.erase(uuid);
        c.nb.switches["ls"].ports.pop_back();
        c.ovs.interfaces.erase("tap" + std::to_string(c.next - 1));
        c.sb.port_bindings.erase(name);
        std::vector<Change> gone{{"NB", "Logical_Switch_Port", "deleted", name, uuid},
                                 {"NB", "Logical_Switch", "modified", "ls", "ls"}};
        for (const char *pg : {"neutron_pg_drop", "pg_sg"})
            if (groups != Groups::kNone) {
                c.nb.port_groups[pg].ports.pop_back();
                gone.push_back({"NB", "Port_Group", "modified", pg, c.nb.port_groups[pg].uuid});
            }
        engine.update(c.input(), gone, allocator);
        engine.takeDelta();
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    printf("%6d ports on the switch, %4d here, %5d on others%-22s %8.0f us %22.0f us\n", ports, local, others,
           groups == Groups::kNone ? "" : groups == Groups::kOne ? ", one security group" : ", a group per tenant",
           median(incremental), median(full));
}

}  // namespace

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
    printf("%-76s %s\n", "engine rounds of a port add (median)", "incremental (ours)   full recompute (reference)");
    struct Case {
        int ports, local, others;
        Groups groups = Groups::kNone;
        int rounds_divisor = 1;  // for the slow cases
    };
    const Groups one = Groups::kOne, per_tenant = Groups::kPerTenant;
    for (const Case &k : {Case{10, 10, 0}, {100, 100, 0}, {100, 100, 5000}, {250, 250, 0}, {1000, 20, 0}, {5000, 20, 0},
                          {100, 100, 0, one}, {100, 100, 1000, one, 10}, {100, 100, 1000, per_tenant, 10}})
        measure(k.ports, k.local, k.others, k.groups, std::max(8, rounds / k.rounds_divisor));
}
