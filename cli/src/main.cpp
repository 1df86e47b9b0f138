// iovisorctl: debugging CLI for IOModules and the OVN-to-IOModule mapping.
#include <iostream>
#include <string>

namespace {
const char kUsage[] =
    "usage: iovisorctl [--help] COMMAND ...\n"
    "\n"
    "Inspects hoverd (modules, links, tables, stats) and iovisor-ovnd.\n"
    "(Commands arrive with the CLI work.)\n";
}

int main(int argc, char **argv) {
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string arg = argv[1];
    if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
    }
    std::cerr << "iovisorctl: unknown command '" << arg << "'\n" << kUsage;
    return 2;
}
