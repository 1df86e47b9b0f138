// One descriptor per built-in module type: its name in the REST API and the
// tables the control plane writes, in the order they must be written. The
// diff between what a module holds and what it should hold is a pure
// function of two Entries and this order (like ovn-controller's ofctrl).
#pragma once

#include <string>
#include <vector>

#include "hover/model/table.h"
#include "lib/abi.h"

namespace hover::model {

// Every module's port peers (lib/abi.h): the hook's `iov_ports`, a row of
// IOV_MAX_PORTS slots per module, kept by hoverd from the links.
inline constexpr auto kPeers = sharedArray<iov_port>("iov_ports", "iov_ports", IOV_MAX_PORTS);
// The configuration generation of the types that cache derived lookups
// (bpf/lib/config_gen.h): one slot per module, renewed by hoverd after
// every write (in their `kept` tables).
inline constexpr auto kConfigGen = sharedArray<uint64_t>("iov_config_gen", "iov_config_gen", 1);

struct ModuleTypeDesc {
    const char *name;
    // Written first to last, removed last to first: what restricts a port
    // (port security) is in place before the entry that enables it.
    std::vector<const TableDesc *> tables;
    // Tables hoverd keeps itself (not the control plane's): shown like the
    // others, cleared with the instance.
    std::vector<const TableDesc *> kept = {};

    // In `tables` or `kept`.
    const TableDesc *findTable(const std::string &name) const;
};

// Every built-in module type (l2switch, router, nat).
const std::vector<const ModuleTypeDesc *> &builtinModuleTypes();
const ModuleTypeDesc *findModuleType(const std::string &name);

// One request's worth of writes to one table.
struct TableBatch {
    enum class Kind { kDelete, kPut };
    Kind kind = Kind::kPut;
    const TableDesc *table = nullptr;
    std::vector<std::pair<Bytes, Bytes>> entries;  // kDelete: values unused
};

// What turns `installed` into `desired`, in order: new and changed entries
// in write order, then removals table by table in reverse write order (array
// slots are zeroed, not deleted). Make before break: what references an
// entry (a port's ACL policy, a flag) moves to complete new entries before
// the old ones go, so no packet sees a half-written state. Tables not in
// `type` are ignored.
std::vector<TableBatch> diff(const ModuleTypeDesc &type, const Entries &installed, const Entries &desired);

}  // namespace hover::model
