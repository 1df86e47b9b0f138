#include "hover/model/nat.h"

namespace hover::model::nat {

const ModuleTypeDesc kType = {
    "nat",
    {&kSnatRules.desc, &kDnatRules.desc, &kFipIn.desc, &kFipOut.desc, &kArpExternal.desc},
};

Entries entries(const Nat &nat) {
    Entries out;
    for (const auto &s : nat.snat)
        out.put(kSnatRules, nat_snat_key{s.inside.len, iovisor::networkOf(s.inside)},
                nat_snat{s.external_ip, s.port_min, s.port_max});
    for (const auto &[external, logical] : nat.dnat) out.put(kDnatRules, external, nat_dnat{logical});
    for (const auto &[external, logical] : nat.floating) {
        out.put(kFipIn, external, nat_fip{logical});
        out.put(kFipOut, logical, nat_fip{external});
    }
    for (const auto &[ip, mac] : nat.arp_external) {
        nat_arp arp{};
        std::memcpy(arp.mac, mac.data(), 6);
        out.put(kArpExternal, ip, arp);
    }
    return out;
}

}  // namespace hover::model::nat
