// A switch's DNS records -> what the switch answers queries with
// (controller/src/dns_records.h): names in wire format and lowercase,
// answers by type, PTR names as pinctrl encodes them, what is left out.
#include <gtest/gtest.h>

#include "dns_records.h"

namespace {

using Bytes = std::vector<uint8_t>;

std::vector<hover::model::l2switch::DnsRecord> records(const ovnmon::StringMap &m, std::vector<ctl::DnsProblem> *problems) {
    const ovnmon::Dns row{"d", m};
    return ctl::dnsRecords({&row}, problems);
}

const Bytes kHeader = {0xc0, 12};  // the question's name
Bytes rr(uint8_t type, Bytes rdata) {
    Bytes out = kHeader;
    out.insert(out.end(), {0, type, 0, 1, 0, 0, 0x0e, 0x10, 0, uint8_t(rdata.size())});
    out.insert(out.end(), rdata.begin(), rdata.end());
    return out;
}

TEST(DnsRecords, NamesAddressesAndPointers) {
    std::vector<ctl::DnsProblem> problems;
    auto r = records({{"VM1.Example", "10.0.0.5 fd00::5 10.0.0.6"}}, &problems);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(problems.empty());
    EXPECT_EQ(r[0].name, (Bytes{3, 'v', 'm', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0})) << "lowercase, as northd";
    EXPECT_EQ(r[0].a_count, 2);
    EXPECT_EQ(r[0].aaaa_count, 1);
    Bytes a = rr(1, {10, 0, 0, 5});
    const Bytes a2 = rr(1, {10, 0, 0, 6});
    a.insert(a.end(), a2.begin(), a2.end());
    EXPECT_EQ(r[0].a, a);
    EXPECT_EQ(r[0].aaaa, rr(28, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}));
}

TEST(DnsRecords, PtrAnswersAsPinctrlEncodesThem) {
    std::vector<ctl::DnsProblem> problems;
    auto r = records({{"5.0.0.10.in-addr.arpa", "VM1.example"}, {"6.0.0.10.in-addr.arpa", "vm2.example."}}, &problems);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].ptr, rr(12, {3, 'v', 'm', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}));
    EXPECT_EQ(r[1].ptr, rr(12, {3, 'v', 'm', '2', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0})) << "a trailing dot: one more zero";
    EXPECT_TRUE(r[0].a.empty() && r[0].aaaa.empty()) << "a name is no address: no A or AAAA answer";
}

TEST(DnsRecords, WhatCannotBeAnsweredIsReported) {
    std::vector<ctl::DnsProblem> problems;
    const std::string long_label(64, 'x'), long_name = std::string(62, 'a') + "." + std::string(62, 'b') + ".ccc";
    auto r = records({{"trailing.dot.", "10.0.0.1"}, {long_label + ".example", "10.0.0.1"}, {long_name, "10.0.0.1"},
                      {"ok.example", "10.0.0.1 not-an-address"}},
                     &problems);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].a.empty()) << "one word that is no address: no A answers, as OVN's extract_ip_addresses";
    ASSERT_EQ(problems.size(), 3u);  // in the records' (sorted) order
    EXPECT_EQ(problems[0].name, long_name);
    EXPECT_NE(problems[0].error.find("128"), std::string::npos);
    EXPECT_EQ(problems[1].name, "trailing.dot.");
    EXPECT_NE(problems[1].error.find("empty label"), std::string::npos);
    EXPECT_EQ(problems[2].name, long_label + ".example");
    EXPECT_NE(problems[2].error.find("63"), std::string::npos);
}

TEST(DnsRecords, TheFirstOfTwoEqualNamesWins) {
    const ovnmon::Dns first{"a", {{"vm.example", "10.0.0.1"}}}, second{"b", {{"VM.example", "10.0.0.2"}}};
    std::vector<ctl::DnsProblem> problems;
    auto r = ctl::dnsRecords({&first, &second}, &problems);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].a, rr(1, {10, 0, 0, 1}));
}

}  // namespace
