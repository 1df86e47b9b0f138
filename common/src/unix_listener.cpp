#include "iovisor/unix_listener.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace iovisor {

namespace {

Result<gid_t> groupId(const std::string &name) {
    group entry{}, *found = nullptr;
    std::vector<char> buf(16384);
    if (getgrnam_r(name.c_str(), &entry, buf.data(), buf.size(), &found) != 0 || !found)
        return makeError(Errc::kInvalid, "no such group '" + name + "'");
    return found->gr_gid;
}

Status removeStaleSocket(const std::string &path) {
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) return {};
    if (!S_ISSOCK(st.st_mode)) return makeError(Errc::kConflict, path + " exists and is not a socket: not replacing it");
    unlink(path.c_str());
    return {};
}

}  // namespace

Result<int> listenUnix(const std::string &path, int backlog, const UnixSocketAccess &access) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return makeError(Errc::kInvalid, "unix socket path too long: " + path);
    gid_t gid = getegid();
    if (!access.group.empty()) {
        auto g = groupId(access.group);
        if (!g.ok()) return g.error();
        gid = *g;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (auto s = removeStaleSocket(path); !s.ok()) return s.error();
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errnoError(errno, "socket for " + path);
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    // Created with no access for others at all, then given its mode: no
    // moment where a wider mode lets someone in.
    const mode_t old_umask = umask(0177);
    const int bound = bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    umask(old_umask);
    if (bound != 0 || chown(path.c_str(), geteuid(), gid) != 0 || chmod(path.c_str(), access.mode) != 0 ||
        listen(fd, backlog) != 0) {
        const int err = errno;
        close(fd);
        return errnoError(err, "listen on unix socket " + path);
    }
    return fd;
}

void closeUnixListener(int fd, const std::string &path) {
    if (fd < 0) return;
    shutdown(fd, SHUT_RDWR);
    close(fd);
    unlink(path.c_str());
}

}  // namespace iovisor
