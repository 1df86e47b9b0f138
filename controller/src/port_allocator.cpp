#include "port_allocator.h"

#include "lib/abi.h"

namespace ctl {

std::optional<uint32_t> PortAllocator::port(const std::string &module, const std::string &object) {
    auto &ports = ports_[module];
    auto it = ports.find(object);
    if (it == ports.end() && ports.size() >= IOV_MAX_PORTS) return std::nullopt;
    used_this_round_.insert({module, object});
    if (it != ports.end()) return it->second;
    std::set<uint32_t> taken;
    for (const auto &[name, p] : ports) taken.insert(p);
    uint32_t p = 0;
    while (taken.count(p)) ++p;
    ports[object] = p;
    return p;
}

void PortAllocator::seed(const std::string &module, const std::map<std::string, uint32_t> &ports) {
    for (const auto &[object, port] : ports) ports_[module].emplace(object, port);
}

void PortAllocator::beginRound() { used_this_round_.clear(); }

void PortAllocator::endRound() {
    std::set<std::string> all;
    for (const auto &[module, ports] : ports_) all.insert(module);
    endRound(all);
}

void PortAllocator::endRound(const std::set<std::string> &modules) {
    for (const auto &module : modules) {
        auto m = ports_.find(module);
        if (m == ports_.end()) continue;
        for (auto p = m->second.begin(); p != m->second.end();)
            p = used_this_round_.count({m->first, p->first}) ? std::next(p) : m->second.erase(p);
        if (m->second.empty()) ports_.erase(m);
    }
}

std::map<std::string, uint32_t> PortAllocator::assigned(const std::string &module) const {
    auto it = ports_.find(module);
    return it == ports_.end() ? std::map<std::string, uint32_t>{} : it->second;
}

}  // namespace ctl
