#include "hover/bytes.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;

std::string toHex(const uint8_t *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < len; ++i) {
        s += digits[data[i] >> 4];
        s += digits[data[i] & 15];
    }
    return s;
}

iovisor::Result<Bytes> fromHex(const std::string &hex, size_t len) {
    if (hex.size() != 2 * len)
        return makeError(Errc::kInvalid, "hex '" + hex + "' must have " + std::to_string(2 * len) + " digits");
    Bytes out(len);
    for (size_t i = 0; i < len; ++i) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return makeError(Errc::kInvalid, "'" + hex + "' is not hex");
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return out;
}

}  // namespace hover
