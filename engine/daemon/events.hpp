#pragma once

// The daemon's event bus: every container lifecycle change is published here, kept in a bounded
// history (for `since`) and handed to live subscribers (GET /events, wait).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/daemon/query.hpp"

namespace engine::daemon {

struct Event {
    std::string type = "container";  ///< container, image, network, volume, daemon
    std::string action;              ///< create, start, die, stop, destroy, ...
    std::string id;                  ///< the actor
    std::map<std::string, std::string> attributes;  ///< name, image, exitCode, labels
    std::int64_t time_nano = 0;
};

/// Docker's wire shape: Type, Action, Actor{ID, Attributes}, scope, time, timeNano, plus status,
/// id and from for clients older than API 1.22.
nlohmann::json event_json(const Event& event);

/// Whether `event` passes `filters` (type, container = id, id prefix or name, image, label,
/// event = action). Values of one key are alternatives; all keys must match.
bool event_matches(const Filters& filters, const Event& event);

/// Filter keys GET /events accepts.
const std::vector<std::string>& event_filter_keys();

/// Parses docker's `since`/`until`: unix seconds with an optional fraction ("1795874340.5"),
/// or RFC 3339. Returns nanoseconds since the epoch.
Result<std::int64_t> parse_event_time(const std::string& text);

class EventBus {
public:
    using Subscriber = std::function<void(const Event&)>;

    /// Stamps the time when unset, records and delivers the event (on the caller's thread).
    void publish(Event event);

    /// Delivers every later event to `fn` until the returned handle is destroyed. With
    /// `since_ns` > 0, first replays the recorded events at or after it, under the same lock, so
    /// that none is lost or doubled between replay and subscription.
    std::shared_ptr<void> subscribe(Subscriber fn, std::int64_t since_ns = 0);

private:
    static constexpr size_t kHistory = 1024;
    std::mutex mutex_;
    std::deque<Event> history_;
    std::map<std::uint64_t, Subscriber> subscribers_;
    std::uint64_t next_id_ = 1;
};

}  // namespace engine::daemon
