// Big-endian writes for the wire formats the controller precomputes (DHCP
// options, router advertisements, DNS answers).
#pragma once

#include <cstdint>
#include <vector>

namespace ctl {

// The low `bytes` bytes of `v`, most significant first.
inline void putBe(std::vector<uint8_t> &out, uint32_t v, int bytes) {
    for (int b = bytes - 1; b >= 0; --b) out.push_back(uint8_t(v >> (8 * b)));
}

}  // namespace ctl
