// berth logs: a container's json-file log as docker prints it, stdout entries on stdout and
// stderr entries on stderr.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "engine/cli/commands.hpp"
#include "engine/cli/engine_access.hpp"
#include "engine/shim/log_reader.hpp"
#include "engine/sys/clock.hpp"

namespace engine::cli {
namespace {

struct LogsFlags {
    bool follow = false;
    bool timestamps = false;
    std::string tail = "all";
    std::string since;
    std::string until;
    std::string ref;
};

Result<std::int64_t> log_time(const char* flag, const std::string& text, std::int64_t now) {
    if (text.empty()) return std::int64_t{0};
    if (auto ns = shim::parse_log_time(text, now)) return *ns;
    return Error{EINVAL, fmt::format("invalid value for \"{}\": failed to parse value as time or duration: \"{}\"",
                                     flag, text)};
}

Result<shim::LogQuery> to_query(const LogsFlags& f) {
    shim::LogQuery query;
    query.follow = f.follow;
    // As docker: anything that is not a non-negative number means every line.
    char* end = nullptr;
    long long tail = std::strtoll(f.tail.c_str(), &end, 10);
    if (!f.tail.empty() && end && *end == '\0' && tail >= 0) query.tail = static_cast<std::size_t>(tail);
    const std::int64_t now = sys::now_ns();
    auto since = log_time("since", f.since, now);
    if (!since) return since.error();
    auto until = log_time("until", f.until, now);
    if (!until) return until.error();
    query.since_ns = since.value();
    query.until_ns = until.value();
    return query;
}

int run_logs(const Globals& g, const LogsFlags& f) {
    auto query = to_query(f);
    if (!query) return report(query.error());
    auto engine = open_engine(g);
    if (!engine) return 1;
    auto record = engine->find(f.ref);
    if (!record) return report(record.error());
    Status read = shim::read_logs(engine->dir(record.value()), query.value(), [&](const shim::LogEntry& e) {
        std::FILE* out = e.stream == shim::Stream::kStderr ? stderr : stdout;
        if (f.timestamps) std::fprintf(out, "%s ", sys::format_rfc3339_nano(e.time_ns).c_str());
        std::fwrite(e.log.data(), 1, e.log.size(), out);
        if (f.follow) std::fflush(out);
        return !std::ferror(out);
    });
    std::fflush(stdout);
    if (!read) return report(read.error());
    return 0;
}

void add_logs(CLI::App& app, const Globals& g, Action& action) {
    auto flags = std::make_shared<LogsFlags>();
    auto* cmd = app.add_subcommand("logs", "Fetch the logs of a container");
    cmd->add_flag("-f,--follow", flags->follow, "Follow log output");
    cmd->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
    cmd->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs");
    cmd->add_option("--since", flags->since,
                    "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
    cmd->add_option("--until", flags->until,
                    "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
    cmd->add_option("container", flags->ref, "CONTAINER")->required();
    cmd->callback([&action, &g, flags] { action = [&g, flags] { return run_logs(g, *flags); }; });
}

}  // namespace

/// `logs` at the top level and under `container`.
void add_logs_command(CLI::App& app, CLI::App& container_group, const Globals& g, Action& action) {
    add_logs(app, g, action);
    add_logs(container_group, g, action);
}

}  // namespace engine::cli
