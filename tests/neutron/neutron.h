// Neutron's own services next to a chassis in the tests: Debian's real
// neutron-server (tests/neutron/neutron-server.sh) driven through its REST
// API as a tenant and Nova would, and the real OVN metadata agent
// (tests/neutron/metadata-agent.sh) with a stand-in for Nova behind it.
// Each is stopped when it goes out of scope, however the scenario ends.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "chassis.h"

namespace e2e {

class NeutronServer {
public:
    NeutronServer(Chassis &c, int port);
    ~NeutronServer();
    NeutronServer(const NeutronServer &) = delete;
    NeutronServer &operator=(const NeutronServer &) = delete;

    // One request; the response body (null if none or not JSON).
    nlohmann::json request(const std::string &method, const std::string &path, const nlohmann::json &body = nullptr);
    // POST /v2.0/<collection>s {<collection>: fields}: the created object.
    nlohmann::json create(const std::string &collection, const nlohmann::json &fields);
    // A port for a VM on this chassis, as Nova asks for it (bound to the host).
    nlohmann::json vmPort(const std::string &network, const std::string &name, const nlohmann::json &extra = {});
    // The VM of `port`, plugged into br-int the way os-vif plugs it.
    TestHost &plug(const nlohmann::json &port);
    // The port's status once it is ACTIVE, or what it is after `seconds`.
    std::string awaitActive(const std::string &port, int seconds = 15);

private:
    Chassis &c_;
    std::string dir_, url_;
    int requests_ = 0, devices_ = 0;
};

// busybox udhcpc configures the VM as a cloud image would (its address,
// MTU and the classless routes: 169.254.169.254 via the metadata port, the
// default route); returns the lease's variables.
std::map<std::string, std::string> configureByDhcp(Chassis &c, TestHost &vm);

class MetadataAgent {
public:
    MetadataAgent(Chassis &c, int nova_port);
    ~MetadataAgent();
    MetadataAgent(const MetadataAgent &) = delete;
    MetadataAgent &operator=(const MetadataAgent &) = delete;
    const std::string &dir() const { return dir_; }

private:
    Chassis &c_;
    std::string dir_;
};

}  // namespace e2e
