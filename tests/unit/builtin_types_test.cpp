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
                bpf_map *map = bpf_object__find_map_by_name(obj.get(), table->name);
                ASSERT_NE(map, nullptr) << type->name << " has no table " << table->name;
                EXPECT_EQ(bpf_map__key_size(map), table->key_size) << type->name << "." << table->name;
                EXPECT_EQ(bpf_map__value_size(map), table->value_size) << type->name << "." << table->name;
                EXPECT_EQ(bpf_map__type(map) == BPF_MAP_TYPE_ARRAY, table->array) << type->name << "." << table->name;
            }
        }
    }
}

}  // namespace
