#include "test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace testsupport {

namespace fs = std::filesystem;

CommandResult run(const std::vector<std::string> &argv) {
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

CommandResult shell(const std::string &command_line) { return run({"/bin/sh", "-c", command_line}); }

std::string findTool(const std::string &tool) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/local/sbin";
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = path.find(':', start);
        const std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty()) {
            const std::string candidate = dir + "/" + tool;
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return "";
}

TempDir::TempDir(const std::string &prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
}

pid_t readPidfile(const std::string &path) {
    std::ifstream in(path);
    long pid = -1;
    if (!(in >> pid) || pid <= 0) return -1;
    return static_cast<pid_t>(pid);
}

void stopPid(pid_t pid, int grace_ms) {
    if (pid <= 0 || kill(pid, SIGTERM) != 0) return;
    for (int waited = 0; waited < grace_ms; waited += 10) {
        if (kill(pid, 0) != 0) return;
        waitpid(pid, nullptr, WNOHANG);  // reap if it is our child
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
}

OvsdbServer::OvsdbServer(const std::string &schema) : dir_("iovisor-ovsdb") {
    if (dir_.path().empty()) {
        error_ = "cannot create a temp dir";
        return;
    }
    const std::string db = dir_.path() + "/db.db";
    const std::string pidfile = dir_.path() + "/db.pid";
    socket_ = dir_.path() + "/db.sock";
    auto created = run({"ovsdb-tool", "create", db, schema});
    if (created.exit_code != 0) {
        error_ = "ovsdb-tool create " + schema + ": " + created.output;
        return;
    }
    auto started = run({"ovsdb-server", db, "--remote=punix:" + socket_, "--pidfile=" + pidfile,
                        "--log-file=" + dir_.path() + "/db.log", "--unixctl=" + dir_.path() + "/db.ctl",
                        "--detach", "--no-chdir"});
    if (started.exit_code != 0) {
        error_ = "ovsdb-server: " + started.output;
        return;
    }
    pid_ = readPidfile(pidfile);
    if (pid_ <= 0) error_ = "ovsdb-server wrote no pidfile " + pidfile;
}

OvsdbServer::~OvsdbServer() { stopPid(pid_); }

}  // namespace testsupport
