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

// "IOVUNDO1", the module ids, then each entry: map id, key, old value or none.
constexpr char kMagic[8] = {'I', 'O', 'V', 'U', 'N', 'D', 'O', '1'};
constexpr uint32_t kAbsent = UINT32_MAX;

void put32(Bytes &out, uint32_t v) {
    const auto *p = reinterpret_cast<const uint8_t *>(&v);
    out.insert(out.end(), p, p + sizeof v);
}

Bytes encode(const UndoLog &undo, const std::set<uint32_t> &modules) {
    Bytes out(kMagic, kMagic + sizeof kMagic);
    put32(out, uint32_t(modules.size()));
    for (uint32_t id : modules) put32(out, id);
    put32(out, uint32_t(undo.entries().size()));
    for (const auto &e : undo.entries()) {
        put32(out, e.map_id);
        put32(out, uint32_t(e.key.size()));
        put32(out, e.old_value ? uint32_t(e.old_value->size()) : kAbsent);
        out.insert(out.end(), e.key.begin(), e.key.end());
        if (e.old_value) out.insert(out.end(), e.old_value->begin(), e.old_value->end());
    }
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

iovisor::Status UndoJournal::save(const UndoLog &undo, const std::set<uint32_t> &modules) const {
    const Bytes data = encode(undo, modules);
    const std::string tmp = path_ + ".tmp";
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return iovisor::errnoError(errno, "create " + tmp);
    for (size_t done = 0; done < data.size();) {
        const ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return iovisor::errnoError(errno, "write " + tmp);
        done += size_t(n);
    }
    if (std::rename(tmp.c_str(), path_.c_str()) != 0) return iovisor::errnoError(errno, "rename to " + path_);
    return {};
}

void UndoJournal::clear() const { (void)unlink(path_.c_str()); }

std::set<uint32_t> UndoJournal::recover() const {
    (void)unlink((path_ + ".tmp").c_str());  // a save cut short: nothing was written after it
    std::ifstream in(path_, std::ios::binary);
    if (!in) return {};
    const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Reader r(data);
    std::set<uint32_t> modules;
    UndoLog undo;
    std::vector<Fd> fds;
    const Bytes magic = r.bytes(sizeof kMagic);
    if (r.ok() && std::memcmp(magic.data(), kMagic, sizeof kMagic) == 0) {
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
    }
    if (!r.ok() || !r.atEnd()) {
        std::cerr << "hoverd: " << path_ << " is malformed: kept as " << path_ << ".malformed, nothing rolled back\n";
        (void)std::rename(path_.c_str(), (path_ + ".malformed").c_str());
        return {};
    }
    std::cerr << "hoverd: a table request was cut short (hoverd stopped in the middle): putting back the "
              << undo.entries().size() << " entries it replaced\n";
    undo.rollBack();
    clear();
    return modules;
}

}  // namespace hover
