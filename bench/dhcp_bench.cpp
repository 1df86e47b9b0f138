// Load generator for what the chassis answers (DHCP, DNS), run inside a
// VM's namespace: sends requests from `mac` on `ifname` through a raw
// socket, keeping `window` of them in flight, and times each one to its
// reply (matched by DHCP xid or DNS id). Prints what was answered, the
// rate, and the per-request latency.
//   dhcp_bench IFNAME MAC OFFER_IP discover|request|dns COUNT WINDOW
// discover: DISCOVER -> OFFER; request: REQUEST for OFFER_IP -> ACK;
// dns: an A query for vm1.openstack.internal from OFFER_IP -> its answer.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "iovisor/packet.h"

namespace {

using namespace iovisor::packet;
using Clock = std::chrono::steady_clock;

enum class Kind { kDiscover, kRequest, kDns };

const iovisor::Mac kRouterMac = {0xfa, 0x16, 0x3e, 0, 0, 1};

Bytes dnsQuery(const iovisor::Mac &mac, uint16_t id, uint32_t from) {
    Bytes msg = {uint8_t(id >> 8), uint8_t(id), 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    const uint8_t name[] = {3, 'v', 'm', '1', 9, 'o', 'p', 'e', 'n', 's', 't', 'a', 'c', 'k', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};
    msg.insert(msg.end(), std::begin(name), std::end(name));
    msg.insert(msg.end(), {0, 1, 0, 1});
    const uint32_t server = inet_addr("10.0.0.53");
    return eth(kRouterMac, mac, kEthIp, ipv4(from, server, 17, udp(from, server, 40000, 53, msg)));
}

Bytes request(const iovisor::Mac &mac, uint32_t xid, Kind kind, uint32_t offer) {
    if (kind == Kind::kDns) return dnsQuery(mac, uint16_t(xid), offer);
    const bool discover = kind == Kind::kDiscover;
    Bytes msg(240);
    msg[0] = 1, msg[1] = 1, msg[2] = 6;
    const uint32_t x = htonl(xid);
    std::memcpy(&msg[4], &x, 4);
    std::copy(mac.begin(), mac.end(), msg.begin() + 28);
    const uint8_t cookie[] = {0x63, 0x82, 0x53, 0x63};
    std::memcpy(&msg[236], cookie, 4);
    msg.insert(msg.end(), {53, 1, uint8_t(discover ? 1 : 3)});
    if (!discover) {
        msg.insert(msg.end(), {50, 4});
        msg.insert(msg.end(), reinterpret_cast<uint8_t *>(&offer), reinterpret_cast<uint8_t *>(&offer) + 4);
    }
    msg.push_back(255);
    msg.resize(300);
    const uint32_t bcast = 0xffffffff;
    return eth(kBroadcast, mac, kEthIp, ipv4(0, bcast, 17, udp(0, bcast, 68, 67, msg)));
}

// The xid of a DHCP reply to `mac` (the id of a DNS answer), or 0.
uint32_t replyXid(const uint8_t *p, ssize_t n, const iovisor::Mac &mac, Kind kind) {
    if (n < 42 + 12 || std::memcmp(p, mac.data(), 6) != 0 || p[12] != 0x08 || p[13] != 0 || p[23] != 17) return 0;
    const size_t l4 = 14 + (p[14] & 0x0f) * 4;
    if (kind == Kind::kDns)
        return size_t(n) >= l4 + 8 + 12 && p[l4] == 0 && p[l4 + 1] == 53 && (p[l4 + 10] & 0x80) ? (0x10000u | p[l4 + 8] << 8 | p[l4 + 9]) : 0;
    if (size_t(n) < l4 + 8 + 240 || p[l4 + 2] != 0 || p[l4 + 3] != 68 || p[l4 + 8] != 2) return 0;
    uint32_t xid;
    std::memcpy(&xid, p + l4 + 8 + 4, 4);
    return ntohl(xid);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: dhcp_bench IFNAME MAC OFFER_IP discover|request|dns COUNT WINDOW\n");
        return 2;
    }
    auto mac = iovisor::parseMac(argv[2]);
    auto offer = iovisor::parseIpv4(argv[3]);
    const std::string what = argv[4];
    const Kind kind = what == "discover" ? Kind::kDiscover : what == "request" ? Kind::kRequest : Kind::kDns;
    const int count = std::atoi(argv[5]), window = std::atoi(argv[6]);
    const int ifindex = int(if_nametoindex(argv[1]));
    if (!mac.ok() || !offer.ok() || !ifindex || count <= 0 || window <= 0) {
        std::fprintf(stderr, "dhcp_bench: bad arguments\n");
        return 2;
    }
    const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_IP);
    addr.sll_ifindex = ifindex;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        std::perror("dhcp_bench: raw socket");
        return 1;
    }
    std::map<uint32_t, Clock::time_point> pending;
    std::vector<double> latency_us;
    int sent = 0, lost = 0;
    uint8_t buf[2048];
    const auto start = Clock::now();
    while (sent < count || !pending.empty()) {
        while (sent < count && int(pending.size()) < window) {
            const uint32_t xid = 0x10000 + uint32_t(sent++ % 0x10000);  // DNS ids: the low 16 bits
            const Bytes frame = request(*mac, xid, kind, *offer);
            pending[xid] = Clock::now();
            if (send(fd, frame.data(), frame.size(), 0) < 0) std::perror("dhcp_bench: send");
        }
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            auto it = pending.find(replyXid(buf, n, *mac, kind));
            if (it != pending.end()) {
                latency_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - it->second).count());
                pending.erase(it);
            }
        }
        for (auto it = pending.begin(); it != pending.end();)  // unanswered after a second: lost
            it = Clock::now() - it->second > std::chrono::seconds(1) ? (++lost, pending.erase(it)) : std::next(it);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%zu %d %.0f %.1f %.1f\n", latency_us.size(), lost, double(latency_us.size()) / seconds,
                percentile(latency_us, 0.5), percentile(latency_us, 0.99));
    close(fd);
    return latency_us.empty() ? 1 : 0;
}
