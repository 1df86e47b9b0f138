// Stable port numbers per module: the same OVN port keeps its module port
// for as long as it exists, whatever else is added or removed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace ctl {

class PortAllocator {
public:
    // Port of `object` (an OVN port or interface name) on `module`; none
    // when the module's IOV_MAX_PORTS ports are all taken.
    std::optional<uint32_t> port(const std::string &module, const std::string &object);
    // Seeds a module's assignments (from its stored config).
    void seed(const std::string &module, const std::map<std::string, uint32_t> &ports);
    // Forgets assignments not handed out since the last beginRound(): of
    // every module, or of `modules` only (a round over some datapaths).
    void beginRound();
    void endRound();
    void endRound(const std::set<std::string> &modules);
    std::map<std::string, uint32_t> assigned(const std::string &module) const;

private:
    std::map<std::string, std::map<std::string, uint32_t>> ports_;
    std::set<std::pair<std::string, std::string>> used_this_round_;
};

}  // namespace ctl
