#include "hover/l2switch.h"

#include <algorithm>

namespace hover {

using iovisor::Status;
namespace l2 = model::l2switch;

Status L2Switch::sync() {
    if (auto s = module_.sync(l2::kType, &installed_, l2::entries(switch_)); !s.ok()) return s;
    for (const auto &[port, settings] : switch_.ports)
        if (auto s = syncFloodPort(port); !s.ok()) return s;
    return {};
}

Status L2Switch::setPort(uint32_t port, const L2PortSettings &settings) {
    l2::Port &p = switch_.ports[port];
    p.enabled = settings.enabled;
    p.learn = settings.learn;
    p.answered_by_owners = settings.answered_by_owners;
    return sync();
}

Status L2Switch::syncFloodPort(uint32_t port) {
    auto all = module_.map<uint32_t, uint32_t>(l2::kFloodAll.desc.name);
    if (!all.ok()) return {};  // a TC instance: floods by cloning, nothing to keep
    auto unknown = module_.map<uint32_t, uint32_t>(l2::kFloodUnknown.desc.name);
    auto ports = module_.tableMap(l2::kPorts.desc.name);
    if (!unknown.ok()) return unknown.error();
    if (!ports.ok()) return ports.error();
    auto configs = TypedMap<uint32_t, l2_port>::open(ports->fd);
    if (!configs.ok()) return configs.error();
    auto peer = module_.peer(port);
    auto cfg = configs->lookup(IOV_PORT_SLOT(module_.id(), port));
    const bool netdev = peer.ok() && peer->kind == IOV_PEER_NETDEV;
    const bool enabled = cfg.ok() && (cfg->flags & L2_PORT_ENABLED);
    const bool secured = cfg.ok() && (cfg->flags & L2_PORT_SECURITY);
    // XDP floods bypass per-port checks: a port whose to-lport ACLs would
    // judge the copies gets none (fail closed).
    const bool filtered = cfg.ok() && (cfg->flags & L2_PORT_ACL_OUT_RULES);
    (void)all->remove(port);
    (void)unknown->remove(port);
    if (!netdev || !enabled || filtered) return {};
    if (auto s = all->update(port, peer->ifindex); !s.ok()) return s;
    if (!secured) return unknown->update(port, peer->ifindex);
    return {};
}

Status L2Switch::setAclLogs(std::map<uint32_t, l2::AclLog> logs, std::map<uint32_t, acl_meter> meters) {
    switch_.acl_logs = std::move(logs);
    switch_.log_meters = std::move(meters);
    return sync();
}

Status L2Switch::setAcls(std::map<uint32_t, model::acl::Policy> policies, const std::map<uint32_t, PortAcls> &ports) {
    switch_.policies = std::move(policies);
    for (auto &[port, p] : switch_.ports) {
        auto it = ports.find(port);
        const PortAcls acls = it == ports.end() ? PortAcls{} : it->second;
        p.acl_from = acls.from;
        p.acl_to = acls.to;
        p.acl_track = acls.track;
    }
    return sync();
}

Status L2Switch::setDhcp4(uint32_t port, std::vector<l2::Dhcp4> answers) {
    switch_.ports[port].dhcp4 = std::move(answers);
    return sync();
}

Status L2Switch::setDhcp6(uint32_t port, std::vector<l2::Dhcp6> answers) {
    switch_.ports[port].dhcp6 = std::move(answers);
    return sync();
}

Status L2Switch::setRouterAdvert(std::optional<l2::RouterAdvert> ra) {
    switch_.ra = std::move(ra);
    return sync();
}

Status L2Switch::setDns(std::vector<l2::DnsRecord> records) {
    switch_.dns = std::move(records);
    return sync();
}

Status L2Switch::addFdb(const iovisor::Mac &mac, uint32_t port) {
    switch_.addresses.push_back({port, {mac, {}, {}}, false});
    return sync();
}

Status L2Switch::removeFdb(const iovisor::Mac &mac) {
    auto &a = switch_.addresses;
    a.erase(std::remove_if(a.begin(), a.end(), [&](const l2::PortAddresses &p) { return p.addresses.mac == mac; }),
            a.end());
    return sync();
}

Status L2Switch::addArpResponder(uint32_t ipv4, const iovisor::Mac &mac, uint32_t port) {
    switch_.addresses.push_back({port, {mac, {{ipv4, 32}}, {}}, false});
    return sync();
}

Status L2Switch::addNdResponder(const iovisor::Ip6 &ip, const iovisor::Mac &mac, uint32_t port, bool router) {
    switch_.addresses.push_back({port, {mac, {}, {{ip, 128}}}, router});
    return sync();
}

Status L2Switch::removeArpResponder(uint32_t ipv4) {
    for (auto &a : switch_.addresses) {
        auto &v4 = a.addresses.ipv4;
        v4.erase(std::remove_if(v4.begin(), v4.end(), [&](const iovisor::Ipv4Prefix &p) { return p.addr == ipv4; }),
                 v4.end());
    }
    return sync();
}

Status L2Switch::setPortSecurity(uint32_t port, const std::vector<PortSecurityEntry> &entries) {
    switch_.ports[port].security = entries;
    return sync();
}

}  // namespace hover
