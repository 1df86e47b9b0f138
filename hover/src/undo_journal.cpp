#include "undo_journal.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "hover/fd.h"

namespace hover {

namespace {

// The header: "IOVUNDO1", the log's length and FNV-1a; then the log: the
// module ids, then each entry: map id, key, old value or none.
constexpr char kMagic[8] = {'I', 'O', 'V', 'U', 'N', 'D', 'O', '1'};
constexpr size_t kHeader = sizeof kMagic + 8;
constexpr uint32_t kAbsent = UINT32_MAX;

void put32(Bytes &out, uint32_t v) {
    const auto *p = reinterpret_cast<const uint8_t *>(&v);
    out.insert(out.end(), p, p + sizeof v);
}

uint32_t checksum(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    return h;
}

Bytes encode(const UndoLog &undo, const std::set<uint32_t> &modules) {
    Bytes log;
    put32(log, uint32_t(modules.size()));
    for (uint32_t id : modules) put32(log, id);
    put32(log, uint32_t(undo.entries().size()));
    for (const auto &e : undo.entries()) {
        put32(log, e.map_id);
        put32(log, uint32_t(e.key.size()));
        put32(log, e.old_value ? uint32_t(e.old_value->size()) : kAbsent);
        log.insert(log.end(), e.key.begin(), e.key.end());
        if (e.old_value) log.insert(log.end(), e.old_value->begin(), e.old_value->end());
    }
    Bytes out(kMagic, kMagic + sizeof kMagic);
    put32(out, uint32_t(log.size()));
    put32(out, checksum(log.data(), log.size()));
    out.insert(out.end(), log.begin(), log.end());
    return out;
}

// Reads the file's fields in order; any read past its end makes it invalid.
class Reader {
public:
    explicit Reader(const Bytes &data) : data_(data) {}
    bool ok() const { return ok_; }
    uint32_t u32() {
        uint32_t v = 0;
        if (take(sizeof v)) std::memcpy(&v, &data_[pos_ - sizeof v], sizeof v);
        return v;
    }
    Bytes bytes(uint32_t n) {
        if (!take(n)) return {};
        return Bytes(data_.begin() + long(pos_ - n), data_.begin() + long(pos_));
    }
    bool atEnd() const { return pos_ == data_.size(); }

private:
    bool take(size_t n) {
        ok_ = ok_ && n <= data_.size() - pos_;
        if (ok_) pos_ += n;
        return ok_;
    }
    const Bytes &data_;
    size_t pos_ = 0;
    bool ok_ = true;
};

// The map by its kernel id, if it is still the map the entry was taken from.
Fd openMatching(uint32_t map_id, size_t key_size, std::optional<size_t> value_size) {
    Fd fd(bpf_map_get_fd_by_id(map_id));
    if (!fd.valid()) return {};
    auto info = mapInfo(fd.get());
    if (!info.ok() || info->key_size != key_size || (value_size && valueBytes(*info) != *value_size)) return {};
    return fd;
}

}  // namespace

UndoJournal::~UndoJournal() {
    if (fd_ >= 0) close(fd_);
}

iovisor::Status UndoJournal::open() {
    if (fd_ < 0) fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    return fd_ >= 0 ? iovisor::Status() : iovisor::errnoError(errno, "open " + path_);
}

// Writes all of `data` at `offset`.
iovisor::Status writeAt(int fd, const uint8_t *data, size_t size, size_t offset, const std::string &path) {
    for (size_t done = 0; done < size;) {
        const ssize_t n = pwrite(fd, data + done, size - done, off_t(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return iovisor::errnoError(errno, "write " + path);
        done += size_t(n);
    }
    return {};
}

// The log first, its header last: a log whose header is there is whole.
iovisor::Status UndoJournal::save(const UndoLog &undo, const std::set<uint32_t> &modules) {
    if (auto s = open(); !s.ok()) return s;
    const Bytes data = encode(undo, modules);
    if (auto s = writeAt(fd_, data.data() + kHeader, data.size() - kHeader, kHeader, path_); !s.ok()) return s;
    return writeAt(fd_, data.data(), kHeader, 0, path_);
}

void UndoJournal::clear() {
    static const uint8_t zeros[kHeader] = {};
    if (fd_ >= 0) (void)!pwrite(fd_, zeros, sizeof zeros, 0);
}

std::set<uint32_t> UndoJournal::recover() {
    (void)unlink((path_ + ".tmp").c_str());  // an earlier hoverd's
    std::set<uint32_t> modules = rollBackCutShort();
    if (open().ok()) clear();
    return modules;
}

std::set<uint32_t> UndoJournal::rollBackCutShort() const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return {};
    const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Reader header(data);
    const Bytes magic = header.bytes(sizeof kMagic);
    const uint32_t length = header.u32(), sum = header.u32();
    if (!header.ok() || std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0 || length > data.size() - kHeader ||
        checksum(data.data() + kHeader, length) != sum)
        return {};  // no request was being written
    const Bytes log(data.begin() + kHeader, data.begin() + long(kHeader + length));
    Reader r(log);
    std::set<uint32_t> modules;
    UndoLog undo;
    std::vector<Fd> fds;
    for (uint32_t n = r.u32(); r.ok() && n > 0; --n) modules.insert(r.u32());
    for (uint32_t n = r.u32(); r.ok() && n > 0; --n) {
        const uint32_t map_id = r.u32(), key_size = r.u32(), value_size = r.u32();
        Bytes key = r.bytes(key_size);
        std::optional<Bytes> old;
        if (value_size != kAbsent) old = r.bytes(value_size);
        if (!r.ok()) break;
        Fd fd = openMatching(map_id, key_size, old ? std::optional<size_t>(old->size()) : std::nullopt);
        if (!fd.valid()) continue;
        undo.add({fd.get(), map_id, std::move(key), std::move(old)});
        fds.push_back(std::move(fd));
    }
    if (!r.ok() || !r.atEnd()) {
        std::cerr << "hoverd: " << path_ << " holds a log it cannot read; nothing rolled back\n";
        return {};
    }
    std::cerr << "hoverd: a table request was cut short (hoverd stopped in the middle): putting back the "
              << undo.entries().size() << " entries it replaced\n";
    undo.rollBack();
    return modules;
}

}  // namespace hover
