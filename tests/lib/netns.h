// Test hosts: a network namespace with one veth whose other end stays in the
// root namespace for IOModules to attach to. Everything is removed by the
// destructors, also when an assertion fails.
#pragma once

#include <string>

#include "test_support.h"

namespace testsupport {

// A unique short name for links and namespaces of this test process.
std::string uniqueName(const std::string &tag);

class TestHost {
public:
    // Namespace `ns`, veth "eth0" inside with `mac` and `cidr` (e.g.
    // "10.0.0.1/24"; "": none, e.g. for DHCP), root-namespace end `ns` + "h".
    TestHost(const std::string &ns, const std::string &mac, const std::string &cidr);
    ~TestHost();
    TestHost(const TestHost &) = delete;
    TestHost &operator=(const TestHost &) = delete;

    bool ok() const { return error_.empty(); }
    const std::string &error() const { return error_; }
    const std::string &ns() const { return ns_; }
    const std::string &hostIfname() const { return host_if_; }
    uint32_t hostIfindex() const;

    // Stops (SIGKILL) every process left in the namespace.
    void stopProcesses() const;
    // Runs a shell command line inside the namespace.
    CommandResult exec(const std::string &command_line) const;
    bool ping(const std::string &ip, int count = 3) const;
    // For IOModules in XDP mode: a veth accepts XDP-redirected frames only
    // when its peer runs an XDP program (`xdp_pass_object`), and checksum
    // offload is lost on the XDP path. Returns "" or the error.
    std::string prepareForXdp(const std::string &xdp_pass_object) const;
    // A one-second iperf3 TCP run from this host to `server` listening on
    // `server_ip`; `attempts` tries while ARP settles. Output in `log`.
    bool tcpTo(const TestHost &server, const std::string &server_ip, std::string *log, int attempts = 5) const;
    // A TCP connection from this host to `server_ip`:`port`, where `server`
    // listens for the attempt on every address (`server_ip` may be one that
    // is translated to its own, e.g. a floating IP): "open", "refused" (a
    // RST came back) or "timeout" (nothing did, within 2 s).
    std::string tcpConnect(const TestHost &server, const std::string &server_ip, int port) const;

private:
    std::string ns_, host_if_, error_;
};

}  // namespace testsupport
