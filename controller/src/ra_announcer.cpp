#include "ra_announcer.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hover/bytes.h"
#include "log.h"

namespace ctl {

RaAnnouncer::RaAnnouncer() : random_(std::random_device{}()) {}

RaAnnouncer::~RaAnnouncer() {
    if (fd_ >= 0) close(fd_);
}

// As pinctrl: the next one at a random time between min and max seconds.
RaAnnouncer::Clock::time_point RaAnnouncer::nextAfter(Clock::time_point now, const Advert &a) {
    std::uniform_int_distribution<int> spread(0, (a.max_interval - a.min_interval) * 1000);
    return now + std::chrono::milliseconds(a.min_interval * 1000 + spread(random_));
}

void RaAnnouncer::update(const DesiredState &desired, const DesiredDelta &delta) {
    std::map<std::string, Advert> replaced;
    for (auto it = adverts_.begin(); it != adverts_.end();) {  // the changed modules' are replaced
        const std::string module = it->first.substr(0, it->first.find(' '));
        if (delta.full || delta.modules.count(module)) replaced.insert(adverts_.extract(it++));
        else ++it;
    }
    forEachChanged(desired, delta, [&](const std::string &name, const ModuleSpec &m) {
        for (const auto &p : m.config.value("ra_periodic", nlohmann::json::array())) {
            Advert a;
            auto frame = hover::fromHex(p.value("frame", ""), p.value("frame", "").size() / 2);
            if (!frame.ok()) continue;
            a.frame = std::move(*frame);
            a.min_interval = p.value("min_interval", 0);
            a.max_interval = std::max(a.min_interval, p.value("max_interval", 0));
            a.interfaces = p.value("interfaces", std::vector<std::string>{});
            const std::string key = name + " " + p.value("port", "");
            auto old = replaced.find(key);
            const bool same_clock = old != replaced.end() && old->second.min_interval == a.min_interval &&
                                    old->second.max_interval == a.max_interval;
            a.next = same_clock ? old->second.next : nextAfter(Clock::now(), a);
            adverts_[key] = std::move(a);
        }
    });
}

int RaAnnouncer::run() {
    const auto now = Clock::now();
    auto soonest = Clock::time_point::max();
    for (auto &[key, a] : adverts_) {
        if (a.next <= now) {
            send(key, a);
            a.next = nextAfter(now, a);
        }
        soonest = std::min(soonest, a.next);
    }
    if (soonest == Clock::time_point::max()) return -1;
    return int(std::chrono::duration_cast<std::chrono::milliseconds>(soonest - now).count()) + 1;
}

void RaAnnouncer::send(const std::string &key, const Advert &a) {
    if (fd_ < 0) fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // sends only: protocol 0 receives nothing
    if (fd_ < 0) return log::warnRateLimited("cannot send router advertisements: " + std::string(strerror(errno)));
    for (const auto &ifname : a.interfaces) {
        sockaddr_ll to{};
        to.sll_family = AF_PACKET;
        to.sll_ifindex = int(if_nametoindex(ifname.c_str()));
        to.sll_halen = ETH_ALEN;
        std::memcpy(to.sll_addr, a.frame.data(), ETH_ALEN);
        if (to.sll_ifindex == 0 ||
            sendto(fd_, a.frame.data(), a.frame.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) < 0)
            log::warnRateLimited("router advertisement of " + key + " not sent on " + ifname + ": " + strerror(errno));
    }
}

}  // namespace ctl
