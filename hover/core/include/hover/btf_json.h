// JSON <-> bytes for eBPF map keys and values, driven by the map's BTF:
// structs are objects (pad* members hidden), arrays are lists, integers are
// numbers; the types of bpf/lib/tables.h say what an address is: __be32 is a
// dotted IPv4 string, __be16 a number in host order, iov_mac_t a MAC string,
// iov_ip6_t an IPv6 string. Types without BTF are hex strings ("0a000001").
#pragma once

#include <bpf/btf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hover/bytes.h"
#include "iovisor/result.h"

namespace hover {

class BtfCodec {
public:
    // `btf` may be null (no type information: hex). `type_id` 0 likewise.
    BtfCodec(std::shared_ptr<const btf> btf, uint32_t type_id, uint32_t size);

    nlohmann::json decode(const uint8_t *data) const;
    iovisor::Result<Bytes> encode(const nlohmann::json &value) const;
    uint32_t size() const { return size_; }

private:
    std::shared_ptr<const btf> btf_;
    uint32_t type_id_;
    uint32_t size_;
};

// Codecs for one map's key and value, from the map's BTF in the kernel.
struct MapCodec {
    BtfCodec key;
    BtfCodec value;
};
iovisor::Result<MapCodec> mapCodec(int map_fd);

}  // namespace hover
