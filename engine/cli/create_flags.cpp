#include "engine/cli/create_flags.hpp"

#include <cmath>
#include <fstream>

#include "engine/container/networking.hpp"
#include "engine/container/spec_builder.hpp"
#include "volumes/mount_point.hpp"

namespace engine::cli {
namespace {

using nlohmann::json;

// --env-file: KEY=VALUE lines; "#" comments and blank lines skipped; a bare KEY takes the
// value from this process's environment, and is dropped when unset (docker's behaviour).
Status read_env_file(const std::string& path, std::vector<std::string>& out) {
    std::ifstream in(path);
    if (!in) return sys::errno_error("open env file {}", path);
    for (std::string line; std::getline(in, line);) {
        auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        line = line.substr(start);
        if (line.find('=') == std::string::npos) {
            if (const char* v = std::getenv(line.c_str())) out.push_back(line + "=" + v);
            continue;
        }
        out.push_back(line);
    }
    return sys::ok();
}

std::vector<std::string> expand_env(const std::vector<std::string>& env) {
    std::vector<std::string> out;
    for (const auto& e : env) {
        if (e.find('=') != std::string::npos) out.push_back(e);
        else if (const char* v = std::getenv(e.c_str())) out.push_back(e + "=" + v);
    }
    return out;
}

json labels_of(const std::vector<std::string>& labels) {
    json out = json::object();
    for (const auto& l : labels) {
        auto eq = l.find('=');
        out[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    return out;
}

Result<json> restart_policy(const std::string& text) {
    if (text.empty()) return json{{"Name", "no"}, {"MaximumRetryCount", 0}};
    auto colon = text.find(':');
    std::string name = text.substr(0, colon);
    int retries = 0;
    if (colon != std::string::npos) {
        if (name != "on-failure")
            return Error{EINVAL, fmt::format("invalid restart policy: maximum retry count can only "
                                             "be used with 'on-failure'")};
        try { retries = std::stoi(text.substr(colon + 1)); } catch (...) { retries = -1; }
        if (retries < 0) return Error{EINVAL, fmt::format("invalid restart policy format: \"{}\"", text)};
    }
    if (name != "no" && name != "always" && name != "on-failure" && name != "unless-stopped")
        return Error{EINVAL, fmt::format("invalid restart policy format: \"{}\"", text)};
    return json{{"Name", name}, {"MaximumRetryCount", retries}};
}

Status add_resources(const CreateFlags& f, json& host) {
    for (auto [flag, text, key] : {std::tuple{"--memory", f.memory, "Memory"},
                                   std::tuple{"--memory-swap", f.memory_swap, "MemorySwap"}}) {
        if (text.empty()) continue;
        if (text == "-1") { host[key] = -1; continue; }
        auto bytes = container::parse_bytes(text);
        if (!bytes) return Error{EINVAL, fmt::format("invalid argument \"{}\" for \"{}\" flag: {}",
                                                     text, flag, bytes.error().message)};
        host[key] = bytes.value();
    }
    if (!f.cpus.empty()) {
        char* end = nullptr;
        double cpus = std::strtod(f.cpus.c_str(), &end);
        if (*end != '\0' || cpus < 0 || !std::isfinite(cpus))
            return Error{EINVAL, fmt::format("invalid argument \"{}\" for \"--cpus\" flag: failed to "
                                             "parse {} as a rational number", f.cpus, f.cpus)};
        host["NanoCpus"] = static_cast<std::int64_t>(std::llround(cpus * 1e9));
    }
    host["CpuShares"] = f.cpu_shares;
    host["CpusetCpus"] = f.cpuset_cpus;
    host["CpusetMems"] = f.cpuset_mems;
    if (f.pids_limit != 0) host["PidsLimit"] = f.pids_limit;
    return sys::ok();
}

Status add_limits(const CreateFlags& f, json& host) {
    json ulimits = json::array();
    for (const auto& u : f.ulimits) {
        auto parsed = container::parse_ulimit(u);
        if (!parsed) return parsed.error();
        ulimits.push_back({{"Name", parsed.value().name}, {"Soft", parsed.value().soft},
                           {"Hard", parsed.value().hard}});
    }
    host["Ulimits"] = ulimits;
    json tmpfs = json::object();
    for (const auto& t : f.tmpfs) {
        auto colon = t.find(':');
        tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
    }
    host["Tmpfs"] = tmpfs;
    json sysctls = json::object();
    for (const auto& s : f.sysctls) {
        auto eq = s.find('=');
        if (eq == std::string::npos) return Error{EINVAL, fmt::format("invalid sysctl value \"{}\"", s)};
        sysctls[s.substr(0, eq)] = s.substr(eq + 1);
    }
    host["Sysctls"] = sysctls;
    json log_config = json::object();
    for (const auto& o : f.log_opts) {
        auto eq = o.find('=');
        if (eq == std::string::npos) return Error{EINVAL, fmt::format("invalid key-value pair: \"{}\"", o)};
        log_config[o.substr(0, eq)] = o.substr(eq + 1);
    }
    if (log_config.contains("max-size")) {
        auto bytes = container::parse_bytes(log_config["max-size"].get<std::string>());
        if (!bytes) return Error{EINVAL, "invalid log opt max-size: " + bytes.error().message};
        log_config["max-size"] = std::to_string(bytes.value());
    }
    host["LogConfig"] = {{"Type", "json-file"}, {"Config", log_config}};
    return sys::ok();
}

}  // namespace

void add_create_flags(CLI::App& cmd, CreateFlags& f) {
    // -h is --hostname in docker run/create; help stays reachable as --help.
    cmd.set_help_flag("--help", "Print this help message and exit");
    cmd.add_option("--name", f.name, "Assign a name to the container");
    cmd.add_option("-e,--env", f.env, "Set environment variables")->allow_extra_args(false);
    cmd.add_option("--env-file", f.env_files, "Read in a file of environment variables")->allow_extra_args(false);
    cmd.add_option("-l,--label", f.labels, "Set meta data on a container")->allow_extra_args(false);
    cmd.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
    cmd.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    cmd.add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
    cmd.add_option("-h,--hostname", f.hostname, "Container host name");
    cmd.add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
    cmd.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
    cmd.add_flag("--rm", f.auto_remove, "Automatically remove the container when it exits");
    cmd.add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
    cmd.add_flag("--privileged", f.privileged, "Give extended privileges to this container");
    cmd.add_flag("--init", f.init, "Run an init inside the container that forwards signals and reaps processes");
    cmd.add_option("-v,--volume", f.volumes, "Bind mount a volume")->allow_extra_args(false);
    cmd.add_option("--mount", f.mounts, "Attach a filesystem mount to the container")->allow_extra_args(false);
    cmd.add_option("--volumes-from", f.volumes_from, "Mount volumes from the specified container(s)")->allow_extra_args(false);
    cmd.add_option("--tmpfs", f.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
    cmd.add_option("--cap-add", f.cap_add, "Add Linux capabilities")->allow_extra_args(false);
    cmd.add_option("--cap-drop", f.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
    cmd.add_option("--security-opt", f.security_opts, "Security Options")->allow_extra_args(false);
    cmd.add_option("--ulimit", f.ulimits, "Ulimit options")->allow_extra_args(false);
    cmd.add_option("--group-add", f.group_add, "Add additional groups to join")->allow_extra_args(false);
    cmd.add_option("--sysctl", f.sysctls, "Sysctl options")->allow_extra_args(false);
    cmd.add_option("--log-opt", f.log_opts, "Log driver options")->allow_extra_args(false);
    cmd.add_option("-m,--memory", f.memory, "Memory limit");
    cmd.add_option("--memory-swap", f.memory_swap, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
    cmd.add_option("--cpus", f.cpus, "Number of CPUs");
    cmd.add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
    cmd.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    cmd.add_option("--cpuset-mems", f.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
    cmd.add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
    cmd.add_option("--oom-score-adj", f.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
    cmd.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
    cmd.add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
    cmd.add_option("--restart", f.restart, "Restart policy to apply when a container exits");
    cmd.add_option("--cgroup-parent", f.cgroup_parent, "Optional parent cgroup for the container");
    cmd.add_option("--network,--net", f.network, "Connect a container to a network");
    cmd.add_option("--ip", f.ip, "IPv4 address (e.g., 172.30.100.104)");
    cmd.add_option("--network-alias", f.network_aliases, "Add network-scoped alias for the container")
        ->allow_extra_args(false);
    cmd.add_option("image", f.image, "IMAGE [COMMAND] [ARG...]")->required();
    // Everything after the image belongs to the container's command, as in docker.
    cmd.positionals_at_end(false);
    cmd.prefix_command(true);
}

Result<container::CreateRequest> to_create_request(const CreateFlags& f) {
    container::CreateRequest request;
    request.name = f.name;
    if (f.image_and_command.empty()) return Error{EINVAL, "\"run\" requires at least 1 argument"};
    json config = {{"Image", f.image_and_command[0]}, {"Tty", f.tty}, {"OpenStdin", f.interactive},
                   {"StdinOnce", f.interactive}, {"AttachStdin", f.interactive}};
    std::vector<std::string> env;
    for (const auto& file : f.env_files)
        if (auto read = read_env_file(file, env); !read) return read.error();
    for (const auto& e : expand_env(f.env)) env.push_back(e);
    config["Env"] = env;
    config["Labels"] = labels_of(f.labels);
    if (f.image_and_command.size() > 1)
        config["Cmd"] = std::vector<std::string>(f.image_and_command.begin() + 1, f.image_and_command.end());
    if (f.entrypoint_set) config["Entrypoint"] = f.entrypoint.empty() ? json::array() : json{f.entrypoint};
    if (!f.workdir.empty()) config["WorkingDir"] = f.workdir;
    if (!f.user.empty()) config["User"] = f.user;
    if (!f.hostname.empty()) config["Hostname"] = f.hostname;
    if (!f.stop_signal.empty()) config["StopSignal"] = f.stop_signal;
    if (f.stop_timeout) config["StopTimeout"] = *f.stop_timeout;
    json host = {{"AutoRemove", f.auto_remove}, {"ReadonlyRootfs", f.read_only},
                 {"Privileged", f.privileged}, {"Init", f.init}, {"CapAdd", f.cap_add},
                 {"CapDrop", f.cap_drop}, {"SecurityOpt", f.security_opts},
                 {"GroupAdd", f.group_add}, {"OomScoreAdj", f.oom_score_adj},
                 {"CgroupParent", f.cgroup_parent}};
    auto policy = restart_policy(f.restart);
    if (!policy) return policy.error();
    host["RestartPolicy"] = policy.value();
    if (f.auto_remove && policy.value()["Name"] != "no")
        return Error{EINVAL, "Conflicting options: --restart and --rm"};
    if (auto s = add_resources(f, host); !s) return s.error();
    if (auto s = add_limits(f, host); !s) return s.error();
    host["Binds"] = f.volumes;
    host["VolumesFrom"] = f.volumes_from;
    host["Mounts"] = json::array();
    for (const auto& m : f.mounts) {
        auto parsed = volumes::parse_mount_flag(m);
        if (!parsed) return parsed.error();
        host["Mounts"].push_back(parsed.value());
    }
    if (auto s = container::apply_network_flags(f.network, f.ip, f.network_aliases, host,
                                                request.networking_config);
        !s)
        return s.error();
    request.config = config;
    request.host_config = host;
    return request;
}

}  // namespace engine::cli
