#include "frame_checks.h"

#include <algorithm>
#include <cstring>

namespace bpftest {

using testsupport::Bytes;

namespace {

constexpr size_t kEthLen = 14;

uint16_t be16(const Bytes &f, size_t at) { return uint16_t(f[at] << 8 | f[at + 1]); }

// Ones' complement sum of a pseudo-header `pseudo` and `len` bytes at `at`.
bool checksumHolds(const Bytes &f, size_t at, size_t len, const Bytes &pseudo) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < pseudo.size(); i += 2) sum += uint32_t(pseudo[i] << 8 | pseudo[i + 1]);
    return testsupport::inetChecksum(f.data() + at, len, sum) == 0;
}

Bytes pseudoHeader(const Bytes &f, size_t addr_at, size_t addr_len, uint8_t proto, size_t len) {
    Bytes p(f.begin() + long(addr_at), f.begin() + long(addr_at + 2 * addr_len));
    p.insert(p.end(), {0, proto, uint8_t(len >> 8), uint8_t(len)});
    return p;
}

// The L4 segment of `len` bytes at `at`: its checksum, if it is one we know.
bool l4Valid(const Bytes &f, size_t at, size_t len, uint8_t proto, const Bytes &pseudo) {
    switch (proto) {
        case 17:  // UDP: 0 is "no checksum" over IPv4
            if (len < 8) return true;  // not whole: the datapath never forwards it rewritten
            if (be16(f, at + 6) == 0 && pseudo.size() == 12) return true;
            return checksumHolds(f, at, len, pseudo);
        case 6:
            return len < 20 || checksumHolds(f, at, len, pseudo);
        case 1:  // ICMP: no pseudo-header
            return len < 8 || checksumHolds(f, at, len, {});
        case 58:
            return len < 8 || checksumHolds(f, at, len, pseudo);
        default:
            return true;
    }
}

bool ipv4Valid(const Bytes &f) {
    if (f.size() < kEthLen + 20) return false;
    const size_t ihl = size_t(f[kEthLen] & 0xf) * 4, total = be16(f, kEthLen + 2);
    if ((f[kEthLen] >> 4) != 4 || ihl < 20 || total < ihl || kEthLen + total > f.size()) return false;
    if (testsupport::inetChecksum(f.data() + kEthLen, ihl) != 0) return false;
    if (be16(f, kEthLen + 6) & 0x3fff) return true;  // a fragment: its L4 is not all here
    const uint8_t proto = f[kEthLen + 9];
    return l4Valid(f, kEthLen + ihl, total - ihl, proto, pseudoHeader(f, kEthLen + 12, 4, proto, total - ihl));
}

bool ipv6Valid(const Bytes &f) {
    if (f.size() < kEthLen + 40) return false;
    const size_t payload = be16(f, kEthLen + 4);
    if ((f[kEthLen] >> 4) != 6 || kEthLen + 40 + payload > f.size()) return false;
    const uint8_t next = f[kEthLen + 6];
    return l4Valid(f, kEthLen + 40, payload, next, pseudoHeader(f, kEthLen + 8, 16, next, payload));
}

bool isEui64LinkLocal(const uint8_t *a, const testsupport::Mac &mac) {
    const uint8_t want[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, uint8_t(mac[0] ^ 2), mac[1], mac[2], 0xff, 0xfe,
                              mac[3], mac[4], mac[5]};
    return std::memcmp(a, want, 16) == 0;
}

}  // namespace

bool validFrame(const Bytes &frame) {
    if (frame.size() < kEthLen) return false;
    switch (be16(frame, 12)) {
        case testsupport::kEthIp: return ipv4Valid(frame);
        case testsupport::kEthIp6: return ipv6Valid(frame);
        default: return true;
    }
}

bool portSecurityAllows(const SecuredPort &port, const Bytes &f) {
    if (f.size() < kEthLen || !std::equal(port.mac.begin(), port.mac.end(), f.begin() + 6)) return false;
    const uint8_t *ipv4 = reinterpret_cast<const uint8_t *>(&port.ipv4);
    switch (be16(f, 12)) {
        case testsupport::kEthArp:  // sender MAC at 22, sender IPv4 at 28
            return f.size() >= kEthLen + 28 && std::equal(port.mac.begin(), port.mac.end(), f.begin() + 22) &&
                   std::equal(ipv4, ipv4 + 4, f.begin() + 28);
        case testsupport::kEthIp: {
            if (f.size() < kEthLen + 20) return false;
            const bool dhcp = std::all_of(f.begin() + 26, f.begin() + 30, [](uint8_t b) { return b == 0; }) &&
                              std::all_of(f.begin() + 30, f.begin() + 34, [](uint8_t b) { return b == 0xff; });
            return dhcp || std::equal(ipv4, ipv4 + 4, f.begin() + 26);
        }
        case testsupport::kEthIp6: {
            if (f.size() < kEthLen + 40) return false;
            const uint8_t *src = f.data() + 22;
            return std::memcmp(src, port.ipv6.data(), 16) == 0 || isEui64LinkLocal(src, port.mac) ||
                   std::all_of(src, src + 16, [](uint8_t b) { return b == 0; });
        }
        case testsupport::kEthVlan:
        case 0x88a8:
            return false;
        default:
            return true;
    }
}

}  // namespace bpftest
