#include "iovisor/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

namespace iovisor {

CommandResult runCommand(const std::vector<std::string> &argv) {
    CommandResult result;
    int pipe_fds[2];
    if (argv.empty() || pipe(pipe_fds) != 0) return result;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        std::vector<char *> args;
        for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        dprintf(STDERR_FILENO, "exec %s failed\n", args[0]);
        _exit(127);
    }
    close(pipe_fds[1]);
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(pipe_fds[0], buf.data(), buf.size())) > 0) result.output.append(buf.data(), n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace iovisor
