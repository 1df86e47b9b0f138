// The registry's links: module ports wired to peers, netdevs attached.
#include <net/if.h>

#include <set>

#include "hover/l2switch.h"
#include "registry.h"

namespace hover {

using nlohmann::json;

Result<Endpoint> Registry::parseEndpoint(const std::string &text, const std::optional<Endpoint> &reserved) {
    Endpoint e;
    if (text.rfind("i:", 0) == 0) {
        e.ifname = text.substr(2);
        e.ifindex = if_nametoindex(e.ifname.c_str());
        if (e.ifname.empty() || !e.ifindex) return makeError(Errc::kNotFound, "no network interface '" + e.ifname + "'");
        return e;
    }
    if (text.rfind("m:", 0) != 0)
        return makeError(Errc::kInvalid, "link endpoint '" + text + "' must be m:<module>[:<port>] or i:<interface>");
    std::string ref = text.substr(2), port;
    const auto colon = ref.find(':');
    if (colon != std::string::npos) {
        port = ref.substr(colon + 1);
        ref = ref.substr(0, colon);
    }
    auto rec = find(ref);
    if (!rec.ok()) return rec.error();
    e.is_module = true;
    e.module = (*rec)->info.id;
    std::set<uint32_t> used;
    for (const auto &p : infoOf(**rec).ports) used.insert(p.first);
    if (reserved && reserved->is_module && reserved->module == e.module) used.insert(reserved->port);
    if (!port.empty()) {
        if (!isModuleId(port) || std::stoul(port) >= IOV_MAX_PORTS)
            return makeError(Errc::kInvalid, "port '" + port + "' must be 0.." + std::to_string(IOV_MAX_PORTS - 1));
        e.port = std::stoul(port);
        if (used.count(e.port))
            return makeError(Errc::kConflict, "port " + port + " of module " + ref + " is already linked");
        return e;
    }
    while (used.count(e.port)) ++e.port;
    if (e.port >= IOV_MAX_PORTS) return makeError(Errc::kConflict, "module " + ref + " has no free port");
    return e;
}

void Registry::portChanged(ModuleRecord &record, uint32_t port) {
    // XDP switches flood through devmaps that follow their netdev ports.
    if (record.info.type == "l2switch") (void)L2Switch(*record.module).syncFloodPort(port);
}

Status Registry::wire(const LinkRecord &link) {
    const Endpoint &a = link.info.from, &b = link.info.to;
    auto connect = [&](const Endpoint &self, const Endpoint &peer) -> Status {
        if (!self.is_module) return {};
        ModuleRecord &rec = modules_.at(self.module);
        Status s = peer.is_module ? rec.module->connectModule(self.port, peer.module, peer.port)
                                  : rec.module->connectNetdev(self.port, peer.ifindex);
        if (s.ok()) portChanged(rec, self.port);
        return s;
    };
    if (auto s = connect(a, b); !s.ok()) return s;
    return connect(b, a);
}

Result<std::unique_ptr<Attachment>> Registry::attachNetdev(const LinkInfo &link) {
    const Endpoint &module_side = link.from.is_module ? link.from : link.to;
    const Endpoint &netdev_side = link.from.is_module ? link.to : link.from;
    if (netdev_side.is_module) return std::unique_ptr<Attachment>();
    const ModuleRecord &m = modules_.at(module_side.module);
    // A built-in module's netdev program only hands the packet to the
    // shared entry: the hook's shared block runs that for every netdev.
    if (m.info.mode == AttachMode::kTc && findBuiltinModuleType(m.info.type, AttachMode::kTc))
        return tc_block_->attach(netdev_side.ifindex);
    return Attachment::attach(netdev_side.ifindex, m.module->netdevProgFd(), m.info.mode);
}

Result<LinkInfo> Registry::createLink(const std::string &from, const std::string &to) {
    auto created = createLinks({{from, to}});
    if (!created.ok()) return created.error();
    return created->front();
}

Result<std::vector<LinkInfo>> Registry::createLinks(const std::vector<std::pair<std::string, std::string>> &links) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint32_t> created;
    for (size_t i = 0; i < links.size(); ++i) {
        auto id = addLink(links[i].first, links[i].second);
        if (!id.ok()) {
            for (auto it = created.rbegin(); it != created.rend(); ++it) (void)removeLink(*it);
            if (links.size() == 1) return id.error();
            return id.error().context("link " + std::to_string(i) + " (" + links[i].first + " - " + links[i].second + ")");
        }
        created.push_back(*id);
    }
    StateStore::Batch saved(store_);  // the whole batch, or none of it after a crash
    for (uint32_t id : created)
        if (auto s = saveLink(links_.at(id)); !s.ok()) return s.error();
    if (auto s = saveNextIds(); !s.ok()) return s.error();
    if (auto s = saved.commit(); !s.ok()) return s.error();
    std::vector<LinkInfo> out;
    for (uint32_t id : created) out.push_back(links_.at(id).info);
    return out;
}

Result<uint32_t> Registry::addLink(const std::string &from, const std::string &to) {
    auto a = parseEndpoint(from, std::nullopt);
    if (!a.ok()) return a.error().context("from");
    auto b = parseEndpoint(to, *a);
    if (!b.ok()) return b.error().context("to");
    if (!a->is_module && !b->is_module) return makeError(Errc::kInvalid, "a link needs at least one module side");
    if (a->is_module && b->is_module) {
        // Its own ports joined, a module would loop every flood back into itself.
        if (a->module == b->module) return makeError(Errc::kInvalid, "a module cannot be linked to itself");
        if (modules_.at(a->module).info.mode != modules_.at(b->module).info.mode)
            return makeError(Errc::kInvalid, "cannot link a tc module to an xdp module (tail calls stay in one hook)");
    }
    for (const Endpoint *e : {&*a, &*b}) {
        if (e->is_module) continue;
        if (auto linked = link_of_netdev_.find(e->ifindex); linked != link_of_netdev_.end())
            return makeError(Errc::kConflict, "interface " + e->ifname + " is already linked (link " +
                                                  std::to_string(linked->second) + ")");
    }
    LinkRecord rec;
    rec.info = LinkInfo{next_link_id_, *a, *b};
    if (auto s = wire(rec); !s.ok()) return s.error();
    auto att = attachNetdev(rec.info);
    if (!att.ok()) {
        const Endpoint &module_side = a->is_module ? *a : *b;
        ModuleRecord &m = modules_.at(module_side.module);
        (void)m.module->disconnect(module_side.port);
        portChanged(m, module_side.port);
        return att.error();
    }
    rec.attachment = std::move(att.value());
    const uint32_t id = next_link_id_++;
    indexLink(rec.info, true);
    links_.emplace(id, std::move(rec));
    return id;
}

std::vector<LinkInfo> Registry::listLinks() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LinkInfo> out;
    for (const auto &[id, rec] : links_) out.push_back(rec.info);
    return out;
}

Result<LinkInfo> Registry::getLink(uint32_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(id);
    if (it == links_.end()) return makeError(Errc::kNotFound, "no link " + std::to_string(id));
    return it->second.info;
}

Status Registry::deleteLink(uint32_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto s = removeLink(id); !s.ok()) return s;
    return store_.dropLink(id);
}

Status Registry::removeLink(uint32_t id) {
    auto it = links_.find(id);
    if (it == links_.end()) return makeError(Errc::kNotFound, "no link " + std::to_string(id));
    if (it->second.attachment) {
        if (auto s = it->second.attachment->detach(); !s.ok()) return s;
    }
    for (const Endpoint *e : {&it->second.info.from, &it->second.info.to}) {
        if (!e->is_module) continue;
        ModuleRecord &rec = modules_.at(e->module);
        if (auto s = rec.module->disconnect(e->port); !s.ok()) return s;
        portChanged(rec, e->port);
    }
    indexLink(it->second.info, false);
    links_.erase(it);
    return {};
}

std::vector<Interface> Registry::externalInterfaces() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Interface> out;
    struct if_nameindex *all = ::if_nameindex();
    for (struct if_nameindex *i = all; i && i->if_index; ++i) {
        if (std::string(i->if_name) == "lo") continue;
        Interface itf{i->if_name, i->if_index, std::nullopt};
        for (const auto &[id, link] : links_)
            for (const Endpoint *e : {&link.info.from, &link.info.to})
                if (!e->is_module && e->ifindex == i->if_index) itf.link = id;
        out.push_back(itf);
    }
    if_freenameindex(all);
    return out;
}

}  // namespace hover
