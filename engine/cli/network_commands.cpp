// `berth network create|ls|inspect|rm|prune|connect|disconnect` in docker's grammar.
#include <iostream>
#include <memory>
#include <set>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/cli/format.hpp"
#include "engine/container/networking.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

std::map<std::string, std::string> key_values(const std::vector<std::string>& items) {
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        auto eq = item.find('=');
        out[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
    }
    return out;
}

// An engine and its networking, opened together; nullopt after reporting when either fails.
struct Session {
    container::Containers engine;
    container::Networking networking;
};

std::optional<Session> open_session(const Globals& g) {
    auto engine = open_engine(g);
    if (!engine) return std::nullopt;
    container::Networking networking(engine->options());
    if (!networking.settings_error().empty()) {
        report(Error{EINVAL, networking.settings_error()});
        return std::nullopt;
    }
    return Session{std::move(*engine), std::move(networking)};
}

// ---- create ------------------------------------------------------------------------------

struct CreateNetworkFlags {
    std::string name, driver = "bridge", subnet, gateway, ip_range;
    bool internal = false, attachable = false;
    std::vector<std::string> labels, options;
};

int run_create(const Globals& g, const CreateNetworkFlags& f) {
    auto session = open_session(g);
    if (!session) return 1;
    network::NetworkRequest request;
    request.name = f.name;
    request.driver = f.driver;
    if (!f.subnet.empty()) request.pool.subnet = f.subnet;
    if (!f.gateway.empty()) request.pool.gateway = f.gateway;
    if (!f.ip_range.empty()) request.pool.ip_range = f.ip_range;
    if ((request.pool.gateway || request.pool.ip_range) && !request.pool.subnet)
        return report(Error{EINVAL, "invalid pool request: --gateway and --ip-range need --subnet"});
    request.internal = f.internal;
    request.attachable = f.attachable;
    request.labels = key_values(f.labels);
    request.options = key_values(f.options);
    auto created = session->networking.networks().create(request);
    if (!created) return report(created.error());
    std::cout << created.value().id << '\n';
    return 0;
}

void add_create(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<CreateNetworkFlags>();
    auto* cmd = app.add_subcommand("create", "Create a network");
    cmd->add_option("-d,--driver", f->driver, "Driver to manage the Network");
    cmd->add_option("--subnet", f->subnet, "Subnet in CIDR format that represents a network segment");
    cmd->add_option("--gateway", f->gateway, "IPv4 Gateway for the master subnet");
    cmd->add_option("--ip-range", f->ip_range, "Allocate container ip from a sub-range");
    cmd->add_flag("--internal", f->internal, "Restrict external access to the network");
    cmd->add_flag("--attachable", f->attachable, "Enable manual container attachment");
    cmd->add_option("--label", f->labels, "Set metadata on a network")->allow_extra_args(false);
    cmd->add_option("-o,--opt", f->options, "Set driver specific options")->allow_extra_args(false);
    cmd->add_option("name", f->name, "NETWORK")->required();
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_create(g, *f); }; });
}

// ---- ls ------------------------------------------------------------------------------------

struct LsFlags {
    bool quiet = false, no_trunc = false;
    std::vector<std::string> filters;
    std::string format;
};

bool matches(const std::map<std::string, std::vector<std::string>>& filters,
             const network::NetworkRecord& r) {
    for (const auto& [key, values] : filters) {
        bool any = false;
        for (const auto& v : values) {
            if (key == "name") any = any || r.name.find(v) != std::string::npos;
            else if (key == "id") any = any || r.id.rfind(v, 0) == 0;
            else if (key == "driver") any = any || r.driver == v;
            else if (key == "scope") any = any || r.scope == v;
            else if (key == "type") any = any || (v == "builtin") == r.predefined();
            else if (key == "label") {
                auto eq = v.find('=');
                auto it = r.labels.find(v.substr(0, eq));
                any = any || (it != r.labels.end() &&
                              (eq == std::string::npos || it->second == v.substr(eq + 1)));
            }
        }
        if (!any) return false;
    }
    return true;
}

int run_ls(const Globals& g, const LsFlags& f) {
    std::map<std::string, std::vector<std::string>> filters;
    static const std::set<std::string> keys = {"name", "id", "driver", "scope", "type", "label"};
    for (const auto& filter : f.filters) {
        auto eq = filter.find('=');
        if (eq == std::string::npos)
            return report(Error{EINVAL, "bad format of filter (expected name=value)"});
        if (!keys.count(filter.substr(0, eq)))
            return report(Error{EINVAL, fmt::format("invalid filter '{}'", filter.substr(0, eq))});
        filters[filter.substr(0, eq)].push_back(filter.substr(eq + 1));
    }
    auto session = open_session(g);
    if (!session) return 1;
    auto all = session->networking.networks().store().list();
    if (!all) return report(all.error());
    std::vector<json> rows;
    for (const auto& r : all.value()) {
        if (!matches(filters, r)) continue;
        std::string id = f.no_trunc ? r.id : r.id.substr(0, 12);
        if (f.quiet) {
            std::cout << id << '\n';
            continue;
        }
        std::string labels;
        for (const auto& [k, v] : r.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
        rows.push_back({{"ID", id}, {"Name", r.name}, {"Driver", r.driver}, {"Scope", r.scope},
                        {"IPv6", r.enable_ipv6 ? "true" : "false"},
                        {"Internal", r.internal ? "true" : "false"}, {"Labels", labels},
                        {"CreatedAt", r.created}});
    }
    if (f.quiet) return 0;
    auto printed = print_rows(std::cout, f.format,
                              "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows,
                              {{"ID", "NETWORK ID"}, {"CreatedAt", "CREATED"}});
    if (!printed) return report(printed.error());
    return 0;
}

void add_ls(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<LsFlags>();
    auto* cmd = app.add_subcommand("ls", "List networks");
    cmd->alias("list");
    cmd->add_flag("-q,--quiet", f->quiet, "Only display network IDs");
    cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate the output");
    cmd->add_option("-f,--filter", f->filters, "Provide filter values (e.g. \"driver=bridge\")")
        ->allow_extra_args(false);
    cmd->add_option("--format", f->format, "Format output using a custom template");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_ls(g, *f); }; });
}

// ---- inspect -------------------------------------------------------------------------------

int run_inspect(const Globals& g, const std::vector<std::string>& refs, const std::string& format) {
    auto session = open_session(g);
    if (!session) return 1;
    auto name_of = [&](const std::string& id) {
        auto found = session->engine.find(id);
        return found ? found.value().name : std::string();
    };
    nlohmann::ordered_json docs = nlohmann::ordered_json::array();
    int code = 0;
    for (const auto& ref : refs) {
        auto found = session->networking.networks().store().find(ref);
        if (!found) {
            code = report(found.error());
            continue;
        }
        auto doc = nlohmann::ordered_json::parse(network::network_to_json(found.value()));
        doc["Containers"] = nlohmann::ordered_json::parse(
            session->networking.attached_containers(found.value().id, name_of).dump());
        docs.push_back(doc);
    }
    if (docs.empty()) return code;
    if (auto printed = print_documents(std::cout, docs, format); !printed) return report(printed.error());
    return code;
}

void add_inspect(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("inspect", "Display detailed information on one or more networks");
    cmd->add_option("-f,--format", *format, "Format output using a custom template");
    cmd->add_option("network", *refs, "NETWORK...")->required();
    cmd->callback([&action, &g, refs, format] {
        action = [&g, refs, format] { return run_inspect(g, *refs, *format); };
    });
}

// ---- rm, prune -----------------------------------------------------------------------------

void add_rm(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("rm", "Remove one or more networks");
    cmd->alias("remove");
    cmd->add_option("network", *refs, "NETWORK...")->required();
    cmd->callback([&action, &g, refs] {
        action = [&g, refs]() -> int {
            auto session = open_session(g);
            if (!session) return 1;
            session->networking.sweep([&](const std::string& id) { return session->engine.find(id).ok(); });
            return for_each_ref(*refs, [&](const std::string& ref) {
                return session->networking.remove_network(ref);
            });
        };
    });
}

int run_prune(const Globals& g) {
    auto session = open_session(g);
    if (!session) return 1;
    session->networking.sweep([&](const std::string& id) { return session->engine.find(id).ok(); });
    auto all = session->networking.networks().store().list();
    if (!all) return report(all.error());
    std::vector<std::string> deleted;
    int code = 0;
    for (const auto& r : all.value()) {
        if (r.predefined() || !session->networking.users(r.id).empty()) continue;
        if (auto removed = session->networking.remove_network(r.id); !removed) code = report(removed.error());
        else deleted.push_back(r.name);
    }
    if (!deleted.empty()) {
        std::cout << "Deleted Networks:\n";
        for (const auto& name : deleted) std::cout << name << '\n';
    }
    return code;
}

void add_prune(CLI::App& app, const Globals& g, Action& action) {
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("prune", "Remove all unused networks");
    // Without a terminal to ask on, berth never prompts; -f is accepted for docker's scripts.
    cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    cmd->add_option("--filter", "Provide filter values (not supported)");
    cmd->callback([&action, &g] { action = [&g] { return run_prune(g); }; });
}

// ---- connect, disconnect -------------------------------------------------------------------

struct ConnectFlags {
    std::string network, container, ip;
    std::vector<std::string> aliases;
    bool force = false;
};

int run_connect(const Globals& g, const ConnectFlags& f, bool connect) {
    auto session = open_session(g);
    if (!session) return 1;
    auto record = session->engine.find(f.container);
    if (!record) return report(record.error());
    bool running = session->engine.state(record.value()).running;
    std::string dir = session->engine.dir(record.value());
    Status done = connect ? session->networking.connect(record.value(), running, dir, f.network,
                                                        f.ip, f.aliases)
                          : session->networking.disconnect(record.value(), running, dir, f.network);
    if (!done) return report(done.error());
    return 0;
}

void add_connect(CLI::App& app, const Globals& g, Action& action) {
    auto f = std::make_shared<ConnectFlags>();
    auto* cmd = app.add_subcommand("connect", "Connect a container to a network");
    cmd->add_option("--ip", f->ip, "IPv4 address (e.g., \"172.30.100.104\")");
    cmd->add_option("--alias", f->aliases, "Add network-scoped alias for the container")
        ->allow_extra_args(false);
    cmd->add_option("network", f->network, "NETWORK")->required();
    cmd->add_option("container", f->container, "CONTAINER")->required();
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_connect(g, *f, true); }; });
    auto d = std::make_shared<ConnectFlags>();
    auto* dis = app.add_subcommand("disconnect", "Disconnect a container from a network");
    dis->add_flag("-f,--force", d->force, "Force the container to disconnect from a network");
    dis->add_option("network", d->network, "NETWORK")->required();
    dis->add_option("container", d->container, "CONTAINER")->required();
    dis->callback([&action, &g, d] { action = [&g, d] { return run_connect(g, *d, false); }; });
}

}  // namespace

void add_network_commands(CLI::App& app, const Globals& g, Action& action) {
    auto* group = app.add_subcommand("network", "Manage networks");
    group->require_subcommand(1);
    add_create(*group, g, action);
    add_ls(*group, g, action);
    add_inspect(*group, g, action);
    add_rm(*group, g, action);
    add_prune(*group, g, action);
    add_connect(*group, g, action);
}

}  // namespace engine::cli
