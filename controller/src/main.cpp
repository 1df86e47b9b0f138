// iovisor-ovnd: the per-hypervisor OVN chassis daemon (replaces ovn-controller).
#include <iostream>
#include <string>

namespace {
const char kUsage[] =
    "usage: iovisor-ovnd [--help]\n"
    "\n"
    "Follows the OVN NB/SB and local Open_vSwitch databases, acts as the OVN\n"
    "chassis and programs IOModules through hoverd.\n"
    "(The translation engine arrives with the OVN-integration work; this build\n"
    "only checks that the OVS IDL links.)\n";
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        std::cerr << "iovisor-ovnd: unknown argument '" << arg << "'\n" << kUsage;
        return 2;
    }
    std::cerr << "iovisor-ovnd: not implemented yet\n";
    return 1;
}
