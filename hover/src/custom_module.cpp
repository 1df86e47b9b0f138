#include "custom_module.h"

#include "iovisor/process.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;

iovisor::Result<Bytes> compileCustomModule(const std::string &source, AttachMode mode,
                                           const std::string &include_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hoverd-module-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return iovisor::errnoError(errno, "temp dir for the compiler");
    const std::string dir = tmpl;
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup{dir};
    {
        std::ofstream src(dir + "/module.bpf.c");
        src << source;
    }
    // The flags the built-in modules were compiled with, for this host's
    // architecture (cmake/BpfObject.cmake), tab-separated.
    std::vector<std::string> argv = {"timeout", "60", IOV_BPF_CLANG};
    std::istringstream flags(IOV_BPF_CFLAGS);
    for (std::string flag; std::getline(flags, flag, '\t');) argv.push_back(flag);
    if (mode == AttachMode::kXdp) argv.push_back("-DIOV_XDP");
    for (const std::string &arg : {"-I" + include_dir, std::string("-c"), dir + "/module.bpf.c", std::string("-o"),
                                   dir + "/module.bpf.o"})
        argv.push_back(arg);
    const iovisor::CommandResult out = iovisor::runCommand(argv);
    if (out.exit_code == 127) return makeError(Errc::kUnavailable, "clang not found: apt-get install clang");
    if (out.exit_code != 0) return makeError(Errc::kRejected, "clang rejected the module source:\n" + out.output);
    std::ifstream obj(dir + "/module.bpf.o", std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(obj), {});
}

}  // namespace hover
