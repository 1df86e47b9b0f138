// DNS end to end, on our chassis and on ovn-controller + OVS (see
// differential.h): a switch's DNS records typed with ovn-nbctl as Neutron
// writes them, dig in a VM asking a real server (dnsmasq) in another: the
// records are answered by the chassis, every other query reaches the
// server, which logs what it saw.
#include "differential.h"

namespace e2e {
namespace {

using DnsE2E = Differential;

// dig's answer lines (name TTL class type data), blanks squeezed. Without
// EDNS: the reference's OVN (23.03.1) leaves queries with additional
// records unanswered (fixed in 23.03.2, "pinctrl: dns: Ignore additional
// records"); ours answers them as the fix does.
std::string dig(TestHost &vm, const std::string &args, bool edns = false) {
    return vm.exec("dig +time=2 +tries=1 +noall +answer " + std::string(edns ? "" : "+noedns ") + args +
                   " | tr -s ' \\t' ' '").output;
}

TEST_F(DnsE2E, RecordsAnsweredOtherQueriesReachTheServer) {
    compare([](Chassis &c, Observations &see) {
        c.nbctl("ls-add sw0");
        addVifPort(c, "sw0", "vm1", "02:00:00:00:00:01", "10.0.0.5 fd00::5");
        addVifPort(c, "sw0", "dns", "02:00:00:00:00:53", "10.0.0.53 fd00::53");
        const std::string dns = c.nbctl("create DNS records='{\"vm2.openstack.internal\"=\"10.0.0.6 fd00::6\","
                                        " \"6.0.0.10.in-addr.arpa\"=\"vm2.openstack.internal\"}'").substr(0, 36);
        c.nbctl("add Logical_Switch sw0 dns_records " + dns);
        TestHost &vm1 = c.vm("vm1", "02:00:00:00:00:01", "10.0.0.5/24");
        TestHost &server = c.vm("dns", "02:00:00:00:00:53", "10.0.0.53/24");
        vm1.exec("ip -6 addr add fd00::5/64 dev eth0 nodad");
        server.exec("ip -6 addr add fd00::53/64 dev eth0 nodad");
        const std::string log = c.dir() + "/dnsmasq.log";
        server.exec("dnsmasq --no-resolv --no-hosts --bind-interfaces --listen-address=10.0.0.53 --listen-address=fd00::53"
                    " --address=/upstream.example/192.0.2.1 --log-queries --log-facility=" + log + " --pid-file=" +
                    c.dir() + "/dnsmasq.pid --user=root");
        c.syncHv();
        see("A", "vm2.openstack.internal. 3600 IN A 10.0.0.6\n", dig(vm1, "@10.0.0.53 vm2.openstack.internal A"));
        see("A, asked in capitals", "VM2.OpenStack.Internal. 3600 IN A 10.0.0.6\n",
            dig(vm1, "@10.0.0.53 VM2.OpenStack.Internal A"));
        see("AAAA over IPv6", "vm2.openstack.internal. 3600 IN AAAA fd00::6\n", dig(vm1, "@fd00::53 vm2.openstack.internal AAAA"));
        see("PTR", "6.0.0.10.in-addr.arpa. 3600 IN PTR vm2.openstack.internal.\n", dig(vm1, "@10.0.0.53 -x 10.0.0.6"));
        see("another name, from the server", "upstream.example. 0 IN A 192.0.2.1\n", dig(vm1, "@10.0.0.53 upstream.example A"));
        auto server_saw = [&](const std::string &name) {
            return yesNo(testsupport::shell("grep -q 'query\\[A\\] " + name + " ' " + log).exit_code == 0);
        };
        see("the server saw the other name", "yes", server_saw("upstream.example"));
        see("the server never saw the records", "no", server_saw("vm2.openstack.internal"));
        see.goal("A with EDNS (dig's default)", "vm2.openstack.internal. 3600 IN A 10.0.0.6\n",
                 dig(vm1, "@10.0.0.53 vm2.openstack.internal A", true));
        see.ours("iovisorctl ovn shows the records", "yes", [&] {
            const std::string out = testsupport::shell(iovisorctl(c) + "ovn").output;
            const bool ok = out.find("DNS: answers 2 records") != std::string::npos;
            return yesNo(ok) + (ok ? "" : "\n" + out);
        });
        c.nbctl("remove DNS " + dns + " records vm2.openstack.internal");
        c.syncHv();
        see("a removed record: the server's answer (none)", "", dig(vm1, "@10.0.0.53 vm2.openstack.internal A"));
        see("the server saw it then", "yes", server_saw("vm2.openstack.internal"));
        see.ours("incremental equals a full recompute", "yes", [&] { return inSyncObservation(c); });
        server.stopProcesses();
    });
}

}  // namespace
}  // namespace e2e
