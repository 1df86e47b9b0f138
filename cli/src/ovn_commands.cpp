// iovisorctl's commands over iovisor-ovnd's state: acl, ovn, status.
#include <iostream>

#include "cli.h"

namespace iovisorctl {

namespace {

std::map<std::string, uint64_t> aclHits(Cli &cli, const std::string &module) {
    std::map<std::string, uint64_t> hits;
    auto entries = cli.client.get("/modules/" + module + "/tables/acl_hits/entries/");
    if (!entries.ok()) return hits;
    for (const auto &e : *entries)
        for (const auto &cpu : e["value"]) hits[text(e["key"])] += cpu.get<uint64_t>();
    return hits;
}

// What of a switch's or router's OVN objects cannot be programmed as written.
void printProblems(const json &datapath) {
    for (const auto &p : datapath.value("problems", json::array()))
        std::cout << "  NOT PROGRAMMED AS WRITTEN: " << text(p["object"]) << ": " << text(p["error"]) << "\n";
}

}  // namespace

int acl(Cli &cli, const std::string &port) {
    auto state = ovndState(cli.ovnd_socket);
    if (!state.ok()) return fail(state.error());
    for (const auto &ls : (*state)["switches"])
        for (const auto &p : ls["ports"]) {
            if (p["name"] != port) continue;
            auto hits = aclHits(cli, text(ls["module"]));
            json out = p["acls"];
            for (auto &a : out["in_force"]) a["hits"] = hits[text(a["number"])];
            return show(cli, out, [&] {
                std::cout << "port " << port << " on switch " << text(ls["name"]) << " (module " << text(ls["module"])
                          << ", port " << text(p["module_port"]) << ")\n";
                for (const char *dir : {"from-lport", "to-lport"}) {
                    const json &stage = p["acls"]["stage"];
                    std::cout << "  " << dir << ": ";
                    if (!stage.contains(dir)) std::cout << "no ACL stage\n";
                    else
                        std::cout << "policy " << text(stage[dir]["policy"]) << ", connections "
                                  << (stage[dir]["tracked"] == true ? "tracked" : "not tracked") << "\n";
                    std::vector<std::vector<std::string>> rows;
                    for (const auto &a : out["in_force"])
                        if (a["direction"] == dir)
                            rows.push_back({"    " + text(a["priority"]), text(a["action"]), text(a["hits"]), text(a["match"]),
                                            a["error"].is_null() ? "" : "FAILS CLOSED: " + text(a["error"])});
                    if (!rows.empty()) table({"    PRIORITY", "ACTION", "HITS", "MATCH", ""}, rows);
                }
            });
        }
    return fail(iovisor::makeError(iovisor::Errc::kNotFound, "no logical switch port '" + port + "'"));
}

int ovn(Cli &cli) {
    auto state = ovndState(cli.ovnd_socket);
    if (!state.ok()) return fail(state.error());
    const json &s = *state;
    return show(cli, s, [&] {
        std::cout << "chassis " << text(s["chassis"]) << " (" << (s["programmed"].get<bool>() ? "programmed" : "PENDING")
                  << (text(s["last_error"]).empty() || s["last_error"] == "" ? "" : ": " + text(s["last_error"])) << ")\n";
        for (const auto &ls : s["switches"]) {
            std::cout << "switch " << text(ls["name"]) << " -> module " << text(ls["module"]) << "\n";
            const json dns = ls.value("dns", json::object());
            if (dns.is_object() && dns.value("answered", 0) > 0) std::cout << "  DNS: answers " << text(dns["answered"]) << " records\n";
            for (const auto &p : dns.is_object() ? dns.value("problems", json::array()) : json::array())
                std::cout << "  DNS NOT ANSWERED: " << text(p["name"]) << ": " << text(p["error"]) << "\n";
            printProblems(ls);
            for (const auto &p : ls["ports"]) {
                std::cout << "  port " << text(p["name"]) << " (" << text(p["type"]) << ") -> port "
                          << text(p["module_port"]);
                if (p.contains("interface")) std::cout << " via " << text(p["interface"]);
                if (p.contains("bound_to")) std::cout << ", bound to " << text(p["bound_to"]);
                if (p.contains("up")) std::cout << (p["up"] == true ? ", up" : ", down");
                std::cout << ": " << text(p["state"]) << "\n";
                const json dhcp = p.contains("dhcp") && p["dhcp"].is_object() ? p["dhcp"] : json::object();
                if (dhcp.contains("error")) std::cout << "    DHCP NOT ANSWERED: " << text(dhcp["error"]) << "\n";
                for (const auto &o : dhcp.value("v4", json::array()))
                    std::cout << "    DHCPv4: offers " << text(o["offer"]) << " to " << text(o["mac"]) << " from "
                              << text(o["server"]) << "\n";
                for (const auto &o : dhcp.value("v6", json::array()))
                    std::cout << "    DHCPv6: answers " << text(o["mac"])
                              << (o["stateful"] == true ? ", stateful" : ", stateless") << "\n";
                const json ra = p.value("router_adverts", json::object());
                if (ra.is_object() && ra.contains("error")) std::cout << "    RA NOT SENT: " << text(ra["error"]) << "\n";
                if (ra.is_object() && (ra.contains("solicited") || ra.contains("periodic")))
                    std::cout << "    RA:" << (ra.contains("solicited") ? " answers Router Solicitations" : "")
                              << (ra.contains("periodic") ? " every " + text(ra["periodic"]["min_interval"]) + "-" +
                                                                text(ra["periodic"]["max_interval"]) + " s" : "") << "\n";
            }
        }
        for (const auto &lr : s["routers"]) {
            std::cout << "router " << text(lr["name"]) << " -> module " << text(lr["module"]) << "\n";
            printProblems(lr);
            for (const auto &p : lr["ports"]) {
                std::string nets;
                for (const auto &n : p["networks"]) nets += " " + text(n);
                std::cout << "  port " << text(p["name"]) << " " << text(p["mac"]) << nets << " -> port "
                          << text(p["module_port"]) << "\n";
            }
            for (const auto &n : lr["nat"])
                std::cout << "  nat " << text(n["type"]) << " " << text(n["external_ip"]) << " <-> "
                          << text(n["logical_ip"]) << " -> module " << text(n["module"]) << "\n";
        }
    });
}

int status(Cli &cli) {
    auto health = cli.client.get("/health");
    auto state = ovndState(cli.ovnd_socket);
    json out = {{"hoverd", health.ok() ? *health : json({{"error", health.error().message}})},
                {"iovisor-ovnd", state.ok() ? json({{"chassis", (*state)["chassis"]},
                                                    {"programmed", (*state)["programmed"]},
                                                    {"nb_cfg", (*state)["nb_cfg"]}})
                                            : json({{"error", state.error().message}})}};
    show(cli, out, [&] {
        if (health.ok())
            std::cout << "hoverd at " << cli.client.url() << ": " << text((*health)["status"]) << ", "
                      << text((*health)["modules"]) << " modules, " << text((*health)["links"]) << " links\n";
        else
            std::cout << "hoverd: " << health.error().message << "\n";
        if (state.ok()) {
            const json &cfg = (*state)["nb_cfg"];
            std::cout << "iovisor-ovnd: chassis " << text((*state)["chassis"]) << ", "
                      << ((*state)["programmed"] == true ? "programmed" : "PENDING") << ", nb_cfg seen "
                      << text(cfg["southbound"]) << " applied " << text(cfg["applied"]) << "\n";
        } else {
            std::cout << "iovisor-ovnd: " << state.error().message << "\n";
        }
    });
    if (!health.ok()) return fail(health.error());
    if (!state.ok()) return fail(state.error());
    return kOk;
}

}  // namespace iovisorctl
