#include "engine/daemon/query.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace engine::daemon {

std::string url_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() &&
                   std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

Query Query::parse(std::string_view text) {
    Query q;
    while (!text.empty()) {
        size_t amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string key = url_decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
        q.values_.emplace(std::move(key), std::move(value));
    }
    return q;
}

std::string Query::get(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> Query::all(const std::string& key) const {
    std::vector<std::string> out;
    auto [begin, end] = values_.equal_range(key);
    for (auto it = begin; it != end; ++it) out.push_back(it->second);
    return out;
}

Result<bool> Query::flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    std::string v = get(key);
    if (v == "1" || v == "true" || v == "True") return true;
    if (v == "0" || v == "false" || v == "False" || v.empty()) return false;
    return Error{EINVAL, fmt::format("invalid boolean value for {}: \"{}\"", key, v)};
}

Result<std::optional<long long>> Query::integer(const std::string& key) const {
    if (!has(key)) return std::optional<long long>{};
    std::string v = get(key);
    try {
        size_t used = 0;
        long long n = std::stoll(v, &used);
        if (used == v.size()) return std::optional<long long>{n};
    } catch (const std::exception&) {
    }
    return Error{EINVAL, fmt::format("invalid value for {}: \"{}\" is not an integer", key, v)};
}

Result<Filters> parse_filters(std::string_view json_text) {
    Filters filters;
    if (json_text.empty()) return filters;
    nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return Error{EINVAL, fmt::format("invalid filter: \"{}\" is not a JSON object", json_text)};
    for (const auto& [key, value] : doc.items()) {
        auto& values = filters[key];
        if (value.is_array()) {
            for (const auto& v : value) {
                if (!v.is_string()) return Error{EINVAL, fmt::format("invalid filter '{}': values must be strings", key)};
                values.push_back(v.get<std::string>());
            }
        } else if (value.is_object()) {
            // The map form: only names mapped to true are wanted (dockerd ignores the others).
            for (const auto& [v, wanted] : value.items())
                if (!wanted.is_boolean() || wanted.get<bool>()) values.push_back(v);
        } else {
            return Error{EINVAL, fmt::format("invalid filter '{}': expected a list or a map", key)};
        }
    }
    return filters;
}

Status check_filter_keys(const Filters& filters, const std::vector<std::string>& allowed) {
    for (const auto& [key, values] : filters)
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            return Error{EINVAL, fmt::format("invalid filter '{}'", key)};
    return sys::ok();
}

std::vector<std::string> filter_strings(const Filters& filters) {
    std::vector<std::string> out;
    for (const auto& [key, values] : filters)
        for (const auto& v : values) out.push_back(key + "=" + v);
    return out;
}

}  // namespace engine::daemon
