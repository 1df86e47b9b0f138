// The typed table model (hover/model): the rules that turn intents into
// entries, and the pure diff with its ordering rules. No kernel, no hoverd.
#include <gtest/gtest.h>

#include "hover/model/l2switch.h"
#include "hover/model/nat.h"
#include "hover/model/router.h"

namespace {

using hover::model::Entries;
using hover::model::TableBatch;
using hover::model::bytesOf;
using hover::Bytes;
namespace l2 = hover::model::l2switch;
namespace rt = hover::model::router;

uint32_t ip4(const char *text) { return *iovisor::parseIpv4(text); }
iovisor::Mac mac(const char *text) { return *iovisor::parseMac(text); }

// A switch with one VIF port under port security and one router port.
l2::Switch securedSwitch() {
    l2::Switch sw;
    const l2::Addresses vm{mac("02:00:00:00:00:01"), {{ip4("10.0.0.1"), 32}, {ip4("10.9.0.0"), 16}}, {}};
    sw.ports[0] = l2::Port{true, false, {vm}};
    sw.ports[1] = l2::Port{};
    sw.addresses.push_back({0, vm, false});
    sw.addresses.push_back({1, {mac("02:00:00:00:aa:01"), {{ip4("10.0.0.254"), 32}}, {}}, true});
    return sw;
}

std::vector<std::string> order(const std::vector<TableBatch> &batches) {
    std::vector<std::string> out;
    for (const auto &b : batches)
        out.push_back(std::string(b.kind == TableBatch::Kind::kDelete ? "-" : "+") + b.table->name);
    return out;
}

// What a module holds after the batches: the reconciler's view of hoverd.
Entries applied(Entries have, const std::vector<TableBatch> &batches) {
    for (const auto &b : batches)
        for (const auto &[key, value] : b.entries) {
            Entries next;
            for (const auto *t : l2::kType.tables)
                for (const auto &[k, v] : have.rows(*t))
                    if (!(t == b.table && k == key)) next.putRaw(*t, k, v);
            if (b.kind == TableBatch::Kind::kPut) next.putRaw(*b.table, key, value);
            have = next;
        }
    return have;
}

TEST(ModelDiff, PortSecurityIsWrittenBeforeTheFlagThatEnforcesIt) {
    const auto batches = hover::model::diff(l2::kType, {}, l2::entries(securedSwitch()));
    EXPECT_EQ(order(batches), (std::vector<std::string>{"+ps_macs", "+ps_ipv4_hosts", "+ps_ipv4", "+fdb",
                                                         "+arp_responder", "+ports"}));
    auto port0 = l2::entries(securedSwitch()).find(l2::kPorts, 0u);
    ASSERT_TRUE(port0);
    EXPECT_EQ(port0->flags, L2_PORT_ENABLED | L2_PORT_SECURITY);
}

TEST(ModelDiff, ARemovedPortIsDisabledBeforeItsSecurityGoes) {
    l2::Switch after = securedSwitch();
    after.ports.erase(0);
    after.addresses.erase(after.addresses.begin());
    const auto batches = hover::model::diff(l2::kType, l2::entries(securedSwitch()), l2::entries(after));
    EXPECT_EQ(order(batches), (std::vector<std::string>{"+ports", "-arp_responder", "-fdb", "-ps_ipv4",
                                                         "-ps_ipv4_hosts", "-ps_macs"}));
    ASSERT_EQ(batches.front().entries.size(), 1u);
    EXPECT_EQ(batches.front().entries[0].second, hover::Bytes(sizeof(l2_port), 0)) << "array slots are zeroed";
}

// Make before break: a port moves to a complete new ACL policy before the
// old one's entries go (no packet meets a half-written classifier).
TEST(ModelDiff, NewEntriesComeBeforeRemovalsAndUnchangedEntriesAreNotRewritten) {
    l2::Switch after = securedSwitch();
    after.ports[0].security[0].ipv4 = {{ip4("10.0.0.7"), 32}};  // the VM's allowed address changes
    auto batches = hover::model::diff(l2::kType, l2::entries(securedSwitch()), l2::entries(after));
    EXPECT_EQ(order(batches), (std::vector<std::string>{"+ps_macs", "+ps_ipv4_hosts", "-ps_ipv4", "-ps_ipv4_hosts"}));

    l2::Switch guarded = securedSwitch(), changed = securedSwitch();
    const hover::model::acl::Rule drop_all{1, ACL_DROP, 1, {hover::model::acl::Term{}}};
    guarded.policies[7] = {{drop_all}};
    guarded.ports[0].acl_to = 7;
    changed.policies[9] = {{drop_all, {2, ACL_ALLOW, 2, {hover::model::acl::Term{}}}}};
    changed.ports[0].acl_to = 9;
    batches = hover::model::diff(l2::kType, l2::entries(guarded), l2::entries(changed));
    EXPECT_EQ(order(batches), (std::vector<std::string>{"+acl_rules", "+acl_ports", "-acl_rules"}));
    EXPECT_TRUE(hover::model::diff(l2::kType, l2::entries(after), l2::entries(after)).empty());
}

TEST(ModelDiff, ADisabledPortIsAnEmptySlot) {
    l2::Switch sw;
    sw.ports[3] = l2::Port{false, false, {}};
    EXPECT_FALSE(l2::entries(sw).find(l2::kPorts, 3u)) << "all zero: what hoverd reports as no entry";
    EXPECT_TRUE(hover::model::diff(l2::kType, {}, l2::entries(sw)).empty());
}

// Applying each step's diff to what was installed gives exactly what a full
// recompute gives: incremental equals full.
TEST(ModelDiff, AppliedDiffsEqualTheDesiredState) {
    std::vector<l2::Switch> steps(4, securedSwitch());
    steps[1].ports[0].security.clear();
    steps[2].ports.erase(1);
    steps[3].ports[5] = l2::Port{true, true, {}};
    steps[3].addresses.push_back({5, {mac("02:00:00:00:00:05"), {}, {}}, false});
    Entries installed;
    for (const auto &sw : steps) {
        installed = applied(installed, hover::model::diff(l2::kType, installed, l2::entries(sw)));
        EXPECT_EQ(installed, l2::entries(sw));
    }
}

// A shared table's map keys carry the instance's module id; an LPM key's
// prefix then counts its 32 bits too, so instances never match each other.
TEST(ModelSharedTables, KeysCarryTheInstanceAndComeBackOnlyToIt) {
    const auto &fip = hover::model::nat::kFipIn.desc;
    const Bytes ip = bytesOf(uint32_t{0x0a000001});
    const Bytes shared = hover::model::sharedKey(fip, 7, ip).value();
    EXPECT_EQ(shared, Bytes({7, 0, 0, 0, 1, 0, 0, 0x0a}));
    EXPECT_EQ(hover::model::instanceKey(fip, 7, shared), ip);
    EXPECT_EQ(hover::model::instanceKey(fip, 8, shared), std::nullopt) << "another instance's entry";

    const auto &snat = hover::model::nat::kSnatRules.desc;
    const Bytes prefix = bytesOf(nat_snat_key{24, 0x0000000a});
    const Bytes lpm = hover::model::sharedKey(snat, 7, prefix).value();
    EXPECT_EQ(lpm, Bytes({56, 0, 0, 0, 7, 0, 0, 0, 0x0a, 0, 0, 0})) << "prefixlen 24 + 32, then the module id";
    EXPECT_EQ(hover::model::instanceKey(snat, 7, lpm), prefix);
    EXPECT_EQ(hover::model::instanceKey(snat, 9, lpm), std::nullopt);
}

// A shared array gives each instance its own row of slots: the index is the
// module's row plus the slot, a slot past the row is no key at all (it would
// be another instance's), and an index comes back only to its row's owner.
TEST(ModelSharedTables, ArraySlotsAreTheInstancesRow) {
    const auto &ports = l2::kPorts.desc;
    ASSERT_EQ(ports.slots, uint32_t{IOV_MAX_PORTS});
    EXPECT_EQ(hover::model::mapKeySize(ports), 4u) << "an index, like the slot";
    const Bytes index = hover::model::sharedKey(ports, 3, bytesOf(uint32_t{5})).value();
    EXPECT_EQ(index, bytesOf(uint32_t{IOV_PORT_SLOT(3, 5)}));
    EXPECT_EQ(hover::model::instanceKey(ports, 3, index), bytesOf(uint32_t{5}));
    EXPECT_EQ(hover::model::instanceKey(ports, 4, index), std::nullopt);
    EXPECT_EQ(hover::model::sharedKey(ports, 3, bytesOf(uint32_t{IOV_MAX_PORTS})), std::nullopt);
    EXPECT_EQ(hover::model::sharedKey(ports, 3, Bytes{1, 0}), std::nullopt) << "not a u32";
    const auto &gen = hover::model::kConfigGen.desc;
    EXPECT_EQ(hover::model::sharedKey(gen, 9, bytesOf(uint32_t{0})), bytesOf(uint32_t{9}));
}

TEST(ModelRules, LearnedEntriesAreTheDatapaths) {
    EXPECT_TRUE(l2::kFdb.desc.learned(hover::model::bytesOf(l2_fdb_entry{1, L2_FDB_LEARNED}).data()));
    EXPECT_FALSE(l2::kFdb.desc.learned(hover::model::bytesOf(l2_fdb_entry{1, L2_FDB_STATIC}).data()));
    rt_neigh n{};
    n.flags = RT_NEIGH_LEARNED;
    EXPECT_TRUE(rt::kNeighbors.desc.learned(hover::model::bytesOf(n).data()));
    EXPECT_EQ(l2::kPorts.desc.learned, nullptr);
}

TEST(ModelRules, ARouteLeavesByTheLongestNetworkHoldingItsNextHop) {
    rt::Router r;
    r.ports[0] = rt::Port{mac("02:00:00:00:aa:01"), true, {{ip4("10.0.0.1"), 8}}, {}};
    r.ports[1] = rt::Port{mac("02:00:00:00:aa:02"), true, {{ip4("10.1.0.1"), 16}}, {}};
    const auto via = rt::routeEntry(r, rt::Route{{ip4("192.168.0.0"), 16}, ip4("10.1.2.3"), std::nullopt});
    ASSERT_TRUE(via);
    EXPECT_EQ(via->port, 1u);
    EXPECT_EQ(via->src, ip4("10.1.0.1"));
    EXPECT_EQ(rt::routeEntry(r, rt::Route{{0, 0}, ip4("10.1.2.3"), 0u})->port, 0u) << "output_port wins";
    EXPECT_FALSE(rt::routeEntry(r, rt::Route{{0, 0}, ip4("172.16.0.1"), std::nullopt})) << "unreachable next hop";
    EXPECT_FALSE(rt::routeEntry(r, rt::Route{{0, 0}, ip4("10.1.2.3"), 5u})) << "an output port the router lacks";
}

TEST(ModelRules, RouterPortsGiveAddressesConnectedRoutesAndTheLinkLocalAddress) {
    rt::Router r;
    r.ports[2] = rt::Port{mac("02:00:00:00:aa:01"), true, {{ip4("10.0.0.254"), 24}}, {{*iovisor::parseIpv6("fd00::1"), 64}}};
    const Entries e = rt::entries(r);
    EXPECT_EQ(e.find(rt::kAddrs, ip4("10.0.0.254"))->port, 2u);
    const auto connected = e.find(rt::kRoutes, rt_route_key{24, ip4("10.0.0.0")});
    ASSERT_TRUE(connected);
    EXPECT_EQ(connected->type, static_cast<uint32_t>(RT_ROUTE_CONNECTED));
    EXPECT_EQ(e.list(rt::kAddrs6).size(), 2u) << "fd00::1 and fe80::ff:fe00:aa01";
}

}  // namespace
