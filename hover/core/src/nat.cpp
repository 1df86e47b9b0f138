#include "hover/nat.h"

#include <algorithm>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Status;
namespace nat = model::nat;

namespace {
// A rule that is not there cannot be removed: say so, as a map would.
Status erased(size_t count, const std::string &what, uint32_t ip) {
    if (count) return {};
    return makeError(Errc::kNotFound, "no " + what + " for " + iovisor::formatIpv4(ip));
}
}  // namespace

Status Nat::sync() { return module_.sync(nat::kType, &installed_, nat::entries(nat_)); }

Status Nat::addSnat(const iovisor::Ipv4Prefix &inside, uint32_t external_ip, uint16_t port_min, uint16_t port_max) {
    if (port_min == 0 || port_min > port_max)
        return makeError(Errc::kInvalid, "SNAT port range " + std::to_string(port_min) + "-" +
                                             std::to_string(port_max) + " is empty or starts at 0");
    (void)removeSnat(inside);
    nat_.snat.push_back({inside, external_ip, port_min, port_max});
    return sync();
}

Status Nat::removeSnat(const iovisor::Ipv4Prefix &inside) {
    auto &s = nat_.snat;
    const size_t before = s.size();
    s.erase(std::remove_if(s.begin(), s.end(), [&](const nat::Snat &r) { return iovisor::sameNetwork(r.inside, inside); }),
            s.end());
    if (auto e = erased(before - s.size(), "snat rule", inside.addr); !e.ok()) return e;
    return sync();
}

Status Nat::addDnat(uint32_t external_ip, uint32_t logical_ip) {
    nat_.dnat[external_ip] = logical_ip;
    return sync();
}

Status Nat::removeDnat(uint32_t external_ip) {
    if (auto e = erased(nat_.dnat.erase(external_ip), "dnat rule", external_ip); !e.ok()) return e;
    return sync();
}

Status Nat::addDnatAndSnat(uint32_t external_ip, uint32_t logical_ip) {
    nat_.floating[external_ip] = logical_ip;
    return sync();
}

Status Nat::removeDnatAndSnat(uint32_t external_ip) {
    if (auto e = erased(nat_.floating.erase(external_ip), "dnat_and_snat rule", external_ip); !e.ok()) return e;
    return sync();
}

Status Nat::addArpExternal(uint32_t external_ip, const iovisor::Mac &mac) {
    nat_.arp_external[external_ip] = mac;
    return sync();
}

Status Nat::removeArpExternal(uint32_t external_ip) {
    if (auto e = erased(nat_.arp_external.erase(external_ip), "ARP answer", external_ip); !e.ok()) return e;
    return sync();
}

iovisor::Result<std::vector<Nat::Connection>> Nat::connections() const {
    if (!module_.chain()) return makeError(Errc::kInvalid, "the nat module is out of its chain");
    auto all = module_.chain()->connections(module_.id());
    if (!all.ok()) return all.error();
    std::vector<Connection> out;
    for (const auto &[key, entry] : *all) out.push_back({key, entry});
    return out;
}

}  // namespace hover
