// Neutron's metadata path end to end, on our chassis and on ovn-controller +
// OVS (see differential.h): the network as Neutron writes it (a localport
// for metadata, the VM's port with its device and project ids, DHCP options
// routing 169.254.169.254 to the localport), Debian's real
// neutron-ovn-metadata-agent run unchanged against the chassis
// (tests/neutron/metadata-agent.sh), a stand-in for Nova's metadata API
// behind it, and a VM that configures itself by DHCP and fetches its
// metadata with curl.
#include "differential.h"
#include "neutron.h"

namespace e2e {
namespace {

using MetadataE2E = Differential;

const std::string kNet = "0a0b0c0d-0000-4000-8000-000000000001", kMetaPort = "0a0b0c0d-0000-4000-8000-0000000000aa",
                  kVmPort = "0a0b0c0d-0000-4000-8000-0000000000bb", kInstance = "11111111-2222-4333-8444-555555555555";

// The network as neutron-server 21 (ML2/OVN) writes it for a subnet
// 10.0.0.0/24 with DHCP and a VM port.
void neutronNetwork(Chassis &c) {
    const std::string ls = "neutron-" + kNet;
    c.nbctl("ls-add " + ls + " -- lsp-add " + ls + " " + kMetaPort + " -- lsp-set-type " + kMetaPort + " localport" +
            " -- lsp-set-addresses " + kMetaPort + " 'fa:16:3e:00:00:02 10.0.0.2' -- set Logical_Switch_Port " + kMetaPort +
            " 'external_ids:\"neutron:cidrs\"=\"10.0.0.2/24\"' 'external_ids:\"neutron:device_owner\"=\"network:distributed\"'"
            " 'external_ids:\"neutron:device_id\"=\"ovnmeta-" + kNet + "\"'");
    c.nbctl("lsp-add " + ls + " " + kVmPort + " -- lsp-set-addresses " + kVmPort + " '02:00:00:00:00:01 10.0.0.5'" +
            " -- lsp-set-port-security " + kVmPort + " '02:00:00:00:00:01 10.0.0.5' -- set Logical_Switch_Port " + kVmPort +
            " 'external_ids:\"neutron:cidrs\"=\"10.0.0.5/24\"' 'external_ids:\"neutron:device_id\"=\"" + kInstance + "\"'"
            " 'external_ids:\"neutron:project_id\"=\"project1\"'");
    const std::string row = c.nbctl("create DHCP_Options cidr=10.0.0.0/24").substr(0, 36);
    c.nbctl("dhcp-options-set-options " + row + " lease_time=43200 server_id=10.0.0.1 server_mac=fa:16:3e:00:00:fe"
            " router=10.0.0.1 mtu=1442 'classless_static_route={169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}'");
    c.nbctl("lsp-set-dhcpv4-options " + kVmPort + " " + row);
}

TEST_F(MetadataE2E, VmFetchesItsMetadataThroughNeutronsAgent) {
    compare([](Chassis &c, Observations &see) {
        neutronNetwork(c);
        MetadataAgent agent(c, c.ours() ? 18775 : 18776);
        TestHost &vm = c.vm(kVmPort, "02:00:00:00:00:01", "");
        c.syncHv();
        configureByDhcp(c, vm);
        see("the VM's route to the metadata service", "169.254.169.254 via 10.0.0.2 dev eth0",
            vm.exec("ip route show 169.254.169.254 | tr -s ' ' | sed 's/ $//'").output.substr(0, 37));
        see("its metadata, from Nova through the agent",
            "{\"uuid\": \"" + kInstance + "\", \"project_id\": \"project1\"}",
            vm.exec("curl -s -m 3 --retry 20 --retry-delay 1 --retry-all-errors "
                    "http://169.254.169.254/openstack/latest/meta_data.json").output);
        see("Nova saw the request from the VM's address", "yes",
            yesNo(testsupport::shell("grep -q ' " + kInstance + " project1 10.0.0.5$' " + agent.dir() + "/nova.log").exit_code == 0));
        see("the agent registered on the chassis", "yes",
            yesNo(c.sbctl("get Chassis_Private " + c.systemId() + " external_ids").find("neutron:ovn-metadata-id") !=
                  std::string::npos));
        see("the localport is bound to no chassis", "[]", c.sbctl("get Port_Binding " + kMetaPort + " chassis").substr(0, 2));
        vm.stopProcesses();
    });
}

}  // namespace
}  // namespace e2e
