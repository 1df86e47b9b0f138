// iovisor-ovnd: the per-hypervisor OVN chassis daemon that replaces
// ovn-controller. One loop, as ovn-controller's: read the three databases,
// translate OVN into the desired IOModule graph, send hoverd the difference,
// then do the chassis duties (bindings, nb_cfg) once the datapath is in place.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>


#include "chassis.h"
#include "debug_endpoint.h"
#include "engine.h"
#include "snapshot.h"
#include "hover/client.h"
#include "iovisor/text.h"
#include "log.h"
#include "ra_announcer.h"
#include "ovnmon/monitor.h"
#include "reconciler.h"
#include "translate.h"

#include <config.h>
#include "openvswitch/poll-loop.h"
#include "openvswitch/util.h"

namespace {

const char kUsage[] =
    "usage: iovisor-ovnd [options]\n"
    "\n"
    "The OVN chassis daemon of IOVisor-OVN: follows the OVN NB/SB and local\n"
    "Open_vSwitch databases and programs IOModules through hoverd.\n"
    "  --ovs-db REMOTE     local Open_vSwitch database (default unix:/var/run/openvswitch/db.sock)\n"
    "  --ovnnb-db REMOTE   OVN Northbound (default unix:/var/run/ovn/ovnnb_db.sock)\n"
    "  --ovnsb-db REMOTE   OVN Southbound (default: external_ids:ovn-remote of Open_vSwitch)\n"
    "  -p, --private-key FILE, -c, --certificate FILE, -C, --ca-cert FILE\n"
    "                      for ssl: remotes, as ovn-controller takes them (default: the\n"
    "                      Open_vSwitch SSL record, ovs-vsctl set-ssl)\n"
    "  --bootstrap-ca-cert FILE  fetch the CA certificate from the server on first connect\n"
    "  --hover ENDPOINT    hoverd's API: unix:PATH (default unix:/var/run/iovisor-ovn/hoverd.sock)\n"
    "                      or http://HOST:PORT with --hover-token-file\n"
    "  --hover-token-file FILE  the bearer token for hoverd over TCP\n"
    "  --pidfile FILE      write the daemon's PID here\n"
    "  --debug-socket PATH serve the controller's state here for iovisorctl\n"
    "                      (default /var/run/iovisor-ovn/ovnd.sock)\n"
    "  --keep-chassis      on exit, keep bindings and the Chassis rows (for restarts)\n"
    "  --check             compare what OVN wants with what hoverd holds, print the\n"
    "                      difference and exit (0: in sync, 1: differences); changes nothing\n"
    "  -v                  log every change and reconcile\n"
    "  --help              this text\n";

// How often an idle controller asks hoverd whether anyone else changed it.
constexpr auto kHoverdCheckInterval = std::chrono::seconds(2);

struct Options {
    ovnmon::MonitorOptions monitor;
    std::string hover = hover::kDefaultEndpoint;
    std::string hover_token;
    std::string pidfile;
    std::string debug_socket = "/var/run/iovisor-ovn/ovnd.sock";
    bool keep_chassis = false;
    bool check = false;
    bool verbose = false;
};

Options parse(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "iovisor-ovnd: " << arg << " needs a value\n" << kUsage;
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else if (arg == "--ovs-db") o.monitor.ovs_remote = value();
        else if (arg == "--ovnnb-db") o.monitor.nb_remote = value();
        else if (arg == "--ovnsb-db") o.monitor.sb_remote = value();
        else if (arg == "-p" || arg == "--private-key") o.monitor.ssl.private_key = value();
        else if (arg == "-c" || arg == "--certificate") o.monitor.ssl.certificate = value();
        else if (arg == "-C" || arg == "--ca-cert") o.monitor.ssl.ca_cert = value();
        else if (arg == "--bootstrap-ca-cert") {
            o.monitor.ssl.ca_cert = value();
            o.monitor.ssl.bootstrap_ca_cert = true;
        }
        else if (arg == "--hover") o.hover = value();
        else if (arg == "--hover-token-file") {
            auto token = iovisor::readToken(value());
            if (!token.ok()) {
                std::cerr << "iovisor-ovnd: " << token.error().message << "\n";
                std::exit(2);
            }
            o.hover_token = *token;
        }
        else if (arg == "--pidfile") o.pidfile = value();
        else if (arg == "--debug-socket") o.debug_socket = value();
        else if (arg == "--keep-chassis") o.keep_chassis = true;
        else if (arg == "--check") o.check = true;
        else if (arg == "-v") o.verbose = true;
        else {
            std::cerr << "iovisor-ovnd: unknown argument '" << arg << "'\n" << kUsage;
            std::exit(2);
        }
    }
    return o;
}

// --check: a fresh full recompute compared with hoverd, read-only. After any
// sequence of incremental updates by the running daemon it must find nothing.
int check(ovnmon::OvnMonitor &mon, hover::HoverClient &hover) {
    // Let the replicas fill: run until nothing changes for half a second.
    auto quiet_since = std::chrono::steady_clock::now();
    const auto deadline = quiet_since + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (mon.run() || !mon.ready())
            quiet_since = std::chrono::steady_clock::now();
        else if (std::chrono::steady_clock::now() - quiet_since > std::chrono::milliseconds(500)) break;
        mon.wait(100);
    }
    const ovnmon::OvsState &ovs = mon.ovs();
    ctl::Reconciler reconciler(hover);
    ctl::PortAllocator ports;
    if (auto s = reconciler.load(&ports); !s.ok()) {
        ctl::log::error(s.error().message);
        return 2;
    }
    const auto desired = ctl::translate({mon.nb(), mon.sb(), ovs, ovs.system_id}, ports);
    auto diff = reconciler.diff(desired);
    if (!diff.ok()) {
        ctl::log::error(diff.error().message);
        return 2;
    }
    std::cout << "modules " << desired.modules.size() << ", links " << desired.links.size() << ": "
              << diff->module_ops << " module, " << diff->link_ops << " link, " << diff->entry_ops
              << " entry operations pending\n";
    return diff->total() == 0 ? 0 : 1;
}

// SIGINT/SIGTERM as a readable fd. Blocked before any thread exists, so
// every thread inherits the mask and the signals reach only the fd: a thread
// with them unblocked would run the OVS library's fatal-signal handler, which
// exits without releasing the chassis.
int blockStopSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A database that restarts while we write to it must cost a reconnect,
    // not the daemon (SIGPIPE's default action ends the process silently).
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}

bool stopRequested(int sigfd) {
    signalfd_siginfo info;
    return read(sigfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info);
}

// How long a round's steps took, for the -v log: wall time, and the
// thread's CPU time when it differs (the rest it waited for the CPU, or for
// hoverd).
class StepClock {
public:
    void mark(const char *step) {
        const auto now = std::chrono::steady_clock::now();
        const double cpu_now = threadCpuMs();
        const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
        const double cpu_ms = cpu_now - last_cpu_;
        char line[96];
        snprintf(line, sizeof line, "%s%s %.1f ms", text_.empty() ? "" : ", ", step, ms);
        text_ += line;
        if (ms - cpu_ms >= 0.1) {
            snprintf(line, sizeof line, " (%.1f on CPU)", cpu_ms);
            text_ += line;
        }
        total_ms_ += ms;
        last_ = now;
        last_cpu_ = cpu_now;
    }
    // Idle rounds are not worth a line.
    bool quick() const { return total_ms_ < 1.0; }
    const std::string &text() const { return text_; }

private:
    static double threadCpuMs() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    }
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    double last_cpu_ = threadCpuMs();
    std::string text_;
    double total_ms_ = 0;
};

// The chassis daemon's state between rounds of its loop.
class Daemon {
public:
    Daemon(const Options &options, ovnmon::OvnMonitor &mon)
        : options_(options), mon_(mon), hover_(options.hover, options.hover_token), reconciler_(hover_) {}

    void start() {
        if (auto s = debug_.open(options_.debug_socket); !s.ok()) ctl::log::warn("no debug socket: " + s.error().message);
        if (!options_.pidfile.empty()) std::ofstream(options_.pidfile) << getpid() << "\n";
        ctl::log::info("started: OVS " + options_.monitor.ovs_remote + ", NB " + options_.monitor.nb_remote +
                       ", hoverd " + options_.hover);
    }

    // One round: read the databases, reconcile if anything changed, then
    // the chassis duties. Returns how long the loop may sleep.
    int round() {
        StepClock clock;
        dirty_ |= mon_.run();
        clock.mark("monitor");
        for (const auto &c : mon_.changes()) ctl::log::debug(c.db + " " + c.table + " " + c.what + " " + c.row);
        // Every change waits for the next reconcile; a copy rebuilt whole
        // tells no changes: the next reconcile recomputes everything.
        pending_.insert(pending_.end(), mon_.changes().begin(), mon_.changes().end());
        recompute_ |= mon_.rebuilt();
        const ovnmon::OvsState &ovs = mon_.ovs();
        if (!ovs.present || ovs.system_id.empty()) {
            ctl::log::warnRateLimited("waiting for the Open_vSwitch row and external_ids:system-id "
                                      "(ovs-vsctl set open . external_ids:system-id=...)");
        } else if (mon_.sbIdl() && mon_.ready()) {
            chassis_.registerChassis(mon_.sbIdl()->raw(), mon_.sbTxn(), ovs);
            noteDuties();
            if (chassis_.ovsHousekeeping(mon_.ovsIdl().raw(), mon_.ovsTxn(), ovs, ofports_due_)) ofports_due_ = {};
            noticeChangesBehindOurBack();
            clock.mark("housekeeping");
            if (dirty_) reconcile(ovs, &clock);
            chassisDuties();
            clock.mark("duties");
        }
        if (!clock.quick()) ctl::log::debug("round: " + clock.text());
        if (ovs.present) answerDebugRequests(ovs);
        const int idle = dirty_ ? 500 : int(std::chrono::duration_cast<std::chrono::milliseconds>(kHoverdCheckInterval).count());
        const int advert = announcer_.run();
        return advert < 0 ? idle : std::min(idle, advert);
    }

    // iovisorctl's requests wake the loop.
    void waitForDebugRequests() {
        if (debug_.wakeFd() >= 0) poll_fd_wait(debug_.wakeFd(), POLLIN);
    }

    void stop() {
        ctl::log::info("stopping");
        if (!options_.keep_chassis && mon_.sbIdl()) releaseChassis();
        if (!options_.pidfile.empty()) unlink(options_.pidfile.c_str());
    }

private:
    // An idle controller asks hoverd now and then whether anyone else changed it.
    void noticeChangesBehindOurBack() {
        if (dirty_ || std::chrono::steady_clock::now() - last_hoverd_check_ < kHoverdCheckInterval) return;
        last_hoverd_check_ = std::chrono::steady_clock::now();
        if (!reconciler_.changedBehindOurBack()) return;
        ctl::log::warn("hoverd changed behind our back (or restarted): reloading and repairing");
        dirty_ = true;
        recompute_ = true;
    }

    void reconcile(const ovnmon::OvsState &ovs, StepClock *clock) {
        if (!reconciler_.loaded()) {
            if (auto s = reconciler_.load(&ports_); !s.ok()) ctl::log::warnRateLimited(s.error().message);
            recompute_ = true;  // the ports seeded from hoverd, everything compared
        }
        const ctl::TranslateInput in{mon_.nb(), mon_.sb(), ovs, ovs.system_id};
        if (recompute_) engine_.recompute(in, ports_);
        else engine_.update(in, pending_, ports_);
        pending_.clear();
        recompute_ = false;
        ctl::ReconcileStats stats;
        const ctl::DesiredDelta delta = engine_.takeDelta();
        clock->mark("engine");
        reportProblems(delta);
        announcer_.update(engine_.desired(), delta);
        auto s = reconciler_.apply(engine_.desired(), delta, &stats);
        clock->mark("hoverd");
        programmed_ = s.ok();
        last_error_ = programmed_ ? "" : s.error().message;
        if (!programmed_) ctl::log::warnRateLimited("reconcile failed, retrying: " + last_error_);
        else if (stats.total())
            ctl::log::info("reconciled: " + std::to_string(stats.module_ops) + " module, " +
                           std::to_string(stats.link_ops) + " link, " + std::to_string(stats.entry_ops) +
                           " entry operations");
        if (programmed_) nb_cfg_seen_ = mon_.nb().nb_cfg;
        dirty_ = !programmed_;
        recompute_ = !programmed_;  // unsure what landed: compare everything next time
    }

    // What cannot be programmed as written (ACLs and port security fail
    // closed), each time the module holding it changes.
    void reportProblems(const ctl::DesiredDelta &delta) const {
        ctl::forEachChanged(engine_.desired(), delta, [](const std::string &name, const ctl::ModuleSpec &m) {
            for (const auto &p : m.config.value("acl_problems", nlohmann::json::array()))
                ctl::log::warn("ACL " + p.value("acl", "") + " on " + name + " cannot be applied, its ports drop " +
                               "what it may match: " + p.value("error", "") + " (match: " + p.value("match", "") + ")");
            for (const auto &p : m.config.value("dhcp_problems", nlohmann::json::array()))
                ctl::log::warn("DHCP options of port " + p.value("port", "") + " cannot be used, the port gets no " +
                               p.value("error", ""));
            for (const auto &p : m.config.value("dns_problems", nlohmann::json::array()))
                ctl::log::warn("DNS record " + p.value("name", "") + " of " + name + " is not answered: " +
                               p.value("error", ""));
            for (const auto &p : m.config.value("problems", nlohmann::json::array()))
                ctl::log::warn(p.value("object", "") + " of " + name + " cannot be programmed as written: " +
                               p.value("error", ""));
            for (const auto &p : m.config.value("ra_problems", nlohmann::json::array()))
                ctl::log::warn("router port " + p.value("port", "") + " advertises nothing on " + name + ": " +
                               p.value("error", ""));
        });
    }

    // The snapshot for iovisorctl is built when one asks (it is the size of
    // everything: not worth making every round).
    void answerDebugRequests(const ovnmon::OvsState &ovs) {
        if (!debug_.requested()) return;
        debug_.publish(ctl::snapshot({mon_.nb(), mon_.sb(), ovs, engine_.desired(), ovs.system_id, options_.hover,
                                      last_error_, programmed_})
                           .dump());
    }

    // The rows this round's changes give the duties to look at: the changed
    // ones, or every row after a replica was rebuilt.
    void noteDuties() {
        if (mon_.rebuilt()) {
            for (ctl::RowScope *duty : {&ofports_due_, &claim_due_, &installed_due_}) duty->addAll();
            return;
        }
        for (const auto &c : mon_.changes()) {
            if (c.db == "OVS" && c.table == "Interface") {
                ofports_due_.add(c.row);
                installed_due_.add(c.row);
            } else if (c.db == "SB" && c.table == "Port_Binding") {
                claim_due_.add(c.row);
            } else if (c.db == "SB" && c.table == "Chassis") {
                claim_due_.addAll();
            }
        }
    }

    // Idempotent: they write only what differs.
    void chassisDuties() {
        const auto &bindings = engine_.desired().bindings;
        const ctl::BindingChanges changed = engine_.takeBindingChanges();
        claim_due_.merge(changed.ports);
        installed_due_.merge(changed.interfaces);
        if (programmed_seen_ != programmed_) {
            programmed_seen_ = programmed_;
            claim_due_.addAll();
            installed_due_.addAll();
        }
        if (!claim_due_.empty() &&
            chassis_.claimPorts(mon_.sbIdl()->raw(), mon_.sbTxn(), mon_.sb(), bindings, programmed_, claim_due_))
            claim_due_ = {};
        if (!installed_due_.empty() &&
            chassis_.markInstalled(mon_.ovsIdl().raw(), mon_.ovsTxn(), mon_.ovs(), bindings, programmed_, installed_due_))
            installed_due_ = {};
        // Report SB's nb_cfg only once the NB contents it stands for are
        // programmed (we read NB directly, northd may be ahead of us).
        chassis_.reportNbCfg(mon_.sbIdl()->raw(), mon_.sbTxn(), programmed_ && nb_cfg_seen_ >= mon_.sbNbCfg());
    }

    // Bindings and the Chassis rows go: a few rounds to commit.
    void releaseChassis() {
        for (int i = 0; i < 20; ++i) {
            mon_.run();
            if (mon_.sbTxn() && mon_.ovsTxn()) {
                chassis_.release(mon_.sbIdl()->raw(), mon_.sbTxn(), mon_.ovsIdl().raw(), mon_.ovsTxn());
                mon_.wait(0);
                for (int j = 0; j < 10; ++j) {
                    mon_.run();
                    mon_.wait(100);
                }
                return;
            }
            mon_.wait(100);
        }
    }

    const Options &options_;
    ovnmon::OvnMonitor &mon_;
    hover::HoverClient hover_;
    ctl::Reconciler reconciler_;
    ctl::Engine engine_;
    ctl::PortAllocator ports_;
    std::vector<ovnmon::Change> pending_;  // changes since the last reconcile
    bool recompute_ = true;                // ... or everything
    // Rows the chassis duties still have to look at (see noteDuties).
    ctl::RowScope ofports_due_{true, {}}, claim_due_{true, {}}, installed_due_{true, {}};
    bool programmed_seen_ = false;
    std::string last_error_;
    ctl::ChassisDuties chassis_;
    ctl::RaAnnouncer announcer_;
    ctl::DebugEndpoint debug_;
    bool dirty_ = true, programmed_ = false;
    int64_t nb_cfg_seen_ = 0;  // NB_Global.nb_cfg of the NB state last programmed
    std::chrono::steady_clock::time_point last_hoverd_check_ = std::chrono::steady_clock::now();
};

}  // namespace

int main(int argc, char **argv) {
    const Options options = parse(argc, argv);
    ctl::log::setUp(options.verbose);
    const int sigfd = blockStopSignals();
    auto monitor = ovnmon::OvnMonitor::open(options.monitor);
    if (!monitor.ok()) {
        ctl::log::error(monitor.error().message);
        return 1;
    }
    if (options.check) {
        hover::HoverClient hover(options.hover, options.hover_token);
        return check(**monitor, hover);
    }
    Daemon daemon(options, **monitor);
    daemon.start();
    while (!stopRequested(sigfd)) {
        const int sleep_ms = daemon.round();
        poll_fd_wait(sigfd, POLLIN);
        daemon.waitForDebugRequests();
        (*monitor)->wait(sleep_ms);
    }
    daemon.stop();
    return 0;
}
