#include "iovisor/net.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace iovisor {

namespace {
Error invalid(const std::string &what, const std::string &text) {
    return makeError(Errc::kInvalid, "'" + text + "' is not " + what);
}

// Splits "addr/len"; len defaults to `max_len`.
bool splitPrefix(const std::string &text, std::string *addr, int *len, int max_len) {
    const auto slash = text.find('/');
    *addr = text.substr(0, slash);
    *len = max_len;
    if (slash == std::string::npos) return true;
    const std::string digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
        return false;
    *len = std::stoi(digits);
    return *len <= max_len;
}
}  // namespace

// Six groups of one or two hex digits, as OVN's ETH_ADDR_SCAN_FMT reads
// them. By hand: the controller parses every local port's addresses on each
// change of its switch, and sscanf costs ~1 us a call.
Result<Mac> parseMac(const std::string &text) {
    const auto notMac = [&text] { return invalid("a MAC address (xx:xx:xx:xx:xx:xx)", text); };
    Mac mac{};
    size_t at = 0;
    for (int i = 0; i < 6; ++i) {
        if (i > 0 && (at >= text.size() || text[at++] != ':')) return notMac();
        int digits = 0, value = 0;
        for (; digits < 2 && at < text.size() && std::isxdigit(static_cast<unsigned char>(text[at])); ++digits, ++at) {
            const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[at])));
            value = value * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
        }
        if (digits == 0) return notMac();
        mac[i] = static_cast<uint8_t>(value);
    }
    if (at != text.size()) return notMac();
    return mac;
}

Result<uint32_t> parseIpv4(const std::string &text) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) return invalid("an IPv4 address", text);
    return static_cast<uint32_t>(a.s_addr);
}

Result<Ip6> parseIpv6(const std::string &text) {
    Ip6 a{};
    if (inet_pton(AF_INET6, text.c_str(), a.data()) != 1) return invalid("an IPv6 address", text);
    return a;
}

uint32_t networkOf(uint32_t addr, int len) { return len <= 0 ? 0 : len >= 32 ? addr : addr & htonl(~0u << (32 - len)); }

Ip6 networkOf(Ip6 addr, int len) {
    for (int i = 0; i < 16; ++i) addr[i] &= static_cast<uint8_t>(0xff00 >> std::clamp(len - i * 8, 0, 8));
    return addr;
}

Ip6 linkLocal(const Mac &m) {
    return {0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(m[0] ^ 2), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
}

Result<Ipv4Prefix> parseIpv4Prefix(const std::string &text) {
    std::string addr;
    int len;
    if (!splitPrefix(text, &addr, &len, 32)) return invalid("an IPv4 prefix", text);
    auto ip = parseIpv4(addr);
    if (!ip.ok()) return invalid("an IPv4 prefix", text);
    return Ipv4Prefix{*ip, static_cast<uint8_t>(len)};
}

Result<Ipv6Prefix> parseIpv6Prefix(const std::string &text) {
    std::string addr;
    int len;
    if (!splitPrefix(text, &addr, &len, 128)) return invalid("an IPv6 prefix", text);
    auto ip = parseIpv6(addr);
    if (!ip.ok()) return invalid("an IPv6 prefix", text);
    return Ipv6Prefix{*ip, static_cast<uint8_t>(len)};
}

std::string formatMac(const Mac &mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

std::string formatIpv4(uint32_t addr) {
    char buf[INET_ADDRSTRLEN];
    in_addr a{addr};
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::string formatIpv6(const Ip6 &addr) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
    return buf;
}

std::string percentEncode(const std::string &text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace iovisor
