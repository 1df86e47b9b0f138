// iovisorctl: the debugging CLI for IOModules (and, later, the OVN mapping).
// Human-readable tables by default, --json for scripts. Exit codes:
//   0 ok, 1 hoverd refused the request (its message is printed), 2 usage,
//   3 hoverd not reachable.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "hover/client.h"
#include "iovisor/text.h"
#include "iovisor/net.h"
#include "iovisor/packet.h"

namespace {

using namespace iovisorctl;

const char kUsage[] =
    "usage: iovisorctl [--hover URL] [--json] COMMAND ...\n"
    "\n"
    "  modules [list]                     module instances\n"
    "  modules show ID                    one module, its ports and links\n"
    "  modules create TYPE NAME [tc|xdp]  load a module (l2switch, router, nat)\n"
    "  modules delete ID                  unload it (delete its links first)\n"
    "  links [list]                       links between module ports and netdevs\n"
    "  links add FROM TO                  FROM/TO: m:<module>[:<port>] or i:<netdev>\n"
    "  links delete ID\n"
    "  interfaces                         netdevs and the links attaching them\n"
    "  tables ID [list]                   a module's tables\n"
    "  tables ID dump TABLE               every entry\n"
    "  tables ID get TABLE KEY            KEY/VALUE as JSON or plain (10.0.0.1, 5)\n"
    "  tables ID set TABLE KEY VALUE\n"
    "  tables ID delete TABLE KEY\n"
    "  stats [ID]                         packets/bytes per port and drops by reason\n"
    "  conntrack                          the connection table of each hook: how full, per zone,\n"
    "                                     and its connections (zone, tuple, state, timeout, NAT)\n"
    "  acl PORT                           the ACLs in force for a logical port (iovisor-ovnd),\n"
    "                                     per direction, and how its switch port runs them\n"
    "  flows                              the flow cache: flows replayed at their netdev,\n"
    "                                     the modules they cross, how they leave\n"
    "  ovn                                OVN objects -> modules, ports, interfaces, bindings\n"
    "  trace PORT FIELD=VALUE...          run a packet through the loaded programs from a\n"
    "                                     logical port (or m:<module>:<port>), e.g.\n"
    "                                     trace vm1 eth.dst=02:00:00:00:00:02 ip4.src=10.0.0.1\n"
    "                                     ip4.dst=10.0.0.2 udp.dst=53   (also: eth.src ip.ttl\n"
    "                                     udp.src tcp.src tcp.dst icmp4 arp.spa arp.tpa)\n"
    "  status                             daemons reachable, chassis, nb_cfg seen vs applied\n"
    "\n"
    "  --hover ENDPOINT  hoverd's API: unix:PATH or http://HOST:PORT (default $HOVER_URL or\n"
    "                unix:/var/run/iovisor-ovn/hoverd.sock); over TCP --token-file FILE\n"
    "  --ovnd PATH   iovisor-ovnd's debug socket (default $IOVISOR_OVND_SOCKET or\n"
    "                /var/run/iovisor-ovn/ovnd.sock)\n"
    "  --json        print JSON instead of tables\n"
    "Module IDs may be numbers or display names.\n";


// A key or value from the command line: JSON if it parses, else a string.
json arg(const std::string &s) {
    json v = json::parse(s, nullptr, false);
    return v.is_discarded() ? json(s) : v;
}

int modules(Cli &cli, const std::vector<std::string> &a) {
    const std::string verb = a.empty() ? "list" : a[0];
    if (verb == "list") {
        auto r = cli.client.get("/modules/");
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::vector<std::vector<std::string>> rows;
            for (const auto &m : *r)
                rows.push_back({text(m["id"]), text(m["module_type"]), text(m["attach"]), text(m["display_name"]),
                                std::to_string(m["ports"].size()),
                                m["config"].contains("ovn") ? text(m["config"]["ovn"].value("kind", "")) + " " +
                                                                  text(m["config"]["ovn"].value("name", ""))
                                                            : "-"});
            table({"ID", "TYPE", "HOOK", "NAME", "PORTS", "OVN"}, rows);
        });
    }
    if (verb == "show" && a.size() == 2) {
        auto r = cli.client.get("/modules/" + a[1]);
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::cout << "module " << text((*r)["id"]) << " (" << text((*r)["module_type"]) << ", "
                      << text((*r)["attach"]) << ") " << text((*r)["display_name"]) << "\n";
            std::vector<std::vector<std::string>> rows;
            for (const auto &p : (*r)["ports"]) rows.push_back({text(p["port"]), text(p["link"])});
            table({"PORT", "LINK"}, rows);
        });
    }
    if (verb == "create" && (a.size() == 3 || a.size() == 4)) {
        json body = {{"module_type", a[1]}, {"display_name", a[2]}};
        if (a.size() == 4) body["config"] = {{"attach", a[3]}};
        auto r = cli.client.post("/modules/", body);
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] { std::cout << "created module " << text((*r)["id"]) << " " << a[2] << "\n"; });
    }
    if (verb == "delete" && a.size() == 2) {
        auto s = cli.client.del("/modules/" + a[1]);
        if (!s.ok()) return fail(s.error());
        if (!cli.as_json) std::cout << "deleted module " << a[1] << "\n";
        return kOk;
    }
    return usage("modules: expected list | show ID | create TYPE NAME [tc|xdp] | delete ID");
}

int links(Cli &cli, const std::vector<std::string> &a) {
    const std::string verb = a.empty() ? "list" : a[0];
    if (verb == "list") {
        auto r = cli.client.get("/links/");
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::vector<std::vector<std::string>> rows;
            for (const auto &l : *r) rows.push_back({text(l["id"]), text(l["from"]), text(l["to"])});
            table({"ID", "FROM", "TO"}, rows);
        });
    }
    if (verb == "add" && a.size() == 3) {
        auto r = cli.client.post("/links/", {{"from", a[1]}, {"to", a[2]}});
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::cout << "link " << text((*r)["id"]) << ": " << text((*r)["from"]) << " <-> " << text((*r)["to"]) << "\n";
        });
    }
    if (verb == "delete" && a.size() == 2) {
        auto s = cli.client.del("/links/" + a[1]);
        if (!s.ok()) return fail(s.error());
        if (!cli.as_json) std::cout << "deleted link " << a[1] << "\n";
        return kOk;
    }
    return usage("links: expected list | add FROM TO | delete ID");
}

int interfaces(Cli &cli) {
    auto r = cli.client.get("/external_interfaces/");
    if (!r.ok()) return fail(r.error());
    return show(cli, *r, [&] {
        std::vector<std::vector<std::string>> rows;
        for (const auto &i : *r) rows.push_back({text(i["name"]), text(i["ifindex"]), text(i["link"])});
        table({"INTERFACE", "IFINDEX", "LINK"}, rows);
    });
}

int tables(Cli &cli, const std::vector<std::string> &a) {
    if (a.empty()) return usage("tables: which module?");
    const std::string base = "/modules/" + a[0] + "/tables/";
    const std::string verb = a.size() < 2 ? "list" : a[1];
    auto entry = [&](const std::string &t, const std::string &key) {
        return base + t + "/entries/" + iovisor::percentEncode(arg(key).is_string() ? key : arg(key).dump());
    };
    if (verb == "list" && a.size() <= 2) {
        auto r = cli.client.get(base);
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::vector<std::vector<std::string>> rows;
            for (const auto &t : *r)
                rows.push_back({text(t["name"]), text(t["type"]), text(t["key_size"]), text(t["value_size"]),
                                text(t["max_entries"])});
            table({"TABLE", "TYPE", "KEY", "VALUE", "MAX"}, rows);
        });
    }
    if (verb == "dump" && a.size() == 3) {
        auto r = cli.client.get(base + a[2] + "/entries/");
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] {
            std::vector<std::vector<std::string>> rows;
            for (const auto &e : *r) rows.push_back({text(e["key"]), text(e["value"])});
            table({"KEY", "VALUE"}, rows);
        });
    }
    if (verb == "get" && a.size() == 4) {
        auto r = cli.client.get(entry(a[2], a[3]));
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] { std::cout << text((*r)["value"]) << "\n"; });
    }
    if (verb == "set" && a.size() == 5) {
        auto r = cli.client.put(entry(a[2], a[3]), arg(a[4]));
        if (!r.ok()) return fail(r.error());
        return show(cli, *r, [&] { std::cout << "set " << a[3] << " = " << text((*r)["value"]) << "\n"; });
    }
    if (verb == "delete" && a.size() == 4) {
        auto s = cli.client.del(entry(a[2], a[3]));
        if (!s.ok()) return fail(s.error());
        if (!cli.as_json) std::cout << "deleted " << a[3] << "\n";
        return kOk;
    }
    return usage("tables: expected ID [list] | ID dump TABLE | ID get TABLE KEY | ID set TABLE KEY VALUE | ID delete TABLE KEY");
}

int stats(Cli &cli, const std::vector<std::string> &a) {
    std::vector<std::string> ids;
    if (a.size() == 1) ids.push_back(a[0]);
    else if (a.empty()) {
        auto all = cli.client.get("/modules/");
        if (!all.ok()) return fail(all.error());
        for (const auto &m : *all) ids.push_back(text(m["id"]));
    } else {
        return usage("stats: expected [ID]");
    }
    json out = json::object();
    for (const auto &id : ids) {
        auto r = cli.client.get("/modules/" + id + "/stats");
        if (!r.ok()) return fail(r.error());
        out[id] = *r;
    }
    return show(cli, a.size() == 1 ? out[ids[0]] : out, [&] {
        for (const auto &id : ids) {
            const json &s = out[id];
            std::cout << "module " << id << "\n";
            std::vector<std::vector<std::string>> rows;
            for (const auto &p : s["ports"])
                rows.push_back({"  " + text(p["port"]), text(p["rx_packets"]), text(p["rx_bytes"]), text(p["tx_packets"]),
                                text(p["tx_bytes"])});
            table({"  PORT", "RX_PKTS", "RX_BYTES", "TX_PKTS", "TX_BYTES"}, rows);
            for (auto it = s["drops"].begin(); it != s["drops"].end(); ++it)
                std::cout << "  dropped " << it.value() << " " << it.key() << "\n";
        }
    });
}

// "udp 10.0.0.1:1000 > 8.8.8.8:53 02:00:00:00:00:01 > 02:00:00:00:aa:00"
std::string flowText(const json &h) {
    std::string l4 = "?", from = text(h["ip4.src"]), to = text(h["ip4.dst"]);
    for (const char *p : {"udp", "tcp"})
        if (h.contains(std::string(p) + ".src")) {
            l4 = p;
            from += ":" + text(h[std::string(p) + ".src"]);
            to += ":" + text(h[std::string(p) + ".dst"]);
        }
    if (h.contains("icmp4.id")) l4 = "icmp type " + text(h["icmp4.type"]) + " id " + text(h["icmp4.id"]);
    return l4 + " " + from + " > " + to + " " + text(h["eth.src"]) + " > " + text(h["eth.dst"]);
}

int flows(Cli &cli) {
    auto r = cli.client.get("/flows");
    if (!r.ok()) return fail(r.error());
    return show(cli, *r, [&] {
        for (const auto &c : *r) {
            std::cout << text(c["hook"]) << ": " << text(c["replayed"]) << " packets replayed, " << text(c["walked"])
                      << " walked the modules, " << text(c["stored"]) << " walks stored, " << c["flows"].size()
                      << " live flows\n";
            for (auto it = c["entry_drops"].begin(); it != c["entry_drops"].end(); ++it)
                std::cout << "  dropped at the entry " << it.value() << " " << it.key() << "\n";
            std::vector<std::vector<std::string>> rows;
            for (const auto &f : c["flows"]) {
                std::string modules;
                for (const auto &m : f["modules"]) modules += (modules.empty() ? "" : ",") + text(m);
                rows.push_back({"  " + text(f["in"]), flowText(f["match"]), modules, text(f["out"]),
                                flowText(f["leaves_as"]), text(f["expires_in_ms"]) + " ms"});
            }
            if (!rows.empty()) table({"  IN", "FLOW", "MODULES", "OUT", "LEAVES AS", "EXPIRES IN"}, rows);
        }
    });
}

// A zone as a person reads it: "nat-<uuid>" (a nat's), "ls-<uuid> port 3"
// (a switch port's ACL stage).
std::string zoneText(const std::string &zone, const std::map<std::string, std::string> &names) {
    const auto colon = zone.find(':');
    const std::string id = zone.substr(0, colon);
    const std::string module = names.count(id) ? names.at(id) : "module " + id;
    return colon == std::string::npos ? module : module + " port " + zone.substr(colon + 1);
}

int conntrack(Cli &cli) {
    auto r = cli.client.get("/conntrack");
    if (!r.ok()) return fail(r.error());
    auto list = cli.client.get("/conntrack/connections?limit=50");
    if (!list.ok()) return fail(list.error());
    auto modules = cli.client.get("/modules/");
    std::map<std::string, std::string> names;  // module id -> display name
    if (modules.ok())
        for (const auto &m : *modules) names[text(m["id"])] = text(m["display_name"]);
    return show(cli, {{"tables", *r}, {"connections", *list}}, [&] {
        for (const auto &c : *r) {
            std::cout << text(c["hook"]) << ": " << text(c["entries"]) << " of " << text(c["max_entries"])
                      << " connections (" << text(c["fill_percent"]) << "%)\n";
            for (auto it = c["zones"].begin(); it != c["zones"].end(); ++it)
                std::cout << "  " << zoneText(it.key(), names) << ": " << it.value() << "\n";
        }
        for (const auto &hook : *list) {
            std::vector<std::vector<std::string>> rows;
            for (const auto &c : hook["connections"]) {
                std::string state;
                for (const auto &s : c["state"]) state += (state.empty() ? "" : ",") + text(s);
                const std::string nat = c.contains("nat") ? text(c["nat"]["rewrite"]) + " " + text(c["nat"]["addr"]) + ":" +
                                                                text(c["nat"]["port"])
                                                          : "";
                rows.push_back({"  " + zoneText(text(c["zone"]), names), text(c["proto"]),
                                text(c["src"]) + ":" + text(c["sport"]) + " -> " + text(c["dst"]) + ":" + text(c["dport"]),
                                text(c["direction"]), state.empty() ? "new" : state, text(c["expires_in_s"]) + "s", nat});
            }
            if (rows.empty()) continue;
            std::cout << text(hook["hook"]) << " connections (" << rows.size() << " of " << text(hook["total"]) << "):\n";
            table({"  ZONE", "PROTO", "TUPLE", "DIRECTION", "STATE", "EXPIRES IN", "NAT"}, rows);
        }
    });
}

// Packets each ACL of `module` decided (acl_hits, summed over CPUs), by number.
int trace(Cli &cli, const std::vector<std::string> &a) {
    if (a.size() < 2) return usage("trace: expected PORT FIELD=VALUE...");
    std::string from = a[0], logical;
    if (from.rfind("m:", 0) != 0) {
        // A logical port: where the controller plugged it.
        auto state = ovndState(cli.ovnd_socket);
        if (!state.ok()) return fail(state.error());
        logical = from;
        from.clear();
        for (const auto &ls : (*state)["switches"])
            for (const auto &p : ls["ports"])
                if (p["name"] == logical && !p["module_port"].is_null())
                    from = "m:" + text(ls["module"]) + ":" + text(p["module_port"]);
        if (from.empty()) {
            std::cerr << "iovisorctl: logical port " << logical << " is not plugged into any module on this chassis\n";
            return kRefused;
        }
    }
    std::string description;
    for (size_t i = 1; i < a.size(); ++i) description += a[i] + " ";
    auto packet = iovisor::packet::fromDescription(description);
    if (!packet.ok()) return usage("trace: " + packet.error().message);
    auto r = cli.client.post("/trace", {{"from", from}, {"packet", iovisor::packet::hexDigits(*packet)}});
    if (!r.ok()) return fail(r.error());
    std::map<std::string, std::string> acl_text;  // ACL number -> "priority action match" (iovisor-ovnd)
    if (auto state = ovndState(cli.ovnd_socket); state.ok())
        for (const auto &ls : (*state)["switches"])
            for (const auto &p : ls["ports"])
                for (const auto &a : p["acls"]["in_force"])
                    acl_text[text(a["number"])] = text(a["direction"]) + " " + text(a["priority"]) + " " +
                                                  text(a["action"]) + " '" + text(a["match"]) + "'";
    return show(cli, *r, [&] {
        std::cout << "trace from " << from << (logical.empty() ? "" : " (logical port " + logical + ")") << "\n";
        int n = 1;
        for (const auto &step : (*r)["steps"]) {
            std::cout << "  " << n++ << ". " << text(step["module_type"]) << " " << text(step["display_name"])
                      << " (module " << text(step["module"]) << "): in port " << text(step["in_ports"][0]);
            if (!step["out_ports"].empty()) {
                std::cout << " -> out port";
                for (const auto &p : step["out_ports"]) std::cout << " " << text(p);
            }
            for (auto it = step["drops"].begin(); it != step["drops"].end(); ++it)
                std::cout << ", dropped: " << it.key();
            std::cout << "\n";
            for (const auto &a : step["acls"]) {
                const std::string number = text(a["acl"]);
                std::cout << "     decided by ACL " << number
                          << (acl_text.count(number) ? ": " + acl_text[number] : std::string()) << "\n";
            }
        }
        for (const auto &itf : (*r)["leaves"]) std::cout << "  leaves via interface " << text(itf) << "\n";
        std::cout << "verdict: " << text((*r)["verdict"]) << "\n";
    });
}

}  // namespace

int iovisorctl::usage(const std::string &problem) {
    std::cerr << "iovisorctl: " << problem << "\n\n" << kUsage;
    return kBadUsage;
}

int main(int argc, char **argv) {
    std::string url = std::getenv("HOVER_URL") ? std::getenv("HOVER_URL") : hover::kDefaultEndpoint;
    std::string token;
    bool as_json = false;
    std::string ovnd = std::getenv("IOVISOR_OVND_SOCKET") ? std::getenv("IOVISOR_OVND_SOCKET")
                                                            : "/var/run/iovisor-ovn/ovnd.sock";
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return kOk;
        } else if (a == "--json") as_json = true;
        else if (a == "--hover" && i + 1 < argc) url = argv[++i];
        else if (a == "--ovnd" && i + 1 < argc) ovnd = argv[++i];
        else if (a == "--token-file" && i + 1 < argc) {
            auto read = iovisor::readToken(argv[++i]);
            if (!read.ok()) return usage(read.error().message);
            token = *read;
        }
        else args.push_back(a);
    }
    if (args.empty()) return usage("no command");
    Cli cli{hover::HoverClient(url, token), as_json, ovnd};
    const std::string cmd = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "modules") return modules(cli, rest);
    if (cmd == "links") return links(cli, rest);
    if (cmd == "interfaces") return interfaces(cli);
    if (cmd == "tables") return tables(cli, rest);
    if (cmd == "stats") return stats(cli, rest);
    if (cmd == "flows") return rest.empty() ? flows(cli) : usage("flows: no arguments");
    if (cmd == "conntrack") return rest.empty() ? conntrack(cli) : usage("conntrack: no arguments");
    if (cmd == "status") return status(cli);
    if (cmd == "ovn") return ovn(cli);
    if (cmd == "acl") return rest.size() == 1 ? acl(cli, rest[0]) : usage("acl: one logical port");
    if (cmd == "trace") return trace(cli, rest);
    return usage("unknown command '" + cmd + "'");
}
