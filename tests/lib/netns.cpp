#include "netns.h"

#include <net/if.h>
#include <unistd.h>

#include <atomic>

namespace testsupport {

std::string uniqueName(const std::string &tag) {
    static std::atomic<int> counter{0};
    return "iov" + std::to_string(getpid() % 100000) + tag + std::to_string(counter++);
}

TestHost::TestHost(const std::string &ns, const std::string &mac, const std::string &cidr)
    : ns_(ns), host_if_(ns + "h") {
    const std::string script =
        "set -e; ip netns add " + ns_ + "; ip link add " + host_if_ + " type veth peer name " + ns_ + "v;" +
        "ip link set " + ns_ + "v netns " + ns_ + ";" + "ip -n " + ns_ + " link set " + ns_ + "v name eth0;" +
        "ip -n " + ns_ + " link set eth0 address " + mac + ";" + "ip -n " + ns_ + " addr add " + cidr +
        " dev eth0;" + "ip -n " + ns_ + " link set eth0 up; ip -n " + ns_ + " link set lo up;" + "ip link set " +
        host_if_ + " up";
    auto r = shell(script);
    if (r.exit_code != 0) error_ = "creating test host " + ns_ + ": " + r.output;
}

TestHost::~TestHost() {
    run({"ip", "link", "del", host_if_});
    run({"ip", "netns", "del", ns_});
}

uint32_t TestHost::hostIfindex() const { return if_nametoindex(host_if_.c_str()); }

CommandResult TestHost::exec(const std::string &command_line) const {
    return run({"ip", "netns", "exec", ns_, "/bin/sh", "-c", command_line});
}

bool TestHost::ping(const std::string &ip, int count) const {
    return exec("ping -c " + std::to_string(count) + " -i 0.2 -W 1 " + ip).exit_code == 0;
}

}  // namespace testsupport
