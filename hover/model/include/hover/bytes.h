// Raw bytes of eBPF map keys and values, and their hex form (REST, CLI).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "iovisor/result.h"

namespace hover {

using Bytes = std::vector<uint8_t>;

std::string toHex(const uint8_t *data, size_t len);
inline std::string toHex(const Bytes &b) { return toHex(b.data(), b.size()); }
// Exactly `len` bytes, written as 2 * len hex digits.
iovisor::Result<Bytes> fromHex(const std::string &hex, size_t len);

}  // namespace hover
