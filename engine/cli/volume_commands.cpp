// berth volume create|ls|inspect|rm|prune, in docker's grammar and output.
#include <iostream>
#include <memory>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/cli/format.hpp"
#include "engine/container/mounts.hpp"
#include "volumes/volume_store.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

std::optional<volumes::VolumeStore> open_volumes(const Globals& g) {
    auto store = volumes::VolumeStore::open(g.root);
    if (!store) {
        report(store.error());
        return std::nullopt;
    }
    return std::move(store.value());
}

std::set<std::string> in_use(const Globals& g) {
    std::set<std::string> names;
    for (const auto& [name, _] : container::volumes_in_use(g.root)) names.insert(name);
    return names;
}

Result<std::map<std::string, std::string>> key_values(const std::vector<std::string>& items, const char* flag) {
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        auto eq = item.find('=');
        if (eq == 0 || (eq == std::string::npos && std::string(flag) == "--opt"))
            return Error{EINVAL, fmt::format("invalid argument \"{}\" for \"{}\" flag: invalid key value pair", item, flag)};
        out[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
    }
    return out;
}

struct CreateFlags {
    std::string name, positional, driver = "local";
    std::vector<std::string> labels, options;
};

int run_create(const Globals& g, const CreateFlags& f) {
    if (!f.name.empty() && !f.positional.empty() && f.name != f.positional)
        return report(Error{EINVAL, "conflicting options: either specify --name or provide positional arg, not both"});
    auto labels = key_values(f.labels, "--label");
    if (!labels) return report(labels.error());
    auto options = key_values(f.options, "--opt");
    if (!options) return report(options.error());
    auto store = open_volumes(g);
    if (!store) return 1;
    auto v = store->create({f.name.empty() ? f.positional : f.name, f.driver, labels.value(), options.value()});
    if (!v) return report(v.error());
    std::cout << v.value().name << '\n';
    return 0;
}

void add_create(CLI::App& group, const Globals& g, Action& action) {
    auto f = std::make_shared<CreateFlags>();
    auto* cmd = group.add_subcommand("create", "Create a volume");
    cmd->add_option("volume", f->positional, "VOLUME");
    cmd->add_option("--name", f->name, "Specify volume name");
    cmd->add_option("-d,--driver", f->driver, "Specify volume driver name");
    cmd->add_option("--label", f->labels, "Set metadata for a volume")->allow_extra_args(false);
    cmd->add_option("-o,--opt", f->options, "Set driver specific options")->allow_extra_args(false);
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_create(g, *f); }; });
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
    return out;
}

struct ListFlags {
    bool quiet = false;
    std::vector<std::string> filters;
    std::string format;
};

int run_list(const Globals& g, const ListFlags& f) {
    volumes::Filters filters;
    for (const auto& text : f.filters)
        if (auto s = volumes::add_filter(filters, text, {"name", "driver", "label", "label!", "dangling"}); !s)
            return report(s.error());
    auto store = open_volumes(g);
    if (!store) return 1;
    auto listed = store->list(filters, in_use(g));
    if (f.quiet) {
        for (const auto& v : listed) std::cout << v.name << '\n';
        return 0;
    }
    std::vector<json> rows;
    for (const auto& v : listed)
        rows.push_back({{"Name", v.name}, {"Driver", v.driver}, {"Scope", "local"},
                        {"Mountpoint", v.mountpoint}, {"Labels", labels_text(v.labels)},
                        {"CreatedAt", v.created_at}, {"Links", "N/A"}, {"Size", "N/A"}});
    static const std::map<std::string, std::string> kHeaders = {{"Name", "VOLUME NAME"}};
    if (auto printed = print_rows(std::cout, f.format, "table {{.Driver}}\t{{.Name}}", rows, kHeaders); !printed)
        return report(printed.error());
    return 0;
}

void add_list(CLI::App& group, const Globals& g, Action& action) {
    auto f = std::make_shared<ListFlags>();
    auto* cmd = group.add_subcommand("ls", "List volumes");
    cmd->alias("list");
    cmd->add_flag("-q,--quiet", f->quiet, "Only display volume names");
    cmd->add_option("-f,--filter", f->filters, "Provide filter values (e.g. \"dangling=true\")")->allow_extra_args(false);
    cmd->add_option("--format", f->format, "Format output using a custom template");
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_list(g, *f); }; });
}

int run_inspect(const Globals& g, const std::vector<std::string>& names, const std::string& format) {
    auto store = open_volumes(g);
    if (!store) return 1;
    nlohmann::ordered_json docs = nlohmann::ordered_json::array();
    int code = 0;
    for (const auto& name : names) {
        auto v = store->get(name);
        if (!v) {
            code = report(Error{ENOENT, fmt::format("get {}: no such volume", name)});
            continue;
        }
        docs.push_back(nlohmann::ordered_json::parse(v.value().inspect().dump()));
    }
    if (auto printed = print_documents(std::cout, docs, format); !printed) return report(printed.error());
    return code;
}

void add_inspect(CLI::App& group, const Globals& g, Action& action) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("inspect", "Display detailed information on one or more volumes");
    cmd->add_option("volume", *names, "VOLUME...")->required();
    cmd->add_option("-f,--format", *format, "Format output using a custom template");
    cmd->callback([&action, &g, names, format] { action = [&g, names, format] { return run_inspect(g, *names, *format); }; });
}

int run_remove(const Globals& g, const std::vector<std::string>& names, bool force) {
    auto store = open_volumes(g);
    if (!store) return 1;
    auto users = container::volumes_in_use(g.root);
    std::set<std::string> used;
    for (const auto& [name, _] : users) used.insert(name);
    int code = 0;
    for (const auto& name : names) {
        auto removed = store->remove(name, used);
        if (removed) {
            std::cout << name << '\n';
        } else if (removed.error().sys_errno == EBUSY) {
            std::string ids;
            for (const auto& id : users[name]) ids += (ids.empty() ? "" : ", ") + id;
            code = report(Error{EBUSY, removed.error().message + " - [" + ids + "]"});
        } else if (!(force && removed.error().sys_errno == ENOENT)) {
            code = report(removed.error());
        }
    }
    return code;
}

void add_remove(CLI::App& group, const Globals& g, Action& action) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    auto* cmd = group.add_subcommand("rm", "Remove one or more volumes");
    cmd->alias("remove");
    cmd->add_flag("-f,--force", *force, "Force the removal of one or more volumes");
    cmd->add_option("volume", *names, "VOLUME...")->required();
    cmd->callback([&action, &g, names, force] { action = [&g, names, force] { return run_remove(g, *names, *force); }; });
}

struct PruneFlags {
    bool all = false, force = false;
    std::vector<std::string> filters;
};

int run_prune(const Globals& g, const PruneFlags& f) {
    volumes::Filters filters;
    bool all = f.all;
    for (const auto& text : f.filters) {
        if (text == "all=true" || text == "all=1") {
            all = true;
            continue;
        }
        if (auto s = volumes::add_filter(filters, text, {"label", "label!"}); !s) return report(s.error());
    }
    if (!f.force) {
        std::cout << (all ? "WARNING! This will remove all local volumes not used by at least one container.\n"
                          : "WARNING! This will remove anonymous local volumes not used by at least one container.\n")
                  << "Are you sure you want to continue? [y/N] " << std::flush;
        std::string answer;
        std::getline(std::cin, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") return 0;
    }
    auto store = open_volumes(g);
    if (!store) return 1;
    auto pruned = store->prune(all, filters, in_use(g));
    if (!pruned) return report(pruned.error());
    if (!pruned.value().first.empty()) {
        std::cout << "Deleted Volumes:\n";
        for (const auto& name : pruned.value().first) std::cout << name << '\n';
        std::cout << '\n';
    }
    std::cout << "Total reclaimed space: " << human_size(static_cast<double>(pruned.value().second)) << '\n';
    return 0;
}

void add_prune(CLI::App& group, const Globals& g, Action& action) {
    auto f = std::make_shared<PruneFlags>();
    auto* cmd = group.add_subcommand("prune", "Remove unused local volumes");
    cmd->add_flag("-a,--all", f->all, "Remove all unused volumes, not just anonymous ones");
    cmd->add_flag("-f,--force", f->force, "Do not prompt for confirmation");
    cmd->add_option("--filter", f->filters, "Provide filter values (e.g. \"label=<label>\")")->allow_extra_args(false);
    cmd->callback([&action, &g, f] { action = [&g, f] { return run_prune(g, *f); }; });
}

}  // namespace

void add_volume_commands(CLI::App& app, const Globals& g, Action& action) {
    auto* group = app.add_subcommand("volume", "Manage volumes");
    group->require_subcommand(1);
    add_create(*group, g, action);
    add_list(*group, g, action);
    add_inspect(*group, g, action);
    add_remove(*group, g, action);
    add_prune(*group, g, action);
}

}  // namespace engine::cli
