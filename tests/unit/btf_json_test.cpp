// The BTF-driven JSON codec over the real module objects' BTF (opened, not
// loaded: no root needed).
#include <bpf/libbpf.h>

#include <gtest/gtest.h>

#include "hover/btf_json.h"
#include "hover/module.h"

namespace hover {
namespace {

using nlohmann::json;

class BtfJson : public ::testing::Test {
protected:
    void open(const std::string &type) {
        const ModuleType *t = findBuiltinModuleType(type);
        ASSERT_NE(t, nullptr);
        obj_.reset(bpf_object__open_mem(t->elf, t->elf_size, nullptr));
        ASSERT_TRUE(obj_);
    }
    std::pair<BtfCodec, BtfCodec> codecs(const std::string &map_name) {
        bpf_map *m = bpf_object__find_map_by_name(obj_.get(), map_name.c_str());
        EXPECT_NE(m, nullptr) << map_name;
        std::shared_ptr<const btf> types(bpf_object__btf(obj_.get()), [](const btf *) {});
        return {BtfCodec(types, bpf_map__btf_key_type_id(m), bpf_map__key_size(m)),
                BtfCodec(types, bpf_map__btf_value_type_id(m), bpf_map__value_size(m))};
    }
    std::unique_ptr<bpf_object, void (*)(bpf_object *)> obj_{nullptr, bpf_object__close};
};

TEST_F(BtfJson, MacKeysAndStructValuesRoundTrip) {
    open("l2switch");
    auto [key, value] = codecs("l2_fdb");  // shared by the switches: {module, key}
    const json mac_key = {{"module", 3}, {"key", {{"mac", "02:00:00:00:00:0a"}}}};
    auto k = key.encode(mac_key);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(*k, (Bytes{3, 0, 0, 0, 2, 0, 0, 0, 0, 0x0a, 0, 0}));
    EXPECT_EQ(key.decode(k->data()), mac_key) << "pad fields stay hidden";
    auto v = value.encode({{"port", 3}, {"flags", 1}});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(value.decode(v->data()), json({{"port", 3}, {"flags", 1}}));
}

TEST_F(BtfJson, Be32IsAnIpv4StringAndBe16AHostOrderPort) {
    open("l2switch");
    auto [arp_key, arp_value] = codecs("l2_arp_responder");
    auto k = arp_key.encode({{"module", 1}, {"key", "10.0.0.1"}});
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(*k, (Bytes{1, 0, 0, 0, 10, 0, 0, 1}));
    EXPECT_EQ(arp_key.decode(k->data())["key"], "10.0.0.1");

    open("nat");
    auto [ct_key, ct_value] = codecs("iov_conntrack");
    auto ck = ct_key.encode({{"saddr", "10.0.0.1"}, {"daddr", "8.8.8.8"}, {"sport", 1000}, {"dport", 53}, {"proto", 17}});
    ASSERT_TRUE(ck.ok()) << ck.error().message;
    EXPECT_EQ((*ck)[8], 0x03);
    EXPECT_EQ((*ck)[9], 0xe8) << "ports are stored in network order";
    EXPECT_EQ(ct_key.decode(ck->data())["sport"], 1000);
}

TEST_F(BtfJson, LpmKeysWithIpv6Addresses) {
    open("l2switch");
    auto [key, value] = codecs("l2_ps_ipv6");
    json in = {{"prefixlen", 256}, {"module", 2}, {"port", 1}, {"mac", "02:00:00:00:00:01"}, {"addr", "fd00::1"}};
    auto k = key.encode(in);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(key.decode(k->data()), in);
}

TEST_F(BtfJson, BadInputNamesTheProblem) {
    open("router");
    auto [key, value] = codecs("rt_ports");
    auto unknown = value.encode({{"mac", "02:00:00:00:00:01"}, {"speed", 10}});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, iovisor::Errc::kInvalid);
    EXPECT_NE(unknown.error().message.find("'speed'"), std::string::npos) << unknown.error().message;

    auto too_big = value.encode({{"flags", 70000}});
    ASSERT_FALSE(too_big.ok());
    EXPECT_NE(too_big.error().message.find("does not fit"), std::string::npos) << too_big.error().message;

    auto bad_mac = value.encode({{"mac", "not-a-mac"}});
    ASSERT_FALSE(bad_mac.ok());
    EXPECT_NE(bad_mac.error().message.find("not-a-mac"), std::string::npos);

    auto wrong_type = value.encode({{"ip", true}});
    EXPECT_TRUE(wrong_type.ok()) << "booleans are numbers 0/1";
    auto not_object = value.encode(42);
    ASSERT_FALSE(not_object.ok());
    EXPECT_NE(not_object.error().message.find("JSON object"), std::string::npos);
}

TEST_F(BtfJson, HexEverywhereAndWithoutTypes) {
    open("router");
    auto [key, value] = codecs("rt_neighbors");  // {module, key}: the address a member of a struct
    auto k = key.encode({{"module", 1}, {"key", "0x0a000001"}});
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(key.decode(k->data())["key"], "10.0.0.1");
    BtfCodec raw(nullptr, 0, 4);
    auto r = raw.encode("0a000001");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(raw.decode(r->data()), "0a000001");
    EXPECT_FALSE(raw.encode("0a00").ok()) << "hex of the wrong length";
    EXPECT_FALSE(raw.encode(12).ok()) << "untyped tables take hex only";
}

}  // namespace
}  // namespace hover
