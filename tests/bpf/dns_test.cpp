// DNS answered by the switch (bpf/lib/dns.h): query in -> verdict -> reply
// out byte for byte -> counters, on the TC and the XDP build. The records
// go through the controller's encoding (controller/src/dns_records.h); the
// expected replies are written out here byte by byte.
#include "dns_records.h"
#include "switch_fixture.h"

namespace {

using namespace testsupport;
using bpftest::kRedirect;

const Mac kVm1 = mac("02:00:00:00:00:01"), kServer = mac("02:00:00:00:00:02");
const Ip6 kVm1Ip6 = ip6("fd00::5"), kServerIp6 = ip6("fd00::53");
constexpr uint16_t kA = 1, kPtr = 12, kMx = 15, kAaaa = 28, kAny = 255;

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// "Vm2.Example" -> 3 Vm2 7 Example 0
Bytes name(const std::string &dotted) {
    Bytes out;
    size_t start = 0;
    for (size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
        out.push_back(uint8_t(dot - start));
        out.insert(out.end(), dotted.begin() + long(start), dotted.begin() + long(dot));
    }
    out.push_back(uint8_t(dotted.size() - start));
    out.insert(out.end(), dotted.begin() + long(start), dotted.end());
    out.push_back(0);
    return out;
}

// A query with one question and, as dig sends it, an EDNS OPT record.
Bytes question(const std::string &qname, uint16_t qtype) {
    return concat({name(qname), {uint8_t(qtype >> 8), uint8_t(qtype), 0, 1}});
}
const Bytes kOpt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
Bytes query(const Bytes &q, uint8_t flags0 = 0x01) {
    return concat({{0xbe, 0xef, flags0, 0x20, 0, 1, 0, 0, 0, 0, 0, 1}, q, kOpt});
}
Bytes answer(uint16_t type, const Bytes &rdata) {
    return concat({{0xc0, 12, uint8_t(type >> 8), uint8_t(type), 0, 1, 0, 0, 0x0e, 0x10, 0, uint8_t(rdata.size())}, rdata});
}
Bytes response(const Bytes &q, uint8_t count, const Bytes &answers) {
    return concat({{0xbe, 0xef, 0x81, 0x20, 0, 1, 0, count, 0, 0, 0, 0}, q, answers});
}

Bytes udp4NoChecksum(uint16_t sport, uint16_t dport, const Bytes &payload) {
    const uint16_t len = uint16_t(8 + payload.size());
    return concat({{uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0},
                   payload});
}
Bytes frame4(const Bytes &dns, bool to_server) {
    const uint32_t vm = ip4("10.0.0.5"), server = ip4("10.0.0.53");
    return to_server ? eth(kServer, kVm1, kEthIp, ipv4(vm, server, 17, udp(vm, server, 33333, 53, dns)))
                     : eth(kVm1, kServer, kEthIp, ipv4(server, vm, 17, udp4NoChecksum(53, 33333, dns)));
}
Bytes frame6(const Bytes &dns, bool to_server) {
    return to_server ? eth(kServer, kVm1, kEthIp6, ipv6(kVm1Ip6, kServerIp6, 17, udp6(kVm1Ip6, kServerIp6, 33333, 53, dns)))
                     : eth(kVm1, kServer, kEthIp6, ipv6(kServerIp6, kVm1Ip6, 17, udp6(kServerIp6, kVm1Ip6, 53, 33333, dns)));
}

const Bytes kVm2V4 = {10, 0, 0, 6}, kVm2V6 = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6};

// A switch (module 1) of two VIF ports (vm1: 0, the DNS server: 1) with
// Neutron's records for vm2.
class DnsTest : public bpftest::SwitchFixture {
protected:
    void SetUp() override {
        REQUIRE_ROOT();
        REQUIRE_TOOL("ip", "iproute2");
        startSwitch({kVm1, kServer});
        const ovnmon::Dns row{"d1", {{"vm2.openstack.internal", "10.0.0.6 fd00::6"},
                                     {"6.0.0.10.in-addr.arpa", "vm2.openstack.internal"},
                                     {"v6only.openstack.internal", "fd00::7"}}};
        std::vector<ctl::DnsProblem> problems;
        ASSERT_TRUE(sw_->setDns(ctl::dnsRecords({&row}, &problems)).ok());
        ASSERT_TRUE(problems.empty());
    }
};

TEST_P(DnsTest, RecordsAreAnsweredInThePortsCase) {
    const Bytes a = question("Vm2.OpenStack.Internal", kA);
    expectAnswered(0, frame4(query(a), true), frame4(response(a, 1, answer(kA, kVm2V4)), false), "A over IPv4");
    const Bytes aaaa = question("vm2.openstack.internal", kAaaa);
    expectAnswered(0, frame6(query(aaaa), true), frame6(response(aaaa, 1, answer(kAaaa, kVm2V6)), false), "AAAA over IPv6");
    const Bytes any = question("vm2.openstack.internal", kAny);
    expectAnswered(0, frame4(query(any), true), frame4(response(any, 2, concat({answer(kA, kVm2V4), answer(kAaaa, kVm2V6)})), false),
                 "ANY: both");
    const Bytes ptr = question("6.0.0.10.in-addr.arpa", kPtr);
    expectAnswered(0, frame4(query(ptr), true), frame4(response(ptr, 1, answer(kPtr, name("vm2.openstack.internal"))), false),
                 "PTR");
}

TEST_P(DnsTest, AnythingElseGoesOnToTheServer) {
    expectForwarded(0, frame4(query(question("vm3.openstack.internal", kA)), true), 1, "no such record");
    expectForwarded(0, frame4(query(question("v6only.openstack.internal", kA)), true), 1, "no address of the type");
    expectForwarded(0, frame4(query(question("vm2.openstack.internal", kMx)), true), 1, "a type OVN does not answer");
    expectForwarded(0, frame4(query(question("vm2.openstack.internal", kA), 0x81), true), 1, "a response");
    const Bytes compressed = concat({{3, 'v', 'm', '2', 0xc0, 12}, {0, 1, 0, 1}});
    expectForwarded(0, frame4(query(compressed), true), 1, "a compressed question");
    Bytes cut = query(question("vm2.openstack.internal", kA));
    cut.resize(12 + 5);
    expectForwarded(0, frame4(cut, true), 1, "a question cut short");
    cut = query(question("vm2.openstack.internal", kA));
    cut.resize(12 + 24);  // the name, no type and class
    expectForwarded(0, frame4(cut, true), 1, "a question without its type");
}

INSTANTIATE_TEST_SUITE_P(Hook, DnsTest, ::testing::Values(hover::AttachMode::kTc, hover::AttachMode::kXdp),
                         [](const auto &info) { return info.param == hover::AttachMode::kTc ? "tc" : "xdp"; });

}  // namespace
