#include "engine/container/listing.hpp"

#include <algorithm>
#include <set>

#include "engine/sys/clock.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

std::string since(const std::string& rfc3339) {
    auto t = sys::parse_rfc3339(rfc3339);
    return t ? sys::human_duration(sys::now_ns() - *t) : "";
}

bool matches_one(const std::string& key, const std::string& value, const ContainerRecord& r,
                 const LiveState& s) {
    if (key == "name") return r.name.find(value) != std::string::npos;
    if (key == "id") return r.id.rfind(value, 0) == 0;
    if (key == "status") return s.status == value;
    if (key == "exited") return s.status == "exited" && std::to_string(s.exit_code) == value;
    if (key == "ancestor") return r.config.value("Image", "") == value || r.image_id.find(value) != std::string::npos;
    if (key == "label") {
        const json labels = r.config.value("Labels", json::object());
        auto eq = value.find('=');
        std::string name = value.substr(0, eq);
        return labels.contains(name) && (eq == std::string::npos || labels[name] == value.substr(eq + 1));
    }
    return false;
}

}  // namespace

std::string status_text(const LiveState& s) {
    if (s.running) return "Up " + since(s.started_at) + (s.paused ? " (Paused)" : "");
    if (s.status == "exited") return fmt::format("Exited ({}) {} ago", s.exit_code, since(s.finished_at));
    return "Created";
}

Result<ListFilters> parse_list_filters(const std::vector<std::string>& given) {
    static const std::set<std::string> kKeys = {"name", "id", "status", "exited", "ancestor", "label"};
    ListFilters filters;
    for (const auto& f : given) {
        auto eq = f.find('=');
        if (eq == std::string::npos) return Error{EINVAL, fmt::format("bad format of filter (expected name=value)")};
        std::string key = f.substr(0, eq);
        if (!kKeys.count(key)) return Error{EINVAL, fmt::format("invalid filter '{}'", key)};
        filters[key].push_back(f.substr(eq + 1));
    }
    return filters;
}

bool matches_filters(const ListFilters& filters, const ContainerRecord& r, const LiveState& s) {
    auto one = [&](const std::string& key) { return [&](const std::string& v) { return matches_one(key, v, r, s); }; };
    for (const auto& [key, values] : filters) {
        // As dockerd: every label filter must match; other keys' values are alternatives.
        bool ok = key == "label" ? std::all_of(values.begin(), values.end(), one(key))
                                 : std::any_of(values.begin(), values.end(), one(key));
        if (!ok) return false;
    }
    return true;
}

}  // namespace engine::container
