// berth top, diff and stats: what a container is doing and what it changed.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/cli/format.hpp"
#include "engine/container/filesystem_changes.hpp"
#include "engine/container/processes.hpp"
#include "engine/runtime/cgroup.hpp"

namespace engine::cli {

namespace {

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::string> lines;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) line += (i ? "\t" : "") + row[i];
        lines.push_back(line);
    }
    std::cout << align_table(lines);
}

}  // namespace

namespace {

int run_top(const Globals& g, const std::string& ref) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto pids = engine->pids(ref);
    if (!pids) return report(pids.error());
    std::vector<std::vector<std::string>> rows = {{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}};
    for (const auto& r : container::process_rows(pids.value()))
        rows.push_back({r.uid, r.pid, r.ppid, r.c, r.stime, r.tty, r.time, r.cmd});
    print_table(rows);
    return 0;
}

int run_diff(const Globals& g, const std::string& ref) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto record = engine->find(ref);
    if (!record) return report(record.error());
    auto image = engine->images().get(record.value().image_id);
    if (!image) return report(image.error());
    auto changes = container::filesystem_changes(engine->dir(record.value()) + "/upper",
                                                 image.value().layer_dirs);
    if (!changes) return report(changes.error());
    for (const auto& c : changes.value()) std::cout << c.kind << ' ' << c.path << '\n';
    return 0;
}

std::string human_bytes(double bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (bytes >= 1024 && i < 4) { bytes /= 1024; ++i; }
    return fmt::format("{:.4g}{}", bytes, units[i]);
}

// One sample now and one a moment later: CPU % is the share of one CPU's time used between
// them, as docker stats computes it (times the number of CPUs).
int run_stats(const Globals& g, const std::vector<std::string>& refs) {
    auto engine = open_engine(g);
    if (!engine) return 1;
    std::vector<std::vector<std::string>> rows = {
        {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"}};
    int code = 0;
    for (const auto& ref : refs) {
        auto record = engine->find(ref);
        if (!record) { code = report(record.error()); continue; }
        auto cgroup = runtime::open_cgroup(container::cgroup_parent_of(record.value()), record.value().id);
        auto before = cgroup ? cgroup->stats() : Result<runtime::CgroupStats>(Error{ENOTSUP, "no cgroup"});
        auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto after = cgroup ? cgroup->stats() : before;
        if (!before || !after) { code = report(before ? after.error() : before.error()); continue; }
        double wall = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        double cpu = 100.0 * double(after.value().cpu_usage_ns - before.value().cpu_usage_ns) / wall;
        const auto& s = after.value();
        double limit = s.memory_limit ? double(s.memory_limit)
                                      : double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE));
        rows.push_back({record.value().id.substr(0, 12), record.value().name, fmt::format("{:.2f}%", cpu),
                        human_bytes(double(s.memory_usage)) + " / " + human_bytes(limit),
                        fmt::format("{:.2f}%", 100.0 * double(s.memory_usage) / limit),
                        std::to_string(s.pids)});
    }
    print_table(rows);
    return code;
}

void add_one_ref(CLI::App& app, Action& action, const std::string& name, const std::string& help,
                 std::function<int(const std::string&)> run) {
    auto ref = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("container", *ref, "CONTAINER")->required();
    cmd->callback([&action, ref, run] { action = [ref, run] { return run(*ref); }; });
}

}  // namespace

void add_observe_commands(CLI::App& app, const Globals& g, Action& action) {
    add_one_ref(app, action, "top", "Display the running processes of a container",
                [&g](const std::string& r) { return run_top(g, r); });
    add_one_ref(app, action, "diff", "Inspect changes to files or directories on a container's filesystem",
                [&g](const std::string& r) { return run_diff(g, r); });
    auto refs = std::make_shared<std::vector<std::string>>();
    auto no_stream = std::make_shared<bool>(true);
    auto* stats = app.add_subcommand("stats", "Display a snapshot of containers' resource usage");
    stats->add_flag("--no-stream", *no_stream, "Disable streaming stats and only pull the first result");
    stats->add_option("container", *refs, "CONTAINER...")->required();
    stats->callback([&action, &g, refs, no_stream] { action = [&g, refs] { return run_stats(g, *refs); }; });
}

}  // namespace engine::cli
