#include "hover/typed_map.h"

#include <bpf/libbpf.h>

namespace hover {

iovisor::Result<MapInfo> mapInfo(int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return iovisor::errnoError(errno, "bpf_map_info");
    MapInfo out;
    out.name = info.name;
    out.type = info.type;
    out.key_size = info.key_size;
    out.value_size = info.value_size;
    out.max_entries = info.max_entries;
    out.btf_key_type_id = info.btf_key_type_id;
    out.btf_value_type_id = info.btf_value_type_id;
    return out;
}

bool isPerCpu(uint32_t map_type) {
    return map_type == BPF_MAP_TYPE_PERCPU_ARRAY || map_type == BPF_MAP_TYPE_PERCPU_HASH ||
           map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int possibleCpus() {
    static const int n = libbpf_num_possible_cpus();
    return n > 0 ? n : 1;
}

}  // namespace hover
