// The module types compiled into hoverd, from their libbpf skeletons (one
// object per hook).
#include "hover/module.h"
#include "entry.skel.h"
#include "entry_xdp.skel.h"
#include "l2switch.skel.h"
#include "l2switch_xdp.skel.h"
#include "nat.skel.h"
#include "nat_xdp.skel.h"
#include "router.skel.h"
#include "router_xdp.skel.h"

namespace hover {

namespace {

template <const void *(*ElfBytes)(size_t *)>
ModuleType builtin(const char *name, AttachMode mode) {
    ModuleType t;
    t.name = name;
    t.mode = mode;
    t.elf = ElfBytes(&t.elf_size);
    return t;
}

const std::vector<ModuleType> &builtins() {
    static const std::vector<ModuleType> types = {
        builtin<l2switch__elf_bytes>("l2switch", AttachMode::kTc),
        builtin<l2switch_xdp__elf_bytes>("l2switch", AttachMode::kXdp),
        builtin<router__elf_bytes>("router", AttachMode::kTc),
        builtin<router_xdp__elf_bytes>("router", AttachMode::kXdp),
        builtin<nat__elf_bytes>("nat", AttachMode::kTc),
        builtin<nat_xdp__elf_bytes>("nat", AttachMode::kXdp),
    };
    return types;
}

}  // namespace

const ModuleType &sharedEntryObject(AttachMode mode) {
    static const ModuleType tc = builtin<entry__elf_bytes>("entry", AttachMode::kTc);
    static const ModuleType xdp = builtin<entry_xdp__elf_bytes>("entry", AttachMode::kXdp);
    return mode == AttachMode::kXdp ? xdp : tc;
}

const ModuleType *findBuiltinModuleType(const std::string &name, AttachMode mode) {
    for (const auto &t : builtins())
        if (t.name == name && t.mode == mode) return &t;
    return nullptr;
}

std::vector<std::string> builtinModuleTypeNames() {
    std::vector<std::string> names;
    for (const auto &t : builtins())
        if (t.mode == AttachMode::kTc) names.push_back(t.name);
    return names;
}

}  // namespace hover
