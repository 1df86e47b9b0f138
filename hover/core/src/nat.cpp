#include "hover/nat.h"

#include <arpa/inet.h>

#include <cstring>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;

namespace {
nat_snat_key snatKey(const iovisor::Ipv4Prefix &p) {
    nat_snat_key key{};
    key.prefixlen = p.len;
    key.addr = iovisor::networkOf(p);
    return key;
}
}  // namespace

Status Nat::addSnat(const iovisor::Ipv4Prefix &inside, uint32_t external_ip, uint16_t port_min, uint16_t port_max) {
    const Module::ConfigChange change{module_};
    if (port_min == 0 || port_min > port_max)
        return makeError(Errc::kInvalid, "SNAT port range " + std::to_string(port_min) + "-" +
                                             std::to_string(port_max) + " is empty or starts at 0");
    auto rules = module_.map<nat_snat_key, nat_snat>("snat_rules");
    if (!rules.ok()) return rules.error();
    return rules->update(snatKey(inside), nat_snat{external_ip, port_min, port_max});
}

Status Nat::removeSnat(const iovisor::Ipv4Prefix &inside) {
    const Module::ConfigChange change{module_};
    auto rules = module_.map<nat_snat_key, nat_snat>("snat_rules");
    if (!rules.ok()) return rules.error();
    return rules->remove(snatKey(inside));
}

Status Nat::addDnat(uint32_t external_ip, uint32_t logical_ip) {
    const Module::ConfigChange change{module_};
    auto rules = module_.map<uint32_t, nat_dnat>("dnat_rules");
    if (!rules.ok()) return rules.error();
    return rules->update(external_ip, nat_dnat{logical_ip});
}

Status Nat::removeDnat(uint32_t external_ip) {
    const Module::ConfigChange change{module_};
    auto rules = module_.map<uint32_t, nat_dnat>("dnat_rules");
    if (!rules.ok()) return rules.error();
    return rules->remove(external_ip);
}

Status Nat::addDnatAndSnat(uint32_t external_ip, uint32_t logical_ip) {
    const Module::ConfigChange change{module_};
    auto in = module_.map<uint32_t, nat_fip>("fip_in");
    auto out = module_.map<uint32_t, nat_fip>("fip_out");
    if (!in.ok()) return in.error();
    if (!out.ok()) return out.error();
    if (auto s = out->update(logical_ip, nat_fip{external_ip}); !s.ok()) return s;
    return in->update(external_ip, nat_fip{logical_ip});
}

Status Nat::removeDnatAndSnat(uint32_t external_ip) {
    const Module::ConfigChange change{module_};
    auto in = module_.map<uint32_t, nat_fip>("fip_in");
    auto out = module_.map<uint32_t, nat_fip>("fip_out");
    if (!in.ok()) return in.error();
    if (!out.ok()) return out.error();
    auto logical = in->lookup(external_ip);
    if (!logical.ok()) return logical.error();
    if (auto s = in->remove(external_ip); !s.ok()) return s;
    return out->remove(logical->addr);
}

Status Nat::addArpExternal(uint32_t external_ip, const iovisor::Mac &mac) {
    const Module::ConfigChange change{module_};
    auto arp = module_.map<uint32_t, nat_arp>("arp_external");
    if (!arp.ok()) return arp.error();
    nat_arp entry{};
    std::memcpy(entry.mac, mac.data(), 6);
    return arp->update(external_ip, entry);
}

Status Nat::removeArpExternal(uint32_t external_ip) {
    const Module::ConfigChange change{module_};
    auto arp = module_.map<uint32_t, nat_arp>("arp_external");
    if (!arp.ok()) return arp.error();
    return arp->remove(external_ip);
}

iovisor::Result<std::vector<Nat::Connection>> Nat::connections() const {
    auto ct = module_.map<nat_ct_key, nat_ct_entry>("conntrack");
    if (!ct.ok()) return ct.error();
    std::vector<Connection> out;
    for (const auto &key : ct->keys()) {
        auto entry = ct->lookup(key);
        if (entry.ok()) out.push_back({key, *entry});
    }
    return out;
}

}  // namespace hover
