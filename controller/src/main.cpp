// iovisor-ovnd: the per-hypervisor OVN chassis daemon that replaces
// ovn-controller. One loop, as ovn-controller's: read the three databases,
// translate OVN into the desired IOModule graph, send hoverd the difference,
// then do the chassis duties (bindings, nb_cfg) once the datapath is in place.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <pplx/threadpool.h>

#include "chassis.h"
#include "debug_endpoint.h"
#include "snapshot.h"
#include "hover/client.h"
#include "ovnmon/monitor.h"
#include "reconciler.h"
#include "translate.h"

#include <config.h>
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"

namespace {

const char kUsage[] =
    "usage: iovisor-ovnd [options]\n"
    "\n"
    "The OVN chassis daemon of IOVisor-OVN: follows the OVN NB/SB and local\n"
    "Open_vSwitch databases and programs IOModules through hoverd.\n"
    "  --ovs-db REMOTE     local Open_vSwitch database (default unix:/var/run/openvswitch/db.sock)\n"
    "  --ovnnb-db REMOTE   OVN Northbound (default unix:/var/run/ovn/ovnnb_db.sock)\n"
    "  --ovnsb-db REMOTE   OVN Southbound (default: external_ids:ovn-remote of Open_vSwitch)\n"
    "  --hover URL         hoverd's REST API (default http://127.0.0.1:5002)\n"
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
    std::string hover = "http://127.0.0.1:5002";
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
        else if (arg == "--hover") o.hover = value();
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

void log(const std::string &line) { std::cerr << "iovisor-ovnd: " << line << std::endl; }

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
    const ovnmon::OvsState ovs = mon.ovs();
    ctl::Reconciler reconciler(hover);
    ctl::PortAllocator ports;
    if (auto s = reconciler.load(&ports); !s.ok()) {
        log(s.error().message);
        return 2;
    }
    const auto desired = ctl::translate({mon.nb(), mon.sb(), ovs, ovs.system_id}, ports);
    auto diff = reconciler.diff(desired);
    if (!diff.ok()) {
        log(diff.error().message);
        return 2;
    }
    std::cout << "modules " << desired.modules.size() << ", links " << desired.links.size() << ": "
              << diff->module_ops << " module, " << diff->link_ops << " link, " << diff->entry_ops
              << " entry operations pending\n";
    return diff->total() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    const Options options = parse(argc, argv);
    vlog_set_levels(nullptr, VLF_ANY_DESTINATION, VLL_WARN);

    // Blocked before any thread exists, so every thread inherits the mask and
    // SIGTERM reaches only the signalfd: a thread with it unblocked would run
    // the OVS library's fatal-signal handler, which exits without releasing
    // the chassis.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const int sigfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    crossplat::threadpool::initialize_with_threads(2);

    auto monitor = ovnmon::OvnMonitor::open(options.monitor);
    if (!monitor.ok()) {
        log(monitor.error().message);
        return 1;
    }
    ovnmon::OvnMonitor &mon = **monitor;
    hover::HoverClient hover(options.hover);
    ctl::Reconciler reconciler(hover);
    ctl::PortAllocator ports;
    ctl::ChassisDuties chassis;
    if (options.check) return check(mon, hover);
    ctl::DebugEndpoint debug;
    if (auto s = debug.open(options.debug_socket); !s.ok()) log("no debug socket: " + s.error().message);
    if (!options.pidfile.empty()) std::ofstream(options.pidfile) << getpid() << "\n";
    log("started: OVS " + options.monitor.ovs_remote + ", NB " + options.monitor.nb_remote + ", hoverd " + options.hover);

    bool dirty = true, programmed = false;
    int64_t nb_cfg_seen = 0;  // NB_Global.nb_cfg of the NB state last programmed
    std::map<std::string, std::string> bindings;  // of the last translation
    auto last_warning = std::chrono::steady_clock::time_point{};
    auto last_hoverd_check = std::chrono::steady_clock::now();
    for (;;) {
        signalfd_siginfo info;
        if (read(sigfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) break;

        dirty |= mon.run();
        if (options.verbose)
            for (const auto &c : mon.changes()) log(c.db + " " + c.table + " " + c.what + " " + c.row);
        const ovnmon::OvsState ovs = mon.ovs();
        if (!ovs.present || ovs.system_id.empty()) {
            if (std::chrono::steady_clock::now() - last_warning > std::chrono::seconds(10)) {
                log("waiting for the Open_vSwitch row and external_ids:system-id (ovs-vsctl set open . external_ids:system-id=...)");
                last_warning = std::chrono::steady_clock::now();
            }
        } else if (mon.sbIdl() && mon.ready()) {
            chassis.registerChassis(mon.sbIdl()->raw(), mon.sbTxn(), ovs);
            chassis.ovsHousekeeping(mon.ovsIdl().raw(), mon.ovsTxn());
            if (!dirty && std::chrono::steady_clock::now() - last_hoverd_check > kHoverdCheckInterval) {
                last_hoverd_check = std::chrono::steady_clock::now();
                if (reconciler.changedBehindOurBack()) {
                    log("hoverd changed behind our back (or restarted): reloading and repairing");
                    dirty = true;
                }
            }
            if (dirty) {
                if (!reconciler.loaded()) {
                    if (auto s = reconciler.load(&ports); !s.ok()) log(s.error().message);
                }
                const ovnmon::NbState nb = mon.nb();
                const ovnmon::SbState sb = mon.sb();
                const ctl::DesiredState desired = ctl::translate({nb, sb, ovs, ovs.system_id}, ports);
                ctl::ReconcileStats stats;
                auto s = reconciler.apply(desired, &stats);
                programmed = s.ok();
                const std::string error = programmed ? "" : s.error().message;
                if (!programmed) log("reconcile failed, retrying: " + error);
                else if (options.verbose || stats.total())
                    log("reconciled: " + std::to_string(stats.module_ops) + " module, " +
                        std::to_string(stats.link_ops) + " link, " + std::to_string(stats.entry_ops) +
                        " entry operations");
                debug.publish(ctl::snapshot({nb, sb, ovs, desired, ovs.system_id, options.hover, error, programmed}).dump());
                bindings = desired.bindings;
                if (programmed) nb_cfg_seen = nb.nb_cfg;
                dirty = !programmed;
            }
            // Idempotent: they write only what differs, every round.
            chassis.claim(mon.sbIdl()->raw(), mon.sbTxn(), mon.ovsIdl().raw(), mon.ovsTxn(), bindings, programmed);
            // Report SB's nb_cfg only once the NB contents it stands for are
            // programmed (we read NB directly, northd may be ahead of us).
            chassis.reportNbCfg(mon.sbIdl()->raw(), mon.sbTxn(), programmed && nb_cfg_seen >= mon.sb().nb_cfg);
        }
        poll_fd_wait(sigfd, POLLIN);
        mon.wait(dirty ? 500 : std::chrono::duration_cast<std::chrono::milliseconds>(kHoverdCheckInterval).count());
    }

    log("stopping");
    if (!options.keep_chassis && mon.sbIdl()) {
        // Give the release a few rounds to commit.
        for (int i = 0; i < 20; ++i) {
            mon.run();
            if (mon.sbTxn() && mon.ovsTxn()) {
                chassis.release(mon.sbIdl()->raw(), mon.sbTxn(), mon.ovsIdl().raw(), mon.ovsTxn());
                mon.wait(0);
                for (int j = 0; j < 10; ++j) {
                    mon.run();
                    mon.wait(100);
                }
                break;
            }
            mon.wait(100);
        }
    }
    if (!options.pidfile.empty()) unlink(options.pidfile.c_str());
    return 0;
}
