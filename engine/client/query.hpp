#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace engine::client {

/// Docker's filters argument: name → accepted values, e.g. {"label": {"a=b"}, "status": {"exited"}}.
using Filters = std::map<std::string, std::vector<std::string>>;

// Written by hand: Boost 1.74 has no URL encoder (Boost.URL came with 1.81).

/// Percent-encodes everything but RFC 3986's unreserved characters (query keys and values).
std::string url_encode(const std::string& text);

/// Percent-encodes a path segment but keeps '/' and ':', which image references carry
/// (`127.0.0.1:5000/x:v1` goes into /images/<ref>/json as it is, as Docker's client sends it).
std::string encode_path(const std::string& text);

/// The filters in the map form the docker CLI sends: {"label":{"a=b":true}}. Empty for none.
std::string filters_json(const Filters& filters);

/// A query string built in order; empty values are kept (Docker reads `fromImage=`).
class Query {
public:
    Query& add(const std::string& key, const std::string& value);
    Query& add(const std::string& key, bool value) { return add(key, std::string(value ? "1" : "0")); }
    Query& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    Query& add(const std::string& key, long long value) { return add(key, std::to_string(value)); }
    Query& add(const std::string& key, int value) { return add(key, std::to_string(value)); }
    /// Adds `filters` only when there is at least one.
    Query& add_filters(const Filters& filters);
    /// "?a=1&b=2", or "" when empty.
    std::string str() const;

private:
    std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace engine::client
