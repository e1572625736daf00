#include "engine/daemon/router.hpp"

#include <cctype>

namespace engine::daemon {

std::string strip_version_prefix(std::string_view path) {
    // "/v" then digits and dots, then "/" or the end.
    if (path.size() < 3 || path.substr(0, 2) != "/v" || !std::isdigit(static_cast<unsigned char>(path[2])))
        return std::string(path);
    size_t i = 2;
    while (i < path.size() && (std::isdigit(static_cast<unsigned char>(path[i])) || path[i] == '.')) ++i;
    if (i < path.size() && path[i] != '/') return std::string(path);
    std::string rest(path.substr(i));
    return rest.empty() ? "/" : rest;
}

std::vector<std::string> path_segments(std::string_view path) {
    std::vector<std::string> out;
    while (!path.empty()) {
        size_t slash = path.find('/');
        std::string_view seg = path.substr(0, slash);
        if (!seg.empty()) out.emplace_back(seg);
        if (slash == std::string_view::npos) break;
        path = path.substr(slash + 1);
    }
    return out;
}

namespace {

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
bool is_greedy(const std::string& seg) { return is_param(seg) && seg[seg.size() - 2] == '*'; }

bool match_from(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& segs,
                size_t s, Params& params) {
    if (p == pattern.size()) return s == segs.size();
    if (s == segs.size()) return false;
    const std::string& pat = pattern[p];
    if (is_greedy(pat)) {
        std::string name = pat.substr(1, pat.size() - 3);
        // Longest first: "/images/a/json/json" names the image "a/json".
        for (size_t end = segs.size(); end > s; --end) {
            Params tried = params;
            if (!match_from(pattern, p + 1, segs, end, tried)) continue;
            std::string value = segs[s];
            for (size_t i = s + 1; i < end; ++i) value += "/" + segs[i];
            tried[name] = value;
            params = std::move(tried);
            return true;
        }
        return false;
    }
    if (is_param(pat)) {
        params[pat.substr(1, pat.size() - 2)] = segs[s];
        return match_from(pattern, p + 1, segs, s + 1, params);
    }
    return pat == segs[s] && match_from(pattern, p + 1, segs, s + 1, params);
}

}  // namespace

bool match_pattern(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                   Params& params) {
    return match_from(pattern, 0, segments, 0, params);
}

}  // namespace engine::daemon
