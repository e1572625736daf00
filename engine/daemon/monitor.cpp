#include "engine/daemon/monitor.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "engine/daemon/log.hpp"
#include "engine/shim/shim.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"

namespace engine::daemon {

std::map<std::string, std::string> container_attributes(const container::ContainerRecord& record) {
    std::map<std::string, std::string> attributes;
    const auto labels = record.config.value("Labels", nlohmann::json::object());
    if (labels.is_object())
        for (const auto& [k, v] : labels.items())
            if (v.is_string()) attributes[k] = v.get<std::string>();
    attributes["name"] = record.name;
    attributes["image"] = record.config.value("Image", record.image_id);
    return attributes;
}

Status ContainerMonitor::start() {
    started_ns_ = sys::now_ns();
    inotify_ = sys::UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    wake_ = sys::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_) return sys::errno_error("eventfd");
    if (inotify_)
        ::inotify_add_watch(inotify_.get(), store_dir_.c_str(), IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO);
    {
        std::lock_guard lock(mutex_);
        for (const auto& record : engine_.list()) {
            auto state = engine_.state(record);
            seen_[record.id] = Seen{container_attributes(record), state.running, state.finished_at};
            watch_dir(engine_.dir(record));
        }
    }
    thread_ = std::thread([this] { run(); });
    return sys::ok();
}

void ContainerMonitor::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    std::uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    thread_.join();
}

void ContainerMonitor::watch_dir(const std::string& dir) {
    if (inotify_)
        ::inotify_add_watch(inotify_.get(), dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF);
}

void ContainerMonitor::run() {
    constexpr int kRescanMs = 1000;
    while (!stopping_) {
        pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
        int n = ::poll(fds, inotify_ ? 2 : 1, kRescanMs);
        if (stopping_) break;
        if (n > 0 && (fds[1].revents & POLLIN)) {
            char buf[8192];
            while (::read(inotify_.get(), buf, sizeof buf) > 0) {
            }
        }
        scan();
    }
}

void ContainerMonitor::scan() {
    std::lock_guard lock(mutex_);
    std::map<std::string, bool> present;
    for (const auto& record : engine_.list()) {
        present[record.id] = true;
        auto state = engine_.state(record);
        auto it = seen_.find(record.id);
        if (it == seen_.end()) {
            seen_[record.id] = Seen{container_attributes(record), state.running, state.finished_at};
            watch_dir(engine_.dir(record));
            // Created and already exited between two scans.
            auto created = sys::parse_rfc3339(record.created);
            if (state.status == "exited" && created && *created >= started_ns_) {
                auto attributes = container_attributes(record);
                attributes["exitCode"] = std::to_string(state.exit_code);
                bus_.publish(Event{"container", "die", record.id, attributes});
            }
            continue;
        }
        Seen& seen = it->second;
        seen.attributes = container_attributes(record);
        bool exited_again = !state.running && state.status == "exited" && state.finished_at != seen.finished_at;
        if (exited_again || (seen.running && !state.running)) {
            auto attributes = seen.attributes;
            attributes["exitCode"] = std::to_string(state.exit_code);
            bus_.publish(Event{"container", "die", record.id, attributes});
        }
        seen.running = state.running;
        seen.finished_at = state.finished_at;
    }
    for (auto it = seen_.begin(); it != seen_.end();) {
        if (present.count(it->first)) {
            ++it;
            continue;
        }
        if (it->second.running) {
            // A --rm container's shim moved the directory aside before deleting it.
            auto attributes = it->second.attributes;
            std::string removing = store_dir_ + "/" + it->first + ".removing/" + shim::kExitFile;
            if (auto text = sys::read_file(removing)) {
                auto doc = nlohmann::json::parse(text.value(), nullptr, false);
                if (doc.is_object()) attributes["exitCode"] = std::to_string(doc.value("exit_code", 0));
            }
            bus_.publish(Event{"container", "die", it->first, attributes});
        }
        bus_.publish(Event{"container", "destroy", it->first, it->second.attributes});
        it = seen_.erase(it);
    }
}

}  // namespace engine::daemon
