#include "dns_records.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "iovisor/net.h"
#include "iovisor/text.h"
#include "wire.h"

namespace ctl {

namespace l2 = hover::model::l2switch;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint16_t kTypeA = 1, kTypePtr = 12, kTypeAaaa = 28, kClassIn = 1;
constexpr uint32_t kTtl = 3600;  // OVN's DNS_DEFAULT_RR_TTL
constexpr uint8_t kQueryNamePointer[] = {0xc0, 12};  // the question's name, right after the header

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// A resource record answering the question by pointing at its name.
void putRecord(Bytes &out, uint16_t type, const Bytes &rdata) {
    out.insert(out.end(), std::begin(kQueryNamePointer), std::end(kQueryNamePointer));
    putBe(out, type, 2);
    putBe(out, kClassIn, 2);
    putBe(out, kTtl, 4);
    putBe(out, uint32_t(rdata.size()), 2);
    out.insert(out.end(), rdata.begin(), rdata.end());
}

// The name of a PTR answer as pinctrl encodes it: strlen + 2 bytes, a
// length before each label (a trailing dot leaves one more zero).
Bytes ptrName(const std::string &name) {
    Bytes out(name.size() + 2, 0);
    size_t label_at = 0, len = 0;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '.') {
            out[label_at] = uint8_t(len);
            label_at += len + 1;
            len = 0;
        } else {
            out[i + 1] = uint8_t(name[i]);
            ++len;
        }
    }
    if (len) out[label_at] = uint8_t(len);
    return out;
}

// The record's name as a query carries it, or the reason no query can.
iovisor::Result<Bytes> wireName(const std::string &name) {
    Bytes out;
    for (size_t start = 0;;) {
        const size_t dot = std::min(name.find('.', start), name.size());
        const size_t len = dot - start;
        if (len == 0) return iovisor::makeError(iovisor::Errc::kInvalid, "an empty label: no query can match it");
        if (len > 63) return iovisor::makeError(iovisor::Errc::kInvalid, "a label longer than 63 bytes");
        out.push_back(uint8_t(len));
        out.insert(out.end(), name.begin() + long(start), name.begin() + long(dot));
        if (dot == name.size()) break;
        start = dot + 1;
    }
    out.push_back(0);
    if (out.size() > L2_DNS_NAME_MAX) return iovisor::makeError(iovisor::Errc::kInvalid, "longer than 128 bytes as a query carries it");
    return out;
}

// A and AAAA answers if every word of `value` is an address (as OVN's
// extract_ip_addresses), none otherwise.
void putAddresses(l2::DnsRecord &r, const std::string &value) {
    Bytes a, aaaa;
    uint8_t a_count = 0, aaaa_count = 0;
    for (const auto &word : iovisor::split(value, ' ')) {
        if (auto v4 = iovisor::parseIpv4Prefix(word); v4.ok()) {
            const uint32_t addr = v4->addr;  // network order
            putRecord(a, kTypeA, Bytes(reinterpret_cast<const uint8_t *>(&addr), reinterpret_cast<const uint8_t *>(&addr) + 4));
            ++a_count;
        } else if (auto v6 = iovisor::parseIpv6Prefix(word); v6.ok()) {
            putRecord(aaaa, kTypeAaaa, Bytes(v6->addr.begin(), v6->addr.end()));
            ++aaaa_count;
        } else {
            return;
        }
    }
    r.a = std::move(a);
    r.aaaa = std::move(aaaa);
    r.a_count = a_count;
    r.aaaa_count = aaaa_count;
}

}  // namespace

std::vector<l2::DnsRecord> dnsRecords(const std::vector<const ovnmon::Dns *> &rows, std::vector<DnsProblem> *problems) {
    std::vector<l2::DnsRecord> out;
    std::set<Bytes> seen;
    for (const ovnmon::Dns *row : rows) {
        for (const auto &[key, value] : row->records) {
            const std::string name = lower(key), answer = lower(value);  // as northd copies them
            auto wire = wireName(name);
            if (!wire.ok()) {
                problems->push_back({key, wire.error().message});
                continue;
            }
            if (!seen.insert(*wire).second) continue;
            l2::DnsRecord r;
            r.name = std::move(*wire);
            putAddresses(r, answer);
            putRecord(r.ptr, kTypePtr, ptrName(answer));
            if (l2::fits(r)) out.push_back(std::move(r));
            else problems->push_back({key, "its answers do not fit " + std::to_string(L2_DNS_ANSWERS_SIZE) + " bytes"});
        }
    }
    return out;
}

}  // namespace ctl
