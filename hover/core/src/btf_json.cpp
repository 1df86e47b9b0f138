#include "hover/btf_json.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <cstring>

#include "hover/typed_map.h"
#include "iovisor/net.h"

namespace hover {

using iovisor::Errc;
using iovisor::makeError;
using nlohmann::json;

namespace {

// How a type shows in JSON once typedefs and modifiers are peeled off.
struct Resolved {
    const btf_type *t = nullptr;
    uint32_t id = 0;
    bool be32 = false;  // went through a __be32 typedef
    bool be16 = false;
    bool mac = false;   // iov_mac_t (bpf/lib/tables.h)
    bool ip6 = false;   // iov_ip6_t
};

Resolved resolve(const btf *b, uint32_t id) {
    Resolved r;
    const btf_type *t = btf__type_by_id(b, id);
    while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t))) {
        if (btf_is_typedef(t)) {
            const std::string name = btf__name_by_offset(b, t->name_off);
            if (name == "__be32") r.be32 = true;
            if (name == "__be16") r.be16 = true;
            if (name == "iov_mac_t") r.mac = true;
            if (name == "iov_ip6_t") r.ip6 = true;
        }
        id = t->type;
        t = btf__type_by_id(b, id);
    }
    r.t = t;
    r.id = id;
    return r;
}

bool isByte(const btf *b, uint32_t id) {
    Resolved r = resolve(b, id);
    return r.t && btf_is_int(r.t) && r.t->size == 1;
}

uint64_t loadUint(const uint8_t *p, uint32_t size) {
    uint64_t v = 0;
    switch (size) {
    case 1: v = *p; break;
    case 2: { uint16_t x; std::memcpy(&x, p, 2); v = x; break; }
    case 4: { uint32_t x; std::memcpy(&x, p, 4); v = x; break; }
    case 8: std::memcpy(&v, p, 8); break;
    }
    return v;
}

void storeUint(uint8_t *p, uint32_t size, uint64_t v) {
    switch (size) {
    case 1: *p = static_cast<uint8_t>(v); break;
    case 2: { uint16_t x = static_cast<uint16_t>(v); std::memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = static_cast<uint32_t>(v); std::memcpy(p, &x, 4); break; }
    case 8: std::memcpy(p, &v, 8); break;
    }
}

class Decoder {
public:
    explicit Decoder(const btf *b) : b_(b) {}

    json value(uint32_t id, const uint8_t *p) const {
        Resolved r = resolve(b_, id);
        const btf_type *t = r.t;
        if (!t) return toHex(p, 0);
        if (btf_is_int(t) || btf_is_any_enum(t)) {
            const uint32_t size = t->size;
            uint64_t v = loadUint(p, size);
            if (r.be32 && size == 4) return iovisor::formatIpv4(static_cast<uint32_t>(v));
            if (r.be16 && size == 2) return ntohs(static_cast<uint16_t>(v));
            if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) return v != 0;
            if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED)) {
                const int shift = 64 - 8 * size;
                return static_cast<int64_t>(v << shift) >> shift;
            }
            return v;
        }
        if (btf_is_array(t)) {
            const struct btf_array *a = btf_array(t);
            if (r.mac && isByte(b_, a->type) && a->nelems == 6) {
                iovisor::Mac mac;
                std::memcpy(mac.data(), p, 6);
                return iovisor::formatMac(mac);
            }
            if (r.ip6 && isByte(b_, a->type) && a->nelems == 16) {
                iovisor::Ip6 ip;
                std::memcpy(ip.data(), p, 16);
                return iovisor::formatIpv6(ip);
            }
            const int64_t elem = btf__resolve_size(b_, a->type);
            json list = json::array();
            for (uint32_t i = 0; i < a->nelems && elem > 0; ++i) list.push_back(value(a->type, p + i * elem));
            return list;
        }
        if (btf_is_composite(t)) {
            json obj = json::object();
            const btf_member *m = btf_members(t);
            for (int i = 0; i < btf_vlen(t); ++i, ++m) {
                const std::string name = btf__name_by_offset(b_, m->name_off);
                if (name.rfind("pad", 0) == 0) continue;
                const uint32_t bit_off = btf_member_bit_offset(t, i);
                const uint32_t bits = btf_member_bitfield_size(t, i);
                if (bits) {
                    uint64_t word = 0;
                    std::memcpy(&word, p + bit_off / 64 * 8, 8);
                    obj[name] = (word >> (bit_off % 64)) & ((1ull << bits) - 1);
                } else {
                    obj[name] = value(m->type, p + bit_off / 8);
                }
            }
            return obj;
        }
        const int64_t size = btf__resolve_size(b_, r.id);
        return toHex(p, size > 0 ? size : 0);
    }

private:
    const btf *b_;
};

class Encoder {
public:
    explicit Encoder(const btf *b) : b_(b) {}

    iovisor::Status value(uint32_t id, const json &v, uint8_t *p, const std::string &path) const {
        Resolved r = resolve(b_, id);
        const btf_type *t = r.t;
        const int64_t size = btf__resolve_size(b_, r.id);
        if (!t || size < 0) return bad(path, "has a type hoverd cannot encode");
        if (v.is_string() && v.get<std::string>().rfind("0x", 0) == 0) {
            auto raw = fromHex(v.get<std::string>().substr(2), size);
            if (!raw.ok()) return raw.error().context(path);
            std::memcpy(p, raw->data(), size);
            return {};
        }
        if (btf_is_int(t) || btf_is_any_enum(t)) return integer(r, t->size, v, p, path);
        if (btf_is_array(t)) return array(r, v, p, path);
        if (btf_is_composite(t)) return composite(t, v, p, path);
        return bad(path, "can only be given as a 0x... hex string");
    }

private:
    static iovisor::Status bad(const std::string &path, const std::string &what) {
        return makeError(Errc::kInvalid, (path.empty() ? "value" : "field '" + path + "'") + " " + what);
    }

    iovisor::Status integer(const Resolved &r, uint32_t size, const json &v, uint8_t *p,
                            const std::string &path) const {
        if (r.be32 && size == 4 && v.is_string()) {
            auto ip = iovisor::parseIpv4(v.get<std::string>());
            if (!ip.ok()) return bad(path, ip.error().message);
            storeUint(p, 4, *ip);
            return {};
        }
        uint64_t n;
        if (v.is_boolean()) n = v.get<bool>();
        else if (v.is_number_unsigned()) n = v.get<uint64_t>();
        else if (v.is_number_integer()) n = static_cast<uint64_t>(v.get<int64_t>());
        else return bad(path, std::string("must be a number") + (r.be32 ? " or an IPv4 address" : "") + ", not " +
                                  v.dump());
        const bool is_signed = btf_is_int(r.t) && (btf_int_encoding(r.t) & BTF_INT_SIGNED);
        if (size < 8) {
            const uint64_t limit = 1ull << (8 * size);
            const bool fits = is_signed ? (static_cast<int64_t>(n) >= -static_cast<int64_t>(limit / 2) &&
                                           static_cast<int64_t>(n) < static_cast<int64_t>(limit / 2))
                                        : n < limit;
            if (!fits) return bad(path, v.dump() + " does not fit in " + std::to_string(size) + " byte(s)");
        }
        if (r.be16 && size == 2) n = htons(static_cast<uint16_t>(n));
        storeUint(p, size, n);
        return {};
    }

    iovisor::Status array(const Resolved &r, const json &v, uint8_t *p, const std::string &path) const {
        const struct btf_array *a = btf_array(r.t);
        if (r.mac && isByte(b_, a->type) && a->nelems == 6 && v.is_string()) {
            auto mac = iovisor::parseMac(v.get<std::string>());
            if (!mac.ok()) return bad(path, mac.error().message);
            std::memcpy(p, mac->data(), 6);
            return {};
        }
        if (r.ip6 && isByte(b_, a->type) && a->nelems == 16 && v.is_string()) {
            auto ip = iovisor::parseIpv6(v.get<std::string>());
            if (!ip.ok()) return bad(path, ip.error().message);
            std::memcpy(p, ip->data(), 16);
            return {};
        }
        if (!v.is_array() || v.size() != a->nelems)
            return bad(path, "must be a list of " + std::to_string(a->nelems) + " elements");
        const int64_t elem = btf__resolve_size(b_, a->type);
        for (uint32_t i = 0; i < a->nelems; ++i)
            if (auto s = value(a->type, v[i], p + i * elem, path + "[" + std::to_string(i) + "]"); !s.ok())
                return s;
        return {};
    }

    iovisor::Status composite(const btf_type *t, const json &v, uint8_t *p, const std::string &path) const {
        if (!v.is_object()) return bad(path, "must be a JSON object");
        for (auto it = v.begin(); it != v.end(); ++it) {
            const btf_member *m = btf_members(t);
            int found = -1;
            for (int i = 0; i < btf_vlen(t); ++i, ++m)
                if (it.key() == btf__name_by_offset(b_, m->name_off)) {
                    found = i;
                    break;
                }
            const std::string sub = path.empty() ? it.key() : path + "." + it.key();
            if (found < 0) return bad(sub, "is not a field of " + structName(t));
            const uint32_t bit_off = btf_member_bit_offset(t, found);
            if (btf_member_bitfield_size(t, found)) return bad(sub, "is a bit field, which hoverd cannot write");
            if (auto s = value(m->type, it.value(), p + bit_off / 8, sub); !s.ok()) return s;
        }
        return {};
    }

    std::string structName(const btf_type *t) const {
        const char *name = btf__name_by_offset(b_, t->name_off);
        return std::string("struct ") + (name && *name ? name : "(anonymous)");
    }

    const btf *b_;
};

}  // namespace

BtfCodec::BtfCodec(std::shared_ptr<const btf> btf, uint32_t type_id, uint32_t size)
    : btf_(std::move(btf)), type_id_(type_id), size_(size) {}

json BtfCodec::decode(const uint8_t *data) const {
    if (!btf_ || !type_id_) return toHex(data, size_);
    return Decoder(btf_.get()).value(type_id_, data);
}

iovisor::Result<Bytes> BtfCodec::encode(const json &value) const {
    Bytes out(size_, 0);
    if (!btf_ || !type_id_) {
        if (!value.is_string()) return makeError(Errc::kInvalid, "this table has no type information: give hex");
        std::string hex = value.get<std::string>();
        if (hex.rfind("0x", 0) == 0) hex = hex.substr(2);
        return fromHex(hex, size_);
    }
    if (auto s = Encoder(btf_.get()).value(type_id_, value, out.data(), ""); !s.ok()) return s.error();
    return out;
}

iovisor::Result<MapCodec> mapCodec(int map_fd) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0) return iovisor::errnoError(errno, "bpf_map_info");
    std::shared_ptr<const btf> types;
    if (info.btf_id) {
        btf *b = btf__load_from_kernel_by_id(info.btf_id);
        if (b) types = std::shared_ptr<const btf>(b, [](const btf *p) { btf__free(const_cast<btf *>(p)); });
    }
    return MapCodec{BtfCodec(types, info.btf_key_type_id, info.key_size),
                    BtfCodec(types, info.btf_value_type_id, info.value_size)};
}

}  // namespace hover
