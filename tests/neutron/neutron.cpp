#include "neutron.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace e2e {

using nlohmann::json;

NeutronServer::NeutronServer(Chassis &c, int port)
    : c_(c), dir_(c.dir() + "/neutron"), url_("http://127.0.0.1:" + std::to_string(port) + "/v2.0/") {
    const auto r = c_.shell("OVN_NB_DB=unix:" + c_.dir() + "/ovnnb_db.sock OVN_SB_DB=unix:" + c_.dir() +
                            "/ovnsb_db.sock " NEUTRON_SERVER_SCRIPT " start " + dir_ + " " + std::to_string(port) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

NeutronServer::~NeutronServer() { c_.shell(NEUTRON_SERVER_SCRIPT " stop " + dir_); }

json NeutronServer::request(const std::string &method, const std::string &path, const json &body) {
    std::string data;
    if (!body.is_null()) {
        const std::string file = dir_ + "/request-" + std::to_string(++requests_) + ".json";
        std::ofstream(file) << body.dump();
        data = " -H 'Content-Type: application/json' -d @" + file;
    }
    const auto r = testsupport::shell("curl -s -m 30 -X " + method + data + " " + url_ + path);
    EXPECT_EQ(r.exit_code, 0) << method << " " << path << ": " << r.output;
    return r.output.empty() ? json(nullptr) : json::parse(r.output, nullptr, false);
}

json NeutronServer::create(const std::string &collection, const json &fields) {
    json out = request("POST", collection + "s", {{collection, fields}});
    EXPECT_TRUE(out.contains(collection)) << "POST " << collection << "s: " << out.dump();
    return out.contains(collection) ? out[collection] : json::object();
}

json NeutronServer::vmPort(const std::string &network, const std::string &name, const json &extra) {
    std::string host = c_.sbctl("--bare --columns=hostname list Chassis");
    host = host.substr(0, host.find('\n'));
    char device[40];
    std::snprintf(device, sizeof device, "00000000-0000-4000-8000-%012d", ++devices_);
    json fields = {{"network_id", network}, {"name", name}, {"device_owner", "compute:nova"},
                   {"device_id", device}, {"binding:host_id", host}};
    fields.update(extra);
    return create("port", fields);
}

TestHost &NeutronServer::plug(const json &port) {
    const std::string id = port.value("id", ""), mac = port.value("mac_address", "");
    TestHost &vm = c_.vm(id, mac, "");
    c_.vsctl("set Interface " + vm.hostIfname() + " external_ids:attached-mac=" + mac +
             " external_ids:iface-status=active external_ids:vm-uuid=" + port.value("device_id", ""));
    return vm;
}

std::string NeutronServer::awaitActive(const std::string &port, int seconds) {
    std::string status;
    for (int i = 0; i < seconds * 4; ++i) {
        status = request("GET", "ports/" + port).value("port", json::object()).value("status", "?");
        if (status == "ACTIVE") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return status;
}

std::map<std::string, std::string> configureByDhcp(Chassis &c, TestHost &vm) {
    const std::string script = c.dir() + "/udhcpc-apply.sh", log = c.dir() + "/udhcpc-" + vm.ns() + ".env";
    testsupport::shell("printf '%s\\n' '#!/bin/sh' '[ \"$1\" = bound ] || exit 0' 'env > " + log + "'"
                       " 'ip addr add $ip/$mask dev $interface' 'ip link set $interface mtu ${mtu:-1500}'"
                       " 'set -- $staticroutes' 'while [ $# -ge 2 ]; do ip route add $1 via $2 dev eth0; shift 2; done' > " +
                       script + " && chmod +x " + script);
    vm.exec("timeout 20 busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -O staticroutes -O mtu -s " + script + " >/dev/null 2>&1");
    std::map<std::string, std::string> lease;
    std::istringstream in(testsupport::shell("cat " + log + " 2>/dev/null").output);
    for (std::string line; std::getline(in, line);)
        if (auto eq = line.find('='); eq != std::string::npos) lease[line.substr(0, eq)] = line.substr(eq + 1);
    return lease;
}

MetadataAgent::MetadataAgent(Chassis &c, int nova_port) : c_(c), dir_(c.dir() + "/metadata") {
    const auto r = c_.shell("OVN_SB_DB=unix:" + c_.dir() + "/ovnsb_db.sock " METADATA_AGENT_SCRIPT " start " + dir_ + " " +
                            std::to_string(nova_port) + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

MetadataAgent::~MetadataAgent() { c_.shell(METADATA_AGENT_SCRIPT " stop " + dir_); }

}  // namespace e2e
