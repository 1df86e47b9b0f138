#include "hover/l2switch.h"

#include <cstring>

namespace hover {

using iovisor::Status;

namespace {
l2_fdb_key fdbKey(const iovisor::Mac &mac) {
    l2_fdb_key key{};
    std::memcpy(key.mac, mac.data(), mac.size());
    return key;
}

}  // namespace

Status L2Switch::setPort(uint32_t port, const L2PortSettings &settings) {
    const Module::ConfigChange change{module_};
    auto ports = module_.map<uint32_t, l2_port>("ports");
    if (!ports.ok()) return ports.error();
    l2_port cfg{};
    cfg.flags = (settings.enabled ? L2_PORT_ENABLED : 0) | (settings.learn ? L2_PORT_LEARN : 0);
    auto old = ports->lookup(port);
    if (old.ok()) cfg.flags |= old->flags & L2_PORT_SECURITY;
    if (auto s = ports->update(port, cfg); !s.ok()) return s;
    return syncFloodPort(port);
}

Status L2Switch::syncFloodPort(uint32_t port) {
    auto all = module_.map<uint32_t, uint32_t>("flood_all");
    if (!all.ok()) return {};  // a TC instance: floods by cloning, nothing to keep
    auto unknown = module_.map<uint32_t, uint32_t>("flood_unknown");
    auto peers = module_.map<uint32_t, iov_port>("iov_ports");
    auto ports = module_.map<uint32_t, l2_port>("ports");
    if (!unknown.ok()) return unknown.error();
    if (!peers.ok()) return peers.error();
    if (!ports.ok()) return ports.error();
    auto peer = peers->lookup(port);
    auto cfg = ports->lookup(port);
    const bool netdev = peer.ok() && peer->kind == IOV_PEER_NETDEV;
    const bool enabled = cfg.ok() && (cfg->flags & L2_PORT_ENABLED);
    const bool secured = cfg.ok() && (cfg->flags & L2_PORT_SECURITY);
    (void)all->remove(port);
    (void)unknown->remove(port);
    if (!netdev || !enabled) return {};
    if (auto s = all->update(port, peer->ifindex); !s.ok()) return s;
    if (!secured) return unknown->update(port, peer->ifindex);
    return {};
}

Status L2Switch::addFdb(const iovisor::Mac &mac, uint32_t port) {
    const Module::ConfigChange change{module_};
    auto fdb = module_.map<l2_fdb_key, l2_fdb_entry>("fdb");
    if (!fdb.ok()) return fdb.error();
    return fdb->update(fdbKey(mac), l2_fdb_entry{port, L2_FDB_STATIC});
}

Status L2Switch::removeFdb(const iovisor::Mac &mac) {
    const Module::ConfigChange change{module_};
    auto fdb = module_.map<l2_fdb_key, l2_fdb_entry>("fdb");
    if (!fdb.ok()) return fdb.error();
    return fdb->remove(fdbKey(mac));
}

Status L2Switch::addArpResponder(uint32_t ipv4, const iovisor::Mac &mac, uint32_t port) {
    const Module::ConfigChange change{module_};
    auto arp = module_.map<uint32_t, l2_arp_entry>("arp_responder");
    if (!arp.ok()) return arp.error();
    l2_arp_entry entry{};
    std::memcpy(entry.mac, mac.data(), mac.size());
    entry.port = port;
    return arp->update(ipv4, entry);
}

Status L2Switch::addNdResponder(const iovisor::Ip6 &ip, const iovisor::Mac &mac, uint32_t port, bool router) {
    const Module::ConfigChange change{module_};
    auto nd = module_.map<l2_nd_key, l2_nd_entry>("nd_responder");
    if (!nd.ok()) return nd.error();
    l2_nd_key key{};
    std::memcpy(key.addr, ip.data(), 16);
    l2_nd_entry entry{};
    std::memcpy(entry.mac, mac.data(), mac.size());
    entry.flags = router ? L2_ND_ROUTER : 0;
    entry.port = port;
    return nd->update(key, entry);
}

Status L2Switch::removeArpResponder(uint32_t ipv4) {
    const Module::ConfigChange change{module_};
    auto arp = module_.map<uint32_t, l2_arp_entry>("arp_responder");
    if (!arp.ok()) return arp.error();
    return arp->remove(ipv4);
}

namespace {

// Removes every entry of `port` from one port-security table.
template <typename K, typename V>
Status clearPortEntries(Module &module, const std::string &table, uint32_t port) {
    auto map = module.map<K, V>(table);
    if (!map.ok()) return map.error();
    for (const auto &k : map->keys())
        if (k.port == port) (void)map->remove(k);
    return {};
}

template <typename Key>
Key portMacKey(uint32_t port, const iovisor::Mac &mac) {
    Key k{};
    k.port = port;
    std::memcpy(k.mac, mac.data(), 6);
    return k;
}

}  // namespace

Status L2Switch::clearPortSecurity(uint32_t port) {
    const Module::ConfigChange change{module_};
    for (Status s : {clearPortEntries<l2_ps_mac_key, l2_ps_mac>(module_, "ps_macs", port),
                     clearPortEntries<l2_ps_ipv4_host_key, uint8_t>(module_, "ps_ipv4_hosts", port),
                     clearPortEntries<l2_ps_ipv6_host_key, uint8_t>(module_, "ps_ipv6_hosts", port),
                     clearPortEntries<l2_ps_ipv4_key, uint8_t>(module_, "ps_ipv4", port),
                     clearPortEntries<l2_ps_ipv6_key, uint8_t>(module_, "ps_ipv6", port)})
        if (!s.ok()) return s;
    return {};
}

Status L2Switch::setPortSecurity(uint32_t port, const std::vector<PortSecurityEntry> &entries) {
    const Module::ConfigChange change{module_};
    auto ports = module_.map<uint32_t, l2_port>("ports");
    auto macs = module_.map<l2_ps_mac_key, l2_ps_mac>("ps_macs");
    auto v4 = module_.map<l2_ps_ipv4_key, uint8_t>("ps_ipv4");
    auto v6 = module_.map<l2_ps_ipv6_key, uint8_t>("ps_ipv6");
    if (!ports.ok()) return ports.error();
    if (!macs.ok()) return macs.error();
    if (!v4.ok()) return v4.error();
    if (!v6.ok()) return v6.error();

    // Turn enforcement off while the set changes, so no packet sees half of it.
    auto cfg = ports->lookup(port);
    if (!cfg.ok()) return cfg.error();
    l2_port off = *cfg;
    off.flags &= ~L2_PORT_SECURITY;
    if (auto s = ports->update(port, off); !s.ok()) return s;
    if (auto s = clearPortSecurity(port); !s.ok()) return s;
    if (entries.empty()) return syncFloodPort(port);

    auto v4_hosts = module_.map<l2_ps_ipv4_host_key, uint8_t>("ps_ipv4_hosts");
    auto v6_hosts = module_.map<l2_ps_ipv6_host_key, uint8_t>("ps_ipv6_hosts");
    if (!v4_hosts.ok()) return v4_hosts.error();
    if (!v6_hosts.ok()) return v6_hosts.error();
    for (const auto &e : entries) {
        l2_ps_mac value{};
        value.flags = (e.ipv4.empty() ? 0 : L2_PS_IPV4) | (e.ipv6.empty() ? 0 : L2_PS_IPV6);
        // Single addresses go to the hashes, prefixes to the LPM tries.
        for (const auto &p : e.ipv4) {
            Status s;
            if (p.len == 32) {
                auto k = portMacKey<l2_ps_ipv4_host_key>(port, e.mac);
                k.addr = p.addr;
                s = v4_hosts->update(k, 1);
            } else {
                value.flags |= L2_PS_IPV4_PREFIXES;
                auto k = portMacKey<l2_ps_ipv4_key>(port, e.mac);
                k.prefixlen = L2_PS_KEY_BITS + p.len;
                k.addr = p.addr;
                s = v4->update(k, 1);
            }
            if (!s.ok()) return s;
        }
        for (const auto &p : e.ipv6) {
            Status s;
            if (p.len == 128) {
                auto k = portMacKey<l2_ps_ipv6_host_key>(port, e.mac);
                std::memcpy(k.addr, p.addr.data(), 16);
                s = v6_hosts->update(k, 1);
            } else {
                value.flags |= L2_PS_IPV6_PREFIXES;
                auto k = portMacKey<l2_ps_ipv6_key>(port, e.mac);
                k.prefixlen = L2_PS_KEY_BITS + p.len;
                std::memcpy(k.addr, p.addr.data(), 16);
                s = v6->update(k, 1);
            }
            if (!s.ok()) return s;
        }
        if (auto s = macs->update(portMacKey<l2_ps_mac_key>(port, e.mac), value); !s.ok()) return s;
    }
    l2_port on = *cfg;
    on.flags |= L2_PORT_SECURITY;
    if (auto s = ports->update(port, on); !s.ok()) return s;
    return syncFloodPort(port);
}

}  // namespace hover
