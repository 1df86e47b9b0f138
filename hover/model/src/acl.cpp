#include "hover/model/acl.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "hover/model/l2switch.h"

namespace hover::model::acl {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;

bool Literal::operator<(const Literal &o) const {
    return std::tie(field, prefixes, negate) < std::tie(o.field, o.prefixes, o.negate);
}
bool Literal::operator==(const Literal &o) const {
    return field == o.field && prefixes == o.prefixes && negate == o.negate;
}
bool Rule::operator<(const Rule &o) const {
    return std::tie(priority, action, acl, any, stage, log, meter) <
           std::tie(o.priority, o.action, o.acl, o.any, o.stage, o.log, o.meter);
}
bool Rule::operator==(const Rule &o) const {
    return priority == o.priority && action == o.action && acl == o.acl && any == o.any && stage == o.stage &&
           log == o.log && meter == o.meter;
}

namespace {

constexpr size_t kMaxRuleEntries = 1u << 20;  // acl_rules' size: a policy may not take it all
constexpr uint32_t kMaxClasses = 0xffff;       // a class id is a u16

Prefix truncated(const Prefix &p, uint32_t len) {
    Prefix t;
    t.len = len;
    for (uint32_t i = 0; i < len / 8; ++i) t.data[i] = p.data[i];
    if (len % 8) t.data[len / 8] = uint8_t(p.data[len / 8] & (0xff << (8 - len % 8)));
    return t;
}

// The classes of one field under one policy.
struct FieldClasses {
    std::map<std::vector<Prefix>, size_t> constraints;  // distinct prefix sets -> index
    std::map<Prefix, uint16_t> lpm;                       // prefix -> class
    std::vector<std::vector<size_t>> meets;               // class -> constraints it meets, sorted (class 0: none)
    std::vector<std::vector<uint16_t>> met_by;            // constraint -> the classes meeting it
};

FieldClasses classesOf(uint8_t field, const Policy &policy) {
    FieldClasses fc;
    std::map<Prefix, std::set<size_t>> direct;
    for (const auto &rule : policy.rules)
        for (const auto &term : rule.any)
            for (const auto &lit : term) {
                if (lit.field != field) continue;
                const size_t c = fc.constraints.emplace(lit.prefixes, fc.constraints.size()).first->second;
                for (const auto &p : lit.prefixes) direct[p].insert(c);
            }
    std::set<uint32_t> lengths;
    for (const auto &[p, cs] : direct) lengths.insert(p.len);
    std::map<std::vector<size_t>, uint16_t> ids;
    fc.meets.emplace_back();
    fc.met_by.resize(fc.constraints.size());
    for (const auto &[p, own] : direct) {
        std::set<size_t> met;
        for (uint32_t len : lengths) {
            if (len > p.len) break;
            auto it = direct.find(truncated(p, len));
            if (it != direct.end()) met.insert(it->second.begin(), it->second.end());
        }
        const std::vector<size_t> key(met.begin(), met.end());
        auto [it, fresh] = ids.emplace(key, uint16_t(std::min<size_t>(fc.meets.size(), kMaxClasses)));
        if (fresh) {
            for (size_t c : key) fc.met_by[c].push_back(it->second);
            fc.meets.push_back(key);
        }
        fc.lpm[p] = it->second;
    }
    return fc;
}

struct Best {
    int64_t priority;
    uint8_t action;
    uint32_t acl;
    bool log;
    uint16_t meter;
};
using ClassKey = std::array<uint16_t, ACL_FIELDS>;

// The classes of `field` that meet every literal of `term` on it.
// Candidates are the classes meeting one of its positive literals, if any
// (few, usually), else every class.
std::vector<uint16_t> allowedClasses(uint8_t field, const FieldClasses &fc, const Term &term) {
    std::vector<size_t> constraints;
    const std::vector<uint16_t> *candidates = nullptr;
    for (const auto &lit : term) {
        if (lit.field != field) continue;
        constraints.push_back(fc.constraints.at(lit.prefixes));
        if (!lit.negate && !candidates) candidates = &fc.met_by[constraints.back()];
    }
    std::vector<uint16_t> all;
    if (!candidates) {
        for (size_t c = 0; c < fc.meets.size(); ++c) all.push_back(uint16_t(c));
        candidates = &all;
    }
    std::vector<uint16_t> out;
    for (uint16_t c : *candidates) {
        bool ok = true;
        size_t i = 0;
        for (const auto &lit : term)
            if (lit.field == field &&
                std::binary_search(fc.meets[c].begin(), fc.meets[c].end(), constraints[i++]) == lit.negate)
                ok = false;
        if (ok) out.push_back(c);
    }
    return out;
}

// Every combination of the allowed classes gets the rule unless a better one has it.
Status spread(std::map<ClassKey, Best> &rules, const std::vector<std::pair<uint8_t, std::vector<uint16_t>>> &allowed,
              size_t i, ClassKey &key, const Best &best) {
    if (i == allowed.size()) {
        auto [it, fresh] = rules.emplace(key, best);
        if (!fresh && it->second.priority < best.priority) it->second = best;
        if (rules.size() > kMaxRuleEntries) return makeError(Errc::kTooLarge, "ACL classifier over its size");
        return Status::success();
    }
    for (uint16_t c : allowed[i].second) {
        key[allowed[i].first] = c;
        Status s = spread(rules, allowed, i + 1, key, best);
        if (!s) return s;
    }
    key[allowed[i].first] = 0;
    return Status::success();
}

bool blocks(uint8_t action) { return action == ACL_DROP || action == ACL_REJECT || action == ACL_UNSUPPORTED; }

// The verdict of a packet that meets `before` in the first stage and `after`
// in the second (either may be none: no ACL of that stage matches): the
// first stage's block, else the second's; else the allow that tracks.
std::map<ClassKey, Best> composed(std::map<ClassKey, Best> before, const std::map<ClassKey, Best> &after) {
    for (const auto &[key, second] : after) {
        auto [it, alone] = before.emplace(key, second);
        const Best &first = it->second;
        if (alone || blocks(first.action)) continue;
        if (blocks(second.action) || (second.action == ACL_ALLOW_RELATED && first.action == ACL_ALLOW))
            it->second = second;
    }
    return before;
}

void putClasses(Entries &out, uint32_t id, uint8_t field, const FieldClasses &fc) {
    for (const auto &[prefix, cls] : fc.lpm) {
        acl_class_key key{};
        key.prefixlen = 32 + 16 + prefix.len;
        key.policy = id;
        key.field = field;
        std::copy(prefix.data.begin(), prefix.data.end(), key.data);
        out.put(l2switch::kAclClasses, key, acl_class{cls});
    }
}

}  // namespace

Status compile(Entries &out, uint32_t id, const Policy &policy, uint16_t &fields) {
    fields = 0;
    std::map<uint8_t, FieldClasses> classes;
    for (const auto &rule : policy.rules)
        for (const auto &term : rule.any)
            for (const auto &lit : term) fields |= uint16_t(1u << lit.field);
    for (uint8_t f = 0; f < ACL_FIELDS; ++f) {
        if (!(fields & (1u << f))) continue;
        classes[f] = classesOf(f, policy);
        if (classes[f].meets.size() > kMaxClasses)
            return makeError(Errc::kTooLarge, "ACL field " + std::to_string(f) + " has more than 65535 classes");
    }
    std::vector<const Rule *> order;
    for (const auto &rule : policy.rules) order.push_back(&rule);
    std::stable_sort(order.begin(), order.end(), [](const Rule *a, const Rule *b) { return a->priority > b->priority; });
    std::map<ClassKey, Best> stages[2];
    for (const Rule *rule : order)
        for (const auto &term : rule->any) {
            std::vector<std::pair<uint8_t, std::vector<uint16_t>>> allowed;
            for (const auto &[f, fc] : classes) allowed.emplace_back(f, allowedClasses(f, fc, term));
            ClassKey key{};
            const Best best{rule->priority, rule->action, rule->acl, rule->log, rule->meter};
            Status s = spread(stages[rule->stage], allowed, 0, key, best);
            if (!s) return s;
        }
    const std::map<ClassKey, Best> rules = composed(stages[kBeforeLb], stages[kAfterLb]);
    if (rules.size() > kMaxRuleEntries) return makeError(Errc::kTooLarge, "ACL classifier over its size");
    for (const auto &[f, fc] : classes) putClasses(out, id, f, fc);
    for (const auto &[key, best] : rules) {
        acl_rule_key k{};
        k.policy = id;
        std::copy(key.begin(), key.end(), k.classes);
        acl_verdict v{};
        v.acl = best.acl;
        v.action = best.action;
        v.flags = best.log ? ACL_VERDICT_LOG : 0;
        v.meter = best.log ? best.meter : 0;
        out.put(l2switch::kAclRules, k, v);
    }
    return Status::success();
}

}  // namespace hover::model::acl
