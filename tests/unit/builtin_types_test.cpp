// Every built-in object (bpf/*.bpf.c) has its descriptor in the typed model,
// and every table the model writes exists in both hooks' objects with the
// model's key and value sizes (objects opened, not loaded: no root needed).
#include <bpf/libbpf.h>

#include <gtest/gtest.h>

#include <memory>

#include "hover/model/module_type.h"
#include "hover/module.h"

namespace {

using Object = std::unique_ptr<bpf_object, void (*)(bpf_object *)>;

TEST(BuiltinTypes, EveryObjectHasAModelAndEveryModelAnObject) {
    std::set<std::string> objects, models;
    for (const auto &name : hover::builtinModuleTypeNames()) objects.insert(name);
    for (const auto *type : hover::model::builtinModuleTypes()) models.insert(type->name);
    EXPECT_EQ(objects, models);
}

TEST(BuiltinTypes, ModelTablesMatchTheMaps) {
    for (const auto *type : hover::model::builtinModuleTypes()) {
        for (auto mode : {hover::AttachMode::kTc, hover::AttachMode::kXdp}) {
            const hover::ModuleType *object = hover::findBuiltinModuleType(type->name, mode);
            ASSERT_NE(object, nullptr) << type->name;
            Object obj(bpf_object__open_mem(object->elf, object->elf_size, nullptr), bpf_object__close);
            ASSERT_TRUE(obj) << type->name;
            for (const auto *table : type->tables) {
                // A shared table: the hook's map (pinned by name), keys with the module id in front
                // (a shared array: a row of slots per module).
                const char *map_name = table->shared_map ? table->shared_map : table->name;
                bpf_map *map = bpf_object__find_map_by_name(obj.get(), map_name);
                ASSERT_NE(map, nullptr) << type->name << " has no map " << map_name;
                EXPECT_EQ(bpf_map__key_size(map), hover::model::mapKeySize(*table)) << type->name << "." << table->name;
                if (table->slots)
                    EXPECT_EQ(bpf_map__max_entries(map), uint64_t{IOV_MAX_MODULES} * table->slots)
                        << type->name << "." << table->name << ": a row per module id";
                EXPECT_EQ(bpf_map__value_size(map), table->value_size) << type->name << "." << table->name;
                EXPECT_EQ(bpf_map__type(map) == BPF_MAP_TYPE_ARRAY, table->array) << type->name << "." << table->name;
                if (table->shared_map) {
                    EXPECT_EQ(bpf_map__type(map) == BPF_MAP_TYPE_LPM_TRIE, table->lpm)
                        << type->name << "." << table->name << ": a shared LPM table's keys are shifted";
                }
                EXPECT_EQ(bpf_map__pin_path(map) != nullptr, table->shared_map != nullptr)
                    << type->name << "." << table->name << ": shared maps are pinned by name, own maps are not";
            }
        }
    }
}

}  // namespace
