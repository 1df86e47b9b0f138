// OVN's DNS records (ovn-nb(5) DNS, Logical_Switch dns_records) as what the
// switch answers its ports' queries with (ovn-controller's dns_lookup in
// pinctrl): per record name, A and AAAA records of its addresses and a PTR
// record of its value, TTL 3600, computed once per change instead of per
// query.
#pragma once

#include <string>
#include <vector>

#include "hover/model/l2switch.h"
#include "ovnmon/state.h"

namespace ctl {

struct DnsProblem {
    std::string name, error;
};

// The records of `rows` (a switch's, in its order: the first of two equal
// names wins). Names the datapath cannot hold (longer than 128 bytes in
// wire format, a label over 63) or that no query can match (an empty label)
// are left out and reported.
std::vector<hover::model::l2switch::DnsRecord> dnsRecords(const std::vector<const ovnmon::Dns *> &rows,
                                                         std::vector<DnsProblem> *problems);

}  // namespace ctl
