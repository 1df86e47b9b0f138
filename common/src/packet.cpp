#include "iovisor/packet.h"

#include <map>
#include <sstream>

#include <cstdio>
#include <stdexcept>

namespace iovisor::packet {

namespace {
void put16(Bytes &b, uint16_t v) {
    b.push_back(v >> 8);
    b.push_back(v & 0xff);
}
void put32(Bytes &b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}
void putRaw32(Bytes &b, uint32_t network_order) {
    const auto *p = reinterpret_cast<const uint8_t *>(&network_order);
    b.insert(b.end(), p, p + 4);
}
uint32_t pseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
    Bytes ph;
    putRaw32(ph, src);
    putRaw32(ph, dst);
    ph.push_back(0);
    ph.push_back(proto);
    put16(ph, len);
    uint32_t sum = 0;
    for (size_t i = 0; i < ph.size(); i += 2) sum += (ph[i] << 8) | ph[i + 1];
    return sum;
}
}  // namespace

std::string hex(const Bytes &b) {
    std::string s;
    char buf[4];
    for (size_t i = 0; i < b.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
        if (i % 2 == 1) s += ' ';
    }
    return s;
}

std::string hexDigits(const Bytes &b) {
    std::string s;
    char buf[3];
    for (uint8_t byte : b) {
        std::snprintf(buf, sizeof buf, "%02x", byte);
        s += buf;
    }
    return s;
}

uint16_t inetChecksum(const uint8_t *data, size_t len, uint32_t seed) {
    uint32_t sum = seed;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (len & 1) sum += data[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes eth(const Mac &dst, const Mac &src, uint16_t type, const Bytes &payload) {
    Bytes b(dst.begin(), dst.end());
    b.insert(b.end(), src.begin(), src.end());
    put16(b, type);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes arp(uint16_t op, const Mac &sha, uint32_t spa, const Mac &tha, uint32_t tpa) {
    Bytes b;
    put16(b, 1);
    put16(b, kEthIp);
    b.push_back(6);
    b.push_back(4);
    put16(b, op);
    b.insert(b.end(), sha.begin(), sha.end());
    putRaw32(b, spa);
    b.insert(b.end(), tha.begin(), tha.end());
    putRaw32(b, tpa);
    return b;
}

Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes &payload, const Ipv4Options &o) {
    Bytes b;
    const uint8_t ihl = 5 + o.options.size() / 4;
    b.push_back(0x40 | ihl);
    b.push_back(0);
    put16(b, ihl * 4 + payload.size());
    put16(b, o.id);
    put16(b, o.frag_off);
    b.push_back(o.ttl);
    b.push_back(proto);
    put16(b, 0);
    putRaw32(b, src);
    putRaw32(b, dst);
    b.insert(b.end(), o.options.begin(), o.options.end());
    const uint16_t csum = inetChecksum(b.data(), b.size());
    b[10] = csum >> 8;
    b[11] = csum & 0xff;
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes ipv6(const Ip6 &src, const Ip6 &dst, uint8_t next_header, const Bytes &payload, uint8_t hop_limit) {
    Bytes b;
    put32(b, 0x60000000);
    put16(b, payload.size());
    b.push_back(next_header);
    b.push_back(hop_limit);
    b.insert(b.end(), src.begin(), src.end());
    b.insert(b.end(), dst.begin(), dst.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// `msg` of upper-layer protocol `proto` with its checksum (2 bytes at
// `at`) over the IPv6 pseudo-header.
namespace {
Bytes withChecksum6(const Ip6 &src, const Ip6 &dst, uint8_t proto, Bytes msg, size_t at) {
    Bytes pseudo(src.begin(), src.end());
    pseudo.insert(pseudo.end(), dst.begin(), dst.end());
    const size_t n = msg.size();
    const Bytes tail = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n), 0, 0, 0, proto};
    pseudo.insert(pseudo.end(), tail.begin(), tail.end());
    msg[at] = msg[at + 1] = 0;
    pseudo.insert(pseudo.end(), msg.begin(), msg.end());
    uint16_t csum = inetChecksum(pseudo.data(), pseudo.size());
    if (proto == 17 && csum == 0) csum = 0xffff;
    msg[at] = csum >> 8;
    msg[at + 1] = csum & 0xff;
    return msg;
}
}  // namespace

Bytes icmp6(const Ip6 &src, const Ip6 &dst, Bytes msg) { return withChecksum6(src, dst, 58, std::move(msg), 2); }

Bytes udp6(const Ip6 &src, const Ip6 &dst, uint16_t sport, uint16_t dport, const Bytes &payload) {
    const size_t len = 8 + payload.size();
    Bytes u = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0};
    u.insert(u.end(), payload.begin(), payload.end());
    return withChecksum6(src, dst, 17, std::move(u), 6);
}

Bytes udp(uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, const Bytes &payload) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, 8 + payload.size());
    put16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    uint16_t csum = inetChecksum(b.data(), b.size(), pseudoHeaderSum(src_ip, dst_ip, 17, b.size()));
    if (csum == 0) csum = 0xffff;
    b[6] = csum >> 8;
    b[7] = csum & 0xff;
    return b;
}

Bytes tcp(uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, seq);
    put32(b, 0);
    b.push_back(5 << 4);
    b.push_back(flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
    const uint16_t csum = inetChecksum(b.data(), b.size(), pseudoHeaderSum(src_ip, dst_ip, 6, b.size()));
    b[16] = csum >> 8;
    b[17] = csum & 0xff;
    return b;
}

Bytes icmpEcho(uint8_t type, uint16_t id, uint16_t seq, const Bytes &payload) {
    Bytes b;
    b.push_back(type);
    b.push_back(0);
    put16(b, 0);
    put16(b, id);
    put16(b, seq);
    b.insert(b.end(), payload.begin(), payload.end());
    const uint16_t csum = inetChecksum(b.data(), b.size());
    b[2] = csum >> 8;
    b[3] = csum & 0xff;
    return b;
}

Result<Bytes> fromDescription(const std::string &description) {
    std::map<std::string, std::string> f;
    std::istringstream in(description);
    for (std::string token; in >> token;) {
        const auto eq = token.find('=');
        f[token.substr(0, eq)] = eq == std::string::npos ? "" : token.substr(eq + 1);
    }
    static const char *const known[] = {"eth.src", "eth.dst", "ip4.src", "ip4.dst", "ip.ttl", "udp.src", "udp.dst",
                                        "tcp.src", "tcp.dst", "icmp4",   "arp.spa", "arp.tpa"};
    for (const auto &[key, value] : f) {
        bool ok = false;
        for (const char *k : known) ok |= key == k;
        if (!ok) return makeError(Errc::kInvalid, "unknown field '" + key + "' in the packet description");
    }
    auto mac = [&](const char *key, const Mac &fallback) -> Result<Mac> {
        return f.count(key) ? parseMac(f[key]) : Result<Mac>(fallback);
    };
    auto ip = [&](const char *key) -> Result<uint32_t> {
        if (!f.count(key)) return makeError(Errc::kInvalid, std::string(key) + " is needed");
        return parseIpv4(f[key]);
    };
    auto number = [&](const char *key, unsigned fallback, unsigned max) -> Result<unsigned> {
        if (!f.count(key)) return fallback;
        const std::string &v = f[key];
        if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) > max)
            return makeError(Errc::kInvalid, std::string(key) + "=" + v + " is not a number up to " + std::to_string(max));
        return static_cast<unsigned>(std::stoul(v));
    };
    auto src = mac("eth.src", Mac{0x02, 0, 0, 0, 0, 1});
    auto dst = mac("eth.dst", kBroadcast);
    if (!src.ok()) return src.error();
    if (!dst.ok()) return dst.error();
    if (f.count("arp.tpa")) {
        auto spa = ip("arp.spa"), tpa = ip("arp.tpa");
        if (!spa.ok()) return spa.error();
        if (!tpa.ok()) return tpa.error();
        return eth(*dst, *src, kEthArp, arp(1, *src, *spa, Mac{}, *tpa));
    }
    auto s = ip("ip4.src"), d = ip("ip4.dst");
    if (!s.ok()) return s.error();
    if (!d.ok()) return d.error();
    auto ttl = number("ip.ttl", 64, 255);
    if (!ttl.ok()) return ttl.error();
    Ipv4Options o;
    o.ttl = static_cast<uint8_t>(*ttl);
    if (f.count("tcp.src") || f.count("tcp.dst")) {
        auto sp = number("tcp.src", 40000, 65535), dp = number("tcp.dst", 80, 65535);
        if (!sp.ok()) return sp.error();
        if (!dp.ok()) return dp.error();
        return eth(*dst, *src, kEthIp, ipv4(*s, *d, 6, tcp(*s, *d, *sp, *dp, 0x02), o));
    }
    if (f.count("icmp4")) return eth(*dst, *src, kEthIp, ipv4(*s, *d, 1, icmpEcho(8, 1, 1), o));
    auto sp = number("udp.src", 40000, 65535), dp = number("udp.dst", 53, 65535);
    if (!sp.ok()) return sp.error();
    if (!dp.ok()) return dp.error();
    return eth(*dst, *src, kEthIp, ipv4(*s, *d, 17, udp(*s, *d, *sp, *dp), o));
}

}  // namespace iovisor::packet
