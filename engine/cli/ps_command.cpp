// berth ps and berth inspect (containers).
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/cli/format.hpp"
#include "engine/container/listing.hpp"
#include "engine/image/views.hpp"
#include "engine/sys/clock.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

struct PsFlags {
    bool all = false, quiet = false, no_trunc = false, latest = false;
    int last = -1;
    std::vector<std::string> filters;
    std::string format;
};

std::string since(const std::string& rfc3339) {
    auto t = sys::parse_rfc3339(rfc3339);
    return t ? sys::human_duration(sys::now_ns() - *t) : "";
}

std::string command_text(const container::ContainerRecord& r, bool no_trunc) {
    std::string cmd = r.path;
    for (const auto& a : r.args) cmd += " " + a;
    if (!no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
    return "\"" + cmd + "\"";
}

std::string labels_text(const json& labels) {
    std::string out;
    for (const auto& [k, v] : labels.items()) out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    return out;
}

// One row with the fields docker's ps templates know.
json row_of(const container::ContainerRecord& r, const container::LiveState& s, bool no_trunc) {
    return {{"ID", no_trunc ? r.id : r.id.substr(0, 12)},
            {"Image", r.config.value("Image", "")},
            {"Command", command_text(r, no_trunc)},
            {"CreatedAt", r.created},
            {"RunningFor", since(r.created) + " ago"},
            {"Ports", ""},
            {"State", s.status},
            {"Status", container::status_text(s)},
            {"Names", r.name},
            {"Labels", labels_text(r.config.value("Labels", json::object()))},
            {"Mounts", ""},
            {"Networks", ""}};
}

int run_ps(const Globals& g, const PsFlags& f) {
    auto filters = container::parse_list_filters(f.filters);
    if (!filters) return report(filters.error());
    auto engine = open_engine(g);
    if (!engine) return 1;
    std::vector<json> rows;
    int limit = f.latest ? 1 : f.last;
    for (const auto& r : engine->list()) {
        if (limit >= 0 && static_cast<int>(rows.size()) >= limit) break;
        auto s = engine->state(r);
        if (!f.all && limit < 0 && !s.running) continue;
        if (!container::matches_filters(filters.value(), r, s)) continue;
        rows.push_back(row_of(r, s, f.no_trunc));
    }
    std::string format = f.quiet ? "{{.ID}}" : f.format;
    static const std::map<std::string, std::string> kHeaders = {
        {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"}};
    auto printed = print_rows(std::cout, format,
                              "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"
                              "{{.Ports}}\t{{.Names}}",
                              rows, kHeaders);
    return printed ? 0 : report(printed.error());
}

}  // namespace

void add_ps(CLI::App& app, const Globals& g, Action& action) {
    auto flags = std::make_shared<PsFlags>();
    auto* cmd = app.add_subcommand("ps", "List containers");
    cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
    cmd->add_flag("-q,--quiet", flags->quiet, "Only display container IDs");
    cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
    cmd->add_flag("-l,--latest", flags->latest, "Show the latest created container (includes all states)");
    cmd->add_option("-n,--last", flags->last, "Show n last created containers (includes all states)");
    cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    cmd->add_option("--format", flags->format, "Format output using a custom template ('table', 'json' or a Go template)");
    cmd->callback([&action, &g, flags] { action = [&g, flags] { return run_ps(g, *flags); }; });
}

namespace {

// docker inspect: a container, else an image of that name ("No such object" when neither).
int run_inspect(const Globals& g, const std::vector<std::string>& refs, const std::string& format) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    nlohmann::ordered_json docs = nlohmann::ordered_json::array();
    int code = 0;
    for (const auto& r : refs) {
        if (auto doc = engine->inspect(r)) {
            docs.push_back(nlohmann::ordered_json::parse(doc.value().dump()));
        } else if (auto img = engine->images().get(r)) {
            docs.push_back(image::inspect_image(img.value()));
        } else {
            code = report(Error{ENOENT, "No such object: " + r});
        }
    }
    if (auto printed = print_documents(std::cout, docs, format); !printed) return report(printed.error());
    return code;
}

}  // namespace

void add_container_inspect(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("inspect", "Return low-level information on Docker objects");
    cmd->add_option("object", *refs, "NAME|ID...")->required();
    cmd->add_option("-f,--format", *format, "Format output using a custom template");
    cmd->callback([&action, &g, refs, format] {
        action = [&g, refs, format] { return run_inspect(g, *refs, *format); };
    });
}

}  // namespace engine::cli
