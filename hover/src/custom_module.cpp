#include "custom_module.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace hover {

using iovisor::Errc;
using iovisor::makeError;

namespace {

struct Output {
    int status = -1;
    std::string text;
};

Output runCapture(const std::vector<std::string> &argv) {
    Output out;
    int fds[2];
    if (pipe(fds) != 0) return out;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::vector<char *> args;
        for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(fds[0], buf.data(), buf.size())) > 0) out.text.append(buf.data(), n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

}  // namespace

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
    Output out = runCapture(argv);
    if (out.status == 127) return makeError(Errc::kUnavailable, "clang not found: apt-get install clang");
    if (out.status != 0) return makeError(Errc::kRejected, "clang rejected the module source:\n" + out.text);
    std::ifstream obj(dir + "/module.bpf.o", std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(obj), {});
}

}  // namespace hover
