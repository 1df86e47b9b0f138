#include "translate_acl.h"

#include <algorithm>
#include <set>

#include "acl_match.h"
#include "iovisor/net.h"

namespace ctl {

using ovnmon::Acl;
using ovnmon::NbState;
namespace model = hover::model::acl;

namespace {

uint8_t actionOf(const std::string &action) {
    if (action == "allow") return ACL_ALLOW;
    if (action == "allow-related") return ACL_ALLOW_RELATED;
    if (action == "allow-stateless") return ACL_ALLOW_STATELESS;
    if (action == "drop") return ACL_DROP;
    if (action == "reject") return ACL_REJECT;
    return ACL_UNSUPPORTED;
}

void portAddresses(const ovnmon::LogicalSwitchPort &lsp, std::vector<std::string> &v4, std::vector<std::string> &v6) {
    std::vector<std::string> entries = lsp.addresses;
    if (!lsp.dynamic_addresses.empty()) entries.push_back(lsp.dynamic_addresses);
    for (const auto &entry : entries) {
        size_t start = 0;
        while (start < entry.size()) {
            size_t end = entry.find(' ', start);
            if (end == std::string::npos) end = entry.size();
            const std::string word = entry.substr(start, end - start);
            if (iovisor::parseIpv4(word)) v4.push_back(word);
            else if (iovisor::parseIpv6(word)) v6.push_back(word);
            start = end + 1;
        }
    }
}

// An ACL of the switch, parsed, and the ports it may apply to.
struct SwitchAcl {
    const Acl *acl = nullptr;
    uint32_t number = 0;
    const iovisor::Result<acl::Expr> *expr = nullptr;  // in AclNames::parsed
    std::set<std::string> scope;  // the port groups whose ports it is for; empty: every port
};

// An ACL's number in the datapath (verdicts, hit counters): from its uuid,
// so it stays with the ACL whatever else is added or removed.
uint32_t aclNumber(const std::string &uuid) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : uuid) h = (h ^ uint8_t(c)) * 16777619u;
    return h | 1;
}

// The switch's ACLs: its own, and those of the port groups of its ports.
std::vector<SwitchAcl> aclsOf(const NbState &nb, const ovnmon::LogicalSwitch &ls, const AclNames &names) {
    std::map<std::string, std::set<std::string>> scopes;  // acl uuid -> its port groups
    for (const auto &uuid : ls.acls) scopes[uuid];
    std::set<std::string> groups;
    for (const auto &port : ls.ports)
        if (auto g = names.groups_of_port.find(port); g != names.groups_of_port.end())
            groups.insert(g->second.begin(), g->second.end());
    for (const auto &name : groups)
        if (auto pg = nb.port_groups.find(name); pg != nb.port_groups.end())
            for (const auto &uuid : pg->second.acls) scopes[uuid].insert(name);
    std::vector<SwitchAcl> out;
    const acl::Names refs{&names.port_groups, &names.address_sets};
    for (const auto &[uuid, scope] : scopes) {
        auto it = nb.acls.find(uuid);
        if (it == nb.acls.end()) continue;
        SwitchAcl a;
        a.acl = &it->second;
        a.number = aclNumber(uuid);
        auto parsed = names.parsed.find(uuid);
        if (parsed == names.parsed.end()) parsed = names.parsed.emplace(uuid, acl::parseMatch(it->second.match, refs)).first;
        a.expr = &parsed->second;
        a.scope = std::count(ls.acls.begin(), ls.acls.end(), uuid) ? std::set<std::string>{} : scope;
        out.push_back(std::move(a));
    }
    return out;
}

bool inScope(const SwitchAcl &a, const AclNames &names, const std::string &lsp_uuid) {
    if (a.scope.empty()) return true;
    auto groups = names.groups_of_port.find(lsp_uuid);
    if (groups == names.groups_of_port.end()) return false;
    return std::any_of(groups->second.begin(), groups->second.end(),
                       [&](const std::string &g) { return a.scope.count(g) > 0; });
}

// What `a` is for `lsp`'s packets in direction `dir`: none if it is not
// that direction's or the port is outside its port groups; else its terms
// (empty: it never matches them) or why it cannot be applied.
struct ForPort {
    bool applies = false;
    std::vector<model::Term> terms;
    std::string error;
};
ForPort forPort(const SwitchAcl &a, const AclNames &names, const ovnmon::LogicalSwitchPort &lsp, uint8_t dir) {
    ForPort out;
    const char *direction = dir == ACL_DIR_FROM_LPORT ? "from-lport" : "to-lport";
    if (a.acl->direction != direction || !inScope(a, names, lsp.uuid)) return out;
    out.applies = true;
    const auto &expr = *a.expr;
    auto terms = expr ? acl::termsFor(*expr, lsp.name, dir) : iovisor::Result<std::vector<model::Term>>(expr.error());
    if (!terms) out.error = terms.error().message;
    else if (actionOf(a.acl->action) == ACL_UNSUPPORTED) out.error = "action " + a.acl->action + " is not supported";
    else out.terms = std::move(*terms);
    return out;
}

// The rules of `lsp` in direction `dir`; what cannot be applied drops
// everything at its priority (fail closed).
model::Policy policyOf(const std::vector<SwitchAcl> &acls, const AclNames &names, const ovnmon::LogicalSwitchPort &lsp,
                       uint8_t dir,
                       const std::map<uint32_t, uint16_t> &meters, std::vector<AclProblem> *problems) {
    model::Policy policy;
    for (const auto &a : acls) {
        ForPort f = forPort(a, names, lsp, dir);
        if (!f.applies) continue;
        model::Rule rule{a.acl->priority, actionOf(a.acl->action), a.number, std::move(f.terms)};
        if (dir == ACL_DIR_FROM_LPORT && a.acl->apply_after_lb) rule.stage = model::kAfterLb;
        rule.log = a.acl->log;
        if (auto m = meters.find(a.number); m != meters.end()) rule.meter = m->second;
        if (!f.error.empty()) {
            if (problems) problems->push_back({a.acl->uuid, a.acl->match, f.error});
            rule.action = ACL_UNSUPPORTED;
            rule.any = {model::Term{}};
        }
        if (!rule.any.empty()) policy.rules.push_back(std::move(rule));
    }
    return policy;
}

uint32_t contentId(const model::Policy &policy);

// The switch's log names and meters: each ACL with `log` gets its name and
// severity, and a bucket of its meter (one per meter, one per ACL of a
// `fair` one); returns the buckets by ACL number. A meter OVN would not use
// (no such name, no band) leaves the log unmetered, as in OVN.
std::map<uint32_t, uint16_t> logMeters(const NbState &nb, const std::vector<SwitchAcl> &acls,
                                       hover::model::l2switch::Switch &sw, std::vector<AclProblem> *problems) {
    std::map<uint32_t, uint16_t> of_acl;
    std::map<std::string, uint16_t> buckets;
    for (const auto &a : acls) {
        if (!a.acl->log) continue;
        sw.acl_logs[a.number] = {a.acl->name, hover::model::l2switch::severityLevel(a.acl->severity)};
        auto m = nb.meters.find(a.acl->meter);
        if (m == nb.meters.end() || m->second.rate <= 0) continue;
        if (m->second.unit != "pktps") {
            problems->push_back({a.acl->uuid, a.acl->match, "meter " + m->first + ": only pktps meters limit ACL logs; "
                                                            "logged without a limit"});
            continue;
        }
        const std::string key = m->second.fair ? m->first + "/" + a.acl->uuid : m->first;
        auto [it, fresh] = buckets.emplace(key, uint16_t(buckets.size() + 1));
        if (fresh) sw.log_meters[it->second] = {uint32_t(std::min<int64_t>(m->second.rate, UINT32_MAX)),
                                                uint32_t(std::min<int64_t>(m->second.burst, UINT32_MAX))};
        of_acl[a.number] = it->second;
    }
    return of_acl;
}

// The ids given to the switch's policies, by content id: a policy is
// compared in full only with those of its content id (ports of one group
// share policies of thousands of prefixes; ordering them cost more).
using PolicyIds = std::map<uint32_t, std::vector<uint32_t>>;

// The policy's id in the switch: its content id, the next free one on a
// collision with another policy.
uint32_t policyId(model::Policy &policy, PolicyIds &ids, hover::model::l2switch::Switch &sw) {
    const uint32_t content = contentId(policy);
    std::vector<uint32_t> &same = ids[content];
    for (uint32_t id : same)
        if (sw.policies.at(id) == policy) return id;
    uint32_t id = content;
    while (sw.policies.count(id) || id == 0) ++id;
    same.push_back(id);
    sw.policies[id] = std::move(policy);
    return id;
}

// A policy's id from what it does (not from the ACLs' numbers): a changed
// policy gets a new id, so a port switches from the old complete policy to
// the new complete one in one write (the model writes new entries before
// it removes old ones), never through a half-written one.
uint32_t contentId(const model::Policy &policy) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    auto mix = [&](uint64_t v) {
        for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211ull;
    };
    for (const auto &rule : policy.rules) {
        mix(uint64_t(rule.priority));
        mix(rule.action);
        mix(rule.stage);
        mix(rule.log);
        mix(rule.meter);
        for (const auto &term : rule.any) {
            mix(0x7e);
            for (const auto &lit : term) {
                mix(uint64_t(lit.field) << 8 | lit.negate);
                for (const auto &p : lit.prefixes) {
                    mix(p.len);
                    for (uint8_t b : p.data) mix(b);
                }
            }
        }
    }
    return uint32_t(h ^ (h >> 32)) | 1;  // never 0 (no policy)
}

}  // namespace

AclNames aclNames(const NbState &nb) {
    AclNames n;
    for (const auto &[name, as] : nb.address_sets) n.address_sets[name] = as.addresses;
    for (const auto &[name, pg] : nb.port_groups) {
        auto &ports = n.port_groups[name];
        auto &v4 = n.address_sets[name + "_ip4"];
        auto &v6 = n.address_sets[name + "_ip6"];
        for (const auto &uuid : pg.ports) {
            auto it = nb.switch_ports.find(uuid);
            if (it == nb.switch_ports.end()) continue;
            ports.push_back(it->second.name);
            portAddresses(it->second, v4, v6);
            n.groups_of_port[uuid].push_back(name);
        }
    }
    return n;
}

void switchAcls(const NbState &nb, const AclNames &names, const ovnmon::LogicalSwitch &ls, const SwitchPorts &ports,
                hover::model::l2switch::Switch &sw, std::vector<AclProblem> *problems, std::set<std::string> *sets_named) {
    if (ls.acls.empty() && nb.port_groups.empty()) return;
    const auto acls = aclsOf(nb, ls, names);
    if (acls.empty()) return;
    for (const auto &a : acls)
        for (auto &name : acl::addressSetsNamed(a.acl->match)) sets_named->insert(std::move(name));
    const bool stateful =
        std::any_of(acls.begin(), acls.end(), [](const SwitchAcl &a) { return a.acl->action == "allow-related"; });
    PolicyIds ids;
    std::vector<AclProblem> found;
    const auto meters = logMeters(nb, acls, sw, &found);
    for (const auto &[port, lsp] : ports) {
        auto &p = sw.ports[port];
        for (const uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)}) {
            model::Policy policy = policyOf(acls, names, *lsp, dir, meters, &found);
            uint32_t id = 0;
            if (!policy.rules.empty()) id = policyId(policy, ids, sw);
            (dir == ACL_DIR_FROM_LPORT ? p.acl_from : p.acl_to) = id;
        }
        p.acl_track = stateful && lsp->type != "router" && lsp->type != "localnet";
    }
    if (problems) {  // once per ACL and error, not per port
        std::sort(found.begin(), found.end(), [](const AclProblem &a, const AclProblem &b) {
            return std::tie(a.acl, a.error) < std::tie(b.acl, b.error);
        });
        found.erase(std::unique(found.begin(), found.end(),
                                [](const AclProblem &a, const AclProblem &b) { return a.acl == b.acl && a.error == b.error; }),
                    found.end());
        problems->insert(problems->end(), found.begin(), found.end());
    }
}

std::map<std::string, std::vector<AclInForce>> aclsInForce(const NbState &nb, const ovnmon::LogicalSwitch &ls) {
    std::map<std::string, std::vector<AclInForce>> out;
    if (ls.acls.empty() && nb.port_groups.empty()) return out;
    const AclNames names = aclNames(nb);
    const auto acls = aclsOf(nb, ls, names);
    for (const auto &uuid : ls.ports) {
        auto lsp = nb.switch_ports.find(uuid);
        if (lsp == nb.switch_ports.end()) continue;
        auto &list = out[uuid];
        for (const auto &a : acls)
            for (const uint8_t dir : {uint8_t(ACL_DIR_FROM_LPORT), uint8_t(ACL_DIR_TO_LPORT)}) {
                const ForPort f = forPort(a, names, lsp->second, dir);
                if (!f.applies || (f.error.empty() && f.terms.empty())) continue;  // never matches its packets
                const bool after_lb = dir == ACL_DIR_FROM_LPORT && a.acl->apply_after_lb;  // its own stage
                list.push_back({a.acl->uuid, a.acl->name, a.acl->direction + (after_lb ? " after-lb" : ""),
                                a.acl->action, a.acl->match, f.error, a.acl->priority, a.number});
            }
        std::stable_sort(list.begin(), list.end(), [](const AclInForce &x, const AclInForce &y) {
            return std::tie(x.direction, y.priority) < std::tie(y.direction, x.priority);
        });
    }
    return out;
}

}  // namespace ctl
