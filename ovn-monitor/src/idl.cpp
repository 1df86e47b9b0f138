#include "ovnmon/idl.h"

#include <config.h>
#include "ovsdb-idl.h"
#include "openvswitch/poll-loop.h"

namespace ovnmon {

using iovisor::Errc;
using iovisor::makeError;

namespace {

// unix:, tcp: or ssl:, or a comma-separated list of them (the servers of
// a cluster). The SSL files of ssl: may come later (the Open_vSwitch SSL
// record): the IDL retries until they do.
iovisor::Status checkRemote(const std::string &remote) {
    size_t start = 0;
    do {
        const size_t comma = remote.find(',', start);
        const std::string one = remote.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (one.rfind("unix:", 0) != 0 && one.rfind("tcp:", 0) != 0 && one.rfind("ssl:", 0) != 0)
            return makeError(Errc::kInvalid, "OVSDB remote '" + one + "' must start with unix:, tcp: or ssl:");
        start = comma == std::string::npos ? comma : comma + 1;
    } while (start != std::string::npos);
    return {};
}

}  // namespace

iovisor::Result<std::unique_ptr<IdlConnection>> IdlConnection::open(
    const ovsdb_idl_class &idl_class, const std::string &remote, const std::vector<const ovsdb_idl_column *> &columns) {
    if (auto s = checkRemote(remote); !s.ok()) return s.error();
    ovsdb_idl *idl = ovsdb_idl_create(remote.c_str(), &idl_class, columns.empty() /* monitor everything */,
                                      true /* retry on disconnect */);
    if (!idl) return makeError(Errc::kUnavailable, "cannot create IDL for " + remote);
    for (const ovsdb_idl_column *column : columns) ovsdb_idl_add_column(idl, column);
    std::unique_ptr<IdlConnection> conn(new IdlConnection(idl, remote));
    conn->columns_ = columns;
    return conn;
}

IdlConnection::IdlConnection(ovsdb_idl *idl, std::string remote)
    : idl_(idl), loop_(new ovsdb_idl_loop{}), remote_(std::move(remote)), initial_seqno_(ovsdb_idl_get_seqno(idl)) {
    loop_->idl = idl;
}

IdlConnection::~IdlConnection() {
    // ovsdb_idl_loop_destroy() would destroy the IDL too; do it in order here.
    if (loop_->committing_txn) ovsdb_idl_txn_destroy(loop_->committing_txn);
    if (loop_->open_txn) ovsdb_idl_txn_destroy(loop_->open_txn);
    ovsdb_idl_destroy(idl_);
}

ovsdb_idl_txn *IdlConnection::beginTxn() { return ovsdb_idl_loop_run(loop_.get()); }

void IdlConnection::commitAndWait() { ovsdb_idl_loop_commit_and_wait(loop_.get()); }

void IdlConnection::run() { ovsdb_idl_run(idl_); }

void IdlConnection::wait(std::chrono::milliseconds timeout) {
    ovsdb_idl_wait(idl_);
    poll_timer_wait(timeout.count());
    poll_block();
}

bool IdlConnection::runUntil(const std::function<bool()> &done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        run();
        if (done()) return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        wait(left);
    }
}

void IdlConnection::prepareWait() { ovsdb_idl_wait(idl_); }

// ovsdb_idl_track_add_all() would also monitor every column it tracks.
void IdlConnection::trackAll() {
    if (columns_.empty()) return ovsdb_idl_track_add_all(idl_);
    for (const ovsdb_idl_column *column : columns_) ovsdb_idl_track_add_column(idl_, column);
}

void IdlConnection::clearTracked() { ovsdb_idl_track_clear(idl_); }

void IdlConnection::omit(const ovsdb_idl_column &column) { ovsdb_idl_omit(idl_, &column); }

void IdlConnection::setRemote(const std::string &remote) {
    if (remote == remote_) return;
    remote_ = remote;
    ovsdb_idl_set_remote(idl_, remote.c_str(), true);
}

void pollBlock(int timeout_ms) {
    poll_timer_wait(timeout_ms);
    poll_block();
}

bool IdlConnection::connected() const { return ovsdb_idl_is_connected(idl_); }

bool IdlConnection::synced() const { return connected() && ovsdb_idl_get_seqno(idl_) != initial_seqno_; }

unsigned IdlConnection::seqno() const { return ovsdb_idl_get_seqno(idl_); }

}  // namespace ovnmon
