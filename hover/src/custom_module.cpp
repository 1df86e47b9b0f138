#include "custom_module.h"

#include "iovisor/process.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
    std::vector<std::string> argv = {"timeout", "60", "clang", "-target", "bpf", "-O2", "-g", "-Wall",
                                     "-D__TARGET_ARCH_x86", "-I" + include_dir, "-I/usr/include/x86_64-linux-gnu",
                                     "-c", dir + "/module.bpf.c", "-o", dir + "/module.bpf.o"};
    if (mode == AttachMode::kXdp) argv.insert(argv.begin() + 8, "-DIOV_XDP");
    const iovisor::CommandResult out = iovisor::runCommand(argv);
    if (out.exit_code == 127) return makeError(Errc::kUnavailable, "clang not found: apt-get install clang");
    if (out.exit_code != 0) return makeError(Errc::kRejected, "clang rejected the module source:\n" + out.output);
    std::ifstream obj(dir + "/module.bpf.o", std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(obj), {});
}

}  // namespace hover
