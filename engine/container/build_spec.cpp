// build_spec: a ContainerRecord (Docker's Config + HostConfig) → runtime::ContainerSpec.
#include "engine/container/spec_builder.hpp"

#include "engine/runtime/security.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

std::vector<std::string> strings(const json& obj, const char* key) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it != obj.end() && it->is_array())
        for (const auto& v : *it) out.push_back(v.get<std::string>());
    return out;
}

template <typename T>
std::optional<T> positive(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number() || it->get<T>() == 0) return std::nullopt;
    return it->get<T>();
}

// HostConfig.SecurityOpt as docker accepts it: "no-new-privileges[:|=true|false]",
// "seccomp=unconfined|<profile JSON>", and labels/apparmor which have no meaning here.
Status apply_security_opts(const json& host, runtime::ContainerSpec& spec) {
    for (const auto& opt : strings(host, "SecurityOpt")) {
        std::string key = opt, value;
        auto sep = opt.find_first_of("=:");
        if (sep != std::string::npos) {
            key = opt.substr(0, sep);
            value = opt.substr(sep + 1);
        }
        if (key == "no-new-privileges") {
            if (value != "" && value != "true" && value != "false")
                return Error{EINVAL, fmt::format("invalid --security-opt: \"{}\"", opt)};
            spec.no_new_privileges = value != "false";
        } else if (key == "seccomp" && !value.empty()) {
            spec.seccomp = value;
        } else if (key == "apparmor" || key == "label" || key == "systempaths") {
            if (key == "systempaths" && value == "unconfined") {
                spec.masked_paths.clear();
                spec.readonly_paths.clear();
            }
        } else {
            return Error{EINVAL, fmt::format("invalid --security-opt: \"{}\"", opt)};
        }
    }
    return sys::ok();
}

runtime::Resources resources_of(const json& host) {
    runtime::Resources r;
    r.memory = positive<std::int64_t>(host, "Memory");
    r.memory_swap = positive<std::int64_t>(host, "MemorySwap");
    r.nano_cpus = positive<std::int64_t>(host, "NanoCpus");
    r.cpu_shares = positive<std::uint64_t>(host, "CpuShares");
    r.pids_limit = positive<std::int64_t>(host, "PidsLimit");
    r.cpuset_cpus = host.value("CpusetCpus", "");
    r.cpuset_mems = host.value("CpusetMems", "");
    return r;
}

Status add_limits(const json& host, runtime::ContainerSpec& spec) {
    if (auto it = host.find("Ulimits"); it != host.end() && it->is_array())
        for (const auto& u : *it)
            spec.rlimits.push_back({u.value("Name", ""), u.value("Soft", std::uint64_t{0}),
                                    u.value("Hard", std::uint64_t{0})});
    if (auto it = host.find("Sysctls"); it != host.end() && it->is_object())
        for (const auto& [k, v] : it->items()) spec.sysctls.emplace_back(k, v.get<std::string>());
    spec.resources = resources_of(host);
    spec.oom_score_adj = host.value("OomScoreAdj", 0);
    return sys::ok();
}

// The standard files docker bind-mounts from the container's directory, then --tmpfs mounts.
void add_mounts(const json& host, const ContainerPaths& paths, runtime::ContainerSpec& spec) {
    for (const char* name : {"hostname", "hosts", "resolv.conf"})
        spec.mounts.push_back({paths.dir + "/" + name, std::string("/etc/") + name, "bind",
                               {"rbind", "rprivate"}});
    if (auto it = host.find("Tmpfs"); it != host.end() && it->is_object()) {
        for (const auto& [dest, options] : it->items()) {
            std::vector<std::string> opts = {"nosuid", "nodev", "noexec"};
            std::string text = options.get<std::string>();
            for (size_t start = 0; start < text.size();) {
                size_t comma = text.find(',', start);
                if (comma == std::string::npos) comma = text.size();
                opts.push_back(text.substr(start, comma - start));
                start = comma + 1;
            }
            spec.mounts.push_back({"tmpfs", dest, "tmpfs", opts});
        }
    }
}

}  // namespace

Result<runtime::ContainerSpec> build_spec(const ContainerRecord& record, const ContainerPaths& paths) {
    const json& config = record.config;
    const json& host = record.host_config;
    runtime::ContainerSpec spec;
    spec.id = record.id;
    spec.lower_dirs = paths.layer_dirs;
    spec.upper_dir = paths.dir + "/upper";
    spec.work_dir = paths.dir + "/work";
    spec.rootfs_dir = paths.dir + "/rootfs";
    spec.readonly_rootfs = host.value("ReadonlyRootfs", false);
    spec.args.push_back(record.path);
    spec.args.insert(spec.args.end(), record.args.begin(), record.args.end());
    spec.hostname = config.value("Hostname", "");
    if (spec.hostname.empty()) spec.hostname = record.id.substr(0, 12);
    spec.domainname = config.value("Domainname", "");
    spec.terminal = config.value("Tty", false);
    // moby CreateDaemonEnvironment: PATH, HOSTNAME and TERM first, the config's env replacing
    // or appending.
    json env = {std::string("PATH=") + kDefaultPath, "HOSTNAME=" + spec.hostname};
    if (spec.terminal) env.push_back("TERM=xterm");
    spec.env = merge_env(env, config.value("Env", json::array())).get<std::vector<std::string>>();
    spec.cwd = config.value("WorkingDir", "");
    if (spec.cwd.empty()) spec.cwd = "/";
    spec.user = config.value("User", "");
    spec.group_add = strings(host, "GroupAdd");
    spec.init = host.value("Init", false);
    spec.cgroup_parent = cgroup_parent_of(record);
    spec.privileged = host.value("Privileged", false);
    auto caps = runtime::resolve_capabilities(strings(host, "CapAdd"), strings(host, "CapDrop"),
                                              spec.privileged);
    if (!caps) return caps.error();
    spec.capabilities = caps.value();
    if (!spec.privileged) {
        spec.masked_paths = runtime::default_masked_paths();
        spec.readonly_paths = runtime::default_readonly_paths();
    } else {
        spec.seccomp = "unconfined";
    }
    if (auto s = apply_security_opts(host, spec); !s) return s.error();
    if (auto s = add_limits(host, spec); !s) return s.error();
    add_mounts(host, paths, spec);
    if (auto sig = config.value("StopSignal", ""); !sig.empty()) spec.stop_signal = sig;
    return spec;
}

}  // namespace engine::container
