// ACL policies of the l2switch (bpf/lib/acl.h) and how they become its
// classifier tables. A policy is what one port has in one direction: rules
// in disjunctive normal form over the datapath's fields (lib/tables.h
// ACL_F_*). Each field gets classes (which of the policy's constraints on
// that field a value meets), the LPM entries of acl_classes map values to
// them, and acl_rules holds, for every combination of classes some rule
// meets, the highest-priority rule's action: a packet costs one lookup per
// field and one for the verdict, whatever the number of rules.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hover/model/table.h"
#include "iovisor/result.h"
#include "lib/tables.h"

namespace hover::model::acl {

// A value prefix of a field, in the field's key layout (ACL_F_* in tables.h).
struct Prefix {
    std::array<uint8_t, ACL_CLASS_DATA> data{};
    uint32_t len = 0;  // bits
    bool operator<(const Prefix &o) const { return len != o.len ? len < o.len : data < o.data; }
    bool operator==(const Prefix &o) const { return len == o.len && data == o.data; }
};

// The field's value lies under one of `prefixes` (or, `negate`d, under none).
struct Literal {
    uint8_t field = 0;
    std::vector<Prefix> prefixes;  // sorted, distinct
    bool negate = false;
    bool operator<(const Literal &o) const;
    bool operator==(const Literal &o) const;
};

using Term = std::vector<Literal>;  // all of them

// OVN evaluates from-lport ACLs in two stages, before and after load
// balancing (options:apply-after-lb), each with its own priorities: a
// packet must pass both.
enum Stage : uint8_t { kBeforeLb = 0, kAfterLb = 1 };

struct Rule {
    int64_t priority = 0;
    uint8_t action = 0;   // ACL_ALLOW...
    uint32_t acl = 0;     // the ACL's number in the switch
    std::vector<Term> any;  // empty: never matches; one empty term: always
    Stage stage = kBeforeLb;
    bool log = false;    // the packets it decides are logged (ACL_VERDICT_LOG)
    uint16_t meter = 0;  // at the rate of this bucket of the switch's log meters (0: every one)
    bool operator<(const Rule &o) const;
    bool operator==(const Rule &o) const;
};

// The rules of one port in one direction.
struct Policy {
    std::vector<Rule> rules;
    bool operator<(const Policy &o) const { return rules < o.rules; }
    bool operator==(const Policy &o) const { return rules == o.rules; }
};

// acl_classes and acl_rules entries of `policy` under the id `id` (its two
// stages composed into one verdict per combination of classes); the
// fields it reads (1 << ACL_F_*) in `fields`. Fails if a field has more
// classes than a key holds.
iovisor::Status compile(Entries &out, uint32_t id, const Policy &policy, uint16_t &fields);

}  // namespace hover::model::acl
