// The module types compiled into hoverd, from their libbpf skeletons (one
// object per hook): every bpf/*.bpf.c (bpf/CMakeLists.txt generates the list).
#include "builtin_objects.h"
#include "hover/module.h"

namespace hover {

namespace {

// Opens a built-in object through its skeleton.
template <typename Skel, Skel *(*Open)(const bpf_object_open_opts *), void (*Destroy)(Skel *)>
iovisor::Result<OpenedObject> openSkeleton(const bpf_object_open_opts *opts) {
    Skel *skel = Open(opts);
    if (!skel) return iovisor::errnoError(errno, "open the skeleton");
    std::shared_ptr<void> owner(skel, [](void *s) { Destroy(static_cast<Skel *>(s)); });
    return OpenedObject{skel->obj, owner};
}

template <const void *(*ElfBytes)(size_t *)>
ModuleType builtin(const char *name, AttachMode mode,
                   iovisor::Result<OpenedObject> (*open)(const bpf_object_open_opts *) = nullptr) {
    ModuleType t;
    t.name = name;
    t.mode = mode;
    t.elf = ElfBytes(&t.elf_size);
    t.open_skeleton = open;
    return t;
}

const std::vector<ModuleType> &builtins() {
#define IOV_BUILTIN(name)                                                                           \
    builtin<name##__elf_bytes>(#name, AttachMode::kTc, openSkeleton<name, name##__open_opts, name##__destroy>), \
        builtin<name##_xdp__elf_bytes>(#name, AttachMode::kXdp,                                             \
                                       openSkeleton<name##_xdp, name##_xdp__open_opts, name##_xdp__destroy>),
    static const std::vector<ModuleType> types = {IOV_BUILTIN_MODULE_TYPES(IOV_BUILTIN)};
#undef IOV_BUILTIN
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
