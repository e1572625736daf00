#include "engine/daemon/events.hpp"

#include <algorithm>
#include <cmath>

#include "engine/sys/clock.hpp"

namespace engine::daemon {

using nlohmann::json;

json event_json(const Event& event) {
    json attributes = json::object();
    for (const auto& [k, v] : event.attributes) attributes[k] = v;
    json doc = json::object();
    if (event.type == "container" || event.type == "image") {
        doc["status"] = event.action;
        doc["id"] = event.id;
        if (auto it = event.attributes.find("image"); it != event.attributes.end()) doc["from"] = it->second;
    }
    doc["Type"] = event.type;
    doc["Action"] = event.action;
    doc["Actor"] = {{"ID", event.id}, {"Attributes", attributes}};
    doc["scope"] = "local";
    doc["time"] = event.time_nano / 1000000000;
    doc["timeNano"] = event.time_nano;
    return doc;
}

const std::vector<std::string>& event_filter_keys() {
    static const std::vector<std::string> keys = {"type", "container", "image", "label", "event"};
    return keys;
}

namespace {

bool matches_one(const std::string& key, const std::string& value, const Event& e) {
    auto attr = [&](const std::string& name) {
        auto it = e.attributes.find(name);
        return it == e.attributes.end() ? std::string() : it->second;
    };
    if (key == "type") return e.type == value;
    if (key == "event") return e.action == value;
    if (key == "container")
        return e.type == "container" && (e.id.rfind(value, 0) == 0 || attr("name") == value);
    if (key == "image") return attr("image") == value || (e.type == "image" && e.id == value);
    if (key == "label") {
        auto eq = value.find('=');
        std::string name = value.substr(0, eq);
        auto it = e.attributes.find(name);
        return it != e.attributes.end() && (eq == std::string::npos || it->second == value.substr(eq + 1));
    }
    return false;
}

}  // namespace

bool event_matches(const Filters& filters, const Event& event) {
    for (const auto& [key, values] : filters)
        if (!values.empty() && std::none_of(values.begin(), values.end(),
                                            [&](const std::string& v) { return matches_one(key, v, event); }))
            return false;
    return true;
}

Result<std::int64_t> parse_event_time(const std::string& text) {
    if (auto t = sys::parse_rfc3339(text)) return *t;
    try {
        size_t used = 0;
        double seconds = std::stod(text, &used);
        if (used == text.size() && seconds >= 0)
            return static_cast<std::int64_t>(std::llround(seconds * 1e9));
    } catch (const std::exception&) {
    }
    return Error{EINVAL, fmt::format("invalid time \"{}\": expected unix seconds or RFC 3339", text)};
}

void EventBus::publish(Event event) {
    if (event.time_nano == 0) event.time_nano = sys::now_ns();
    std::lock_guard lock(mutex_);
    history_.push_back(event);
    if (history_.size() > kHistory) history_.pop_front();
    for (const auto& [id, fn] : subscribers_) fn(event);
}

std::shared_ptr<void> EventBus::subscribe(Subscriber fn, std::int64_t since_ns) {
    std::lock_guard lock(mutex_);
    if (since_ns > 0)
        for (const auto& e : history_)
            if (e.time_nano >= since_ns) fn(e);
    std::uint64_t id = next_id_++;
    subscribers_.emplace(id, std::move(fn));
    return std::shared_ptr<void>(nullptr, [this, id](void*) {
        std::lock_guard lock(mutex_);
        subscribers_.erase(id);
    });
}

}  // namespace engine::daemon
