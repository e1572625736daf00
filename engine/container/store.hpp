#pragma once

// Container records under <root>/containers/<id>/config.json. Names are unique; a flock on
// <root>/containers/.lock serializes the operations that check and change names, so two berth
// processes creating "web" at once cannot both succeed.

#include <functional>
#include <string>
#include <vector>

#include "engine/container/record.hpp"
#include "engine/sys/files.hpp"
#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::container {

/// How durably a container's files are written: a --rm container is gone once it exits, so its
/// files need not survive a power cut (an fsync each costs ~0.5 ms of `run --rm`).
inline sys::Durability durability_of(const ContainerRecord& record) {
    return record.host_config.value("AutoRemove", false) ? sys::Durability::kAtomicOnly
                                                         : sys::Durability::kDurable;
}

class ContainerStore {
public:
    /// Opens (creating when missing) the container store of the state root `root`.
    static Result<ContainerStore> open(const std::string& root);

    /// The directory that holds everything of container `id`.
    std::string dir(const std::string& id) const { return base_ + "/" + id; }

    /// Every record, sorted by creation time, newest first (docker ps order).
    std::vector<ContainerRecord> list() const;
    /// A container by full id, unique id prefix, or name (with or without a leading "/").
    Result<ContainerRecord> find(const std::string& ref) const;
    /// Creates the directory and first record; fails when the name is taken.
    Status add(const ContainerRecord& record);
    /// Rewrites an existing record atomically.
    Status save(const ContainerRecord& record) const;
    /// Renames; fails when the new name is taken.
    Status rename(const std::string& id, const std::string& new_name);
    /// Deletes the container's directory and everything in it.
    Status remove(const std::string& id);

    /// An exclusive lock over the store for check-then-act sequences; released on destruction.
    Result<sys::UniqueFd> lock() const;

private:
    explicit ContainerStore(std::string base) : base_(std::move(base)) {}
    Result<ContainerRecord> load(const std::string& id) const;
    bool name_taken(const std::string& name, const std::string& except_id) const;

    std::string base_;
};

/// A fresh random 64-hex-char id.
std::string new_container_id();
/// A random docker-style name ("adjective_noun") that `taken` does not reject.
std::string generate_name(const std::function<bool(const std::string&)>& taken);
/// Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
bool valid_container_name(const std::string& name);

}  // namespace engine::container
