#include "acl_match.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "iovisor/net.h"

namespace ctl::acl {

using iovisor::Errc;
using iovisor::makeError;
using iovisor::Result;
using model::Literal;
using model::Prefix;
using model::Term;
using Kind = Expr::Kind;

namespace {

constexpr size_t kMaxTerms = 4096;  // a match that expands further is refused

// ---- tokens ----------------------------------------------------------------

struct Token {
    enum class Type { kEnd, kId, kValue, kString, kAddressSet, kPortGroup, kOp };
    Type type = Type::kEnd;
    std::string text;
};

bool idChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool valueChar(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == 'x' || c == 'X' || c == '/';
}

// An identifier never holds ':', so "fe80::1" or "aa:bb:.." starting with a
// letter is a value.
bool startsValue(const std::string &s, size_t i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == ':') return true;
    size_t j = i;
    while (j < s.size() && valueChar(s[j]) && s[j] != '/') ++j;
    return std::isxdigit(static_cast<unsigned char>(s[i])) && s.find(':', i) < j;
}

Result<std::vector<Token>> tokenize(const std::string &s) {
    std::vector<Token> out;
    using T = Token::Type;
    for (size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '"') {
            const size_t end = s.find('"', i + 1);
            if (end == std::string::npos) return makeError(Errc::kInvalid, "unterminated string");
            out.push_back({T::kString, s.substr(i + 1, end - i - 1)});
            i = end + 1;
        } else if (startsValue(s, i)) {
            size_t j = i;
            while (j < s.size() && valueChar(s[j])) ++j;
            out.push_back({T::kValue, s.substr(i, j - i)});
            i = j;
        } else if (c == '$' || c == '@' || idChar(c)) {
            size_t j = (c == '$' || c == '@') ? i + 1 : i;
            while (j < s.size() && idChar(s[j])) ++j;
            const T type = c == '$' ? T::kAddressSet : c == '@' ? T::kPortGroup : T::kId;
            out.push_back({type, s.substr(c == '$' || c == '@' ? i + 1 : i, j - i - (type == T::kId ? 0 : 1))});
            i = j;
        } else {
            static const char *kOps[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "{", "}", ","};
            const char *op = nullptr;
            for (const char *o : kOps)
                if (s.compare(i, std::strlen(o), o) == 0) {
                    op = o;
                    break;
                }
            if (!op) return makeError(Errc::kInvalid, std::string("unexpected character '") + c + "'");
            out.push_back({T::kOp, op});
            i += std::strlen(op);
        }
    }
    out.push_back({T::kEnd, ""});
    return out;
}

// ---- fields ----------------------------------------------------------------

enum class Enc { kEthType, kProto, kTtl, kL4, kIp4, kIp6, kMac };

struct FieldDef {
    const char *name;
    uint8_t field;
    Enc enc;
    uint8_t proto;       // kL4
    const char *prereq;  // a predicate, or nullptr
};

const FieldDef kFields[] = {
    {"eth.src", ACL_F_ETH_SRC, Enc::kMac, 0, nullptr},      {"eth.dst", ACL_F_ETH_DST, Enc::kMac, 0, nullptr},
    {"eth.type", ACL_F_IP_SRC, Enc::kEthType, 0, nullptr},  {"ip.proto", ACL_F_L4_DST, Enc::kProto, 0, "ip"},
    {"ip.ttl", ACL_F_IP_TTL, Enc::kTtl, 0, "ip"},
    {"ip4.src", ACL_F_IP_SRC, Enc::kIp4, 0, "ip4"},         {"ip4.dst", ACL_F_IP_DST, Enc::kIp4, 0, "ip4"},
    {"ip6.src", ACL_F_IP_SRC, Enc::kIp6, 0, "ip6"},         {"ip6.dst", ACL_F_IP_DST, Enc::kIp6, 0, "ip6"},
    {"tcp.src", ACL_F_L4_SRC, Enc::kL4, 6, "tcp"},          {"tcp.dst", ACL_F_L4_DST, Enc::kL4, 6, "tcp"},
    {"udp.src", ACL_F_L4_SRC, Enc::kL4, 17, "udp"},         {"udp.dst", ACL_F_L4_DST, Enc::kL4, 17, "udp"},
    {"sctp.src", ACL_F_L4_SRC, Enc::kL4, 132, "sctp"},      {"sctp.dst", ACL_F_L4_DST, Enc::kL4, 132, "sctp"},
    {"icmp4.type", ACL_F_L4_SRC, Enc::kL4, 1, "icmp4"},     {"icmp4.code", ACL_F_L4_DST, Enc::kL4, 1, "icmp4"},
    {"icmp6.type", ACL_F_L4_SRC, Enc::kL4, 58, "icmp6"},    {"icmp6.code", ACL_F_L4_DST, Enc::kL4, 58, "icmp6"},
};

// Predicates, as ovn-sb(5) defines them over the fields above.
const std::map<std::string, std::string> kPredicates = {
    {"ip4", "eth.type == 0x800"},
    {"ip6", "eth.type == 0x86dd"},
    {"ip", "eth.type == {0x800, 0x86dd}"},
    {"arp", "eth.type == 0x806"},
    {"tcp", "ip.proto == 6"},
    {"udp", "ip.proto == 17"},
    {"sctp", "ip.proto == 132"},
    {"icmp4", "ip4 && ip.proto == 1"},
    {"icmp6", "ip6 && ip.proto == 58"},
    {"icmp", "icmp4 || icmp6"},
    {"eth.bcast", "eth.dst == ff:ff:ff:ff:ff:ff"},
    {"eth.mcast", "eth.dst == 01:00:00:00:00:00/01:00:00:00:00:00"},
    {"ip4.mcast", "ip4.dst == 224.0.0.0/4"},
    {"ip6.mcast", "ip6.dst == ff00::/8"},
    {"nd", "icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255"},
    {"nd_ns", "icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255"},
    {"nd_na", "icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255"},
    {"nd_rs", "icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255"},
    {"nd_ra", "icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255"},
};

const FieldDef *findField(const std::string &name) {
    for (const auto &f : kFields)
        if (name == f.name) return &f;
    return nullptr;
}

uint8_t reverseBits(uint8_t b) {
    b = uint8_t((b & 0xf0) >> 4 | (b & 0x0f) << 4);
    b = uint8_t((b & 0xcc) >> 2 | (b & 0x33) << 2);
    return uint8_t((b & 0xaa) >> 1 | (b & 0x55) << 1);
}

// Number of leading one bits if `mask` is ones then zeros.
Result<uint32_t> prefixLength(const uint8_t *mask, size_t bytes, const std::string &text) {
    uint32_t len = 0;
    bool zeros = false;
    for (size_t i = 0; i < bytes * 8; ++i) {
        const bool one = mask[i / 8] & (0x80 >> (i % 8));
        if (one && zeros) return makeError(Errc::kInvalid, "mask of " + text + " is not a prefix");
        if (one) ++len;
        else zeros = true;
    }
    return len;
}

Result<uint64_t> parseInteger(const std::string &text) {
    try {
        size_t used = 0;
        const uint64_t v = std::stoull(text, &used, 0);
        if (used == text.size()) return v;
    } catch (const std::exception &) {
    }
    return makeError(Errc::kInvalid, "not an integer: " + text);
}

// An integer value (`v` or `v/mask`) of `bits` bits as a prefix of them.
Result<std::pair<uint32_t, uint32_t>> integerPrefix(const std::string &text, uint32_t bits) {
    const size_t slash = text.find('/');
    auto v = parseInteger(text.substr(0, slash));
    if (!v) return v.error();
    if (*v >> bits) return makeError(Errc::kInvalid, text + " does not fit " + std::to_string(bits) + " bits");
    if (slash == std::string::npos) return std::make_pair(uint32_t(*v), bits);
    auto m = parseInteger(text.substr(slash + 1));
    if (!m) return m.error();
    const uint8_t mask[2] = {uint8_t(*m >> 8), uint8_t(*m)};
    auto len = prefixLength(bits == 16 ? mask : mask + 1, bits / 8, text);
    if (!len) return len.error();
    return std::make_pair(uint32_t(*v), *len);
}

void putBe16(Prefix &p, size_t at, uint32_t v) {
    p.data[at] = uint8_t(v >> 8);
    p.data[at + 1] = uint8_t(v);
}

Result<Prefix> addressPrefix(const FieldDef &f, const std::string &text) {
    Prefix p;
    if (f.enc == Enc::kIp4) {
        std::string t = text;
        if (const size_t slash = t.find('/'); slash != std::string::npos && t.find('.', slash) != std::string::npos) {
            auto mask = iovisor::parseIpv4(t.substr(slash + 1));
            if (!mask) return mask.error();
            auto len = prefixLength(reinterpret_cast<const uint8_t *>(&*mask), 4, text);
            if (!len) return len.error();
            t = t.substr(0, slash) + "/" + std::to_string(*len);
        }
        auto pre = iovisor::parseIpv4Prefix(t);
        if (!pre) return makeError(Errc::kInvalid, "not an IPv4 address or prefix: " + text);
        putBe16(p, 0, 0x0800);
        const uint32_t net = iovisor::networkOf(*pre);
        std::memcpy(&p.data[2], &net, 4);
        p.len = 16 + uint32_t(pre->len);
        return p;
    }
    if (f.enc == Enc::kIp6) {
        auto pre = iovisor::parseIpv6Prefix(text);
        if (!pre) return makeError(Errc::kInvalid, "not an IPv6 address or prefix: " + text);
        putBe16(p, 0, 0x86dd);
        const iovisor::Ip6 net = iovisor::networkOf(*pre);
        std::memcpy(&p.data[2], net.data(), 16);
        p.len = 16 + uint32_t(pre->len);
        return p;
    }
    const size_t slash = text.find('/');
    auto mac = iovisor::parseMac(text.substr(0, slash));
    if (!mac) return makeError(Errc::kInvalid, "not a MAC address: " + text);
    iovisor::Mac mask;
    mask.fill(0xff);
    if (slash != std::string::npos) {
        auto m = iovisor::parseMac(text.substr(slash + 1));
        if (!m) return makeError(Errc::kInvalid, "not a MAC mask: " + text);
        mask = *m;
    }
    uint8_t reversed_mask[6];
    for (size_t i = 0; i < 6; ++i) {
        reversed_mask[i] = reverseBits(mask[i]);
        p.data[i] = reverseBits(uint8_t((*mac)[i] & mask[i]));
    }
    auto len = prefixLength(reversed_mask, 6, text);
    if (!len) return makeError(Errc::kInvalid, "MAC mask of " + text + " is not supported (bits must form a prefix, low bit first)");
    p.len = *len;
    return p;
}

// One value of `f` (no set) as prefixes, for ==.
Result<std::vector<Prefix>> valuePrefixes(const FieldDef &f, const std::string &text) {
    if (f.enc == Enc::kIp4 || f.enc == Enc::kIp6 || f.enc == Enc::kMac) {
        auto p = addressPrefix(f, text);
        if (!p) return p.error();
        return std::vector<Prefix>{*p};
    }
    const uint32_t bits = f.enc == Enc::kL4 || f.enc == Enc::kEthType ? 16 : 8;  // kProto, kTtl: 8
    auto v = integerPrefix(text, bits);
    if (!v) return v.error();
    const bool masks = f.enc == Enc::kL4 || f.enc == Enc::kTtl;
    if (!masks && v->second != bits) return makeError(Errc::kInvalid, std::string(f.name) + " takes no mask");
    Prefix p;
    if (f.enc == Enc::kEthType) putBe16(p, 0, v->first);
    if (f.enc == Enc::kProto || f.enc == Enc::kTtl) p.data[0] = uint8_t(v->first);
    if (f.enc == Enc::kL4) {
        p.data[0] = f.proto;
        putBe16(p, 1, v->first);
    }
    p.len = f.enc == Enc::kL4 ? 8 + v->second : f.enc == Enc::kTtl ? v->second : bits;
    return std::vector<Prefix>{p};
}

// [lo, hi] of an integer field (16-bit L4 after its protocol byte, or the
// 8-bit TTL) as the fewest prefixes covering it exactly.
std::vector<Prefix> rangePrefixes(const FieldDef &f, uint32_t lo, uint32_t hi) {
    const bool l4 = f.enc == Enc::kL4;
    const uint32_t bits = l4 ? 16 : 8, max = (1u << bits) - 1;
    std::vector<Prefix> out;
    while (lo <= hi) {
        uint32_t host_bits = 0;
        while (host_bits < bits && (lo & ((2u << host_bits) - 1)) == 0 && lo + (2u << host_bits) - 1 <= hi) ++host_bits;
        Prefix p;
        if (l4) {
            p.data[0] = f.proto;
            putBe16(p, 1, lo);
        } else {
            p.data[0] = uint8_t(lo);
        }
        p.len = (l4 ? 8 : 0) + bits - host_bits;
        out.push_back(p);
        if (lo + (1u << host_bits) > max) break;
        lo += 1u << host_bits;
    }
    return out;
}

}  // namespace

// ---- parser ----------------------------------------------------------------

namespace {

const std::vector<std::string> *named(const std::map<std::string, std::vector<std::string>> *names,
                                      const std::string &name) {
    if (!names) return nullptr;
    auto it = names->find(name);
    return it == names->end() ? nullptr : &it->second;
}

Expr negated(Expr e) {
    switch (e.kind) {
        case Kind::kTrue: e.kind = Kind::kFalse; break;
        case Kind::kFalse: e.kind = Kind::kTrue; break;
        case Kind::kAnd:
        case Kind::kOr:
            e.kind = e.kind == Kind::kAnd ? Kind::kOr : Kind::kAnd;
            for (auto &k : e.kids) k = negated(std::move(k));
            break;
        case Kind::kLit: e.lit.negate = !e.lit.negate; break;
        case Kind::kPort: e.negate = !e.negate; break;
    }
    return e;
}

Expr combine(Kind kind, std::vector<Expr> kids) {
    if (kids.size() == 1) return std::move(kids[0]);
    Expr e;
    e.kind = kind;
    e.kids = std::move(kids);
    return e;
}

class Parser {
public:
    Parser(std::vector<Token> tokens, const Names &names, int depth) : t_(std::move(tokens)), names_(names), depth_(depth) {}

    Result<Expr> parseAll() {
        auto e = disjunction();
        if (!e) return e;
        if (peek().type != Token::Type::kEnd) return makeError(Errc::kInvalid, "unexpected '" + peek().text + "'");
        return e;
    }

private:
    using T = Token::Type;
    const Token &peek() const { return t_[i_]; }
    bool accept(const char *op) {
        if (peek().type != T::kOp || peek().text != op) return false;
        ++i_;
        return true;
    }

    Result<Expr> disjunction() { return chain("||", Kind::kOr, &Parser::conjunction); }
    Result<Expr> conjunction() { return chain("&&", Kind::kAnd, &Parser::unary); }

    Result<Expr> chain(const char *op, Kind kind, Result<Expr> (Parser::*next)()) {
        std::vector<Expr> kids;
        do {
            auto e = (this->*next)();
            if (!e) return e;
            kids.push_back(std::move(*e));
        } while (accept(op));
        return combine(kind, std::move(kids));
    }

    Result<Expr> unary() {
        if (accept("!")) {
            auto e = unary();
            if (!e) return e;
            return negated(std::move(*e));
        }
        if (accept("(")) {
            auto e = disjunction();
            if (!e) return e;
            if (!accept(")")) return makeError(Errc::kInvalid, "missing ')'");
            return e;
        }
        const Token tok = peek();
        ++i_;
        if (tok.type == T::kValue && (tok.text == "1" || tok.text == "0"))
            return Expr{tok.text == "1" ? Kind::kTrue : Kind::kFalse};
        if (tok.type != T::kId) return makeError(Errc::kInvalid, "expected a field or predicate at '" + tok.text + "'");
        if (tok.text == "inport" || tok.text == "outport") return portTest(tok.text == "outport");
        if (const FieldDef *f = findField(tok.text)) return comparison(*f);
        auto pred = kPredicates.find(tok.text);
        if (pred != kPredicates.end()) return sub(pred->second);
        return makeError(Errc::kInvalid, "unsupported field or predicate '" + tok.text + "'");
    }

    Result<Expr> sub(const std::string &text) {
        if (depth_ > 8) return makeError(Errc::kInvalid, "predicates nest too deep");
        auto tokens = tokenize(text);
        if (!tokens) return tokens.error();
        return Parser(std::move(*tokens), names_, depth_ + 1).parseAll();
    }

    // The values after a relational operator: one, or a {set}.
    Result<std::vector<Token>> values() {
        std::vector<Token> out;
        const bool set = accept("{");
        do {
            if (set && accept("}")) return out;
            const Token &tok = peek();
            if (tok.type != T::kValue && tok.type != T::kString && tok.type != T::kAddressSet &&
                tok.type != T::kPortGroup)
                return makeError(Errc::kInvalid, "expected a value at '" + tok.text + "'");
            out.push_back(tok);
            ++i_;
            accept(",");
        } while (set);
        return out;
    }

    Result<std::string> relop() {
        for (const char *op : {"==", "!=", "<=", ">=", "<", ">"})
            if (accept(op)) return std::string(op);
        return makeError(Errc::kInvalid, "expected a comparison at '" + peek().text + "'");
    }

    Result<Expr> portTest(bool outport);
    Result<Expr> comparison(const FieldDef &f);
    Result<std::vector<Prefix>> setPrefixes(const FieldDef &f, const std::vector<Token> &vals);

    std::vector<Token> t_;
    size_t i_ = 0;
    const Names &names_;
    int depth_;
};

Result<Expr> Parser::portTest(bool outport) {
    auto op = relop();
    if (!op) return op.error();
    if (*op != "==" && *op != "!=") return makeError(Errc::kInvalid, "ports compare with == or != only");
    auto vals = values();
    if (!vals) return vals.error();
    Expr e{Kind::kPort};
    e.outport = outport;
    e.negate = *op == "!=";
    for (const auto &v : *vals) {
        if (v.type == T::kString) {
            e.ports.insert(v.text);
            continue;
        }
        if (v.type != T::kPortGroup) return makeError(Errc::kInvalid, "a port is a \"name\" or @port_group");
        const auto *pg = named(names_.port_groups, v.text);
        if (!pg) return makeError(Errc::kNotFound, "no port group @" + v.text);
        e.ports.insert(pg->begin(), pg->end());
    }
    return e;
}

Result<std::vector<Prefix>> Parser::setPrefixes(const FieldDef &f, const std::vector<Token> &vals) {
    std::vector<Prefix> out;
    for (const auto &v : vals) {
        std::vector<std::string> texts{v.text};
        if (v.type == T::kAddressSet) {
            const auto *as = named(names_.address_sets, v.text);
            if (!as) return makeError(Errc::kNotFound, "no address set $" + v.text);
            texts = *as;
        } else if (v.type != T::kValue) {
            return makeError(Errc::kInvalid, std::string(f.name) + " compares with values, not '" + v.text + "'");
        }
        for (const auto &text : texts) {
            auto p = valuePrefixes(f, text);
            if (!p) return p.error().context(std::string(f.name));
            out.insert(out.end(), p->begin(), p->end());
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<Expr> Parser::comparison(const FieldDef &f) {
    auto op = relop();
    if (!op) return op.error();
    auto vals = values();
    if (!vals) return vals.error();
    Expr e{Kind::kLit};
    e.lit.field = f.field;
    if (*op == "==" || *op == "!=") {
        auto prefixes = setPrefixes(f, *vals);
        if (!prefixes) return prefixes.error();
        e.lit.prefixes = std::move(*prefixes);
        e.lit.negate = *op == "!=";
    } else {
        if ((f.enc != Enc::kL4 && f.enc != Enc::kTtl) || vals->size() != 1)
            return makeError(Errc::kInvalid, std::string(f.name) + " " + *op + " needs one number");
        const uint32_t max = f.enc == Enc::kL4 ? 0xffff : 0xff;
        auto v = parseInteger((*vals)[0].text);
        if (!v || *v > max) return makeError(Errc::kInvalid, "out of range for " + std::string(f.name) + ": " + (*vals)[0].text);
        const uint32_t n = uint32_t(*v);
        if ((*op == "<" && n == 0) || (*op == ">" && n == max)) return Expr{Kind::kFalse};
        const uint32_t lo = *op == ">" ? n + 1 : *op == ">=" ? n : 0;
        const uint32_t hi = *op == "<" ? n - 1 : *op == "<=" ? n : max;
        e.lit.prefixes = rangePrefixes(f, lo, hi);
    }
    if (f.prereq) {
        auto pre = sub(f.prereq);
        if (!pre) return pre.error();
        e.prereqs.push_back(std::move(*pre));
    }
    return e;
}

// ---- normal form ------------------------------------------------------------

Result<std::vector<Term>> cross(const std::vector<Term> &a, const std::vector<Term> &b) {
    if (a.size() * b.size() > kMaxTerms) return makeError(Errc::kTooLarge, "match expands to too many terms");
    std::vector<Term> out;
    for (const auto &x : a)
        for (const auto &y : b) {
            Term t = x;
            t.insert(t.end(), y.begin(), y.end());
            std::sort(t.begin(), t.end());
            t.erase(std::unique(t.begin(), t.end()), t.end());
            out.push_back(std::move(t));
        }
    return out;
}

}  // namespace

Result<Expr> parseMatch(const std::string &match, const Names &names) {
    auto tokens = tokenize(match);
    if (!tokens) return tokens.error();
    return Parser(std::move(*tokens), names, 0).parseAll();
}

std::set<std::string> addressSetsNamed(const std::string &match) {
    std::set<std::string> out;
    if (auto tokens = tokenize(match))
        for (const auto &t : *tokens)
            if (t.type == Token::Type::kAddressSet) out.insert(t.text);
    return out;
}

Result<std::vector<Term>> termsFor(const Expr &e, const std::string &port, uint8_t dir) {
    switch (e.kind) {
        case Kind::kTrue: return std::vector<Term>{Term{}};
        case Kind::kFalse: return std::vector<Term>{};
        case Kind::kPort: {
            if (e.outport != (dir == ACL_DIR_TO_LPORT))
                return makeError(Errc::kInvalid, std::string(e.outport ? "outport" : "inport") +
                                                     " in an ACL of the other direction is not supported");
            const bool in = e.ports.count(port) != 0;
            return in != e.negate ? std::vector<Term>{Term{}} : std::vector<Term>{};
        }
        case Kind::kLit: {
            std::vector<Term> out{Term{e.lit}};
            for (const auto &pre : e.prereqs) {
                auto terms = termsFor(pre, port, dir);
                if (!terms) return terms;
                auto c = cross(out, *terms);
                if (!c) return c;
                out = std::move(*c);
            }
            return out;
        }
        case Kind::kOr: {
            std::vector<Term> out;
            for (const auto &k : e.kids) {
                auto terms = termsFor(k, port, dir);
                if (!terms) return terms;
                out.insert(out.end(), terms->begin(), terms->end());
                if (out.size() > kMaxTerms) return makeError(Errc::kTooLarge, "match expands to too many terms");
            }
            return out;
        }
        case Kind::kAnd: {
            std::vector<Term> out{Term{}};
            for (const auto &k : e.kids) {
                auto terms = termsFor(k, port, dir);
                if (!terms) return terms;
                auto c = cross(out, *terms);
                if (!c) return c;
                out = std::move(*c);
            }
            return out;
        }
    }
    return std::vector<Term>{};
}

Result<model::Policy> policyFor(const std::vector<AclText> &acls, const std::string &port, uint8_t dir,
                                const Names &names) {
    model::Policy policy;
    for (size_t i = 0; i < acls.size(); ++i) {
        if (acls[i].dir != dir) continue;
        auto expr = parseMatch(acls[i].match, names);
        if (!expr) return expr.error().context(acls[i].match);
        auto terms = termsFor(*expr, port, dir);
        if (!terms) return terms.error().context(acls[i].match);
        if (!terms->empty()) policy.rules.push_back({acls[i].priority, acls[i].action, uint32_t(i + 1), std::move(*terms)});
    }
    return policy;
}

}  // namespace ctl::acl
