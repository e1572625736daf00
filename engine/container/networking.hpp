#pragma once

// A container's networking: which networks it wants (HostConfig.NetworkMode and
// NetworkingConfig.EndpointsConfig, recorded at create), the namespace and veths it gets at
// start, their teardown, hot connect/disconnect, and the NetworkSettings of inspect.
//
// The attachment state lives in <root>/network/endpoints/<id>.json, outside the container's
// directory, so that a container removed by its shim (--rm) can still be torn down later.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/container/containers.hpp"
#include "engine/runtime/container_spec.hpp"
#include "engine/sys/unique_fd.hpp"
#include "network/bridge.hpp"

namespace engine::container {

/// The bridge settings of the engine's options; an invalid address pool is an error.
Result<network::BridgeSettings> bridge_settings(const EngineOptions& options);

/// `run`/`create`'s --network, --ip and --network-alias into HostConfig.NetworkMode and
/// NetworkingConfig.EndpointsConfig (empty mode: "bridge", Docker's default).
Status apply_network_flags(const std::string& mode, const std::string& ip,
                           const std::vector<std::string>& aliases, nlohmann::json& host_config,
                           nlohmann::json& networking_config);

/// A running container's init pid by reference, for NetworkMode "container:<ref>".
using RunningPid = std::function<Result<pid_t>(const std::string& ref)>;

class Networking {
public:
    explicit Networking(const EngineOptions& options);

    /// At create: checks the mode and endpoints (the networks must exist) and records them.
    Status register_container(const ContainerRecord& record, const nlohmann::json& networking_config);
    /// Whether the container can have endpoints of its own: not in "host" or "none" mode (both
    /// refuse `network connect`), so there is nothing to plug, tear down or sweep for it.
    static bool has_endpoints(const ContainerRecord& record);
    /// At start: tears down what a previous run left, then joins or creates the namespace,
    /// attaches every network and writes /etc/hosts; fills spec.netns_path / host_network.
    Status attach(const ContainerRecord& record, const std::string& container_dir,
                  runtime::ContainerSpec& spec, const RunningPid& running_pid);
    /// Deletes veths, unmounts the namespace and releases addresses. Idempotent; never fails
    /// (what cannot be undone is logged).
    void teardown(const std::string& id);
    /// teardown, then forgets the container's endpoints (at rm).
    void forget(const std::string& id);
    /// Forgets the endpoints of containers that no longer exist (removed by their shim).
    void sweep(const std::function<bool(const std::string& id)>& container_exists);

    /// Hot-plugs (when running) or records a connection to `network_ref`.
    Status connect(const ContainerRecord& record, bool running, const std::string& container_dir,
                   const std::string& network_ref, const std::string& ip,
                   const std::vector<std::string>& aliases);
    /// Removes a connection, unplugging it when attached.
    Status disconnect(const ContainerRecord& record, bool running, const std::string& container_dir,
                      const std::string& network_ref);

    /// Docker's NetworkSettings for inspect.
    nlohmann::json settings(const ContainerRecord& record) const;
    /// Network inspect's Containers: {id: {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}}
    /// for the containers attached to `network_id` now.
    nlohmann::json attached_containers(const std::string& network_id,
                                       const std::function<std::string(const std::string& id)>& name_of) const;
    /// Ids of containers (running or not) connected to `network_id`.
    std::vector<std::string> users(const std::string& network_id) const;

    /// `network rm`: refuses while containers are attached.
    Status remove_network(const std::string& ref);

    network::Networks& networks() { return networks_; }
    const std::string& settings_error() const { return settings_error_; }

private:
    std::string endpoints_dir() const;
    std::string endpoints_path(const std::string& id) const;
    std::string netns_path(const std::string& id) const;
    Result<nlohmann::json> load(const std::string& id) const;
    /// The container's endpoints document, recorded from its mode first when it has none.
    Result<nlohmann::json> load_or_register(const ContainerRecord& record);
    Status save(const std::string& id, const nlohmann::json& doc,
                sys::Durability durability = sys::Durability::kDurable) const;
    Status attach_one(const std::string& id, nlohmann::json& endpoint, int slot, bool primary);
    void detach_one(const std::string& id, nlohmann::json& endpoint);
    void release_leftover_addresses(const std::string& id);
    void teardown_locked(const std::string& id);
    /// Serializes the changes to one container's endpoints (start, stop, connect, ...).
    Result<sys::UniqueFd> lock_container(const std::string& id) const;
    Status write_hosts(const ContainerRecord& record, const std::string& container_dir,
                       const nlohmann::json& doc) const;

    std::string root_;
    std::string settings_error_;
    network::Networks networks_;
};

/// Tears a start's attachment down again unless the start got as far as keep().
class AttachedUntilStarted {
public:
    AttachedUntilStarted(Networking& networking, std::string id)
        : networking_(networking), id_(std::move(id)) {}
    ~AttachedUntilStarted() {
        if (!kept_) networking_.teardown(id_);
    }
    AttachedUntilStarted(const AttachedUntilStarted&) = delete;
    AttachedUntilStarted& operator=(const AttachedUntilStarted&) = delete;
    void keep() { kept_ = true; }

private:
    Networking& networking_;
    std::string id_;
    bool kept_ = false;
};

/// Frees a container's networking when it was removed behind the engine's back (run --rm).
void forget_networking(const EngineOptions& options, const std::string& id);

}  // namespace engine::container
