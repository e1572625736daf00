#include "engine/client/query.hpp"

#include <nlohmann/json.hpp>

namespace engine::client {

namespace {

bool unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string encode_except(const std::string& text, const std::string& keep) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (unreserved(c) || keep.find(static_cast<char>(c)) != std::string::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace

std::string url_encode(const std::string& text) { return encode_except(text, ""); }

std::string encode_path(const std::string& text) { return encode_except(text, "/:@"); }

std::string filters_json(const Filters& filters) {
    if (filters.empty()) return "";
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, values] : filters) {
        auto& accepted = out[name] = nlohmann::json::object();
        for (const auto& value : values) accepted[value] = true;
    }
    return out.dump();
}

Query& Query::add(const std::string& key, const std::string& value) {
    params_.emplace_back(key, value);
    return *this;
}

Query& Query::add_filters(const Filters& filters) {
    if (!filters.empty()) add("filters", filters_json(filters));
    return *this;
}

std::string Query::str() const {
    std::string out;
    for (const auto& [key, value] : params_) {
        out += out.empty() ? '?' : '&';
        out += url_encode(key) + "=" + url_encode(value);
    }
    return out;
}

}  // namespace engine::client
