// The module types compiled into hoverd, from their libbpf skeletons.
#include "hover/module.h"
#include "l2switch.skel.h"
#include "nat.skel.h"
#include "router.skel.h"

namespace hover {

namespace {

template <const void *(*ElfBytes)(size_t *)>
ModuleType builtin(const char *name) {
    ModuleType t;
    t.name = name;
    t.elf = ElfBytes(&t.elf_size);
    return t;
}

const std::vector<ModuleType> &builtins() {
    static const std::vector<ModuleType> types = {
        builtin<l2switch__elf_bytes>("l2switch"),
        builtin<router__elf_bytes>("router"),
        builtin<nat__elf_bytes>("nat"),
    };
    return types;
}

}  // namespace

const ModuleType *findBuiltinModuleType(const std::string &name) {
    for (const auto &t : builtins())
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<std::string> builtinModuleTypeNames() {
    std::vector<std::string> names;
    for (const auto &t : builtins()) names.push_back(t.name);
    return names;
}

}  // namespace hover
