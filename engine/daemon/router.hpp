#pragma once

// Routes requests by method and path pattern. Patterns are "/"-separated segments; "{id}"
// matches one segment, "{name*}" one or more (image names hold "/" and ":":
// /images/127.0.0.1:5999/x:v1/json).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine::daemon {

using Params = std::map<std::string, std::string>;

/// The path without an API version prefix: "/v1.41/containers/json" → "/containers/json".
std::string strip_version_prefix(std::string_view path);

/// Splits a path into its segments ("" segments from repeated "/" are dropped).
std::vector<std::string> path_segments(std::string_view path);

/// Matches `segments` against the pattern's; fills `params` on success.
bool match_pattern(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                   Params& params);

template <typename Handler>
class Router {
public:
    struct Match {
        enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
        const Handler* handler = nullptr;
        Params params;
    };

    void add(std::string method, std::string_view pattern, Handler handler) {
        routes_.push_back({std::move(method), path_segments(pattern), std::move(handler)});
    }

    /// The handler for `method` on `path` (version prefix already stripped). A path that some
    /// route matches with another method is kMethodNotAllowed.
    Match match(const std::string& method, std::string_view path) const {
        Match result;
        auto segments = path_segments(path);
        for (const auto& route : routes_) {
            Params params;
            if (!match_pattern(route.pattern, segments, params)) continue;
            if (route.method != method) {
                result.kind = Match::Kind::kMethodNotAllowed;
                continue;
            }
            return Match{Match::Kind::kFound, &route.handler, std::move(params)};
        }
        return result;
    }

private:
    struct Route {
        std::string method;
        std::vector<std::string> pattern;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace engine::daemon
