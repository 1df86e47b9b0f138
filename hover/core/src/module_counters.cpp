// Port and drop counters: one per-CPU table of each per hook, shared by its
// modules (bpf/lib/flow.h), instead of two per-CPU maps per instance. A port
// gets a counter index when it is first wired; its module gives them back.
#include <cerrno>

#include "hover/module.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using iovisor::Status;

Result<uint32_t> ChainMap::allocateCounter(uint32_t module, uint32_t port) const {
    auto counters = TypedMap<uint32_t, iov_port_stats>::open(fdOf("iov_port_counters"));
    if (!counters.ok()) return counters.error();
    std::lock_guard<std::mutex> lock(counters_mu_);
    const uint32_t size = settings_.port_counters;
    for (uint32_t tried = 0; tried + 1 < size; ++tried, next_counter_ = next_counter_ + 1 < size ? next_counter_ + 1 : 1) {
        if (next_counter_ == 0 || counter_owners_.count(next_counter_)) continue;
        const uint32_t index = next_counter_;
        if (auto s = counters->update(index, iov_port_stats{}); !s.ok()) return s.error();  // zero on every CPU
        counter_owners_[index] = {module, port};
        return index;
    }
    return makeError(Errc::kUnavailable, "all " + std::to_string(size - 1) +
                                             " port counters of the hook are in use: restart hoverd with a larger "
                                             "--port-counters (and its pins removed)");
}

void ChainMap::claimCounter(uint32_t index, uint32_t module, uint32_t port) const {
    std::lock_guard<std::mutex> lock(counters_mu_);
    if (index) counter_owners_[index] = {module, port};
}

void ChainMap::releaseCounter(uint32_t index) const {
    std::lock_guard<std::mutex> lock(counters_mu_);
    counter_owners_.erase(index);
}

std::optional<std::pair<uint32_t, uint32_t>> ChainMap::counterOwner(uint32_t index) const {
    std::lock_guard<std::mutex> lock(counters_mu_);
    auto it = counter_owners_.find(index);
    if (it == counter_owners_.end()) return std::nullopt;
    return it->second;
}

Result<iov_port_stats> ChainMap::counter(uint32_t index) const {
    iov_port_stats sum{};
    if (index == 0) return sum;
    auto counters = TypedMap<uint32_t, iov_port_stats>::open(fdOf("iov_port_counters"));
    if (!counters.ok()) return counters.error();
    auto per_cpu = counters->lookupPerCpu(index);
    if (!per_cpu.ok()) return per_cpu.error();
    for (const auto &s : *per_cpu) {
        sum.rx_packets += s.rx_packets;
        sum.rx_bytes += s.rx_bytes;
        sum.tx_packets += s.tx_packets;
        sum.tx_bytes += s.tx_bytes;
    }
    return sum;
}

Result<std::array<uint64_t, IOV_DROP_MAX>> ChainMap::moduleDrops(uint32_t module) const {
    auto drops = TypedMap<iov_drop_key, uint64_t>::open(fdOf("iov_module_drops"));
    if (!drops.ok()) return drops.error();
    std::array<uint64_t, IOV_DROP_MAX> sum{};
    for (uint32_t reason = 0; reason < IOV_DROP_MAX; ++reason) {
        auto per_cpu = drops->lookupPerCpu({module, reason});
        if (!per_cpu.ok()) continue;  // never dropped for it
        for (uint64_t v : *per_cpu) sum[reason] += v;
    }
    return sum;
}

void ChainMap::forgetModuleDrops(uint32_t module) const {
    auto drops = TypedMap<iov_drop_key, uint64_t>::open(fdOf("iov_module_drops"));
    if (!drops.ok()) return;
    for (uint32_t reason = 0; reason < IOV_DROP_MAX; ++reason) (void)drops->remove({module, reason});
}

Result<uint32_t> Module::portCounter(uint32_t port) const {
    auto entry = peer(port);
    if (entry.ok() && entry->counter) return entry->counter;
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    return chain_->allocateCounter(id_, port);
}

std::vector<std::pair<uint32_t, uint32_t>> Module::countedPorts() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    const int fd = chain_ ? chain_->fdOf(model::kPeers.desc.shared_map) : -1;
    auto info = mapInfo(fd);
    auto row = info.ok() ? readSlots(fd, *info, IOV_PORT_SLOT(id_, 0), IOV_MAX_PORTS)
                         : Result<std::vector<Bytes>>(info.error());
    if (!row.ok()) return out;
    for (uint32_t port = 0; port < row->size(); ++port)
        if (const auto p = model::fromBytes<iov_port>((*row)[port]); p.counter) out.emplace_back(port, p.counter);
    return out;
}

void Module::claimCounters() const {
    if (!chain_) return;
    for (const auto &[port, counter] : countedPorts()) chain_->claimCounter(counter, id_, port);
}

void Module::releaseCounters() const {
    if (!chain_) return;
    for (const auto &[port, counter] : countedPorts()) chain_->releaseCounter(counter);
    chain_->forgetModuleDrops(id_);
}

Result<iov_port_stats> Module::portStats(uint32_t port) const {
    auto entry = peer(port);
    if (!entry.ok()) return entry.error();
    return chain_->counter(entry->counter);
}

Result<std::array<uint64_t, IOV_DROP_MAX>> Module::drops() const {
    if (!chain_) return makeError(Errc::kInvalid, "module " + std::to_string(id_) + " is out of the chain");
    return chain_->moduleDrops(id_);
}

}  // namespace hover
