// The periodic IPv6 router advertisements of this chassis' switches (OVN's
// ipv6_ra_configs:send_periodic; ovn-controller's pinctrl sends them the
// same way): each advertisement goes, every random interval in [min, max]
// seconds, out of the switch's VIF interfaces here. Unlike the answers to
// solicitations they need a clock, so userspace sends them; the frames are
// translate()'s, in the switch module's config ("ra_periodic").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "desired_state.h"

namespace ctl {

class RaAnnouncer {
public:
    RaAnnouncer();
    ~RaAnnouncer();
    RaAnnouncer(const RaAnnouncer &) = delete;
    RaAnnouncer &operator=(const RaAnnouncer &) = delete;

    // Takes the advertisements of the modules the delta names (all if full).
    void update(const DesiredState &desired, const DesiredDelta &delta);
    // Sends the advertisements that are due; returns the milliseconds until
    // the next one is (-1: none).
    int run();
    size_t size() const { return adverts_.size(); }

private:
    using Clock = std::chrono::steady_clock;
    struct Advert {
        std::vector<uint8_t> frame;
        int min_interval = 0, max_interval = 0;
        std::vector<std::string> interfaces;
        Clock::time_point next;
    };
    Clock::time_point nextAfter(Clock::time_point now, const Advert &a);
    void send(const std::string &key, const Advert &a);

    std::map<std::string, Advert> adverts_;  // by "<module> <router port>"
    std::mt19937 random_;
    int fd_ = -1;  // AF_PACKET, to send frames out of an interface
};

}  // namespace ctl
