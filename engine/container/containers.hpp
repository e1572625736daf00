#pragma once

// The container lifecycle on top of the image store, the runtime and the shim: create, start,
// stop, kill, remove, inspect, list, wait. Every state change is written atomically to the
// container's record; the live state always comes from the shim's files and processes, so
// whatever crashed, what this reports is the truth.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/container/record.hpp"
#include "engine/container/store.hpp"
#include "engine/image/image_store.hpp"
#include "engine/shim/shim.hpp"
#include "engine/sys/result.hpp"

namespace engine::container {

/// Where state lives and which shim binary starts containers.
struct EngineOptions {
    std::string root = "/var/lib/berth";
    std::string shim_binary;
    std::string cgroup_parent = "berth";  ///< for containers that do not name one (docker's --cgroup-parent)
    std::string default_bridge = "berth0";  ///< Linux bridge of the "bridge" network (dockerd's --bridge)
    std::string address_pools;  ///< "CIDR[/SIZE],..." for new networks; empty: Docker's defaults
};

/// A container's docker-style State object, derived from the record and the shim.
struct LiveState {
    std::string status;  ///< created, running, paused, exited, dead
    bool running = false;
    bool paused = false;
    bool oom_killed = false;
    pid_t pid = 0;
    int exit_code = 0;
    std::string error;
    std::string started_at = "0001-01-01T00:00:00Z";
    std::string finished_at = "0001-01-01T00:00:00Z";
};

/// What `create` takes: Docker's ContainerCreate body, split.
struct CreateRequest {
    std::string name;  ///< empty → generated
    nlohmann::json config = nlohmann::json::object();       ///< Config (Image required)
    nlohmann::json host_config = nlohmann::json::object();  ///< HostConfig
    nlohmann::json networking_config = nlohmann::json::object();  ///< NetworkingConfig
};

class Containers {
public:
    static Result<Containers> open(const EngineOptions& options);

    /// Creates a container (not started); returns its id.
    Result<std::string> create(const CreateRequest& request);
    /// Starts a created or exited container. With `attach`, the process starts only once the
    /// returned attach socket is connected, so no output is lost.
    Result<shim::Started> start(const std::string& ref, bool attach = false);
    /// Sends the stop signal, waits `timeout_s` (the container's StopTimeout, else 10), kills.
    Status stop(const std::string& ref, std::optional<int> timeout_s = std::nullopt);
    /// Sends `signal` (a name like "KILL"/"SIGHUP" or a number) to the container's process.
    Status kill(const std::string& ref, const std::string& signal = "KILL");
    Status restart(const std::string& ref, std::optional<int> timeout_s = std::nullopt);
    /// Removes a container; a running one only with `force` (it is killed first). With
    /// `remove_volumes`, its anonymous volumes go too (rm -v).
    Status remove(const std::string& ref, bool force, bool remove_volumes = false);
    Status pause(const std::string& ref);
    Status unpause(const std::string& ref);
    Status rename(const std::string& ref, const std::string& new_name);
    /// Blocks until the container is not running and returns its exit code.
    Result<int> wait(const std::string& ref);

    Result<ContainerRecord> find(const std::string& ref) const;
    std::vector<ContainerRecord> list() const { return store_.list(); }
    LiveState state(const ContainerRecord& record) const;
    /// Every process of a running container (its cgroup's, else its init's process tree).
    Result<std::vector<pid_t>> pids(const std::string& ref) const;
    /// Docker's inspect document for one container.
    Result<nlohmann::json> inspect(const std::string& ref) const;
    /// The directory of a container.
    std::string dir(const ContainerRecord& record) const { return store_.dir(record.id); }
    const image::ImageStore& images() const { return images_; }
    /// The shim binary as containers and exec helpers run it: a read-only mount of it.
    Result<std::string> shim_binary() const;
    /// Where runtime helpers live: the shim's mount, compiled seccomp programs.
    std::string runtime_dir() const { return options_.root + "/runtime"; }
    const EngineOptions& options() const { return options_; }

private:
    Containers(EngineOptions options, ContainerStore store, image::ImageStore images)
        : options_(std::move(options)), store_(std::move(store)), images_(std::move(images)) {}
    Status prepare_files(const ContainerRecord& record) const;
    /// The init pid of running container `ref` (NetworkMode "container:<ref>").
    Result<pid_t> running_pid(const std::string& ref) const;
    Status signal_process(const ContainerRecord& record, int signal) const;
    Status set_paused(const std::string& ref, bool paused);
    /// The volumes running containers other than `except_id` use (they stay mounted).
    std::set<std::string> busy_volumes(const std::string& except_id) const;

    EngineOptions options_;
    ContainerStore store_;
    image::ImageStore images_;
};

/// A signal by docker's spelling ("KILL", "SIGKILL", "9"); 0 when unknown.
int parse_signal(const std::string& name);

}  // namespace engine::container
