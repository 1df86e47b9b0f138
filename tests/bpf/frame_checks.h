// What the packet fuzzer holds every output frame to, read from the bytes
// alone (independent of the datapath's own parsers): a frame is "valid" if
// its headers are whole and its checksums right, and a port's port security
// is kept if nothing but its own addresses leaves it.
#pragma once

#include <cstdint>

#include "packet.h"

namespace bpftest {

// Ethernet header present; IPv4 (no fragment): header length, total length
// and header checksum right, TCP/UDP/ICMP checksum right when the segment
// is whole (UDP 0: none); IPv6: payload inside the frame, TCP/UDP/ICMPv6
// checksum right. Other EtherTypes: the Ethernet header is enough.
bool validFrame(const testsupport::Bytes &frame);

// OVN port security of a port with `mac`, `ipv4` and `ipv6` (ovn-nb(5)
// Logical_Switch_Port:port_security): may a frame with these bytes leave
// the port for the rest of the network? ARP needs the port's MAC and IPv4
// address as sender, IPv4 its address (or 0.0.0.0 to the broadcast: DHCP),
// IPv6 its address, :: or its EUI-64 link-local address; VLAN tags never.
struct SecuredPort {
    testsupport::Mac mac;
    uint32_t ipv4;  // network order
    testsupport::Ip6 ipv6;
};
bool portSecurityAllows(const SecuredPort &port, const testsupport::Bytes &frame);

}  // namespace bpftest
