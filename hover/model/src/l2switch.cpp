#include "hover/model/l2switch.h"

#include <algorithm>

namespace hover::model::l2switch {

const ModuleTypeDesc kType = {
    "l2switch",
    {&kPsMacs.desc, &kPsIpv4Hosts.desc, &kPsIpv6Hosts.desc, &kPsIpv4.desc, &kPsIpv6.desc, &kFdb.desc,
     &kArpResponder.desc, &kNdResponder.desc, &kDhcp4.desc, &kDhcp6.desc, &kRa.desc, &kDns.desc, &kAclLogs.desc, &kAclLogMeters.desc, &kAclClasses.desc,
     &kAclRules.desc, &kAclPorts.desc, &kPorts.desc},
    {&kFloodAll.desc, &kFloodUnknown.desc, &kAclHits.desc, &kAclLogMeterState.desc},
};

namespace {

template <typename Key>
Key portMacKey(uint32_t port, const iovisor::Mac &mac) {
    Key k{};
    k.port = port;
    std::memcpy(k.mac, mac.data(), mac.size());
    return k;
}

void answered(Entries &out, const PortAddresses &a) {
    l2_fdb_key fdb{};
    std::memcpy(fdb.mac, a.addresses.mac.data(), 6);
    out.put(kFdb, fdb, l2_fdb_entry{a.port, L2_FDB_STATIC});
    for (const auto &ip : a.addresses.ipv4) {
        l2_arp_entry arp{};
        std::memcpy(arp.mac, a.addresses.mac.data(), 6);
        arp.port = a.port;
        out.put(kArpResponder, ip.addr, arp);
    }
    for (const auto &ip : a.addresses.ipv6) {
        l2_nd_key key{};
        std::memcpy(key.addr, ip.addr.data(), 16);
        l2_nd_entry nd{};
        std::memcpy(nd.mac, a.addresses.mac.data(), 6);
        nd.flags = a.router ? L2_ND_ROUTER : 0;
        nd.port = a.port;
        out.put(kNdResponder, key, nd);
    }
}

// One port_security entry: single addresses go to the hashes (one lookup),
// prefixes to the LPM tries (prefixlen counts the exact port + MAC bits);
// the MAC's flags tell the datapath which of them to consult.
void security(Entries &out, uint32_t port, const Addresses &a) {
    l2_ps_mac flags{};
    flags.flags = (a.ipv4.empty() ? 0 : L2_PS_IPV4) | (a.ipv6.empty() ? 0 : L2_PS_IPV6);
    for (const auto &p : a.ipv4) {
        if (p.len == 32) {
            auto k = portMacKey<l2_ps_ipv4_host_key>(port, a.mac);
            k.addr = p.addr;
            out.put(kPsIpv4Hosts, k, uint8_t{1});
            continue;
        }
        flags.flags |= L2_PS_IPV4_PREFIXES;
        auto k = portMacKey<l2_ps_ipv4_key>(port, a.mac);
        k.prefixlen = L2_PS_KEY_BITS + p.len;
        k.addr = iovisor::networkOf(p);
        out.put(kPsIpv4, k, uint8_t{1});
    }
    for (const auto &p : a.ipv6) {
        if (p.len == 128) {
            auto k = portMacKey<l2_ps_ipv6_host_key>(port, a.mac);
            std::memcpy(k.addr, p.addr.data(), 16);
            out.put(kPsIpv6Hosts, k, uint8_t{1});
            continue;
        }
        flags.flags |= L2_PS_IPV6_PREFIXES;
        auto k = portMacKey<l2_ps_ipv6_key>(port, a.mac);
        k.prefixlen = L2_PS_KEY_BITS + p.len;
        const iovisor::Ip6 net = iovisor::networkOf(p);
        std::memcpy(k.addr, net.data(), 16);
        out.put(kPsIpv6, k, uint8_t{1});
    }
    out.put(kPsMacs, portMacKey<l2_ps_mac_key>(port, a.mac), flags);
}

// What a compiled policy tells the ports using it.
struct PolicyUse {
    uint16_t fields = 0;
};

// Every policy's classifier entries. One that cannot be compiled becomes a
// rule that drops everything as unsupported (fail closed).
std::map<uint32_t, PolicyUse> policies(Entries &out, const Switch &sw) {
    std::map<uint32_t, PolicyUse> used;
    for (const auto &[id, policy] : sw.policies) {
        PolicyUse &u = used[id];
        if (acl::compile(out, id, policy, u.fields)) continue;
        const acl::Policy closed{{acl::Rule{INT64_MAX, ACL_UNSUPPORTED, 0, {acl::Term{}}}}};
        (void)acl::compile(out, id, closed, u.fields);
    }
    return used;
}

// The port's ACL stage entries; returns its l2_port flags for them.
uint32_t portAcls(Entries &out, uint32_t port, const Port &p, const std::map<uint32_t, PolicyUse> &used) {
    uint32_t flags = 0;
    for (const auto dir : {ACL_DIR_FROM_LPORT, ACL_DIR_TO_LPORT}) {
        const uint32_t policy = dir == ACL_DIR_FROM_LPORT ? p.acl_from : p.acl_to;
        auto it = used.find(policy);
        if (!p.acl_track && it == used.end()) continue;
        acl_port entry{};
        entry.policy = it == used.end() ? 0 : policy;
        entry.fields = it == used.end() ? 0 : it->second.fields;
        entry.flags = p.acl_track ? ACL_PORT_CT : 0;
        out.put(kAclPorts, acl_port_key{uint16_t(port), uint8_t(dir), 0}, entry);
        flags |= dir == ACL_DIR_FROM_LPORT ? L2_PORT_ACL_IN : L2_PORT_ACL_OUT;
        if (dir == ACL_DIR_TO_LPORT && entry.policy) flags |= L2_PORT_ACL_OUT_RULES;
    }
    return flags;
}

// A port's DHCPv4 answers; returns its l2_port flags for them.
uint32_t portDhcp4(Entries &out, uint32_t port, const Port &p) {
    uint32_t flags = 0;
    for (const Dhcp4 &d : p.dhcp4) {
        if (!fits(d)) continue;
        flags = L2_PORT_DHCP4;
        l2_dhcp4 v{};
        v.offer_ip = d.offer_ip;
        v.server_ip = d.server_ip;
        v.next_server = d.next_server.value_or(0);
        v.flags = d.next_server ? L2_DHCP4_NEXT_SERVER : 0;
        std::memcpy(v.server_mac, d.server_mac.data(), 6);
        v.boot_alt_len = uint16_t(d.boot_alt.size());
        v.boot_len = uint16_t(d.boot.size());
        v.lease_len = uint16_t(d.lease.size());
        v.rest_len = uint16_t(d.rest.size());
        uint8_t *at = v.options;
        for (const auto *segment : {&d.boot_alt, &d.boot, &d.lease, &d.rest}) {
            std::memcpy(at, segment->data(), segment->size());
            at += segment->size();
        }
        out.put(kDhcp4, portMacKey<l2_dhcp_key>(port, d.mac), v);
    }
    return flags;
}

// A port's DHCPv6 answers; returns its l2_port flags for them.
uint32_t portDhcp6(Entries &out, uint32_t port, const Port &p) {
    uint32_t flags = 0;
    for (const Dhcp6 &d : p.dhcp6) {
        if (!fits(d)) continue;
        flags = L2_PORT_DHCP6;
        l2_dhcp6 v{};
        std::memcpy(v.server_ip, d.server_ip.data(), 16);
        std::memcpy(v.server_mac, d.server_mac.data(), 6);
        uint16_t at = 0;
        for (size_t i = 0; i < d.segments.size(); ++i) {
            const auto &seg = d.segments[i];
            v.segments[i] = {at, uint16_t(seg.bytes.size()), seg.needs, {}};
            std::memcpy(v.options + at, seg.bytes.data(), seg.bytes.size());
            at = uint16_t(at + seg.bytes.size());
        }
        out.put(kDhcp6, portMacKey<l2_dhcp_key>(port, d.mac), v);
    }
    return flags;
}

}  // namespace

bool fits(const Dhcp6 &d) {
    size_t total = 0;
    for (const auto &seg : d.segments) total += seg.bytes.size();
    return d.segments.size() <= L2_DHCP6_SEGMENTS && total <= L2_DHCP6_OPTIONS_SIZE;
}

bool fits(const RouterAdvert &ra) { return ra.message.size() >= 16 && ra.message.size() <= L2_RA_MESSAGE_SIZE; }

bool fits(const DnsRecord &r) {
    return !r.name.empty() && r.name.size() <= L2_DNS_NAME_MAX && r.a.size() + r.aaaa.size() + r.ptr.size() <= L2_DNS_ANSWERS_SIZE;
}

bool fits(const Dhcp4 &d) {
    return d.boot_alt.size() <= L2_DHCP4_BOOT_MAX && d.boot.size() <= L2_DHCP4_BOOT_MAX &&
           d.lease.size() <= L2_DHCP4_LEASE_MAX && d.rest.size() <= L2_DHCP4_REST_MAX;
}

// The switch's answer to Router Solicitations; returns the l2_port flags
// of the ports it answers (all but the router port).
static uint32_t routerAdvert(Entries &out, const Switch &sw) {
    if (!sw.ra || !fits(*sw.ra)) return 0;
    l2_ra v{};
    std::memcpy(v.src, sw.ra->src.data(), 16);
    std::memcpy(v.mac, sw.ra->mac.data(), 6);
    v.len = uint16_t(sw.ra->message.size());
    v.router_port = sw.ra->router_port;
    std::memcpy(v.message, sw.ra->message.data(), sw.ra->message.size());
    out.put(kRa, uint32_t{0}, v);
    return L2_PORT_RA;
}

// The switch's DNS records; returns the l2_port flag of every port (OVN
// looks up queries from any port of a switch with records).
static uint32_t dnsRecords(Entries &out, const Switch &sw) {
    uint32_t flags = 0;
    for (const auto &r : sw.dns) {
        if (!fits(r)) continue;
        l2_dns_key key{};
        std::memcpy(key.name, r.name.data(), r.name.size());
        l2_dns v{};
        v.a_len = uint16_t(r.a.size());
        v.aaaa_len = uint16_t(r.aaaa.size());
        v.ptr_len = uint16_t(r.ptr.size());
        v.a_count = r.a_count;
        v.aaaa_count = r.aaaa_count;
        uint8_t *at = v.answers;
        for (const auto *part : {&r.a, &r.aaaa, &r.ptr}) {
            std::memcpy(at, part->data(), part->size());
            at += part->size();
        }
        out.put(kDns, key, v);
        flags = L2_PORT_DNS;
    }
    return flags;
}

namespace {
const std::pair<const char *, uint8_t> kSeverities[] = {
    {"alert", 1}, {"warning", 4}, {"notice", 5}, {"info", 6}, {"debug", 7}};
}  // namespace

uint8_t severityLevel(const std::string &name) {
    for (const auto &[n, level] : kSeverities)
        if (name == n) return level;
    return 6;
}

const char *severityName(uint8_t level) {
    for (const auto &[n, l] : kSeverities)
        if (level == l) return n;
    return "info";
}

Entries entries(const Switch &sw) {
    Entries out;
    for (const auto &[acl, log] : sw.acl_logs) {
        acl_log_info info{};
        std::copy_n(log.name.begin(), std::min(log.name.size(), sizeof(info.name) - 1), info.name);
        info.severity = log.severity;
        out.put(kAclLogs, acl, info);
    }
    for (const auto &[bucket, meter] : sw.log_meters) out.put(kAclLogMeters, bucket, meter);
    for (const auto &a : sw.addresses) answered(out, a);
    const uint32_t ra = routerAdvert(out, sw), dns = dnsRecords(out, sw);
    const auto used = policies(out, sw);
    for (const auto &[port, p] : sw.ports) {
        for (const auto &a : p.security) security(out, port, a);
        l2_port cfg{};
        cfg.flags = (p.enabled ? L2_PORT_ENABLED : 0) | (p.learn ? L2_PORT_LEARN : 0) |
                    (p.security.empty() ? 0 : L2_PORT_SECURITY) | (p.answered_by_owners ? L2_PORT_NO_RESPONDER : 0) |
                    portAcls(out, port, p, used) | portDhcp4(out, port, p) |
                    portDhcp6(out, port, p) | (sw.ra && port != sw.ra->router_port ? ra : 0) | dns;
        out.put(kPorts, port, cfg);
    }
    return out;
}

}  // namespace hover::model::l2switch
