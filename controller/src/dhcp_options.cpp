#include "dhcp_options.h"

#include "wire.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

namespace ctl {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
namespace l2 = hover::model::l2switch;

namespace {

enum class Type { kIpv4, kBool, kUint8, kUint16, kUint32, kStr, kHostId, kStaticRoutes, kDomains };

struct OptionDesc {
    uint8_t code;
    Type type;
};

// Option bytes a reply holds: a 1514-byte frame less the headers (Ethernet,
// IPv4, UDP, BOOTP, cookie), the message type and the trailer.
constexpr size_t kOptionsMax = 1514 - 14 - 20 - 8 - 240 - 3 - 9;

// Codes of the options that get special places in a reply.
constexpr uint8_t kNetmask = 1, kLeaseTime = 51, kT1 = 58, kT2 = 59, kBootfile = 67, kNextServer = 253,
                  kBootfileAlt = 254;

// Every DHCPv4 option OVN knows (lib/ovn-l7.h), by its DHCP_Options name.
const std::map<std::string, OptionDesc> &knownOptions() {
    static const std::map<std::string, OptionDesc> kOptions = {
        {"netmask", {1, Type::kIpv4}},           {"router", {3, Type::kIpv4}},
        {"dns_server", {6, Type::kIpv4}},        {"log_server", {7, Type::kIpv4}},
        {"lpr_server", {9, Type::kIpv4}},        {"hostname", {12, Type::kStr}},
        {"domain_name", {15, Type::kStr}},       {"swap_server", {16, Type::kIpv4}},
        {"ip_forward_enable", {19, Type::kBool}}, {"policy_filter", {21, Type::kIpv4}},
        {"default_ttl", {23, Type::kUint8}},     {"mtu", {26, Type::kUint16}},
        {"broadcast_address", {28, Type::kIpv4}}, {"router_discovery", {31, Type::kBool}},
        {"router_solicitation", {32, Type::kIpv4}}, {"arp_cache_timeout", {35, Type::kUint32}},
        {"ethernet_encap", {36, Type::kBool}},   {"tcp_ttl", {37, Type::kUint8}},
        {"tcp_keepalive_interval", {38, Type::kUint32}}, {"nis_server", {41, Type::kIpv4}},
        {"ntp_server", {42, Type::kIpv4}},       {"netbios_name_server", {44, Type::kIpv4}},
        {"netbios_node_type", {46, Type::kUint8}}, {"lease_time", {51, Type::kUint32}},
        {"server_id", {54, Type::kIpv4}},        {"T1", {58, Type::kUint32}},
        {"T2", {59, Type::kUint32}},             {"tftp_server", {66, Type::kHostId}},
        {"bootfile_name", {67, Type::kStr}},     {"domain_search_list", {119, Type::kDomains}},
        {"classless_static_route", {121, Type::kStaticRoutes}}, {"tftp_server_address", {150, Type::kIpv4}},
        {"path_prefix", {210, Type::kStr}},      {"ms_classless_static_route", {249, Type::kStaticRoutes}},
        {"wpad", {252, Type::kStr}},             {"next_server", {253, Type::kIpv4}},
        {"bootfile_name_alt", {254, Type::kStr}},
    };
    return kOptions;
}

// One constant of OVN's action language: a quoted string, or an integer
// (a number or an IPv4 address, with a prefix length if masked).
struct Constant {
    bool is_string = false;
    std::string text;
    uint32_t value = 0;  // integers: host order
    int plen = 32;
    std::optional<iovisor::Ip6> ip6;  // an IPv6 address
};

Result<Constant> parseString(const std::string &s, size_t &i) {
    Constant c{true};
    for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] != '\\') {
            c.text += s[i];
            continue;
        }
        if (++i == s.size()) break;
        static const std::map<char, char> kEscapes = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'}, {'"', '"'}, {'\\', '\\'}};
        auto e = kEscapes.find(s[i]);
        c.text += e == kEscapes.end() ? s[i] : e->second;
    }
    if (i == s.size()) return makeError(Errc::kInvalid, "unterminated string");
    ++i;
    return c;
}

Result<Constant> parseInteger(const std::string &word) {
    Constant c;
    if (auto v6 = iovisor::parseIpv6(word); v6.ok() && word.find(':') != std::string::npos) {
        c.ip6 = *v6;
        return c;
    }
    if (auto p = iovisor::parseIpv4Prefix(word); p.ok() && word.find('.') != std::string::npos) {
        c.value = ntohl(p->addr);
        c.plen = p->len;
        return c;
    }
    char *end = nullptr;
    const unsigned long long v = std::strtoull(word.c_str(), &end, 0);
    if (word.empty() || *end || v > UINT32_MAX) return makeError(Errc::kInvalid, "'" + word + "' is not a constant");
    c.value = uint32_t(v);
    return c;
}

// A value: one constant or a set `{a, b, ...}` of one kind.
Result<std::vector<Constant>> parseValue(const std::string &s) {
    std::vector<Constant> out;
    size_t i = 0;
    bool set = false;
    while (i < s.size()) {
        const char ch = s[i];
        if (std::isspace(static_cast<unsigned char>(ch)) || ch == ',' || (ch == '{' && !set && out.empty()) ||
            (ch == '}' && set)) {
            set |= ch == '{';
            ++i;
            continue;
        }
        Result<Constant> c = makeError(Errc::kInvalid, "");
        if (ch == '"') {
            c = parseString(s, i);
        } else {
            const size_t end = s.find_first_of(" \t,{}\"", i);
            c = parseInteger(s.substr(i, end - i));
            i = end == std::string::npos ? s.size() : end;
        }
        if (!c.ok()) return c.error();
        if (!out.empty() && out.front().is_string != c->is_string)
            return makeError(Errc::kInvalid, "a set mixes strings and numbers");
        out.push_back(*c);
    }
    if (out.empty()) return makeError(Errc::kInvalid, "no value");
    return out;
}

// RFC 3442: prefix length, the significant octets of the destination, the
// gateway; `{dest/len, gw, ...}` pairs (an odd last one is ignored, as OVN).
std::vector<uint8_t> staticRoutes(const std::vector<Constant> &v) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
        out.push_back(uint8_t(v[i].plen));
        for (int b = 0; b < (v[i].plen + 7) / 8; ++b) out.push_back(uint8_t(v[i].value >> (24 - 8 * b)));
        putBe(out, v[i + 1].value, 4);
    }
    return out;
}

// RFC 1035 names, a suffix already written becoming a pointer to it (as
// OVN encodes domain_search_list).
std::vector<uint8_t> domains(const std::string &list) {
    std::vector<uint8_t> out;
    std::map<std::string, uint16_t> written;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string name = list.substr(start, end - start);
        start = end + 1;
        bool pointed = false;
        while (!name.empty()) {
            if (auto w = written.find(name); w != written.end()) {
                putBe(out, 0xc000u | w->second, 2);
                pointed = true;
                break;
            }
            written[name] = uint16_t(out.size());
            const size_t dot = name.find('.');
            const std::string label = name.substr(0, dot);
            out.push_back(uint8_t(label.size()));
            out.insert(out.end(), label.begin(), label.end());
            name = dot == std::string::npos ? "" : name.substr(dot + 1);
        }
        if (!pointed) out.push_back(0);
    }
    return out;
}

// The option's wire value.
Result<std::vector<uint8_t>> encodeValue(const std::string &name, Type type, const std::vector<Constant> &v) {
    const bool wants_string = type == Type::kStr || type == Type::kDomains;
    if (type != Type::kHostId && v.front().is_string != wants_string)
        return makeError(Errc::kInvalid, name + " requires a " + (wants_string ? "string" : "numeric") + " value");
    std::vector<uint8_t> out;
    const uint32_t first = v.front().value;
    const auto number = [&](uint32_t max, int bytes) -> Result<std::vector<uint8_t>> {
        if (first > max) return makeError(Errc::kInvalid, name + " " + std::to_string(first) + " is out of range");
        putBe(out, first, bytes);
        return out;
    };
    switch (type) {
    case Type::kBool: return number(1, 1);
    case Type::kUint8: return number(0xff, 1);
    case Type::kUint16: return number(0xffff, 2);
    case Type::kUint32: return number(UINT32_MAX, 4);
    case Type::kIpv4:
        for (const auto &c : v) putBe(out, c.value, 4);
        return out;
    case Type::kStaticRoutes: return staticRoutes(v);
    case Type::kDomains: return domains(v.front().text);
    case Type::kStr:
    case Type::kHostId:
        if (!v.front().is_string) return number(UINT32_MAX, 4);
        return std::vector<uint8_t>(v.front().text.begin(), v.front().text.end());
    }
    return out;
}

// Puts an encoded option where the reply layout wants it (tables.h): the
// bootfile options in their segments (the alternative under code 67, as
// pinctrl sends it), netmask and lease times where an INFORM's ACK leaves
// them out, next_server first among the rest (OVN encodes it before the
// sorted options) and the rest in order.
iovisor::Status place(l2::Dhcp4 &d, const std::string &name, uint8_t code, const std::vector<uint8_t> &value) {
    if (value.size() > 255)
        return makeError(Errc::kInvalid, name + " is " + std::to_string(value.size()) + " bytes long (at most 255)");
    std::vector<uint8_t> option{code == kBootfileAlt ? kBootfile : code, uint8_t(value.size())};
    option.insert(option.end(), value.begin(), value.end());
    if (code == kBootfile) d.boot = option;
    else if (code == kBootfileAlt) d.boot_alt = option;
    else if (code == kNextServer) d.rest.insert(d.rest.begin(), option.begin(), option.end());
    else if (code == kNetmask || code == kLeaseTime || code == kT1 || code == kT2)
        d.lease.insert(d.lease.end(), option.begin(), option.end());
    else d.rest.insert(d.rest.end(), option.begin(), option.end());
    return iovisor::Status{};
}

// The options northd puts in the action: the row's, without server_mac, with
// the cidr's netmask and the port's hostname.
ovnmon::StringMap actionOptions(const ovnmon::DhcpOptions &options, const ovnmon::StringMap &port_options,
                                const iovisor::Ipv4Prefix &cidr) {
    ovnmon::StringMap out = options.options;
    out.erase("server_mac");
    out["netmask"] = iovisor::formatIpv4(htonl(cidr.len ? ~0u << (32 - cidr.len) : 0));
    if (auto h = port_options.find("hostname"); h != port_options.end()) out["hostname"] = h->second;
    return out;
}

// The reply's fixed part for every offer of these options.
Result<l2::Dhcp4> replyOf(const ovnmon::DhcpOptions &options, const ovnmon::StringMap &port_options,
                          const iovisor::Ipv4Prefix &cidr) {
    l2::Dhcp4 d;
    for (const char *required : {"server_id", "server_mac", "lease_time"})
        if (!options.options.count(required)) return makeError(Errc::kInvalid, std::string("no ") + required);
    auto mac = iovisor::parseMac(options.options.at("server_mac"));
    if (!mac.ok()) return mac.error().context("server_mac");
    d.server_mac = *mac;
    for (const auto &[name, text] : actionOptions(options, port_options, cidr)) {
        auto known = knownOptions().find(name);
        if (known == knownOptions().end()) return makeError(Errc::kInvalid, "unknown DHCPv4 option " + name);
        auto value = parseValue(text);
        if (!value.ok()) return value.error().context(name);
        auto bytes = encodeValue(name, known->second.type, *value);
        if (!bytes.ok()) return bytes.error();
        if (auto placed = place(d, name, known->second.code, *bytes); !placed.ok()) return placed.error();
        if (name == "server_id") d.server_ip = htonl(value->front().value);
        if (name == "next_server") d.next_server = htonl(value->front().value);
    }
    const size_t total = d.boot_alt.size() + d.boot.size() + d.lease.size() + d.rest.size();
    if (d.lease.size() > L2_DHCP4_LEASE_MAX || d.rest.size() > L2_DHCP4_REST_MAX || total > kOptionsMax)
        return makeError(Errc::kTooLarge, "the options take " + std::to_string(total) + " bytes, more than a reply holds");
    return d;
}

}  // namespace

namespace {

void putOption6(std::vector<uint8_t> &out, uint16_t code, const std::vector<uint8_t> &value) {
    putBe(out, code, 2);
    putBe(out, uint32_t(value.size()), 2);
    out.insert(out.end(), value.begin(), value.end());
}

// IA_NA holding `addr` for ever (pinctrl's lifetimes), its IAID the
// request's (written by the datapath at offset 4).
std::vector<uint8_t> iaNa(const iovisor::Ip6 &addr) {
    std::vector<uint8_t> ia_addr(addr.begin(), addr.end());
    putBe(ia_addr, UINT32_MAX, 4);
    putBe(ia_addr, UINT32_MAX, 4);
    std::vector<uint8_t> ia(4, 0);
    putBe(ia, UINT32_MAX, 4);
    putBe(ia, UINT32_MAX, 4);
    putOption6(ia, 5, ia_addr);
    std::vector<uint8_t> out;
    putOption6(out, 3, ia);
    return out;
}

// One DHCPv6 option of the row in wire format, as pinctrl sends it.
Result<std::vector<uint8_t>> option6(const std::string &name, const std::string &text) {
    std::vector<uint8_t> out;
    auto value = parseValue(text);
    if (!value.ok()) return value.error().context(name);
    const bool str = value->front().is_string;
    if (name == "dns_server") {
        std::vector<uint8_t> addrs;
        for (const auto &c : *value) {
            if (!c.ip6) return makeError(Errc::kInvalid, "dns_server requires IPv6 addresses");
            addrs.insert(addrs.end(), c.ip6->begin(), c.ip6->end());
        }
        putOption6(out, 23, addrs);
    } else if (name == "domain_search" || name == "bootfile_name" || name == "bootfile_name_alt") {
        if (!str) return makeError(Errc::kInvalid, name + " requires a string value");
        const std::string &v = value->front().text;
        // domain_search as RFC 3646 wants it (names in RFC 1035 labels):
        // pinctrl sends the text as one label, which clients discard.
        const std::vector<uint8_t> bytes = name == "domain_search" ? domains(v) : std::vector<uint8_t>(v.begin(), v.end());
        putOption6(out, name == "domain_search" ? 24 : 59, bytes);
    } else {
        return makeError(Errc::kInvalid, "unknown DHCPv6 option " + name);
    }
    return out;
}

// The segments of a reply (tables.h L2_DHCP6_*) in pinctrl's order: the
// address, the options by name, server_id; a Release's: server_id, status.
Result<std::vector<l2::Dhcp6Segment>> segments6(const ovnmon::StringMap &options, const iovisor::Mac &server) {
    std::vector<l2::Dhcp6Segment> seg(6);
    seg[0].needs = L2_DHCP6_NEED_ADDRESS | L2_DHCP6_NEED_NOT_RELEASE;
    seg[1].needs = L2_DHCP6_NEED_IPXE | L2_DHCP6_NEED_NOT_RELEASE;
    seg[2].needs = L2_DHCP6_NEED_NOT_IPXE | L2_DHCP6_NEED_NOT_RELEASE;
    seg[3].needs = L2_DHCP6_NEED_NOT_RELEASE;
    seg[5].needs = L2_DHCP6_NEED_RELEASE;
    for (const auto &[name, text] : options) {
        if (name == "server_id" || name == "dhcpv6_stateless") continue;
        auto bytes = option6(name, text);
        if (!bytes.ok()) return bytes.error();
        auto &to = name == "bootfile_name" ? seg[1] : name == "bootfile_name_alt" ? seg[2] : seg[3];
        to.bytes.insert(to.bytes.end(), bytes->begin(), bytes->end());
    }
    std::vector<uint8_t> duid = {0, 3, 0, 1};  // DUID-LL, Ethernet
    duid.insert(duid.end(), server.begin(), server.end());
    putOption6(seg[4].bytes, 2, duid);
    putOption6(seg[5].bytes, 13, {0, 0});  // success
    return seg;
}

}  // namespace

Result<std::vector<l2::Dhcp6>> dhcp6Answers(const ovnmon::DhcpOptions &options,
                                            const std::vector<l2::Addresses> &addresses) {
    auto cidr = iovisor::parseIpv6Prefix(options.cidr);
    if (!cidr.ok()) return makeError(Errc::kInvalid, "cidr '" + options.cidr + "' is not an IPv6 network");
    auto server = options.options.count("server_id") ? iovisor::parseMac(options.options.at("server_id"))
                                                     : Result<iovisor::Mac>(makeError(Errc::kInvalid, "no server_id"));
    std::vector<l2::Dhcp6> out;
    for (const auto &a : addresses)
        for (const auto &ip : a.ipv6)
            if (iovisor::contains(*cidr, ip.addr)) {
                if (!server.ok()) return server.error().context("server_id");
                auto segments = segments6(options.options, *server);
                if (!segments.ok()) return segments.error();
                const auto stateless = options.options.find("dhcpv6_stateless");
                if (stateless == options.options.end() || stateless->second != "true") (*segments)[0].bytes = iaNa(ip.addr);
                out.push_back({a.mac, iovisor::linkLocal(*server), *server, *segments});
                if (!l2::fits(out.back())) return makeError(Errc::kTooLarge, "the options take more than a reply holds");
                break;
            }
    return out;
}

Result<std::vector<l2::Dhcp4>> dhcp4Answers(const ovnmon::DhcpOptions &options, const ovnmon::StringMap &port_options,
                                            const std::vector<l2::Addresses> &addresses) {
    auto cidr = iovisor::parseIpv4Prefix(options.cidr);
    if (!cidr.ok()) return makeError(Errc::kInvalid, "cidr '" + options.cidr + "' is not an IPv4 network");
    std::vector<l2::Dhcp4> out;
    for (const auto &a : addresses)
        for (const auto &ip : a.ipv4)
            if (iovisor::contains(*cidr, ip.addr)) {
                out.push_back({a.mac, ip.addr});
                break;
            }
    if (out.empty()) return out;
    auto reply = replyOf(options, port_options, *cidr);
    if (!reply.ok()) return reply.error();
    for (auto &offer : out) {
        const auto [mac, ip] = std::pair{offer.mac, offer.offer_ip};
        offer = *reply;
        offer.mac = mac;
        offer.offer_ip = ip;
    }
    return out;
}

}  // namespace ctl
