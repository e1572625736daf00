#pragma once

// Notices containers exiting and disappearing, whoever caused it (the process ending on its own,
// a shim removing a --rm container, the berth CLI), and publishes `die` and `destroy`. The shims
// own the containers, so the daemon only watches their files: inotify on the store for speed,
// and a rescan every second for anything inotify cannot tell (a shim killed outright).

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "engine/container/containers.hpp"
#include "engine/daemon/events.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::daemon {

/// Docker's event attributes of a container: name, image and its labels.
std::map<std::string, std::string> container_attributes(const container::ContainerRecord& record);

class ContainerMonitor {
public:
    ContainerMonitor(const container::Containers& engine, EventBus& bus, std::string store_dir)
        : engine_(engine), bus_(bus), store_dir_(std::move(store_dir)) {}
    ~ContainerMonitor() { stop(); }

    /// Records what exists now (no events for it) and starts watching.
    Status start();
    void stop();
    /// Compares the store with what was seen last and publishes the differences; handlers call it
    /// after a change so that its events precede their response.
    void scan();

private:
    struct Seen {
        std::map<std::string, std::string> attributes;
        bool running = false;
        std::string finished_at;
    };
    void run();
    void watch_dir(const std::string& dir);

    const container::Containers& engine_;
    EventBus& bus_;
    std::string store_dir_;
    std::mutex mutex_;
    std::map<std::string, Seen> seen_;
    std::int64_t started_ns_ = 0;
    sys::UniqueFd inotify_;
    sys::UniqueFd wake_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace engine::daemon
