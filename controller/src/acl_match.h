// OVN's match language (ovn-sb(5) "Logical_Flow match") for ACLs, compiled
// to the l2switch's classifier rules (hover/model/acl.h). Parsing is done
// once per ACL: negations are pushed down to the comparisons and each
// comparison keeps its prerequisites un-negated, as OVN does (`!tcp` is
// `ip && ip.proto != 6`; `tcp.dst != 80` is `tcp && tcp.dst != 80`).
// `inport`/`outport` tests stay symbolic until the port a policy is for is
// known (termsFor). What the datapath cannot match is an error naming it:
// the caller fails those ports closed.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "hover/model/acl.h"
#include "iovisor/result.h"

namespace ctl::acl {

namespace model = hover::model::acl;

struct Expr {
    enum class Kind { kTrue, kFalse, kAnd, kOr, kLit, kPort };
    Kind kind = Kind::kTrue;
    std::vector<Expr> kids;             // kAnd, kOr
    model::Literal lit;                 // kLit
    std::vector<Expr> prereqs;          // kLit: holds only together with these (never negated)
    bool outport = false;               // kPort: which port is tested
    std::set<std::string> ports;        // kPort: names it is one of
    bool negate = false;                // kPort
};

// What names in a match refer to.
struct Names {
    const std::map<std::string, std::vector<std::string>> *port_groups = nullptr;   // @name -> port names
    const std::map<std::string, std::vector<std::string>> *address_sets = nullptr;  // $name -> addresses
};

iovisor::Result<Expr> parseMatch(const std::string &match, const Names &names);
// The address sets `match` names ($name); none if it does not tokenize.
std::set<std::string> addressSetsNamed(const std::string &match);

// The match for packets of `port` in direction `dir` (ACL_DIR_*: `inport`
// is the port from-lport, `outport` to-lport) as terms of literals; none:
// it never matches there.
iovisor::Result<std::vector<model::Term>> termsFor(const Expr &expr, const std::string &port, uint8_t dir);

// An ACL as written (fixtures, benchmarks): ACL_* action, ACL_DIR_* direction.
struct AclText {
    int64_t priority;
    uint8_t action;
    uint8_t dir;
    std::string match;
};
// The policy of `port` in direction `dir` from `acls` (numbered from 1 in
// their order); fails on the first match that does not compile.
iovisor::Result<model::Policy> policyFor(const std::vector<AclText> &acls, const std::string &port, uint8_t dir,
                                         const Names &names);

}  // namespace ctl::acl
