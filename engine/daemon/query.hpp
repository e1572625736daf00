#pragma once

// The query strings and `filters` parameters of the Docker Engine API, as both the docker CLI
// and docker-py send them.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::daemon {

/// Query parameters by name; a repeated name keeps every value in order.
class Query {
public:
    /// Decodes a query string as form data ("+" is a space, %XX escapes), as docker-py encodes it.
    static Query parse(std::string_view text);

    bool has(const std::string& key) const { return values_.count(key) != 0; }
    /// The first value of `key`, or `fallback`.
    std::string get(const std::string& key, const std::string& fallback = "") const;
    std::vector<std::string> all(const std::string& key) const;
    /// A boolean parameter: 1|true|True is true, 0|false|False|"" false, missing is `fallback`;
    /// anything else is an error.
    Result<bool> flag(const std::string& key, bool fallback = false) const;
    /// An integer parameter, missing is nullopt; not a number is an error.
    Result<std::optional<long long>> integer(const std::string& key) const;

private:
    std::multimap<std::string, std::string> values_;
};

/// Percent-decodes `text`; with `plus_is_space`, "+" becomes " " (form encoding).
std::string url_decode(std::string_view text, bool plus_is_space = true);

/// A `filters` parameter: key → accepted values. Values of one key are alternatives; all keys
/// must match.
using Filters = std::map<std::string, std::vector<std::string>>;

/// Parses `filters` in both shapes the clients send: the map form {"label":{"k=v":true}} (docker
/// CLI) and the list form {"label":["k=v"]} (docker-py). Empty text is no filters.
Result<Filters> parse_filters(std::string_view json_text);

/// Checks every key of `filters` against `allowed` ("invalid filter 'x'", as dockerd says).
Status check_filter_keys(const Filters& filters, const std::vector<std::string>& allowed);

/// Filters as "key=value" strings, the form the berth CLI's listing code takes.
std::vector<std::string> filter_strings(const Filters& filters);

}  // namespace engine::daemon
