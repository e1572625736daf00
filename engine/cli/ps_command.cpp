// berth ps and berth inspect (containers).
#include <iostream>
#include <memory>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/sys/clock.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

struct PsFlags {
    bool all = false, quiet = false, no_trunc = false, latest = false;
    int last = -1;
    std::vector<std::string> filters;
};

std::string since(const std::string& rfc3339) {
    auto t = sys::parse_rfc3339(rfc3339);
    return t ? sys::human_duration(sys::now_ns() - *t) : "";
}

std::string status_text(const container::LiveState& s) {
    if (s.running) return "Up " + since(s.started_at) + (s.paused ? " (Paused)" : "");
    if (s.status == "exited") return fmt::format("Exited ({}) {} ago", s.exit_code, since(s.finished_at));
    return "Created";
}

std::string command_text(const container::ContainerRecord& r, bool no_trunc) {
    std::string cmd = r.path;
    for (const auto& a : r.args) cmd += " " + a;
    if (!no_trunc && cmd.size() > 20) cmd = cmd.substr(0, 19) + "…";
    return "\"" + cmd + "\"";
}

// docker ps --filter: name= (substring), id= (prefix), status=, label=key[=value], exited=N.
bool matches(const std::vector<std::string>& filters, const container::ContainerRecord& r,
             const container::LiveState& s) {
    for (const auto& f : filters) {
        auto eq = f.find('=');
        std::string key = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
        const json labels = r.config.value("Labels", json::object());
        bool ok = true;
        if (key == "name") ok = r.name.find(value) != std::string::npos;
        else if (key == "id") ok = r.id.rfind(value, 0) == 0;
        else if (key == "status") ok = s.status == value;
        else if (key == "exited") ok = s.status == "exited" && std::to_string(s.exit_code) == value;
        else if (key == "ancestor") ok = r.config.value("Image", "") == value || r.image_id.find(value) != std::string::npos;
        else if (key == "label") {
            auto leq = value.find('=');
            std::string lk = value.substr(0, leq);
            ok = labels.contains(lk) &&
                 (leq == std::string::npos || labels[lk] == value.substr(leq + 1));
        }
        if (!ok) return false;
    }
    return true;
}

}  // namespace

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    auto display = [](const std::string& s) {
        size_t n = 0;  // count code points, not bytes ("…" is one column)
        for (unsigned char c : s) n += (c & 0xC0) != 0x80;
        return n;
    };
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], display(row[i]));
        }
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - display(row[i]) + 3, ' ');
        }
        std::cout << line << '\n';
    }
}

namespace {

int run_ps(const Globals& g, const PsFlags& f) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    std::vector<std::vector<std::string>> rows = {
        {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
    int shown = 0;
    int limit = f.latest ? 1 : f.last;
    for (const auto& r : engine->list()) {
        if (limit >= 0 && shown >= limit) break;
        auto s = engine->state(r);
        if (!f.all && limit < 0 && !s.running) continue;
        if (!matches(f.filters, r, s)) continue;
        ++shown;
        std::string id = f.no_trunc ? r.id : r.id.substr(0, 12);
        if (f.quiet) { std::cout << id << '\n'; continue; }
        rows.push_back({id, r.config.value("Image", ""), command_text(r, f.no_trunc),
                        since(r.created) + " ago", status_text(s), "", r.name});
    }
    if (!f.quiet) print_table(rows);
    return 0;
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
    cmd->callback([&action, &g, flags] { action = [&g, flags] { return run_ps(g, *flags); }; });
}

void add_container_inspect(CLI::App& app, const Globals& g, Action& action) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("inspect", "Return low-level information on containers");
    cmd->add_option("container", *refs, "CONTAINER...")->required();
    cmd->callback([&action, &g, refs] {
        action = [&g, refs] {
            auto engine = open_engine(g);
            if (!engine) return 1;
            json out = json::array();
            int code = 0;
            for (const auto& r : *refs) {
                auto doc = engine->inspect(r);
                if (!doc) code = report(doc.error());
                else out.push_back(doc.value());
            }
            std::cout << out.dump(4) << '\n';
            return code;
        };
    });
}

}  // namespace engine::cli
