// berthd: serves the Docker Engine API for a berth state root on a UNIX socket.
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/daemon/daemon.hpp"
#include "engine/daemon/log.hpp"

namespace {

const char* kUsage =
    "Usage: berthd [OPTIONS]\n"
    "  -H, --host unix://PATH     socket to listen on (default unix:///run/berth.sock)\n"
    "      --root DIR             state root (default /var/lib/berth)\n"
    "      --cgroup-parent NAME   cgroup parent of containers that name none (default berth)\n"
    "      --bridge NAME          Linux bridge of the default network (default berth0)\n"
    "      --default-address-pool CIDR[/SIZE],...  where networks get subnets (default Docker's)\n"
    "      --log-level LEVEL      trace, debug, info, warn, error (default info)\n"
    "      --log-file PATH        log there instead of stderr\n"
    "      --request-timeout SEC  time a client has to send a whole request (default 60)\n";

int usage_error(const std::string& message) {
    std::fprintf(stderr, "berthd: %s\n%s", message.c_str(), kUsage);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    engine::daemon::DaemonOptions options;
    std::string level = "info", log_file;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](std::string& out) {
            if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
                out = arg.substr(eq + 1);
                return true;
            }
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string name = arg.substr(0, arg.find('='));
        std::string v;
        if (name == "-h" || name == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (name == "-H" || name == "--host") {
            if (!value(v)) return usage_error("missing value for " + name);
            if (v.rfind("unix://", 0) != 0) return usage_error("only unix:// sockets are supported: " + v);
            options.socket_path = v.substr(7);
        } else if (name == "--root") {
            if (!value(options.root)) return usage_error("missing value for --root");
        } else if (name == "--bridge") {
            if (!value(options.default_bridge)) return usage_error("missing value for --bridge");
        } else if (name == "--default-address-pool") {
            if (!value(options.address_pools)) return usage_error("missing value for --default-address-pool");
        } else if (name == "--cgroup-parent") {
            if (!value(options.cgroup_parent)) return usage_error("missing value for --cgroup-parent");
        } else if (name == "--log-level") {
            if (!value(level)) return usage_error("missing value for --log-level");
        } else if (name == "--log-file") {
            if (!value(log_file)) return usage_error("missing value for --log-file");
        } else if (name == "--request-timeout") {
            if (!value(v) || std::atoi(v.c_str()) <= 0) return usage_error("--request-timeout needs seconds > 0");
            options.request_timeout = std::chrono::seconds(std::atoi(v.c_str()));
        } else {
            return usage_error("unknown option " + arg);
        }
    }
    if (!log_file.empty()) spdlog::basic_logger_mt("daemon", log_file);
    auto& logger = engine::daemon::log();
    logger.set_level(spdlog::level::from_str(level));
    logger.flush_on(spdlog::level::info);
    spdlog::set_default_logger(spdlog::get("daemon"));
    return engine::daemon::run_daemon(options);
}
