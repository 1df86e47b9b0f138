#include "netns.h"

#include <fstream>

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
        "ip -n " + ns_ + " link set eth0 address " + mac + ";" + (cidr.empty() ? "" : "ip -n " + ns_ + " addr add " + cidr + " dev eth0;") + "ip -n " + ns_ + " link set eth0 up; ip -n " + ns_ + " link set lo up;" + "ip link set " +
        host_if_ + " up";
    auto r = shell(script);
    if (r.exit_code != 0) error_ = "creating test host " + ns_ + ": " + r.output;
}

TestHost::~TestHost() {
    stopProcesses();
    run({"ip", "link", "del", host_if_});
    run({"ip", "netns", "del", ns_});
}

void TestHost::stopProcesses() const { shell("ip netns pids " + ns_ + " | xargs -r kill -9"); }

uint32_t TestHost::hostIfindex() const { return if_nametoindex(host_if_.c_str()); }

CommandResult TestHost::exec(const std::string &command_line) const {
    return run({"ip", "netns", "exec", ns_, "/bin/sh", "-c", command_line});
}

bool TestHost::ping(const std::string &ip, int count) const {
    return exec("ping -c " + std::to_string(count) + " -i 0.2 -W 1 " + ip).exit_code == 0;
}

std::string TestHost::prepareForXdp(const std::string &xdp_pass_object) const {
    auto r = exec("ip link set dev eth0 xdp obj " + xdp_pass_object + " sec xdp && ethtool -K eth0 tx off >/dev/null");
    return r.exit_code == 0 ? "" : "preparing " + ns_ + " for XDP: " + r.output;
}

bool TestHost::tcpTo(const TestHost &server, const std::string &server_ip, std::string *log, int attempts) const {
    TempDir dir("iovisor-iperf");
    const std::string pidfile = dir.path() + "/iperf3.pid";
    // -1: the server serves one test and exits; its output must not hold our pipe.
    if (server.exec("iperf3 -s -1 -D -B " + server_ip + " --pidfile " + pidfile + " >/dev/null 2>&1").exit_code != 0)
        return false;
    auto client = exec("for i in $(seq " + std::to_string(attempts) + "); do timeout 10 iperf3 --connect-timeout 3000 -c " +
                       server_ip + " -t 1 && exit 0; sleep 0.2; done; exit 1");
    stopPid(readPidfile(pidfile));
    *log = client.output;
    return client.exit_code == 0;
}

std::string TestHost::tcpConnect(const TestHost &server, const std::string &server_ip, int port) const {
    TempDir dir("iovisor-listen");
    const std::string pidfile = dir.path() + "/listener.pid", where = server_ip + " " + std::to_string(port);
    const std::string listen =
        "import socket\ns = socket.socket(socket.AF_INET6 if ':' in '" + server_ip + "' else socket.AF_INET)\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('', " + std::to_string(port) + "))\ns.listen(16)\nwhile True:\n    s.accept()[0].close()\n";
    const std::string connect =
        "import socket\ntry:\n    socket.create_connection(('" + server_ip + "', " + std::to_string(port) +
        "), 2)\n    print('open')\nexcept ConnectionRefusedError:\n    print('refused')\n"
        "except OSError:\n    print('timeout')\n";
    std::ofstream(dir.path() + "/listen.py") << listen;
    std::ofstream(dir.path() + "/connect.py") << connect;
    server.exec("python3 " + dir.path() + "/listen.py >/dev/null 2>&1 & echo $! > " + pidfile +
                "; for i in $(seq 50); do ss -Hltn 'sport = :" + std::to_string(port) + "' | grep -q . && break; sleep 0.05; done");
    auto probe = exec("python3 " + dir.path() + "/connect.py");
    stopPid(readPidfile(pidfile));
    const std::string out = probe.output.substr(0, probe.output.find('\n'));
    return out.empty() ? "error: " + where : out;
}

}  // namespace testsupport
