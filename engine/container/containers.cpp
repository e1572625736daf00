#include "engine/container/containers.hpp"

#include <signal.h>
#include <sys/stat.h>

#include "engine/container/mounts.hpp"
#include "engine/container/networking.hpp"
#include "engine/container/seccomp_cache.hpp"
#include "engine/container/spec_builder.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/protected_binary.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"

namespace engine::container {
namespace {

using nlohmann::json;


}  // namespace

Result<Containers> Containers::open(const EngineOptions& options) {
    auto store = ContainerStore::open(options.root);
    if (!store) return store.error();
    auto images = image::ImageStore::open(options.root);
    if (!images) return images.error();
    return Containers(options, std::move(store.value()), std::move(images.value()));
}

Result<ContainerRecord> Containers::find(const std::string& ref) const { return store_.find(ref); }

Result<std::string> Containers::create(const CreateRequest& request) {
    std::string image_ref = request.config.value("Image", "");
    if (image_ref.empty()) return Error{EINVAL, "no image specified"};
    auto image = images_.get(image_ref);
    if (!image) return image.error();
    if (!request.name.empty() && !valid_container_name(request.name))
        return Error{EINVAL, fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                         "are allowed", request.name)};
    ContainerRecord record;
    record.id = new_container_id();
    record.created = sys::format_rfc3339_nano(sys::now_ns());
    record.image_id = image.value().id;
    record.config = merge_image_config(request.config, image.value().config.value("config", json::object()));
    record.host_config = request.host_config;
    record.cgroup_parent = record.host_config.value("CgroupParent", "");
    if (record.cgroup_parent.empty()) record.cgroup_parent = options_.cgroup_parent;
    auto command = command_of(record.config);
    if (!command) return command.error();
    std::tie(record.path, record.args) = command.value();
    auto mounts_of = [this](const std::string& ref) -> Result<std::vector<volumes::MountPoint>> {
        auto other = find(ref);
        if (!other) return other.error();
        return load_mounts(store_.dir(other.value().id));
    };
    auto mounts = plan_mounts(record.config, record.host_config, mounts_of);
    if (!mounts) return mounts.error();
    auto lock = store_.lock();
    if (!lock) return lock.error();
    record.name = request.name.empty()
        ? generate_name([&](const std::string& n) { return store_.find(n).ok(); })
        : (request.name[0] == '/' ? request.name.substr(1) : request.name);
    Networking networking(options_);
    if (auto net = networking.register_container(record, request.networking_config); !net)
        return net.error();
    if (auto added = store_.add(record); !added) {
        networking.forget(record.id);
        return added.error();
    }
    if (auto made = create_mounts(options_.root, store_.dir(record.id), mounts.value(), image.value().layer_dirs);
        !made) {
        networking.forget(record.id);
        (void)store_.remove(record.id);
        return made.error();
    }
    return record.id;
}

Status Containers::prepare_files(const ContainerRecord& record) const {
    std::string dir = store_.dir(record.id);
    for (const char* sub : {"/upper", "/work", "/rootfs"})
        if (auto made = sys::make_dirs(dir + sub, 0755); !made) return made;
    std::string hostname = record.config.value("Hostname", "");
    if (hostname.empty()) hostname = record.id.substr(0, 12);
    auto host_resolv = sys::read_file("/etc/resolv.conf");
    std::vector<std::pair<const char*, std::string>> files = {
        {"hostname", hostname + "\n"},
        {"hosts", container_hosts(hostname)},
        {"resolv.conf", container_resolv_conf(host_resolv ? host_resolv.value() : "")}};
    for (const auto& [name, text] : files)
        if (auto w = sys::write_file_atomic(dir + "/" + name, text, 0644, sys::Durability::kAtomicOnly); !w)
            return w;
    return sys::ok();
}

Result<shim::Started> Containers::start(const std::string& ref, bool attach) {
    auto found = store_.find(ref);
    if (!found) return found.error();
    ContainerRecord record = found.value();
    if (state(record).running) return shim::Started{};
    auto image = images_.get(record.image_id);
    if (!image) return image.error();
    std::string dir = store_.dir(record.id);
    if (auto prepared = prepare_files(record); !prepared) return prepared.error();
    auto spec = build_spec(record, ContainerPaths{dir, image.value().layer_dirs});
    if (!spec) return spec.error();
    if (auto mounted = add_volume_mounts(options_.root, dir, spec.value()); !mounted) return mounted.error();
    Networking networking(options_);
    if (Networking::has_endpoints(record))
        networking.sweep([&](const std::string& id) { return store_.find(id).ok(); });
    if (auto net = networking.attach(record, dir, spec.value(),
                                     [&](const std::string& other) { return running_pid(other); });
        !net)
        return net.error();
    AttachedUntilStarted network_guard{networking, record.id};
    auto program = cached_seccomp_program(runtime_dir() + "/seccomp", spec.value().seccomp,
                                          spec.value().capabilities);
    if (!program) return program.error();
    spec.value().seccomp_program_file = program.value();
    if (auto w = sys::write_file_atomic(dir + "/" + shim::kSpecFile, json(spec.value()).dump(), 0600,
                                        sys::Durability::kAtomicOnly); !w)
        return w.error();
    ::unlink((dir + "/" + shim::kExitFile).c_str());
    ::unlink((dir + "/" + shim::kStateFile).c_str());
    shim::ShimOptions options;
    auto shim_binary = this->shim_binary();
    if (!shim_binary) return shim_binary.error();
    options.shim_binary = shim_binary.value();
    const json log_config = record.host_config.value("LogConfig", json::object()).value("Config", json::object());
    // Both were validated when the container was created.
    if (log_config.contains("max-size"))
        if (auto bytes = parse_bytes(log_config["max-size"].get<std::string>()))
            options.log_max_size = static_cast<std::uint64_t>(bytes.value());
    if (log_config.contains("max-file"))
        options.log_max_files = static_cast<unsigned>(std::atoi(log_config["max-file"].get<std::string>().c_str()));
    options.attach_stdin = record.config.value("OpenStdin", false);
    options.wait_for_attach = attach;
    // The shim removes a --rm container once it has exited, whoever started it or is gone.
    options.auto_remove = record.host_config.value("AutoRemove", false);
    if (record.manually_stopped || record.paused) {
        record.manually_stopped = false;
        record.paused = false;
        if (auto saved = store_.save(record); !saved) return saved.error();
    }
    auto started = shim::start_shim(dir, options);
    if (started) network_guard.keep();
    return started;
}

Result<pid_t> Containers::running_pid(const std::string& ref) const {
    auto other = store_.find(ref);
    if (!other) return other.error();
    LiveState s = state(other.value());
    if (!s.running)
        return Error{EINVAL, fmt::format("cannot join network of a non running container: {}",
                                         other.value().id)};
    return s.pid;
}

Result<std::string> Containers::shim_binary() const {
    return runtime::protected_binary(options_.shim_binary, runtime_dir());
}

LiveState Containers::state(const ContainerRecord& record) const {
    LiveState s;
    shim::Observed observed = shim::observe(store_.dir(record.id));
    if (observed.state) s.started_at = observed.state->started_at;
    if (observed.exit) {
        s.exit_code = observed.exit->exit_code;
        s.oom_killed = observed.exit->oom_killed;
        s.finished_at = observed.exit->finished_at;
        s.error = observed.exit->error;
    }
    switch (observed.phase) {
    case shim::Observed::Phase::kCreated: s.status = "created"; break;
    case shim::Observed::Phase::kExited: s.status = "exited"; break;
    case shim::Observed::Phase::kRunning:
        s.running = true;
        s.pid = observed.state->pid;
        s.paused = record.paused;
        s.status = s.paused ? "paused" : "running";
        break;
    }
    return s;
}

}  // namespace engine::container
