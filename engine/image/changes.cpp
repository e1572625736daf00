#include "engine/image/changes.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace engine::image {
namespace {

using nlohmann::json;

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Splits on whitespace, honouring "..." and '...' and backslash escapes, quotes removed, as the
// Dockerfile parser does for ENV and LABEL.
Result<std::vector<std::string>> words(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == quote) quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
            else cur += c;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(std::move(cur));
            cur.clear();
            in_word = false;
            continue;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
        } else {
            cur += c;
        }
        in_word = true;
    }
    if (quote) return Error{EINVAL, fmt::format("unmatched quote in \"{}\"", s)};
    if (in_word) out.push_back(std::move(cur));
    return out;
}

// The JSON form when `args` is a JSON array of strings, else the shell form.
json command_form(std::string_view args) {
    auto parsed = json::parse(args, nullptr, false);
    if (parsed.is_array() &&
        std::all_of(parsed.begin(), parsed.end(), [](const json& x) { return x.is_string(); }))
        return parsed;
    return json::array({"/bin/sh", "-c", std::string(args)});
}

// KEY=VALUE pairs, or the legacy single "KEY VALUE..." form.
Result<std::vector<std::pair<std::string, std::string>>> pairs(std::string_view instruction,
                                                               std::string_view args) {
    auto list = words(args);
    if (!list) return list.error();
    std::vector<std::pair<std::string, std::string>> out;
    if (list.value().empty()) return Error{EINVAL, fmt::format("{} requires at least one argument", instruction)};
    if (list.value()[0].find('=') == std::string::npos) {
        auto space = args.find_first_of(" \t");
        if (space == std::string_view::npos)
            return Error{EINVAL, fmt::format("{} must have two arguments", instruction)};
        out.emplace_back(std::string(args.substr(0, space)), std::string(trim(args.substr(space))));
        return out;
    }
    for (const auto& w : list.value()) {
        auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0)
            return Error{EINVAL, fmt::format("{} names can not be blank: \"{}\"", instruction, w)};
        out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
    return out;
}

Status set_env(json& config, std::string_view args) {
    auto list = pairs("ENV", args);
    if (!list) return list.error();
    json env = config.value("Env", json::array());
    if (!env.is_array()) env = json::array();
    for (const auto& [key, value] : list.value()) {
        std::string prefix = key + "=";
        auto it = std::find_if(env.begin(), env.end(), [&](const json& e) {
            return e.is_string() && e.get<std::string>().rfind(prefix, 0) == 0;
        });
        if (it != env.end()) *it = prefix + value;
        else env.push_back(prefix + value);
    }
    config["Env"] = env;
    return sys::ok();
}

Status set_labels(json& config, std::string_view args) {
    auto list = pairs("LABEL", args);
    if (!list) return list.error();
    json& labels = config["Labels"];
    if (!labels.is_object()) labels = json::object();
    for (const auto& [key, value] : list.value()) labels[key] = value;
    return sys::ok();
}

Status expose(json& config, std::string_view args) {
    auto list = words(args);
    if (!list) return list.error();
    json& ports = config["ExposedPorts"];
    if (!ports.is_object()) ports = json::object();
    for (const auto& w : list.value()) {
        auto slash = w.find('/');
        std::string port = w.substr(0, slash), proto = slash == std::string::npos ? "tcp" : w.substr(slash + 1);
        std::transform(proto.begin(), proto.end(), proto.begin(), ::tolower);
        bool numeric = !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), ::isdigit);
        if (!numeric || std::stoi(port) > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp"))
            return Error{EINVAL, fmt::format("invalid port \"{}\"", w)};
        ports[port + "/" + proto] = json::object();
    }
    return sys::ok();
}

Status volumes(json& config, std::string_view args) {
    json list = json::parse(args, nullptr, false);
    if (!list.is_array()) {
        auto w = words(args);
        if (!w) return w.error();
        list = w.value();
    }
    json& vols = config["Volumes"];
    if (!vols.is_object()) vols = json::object();
    for (const auto& v : list) {
        // An empty volume path once made the runtime bind the host's root (CVE-2022-23648).
        if (!v.is_string() || trim(v.get<std::string>()).empty())
            return Error{EINVAL, "VOLUME specified can not be an empty string"};
        vols[v.get<std::string>()] = json::object();
    }
    return sys::ok();
}

Status workdir(json& config, std::string_view path) {
    std::string dir(path);
    std::string previous = config.value("WorkingDir", "");
    if (!dir.empty() && dir[0] != '/') dir = (previous.empty() ? "/" : previous + "/") + dir;
    config["WorkingDir"] = dir;
    return sys::ok();
}

}  // namespace

Status apply_change(json& config, std::string_view instruction) {
    instruction = trim(instruction);
    auto space = instruction.find_first_of(" \t");
    std::string keyword(instruction.substr(0, space));
    std::string_view args = space == std::string_view::npos ? "" : trim(instruction.substr(space));
    std::transform(keyword.begin(), keyword.end(), keyword.begin(), ::toupper);
    if (!config.is_object()) config = json::object();
    if (args.empty() && keyword != "CMD" && keyword != "ENTRYPOINT")
        return Error{EINVAL, fmt::format("{} requires at least one argument", keyword)};
    if (keyword == "CMD") config["Cmd"] = command_form(args);
    else if (keyword == "ENTRYPOINT") config["Entrypoint"] = command_form(args);
    else if (keyword == "ENV") return set_env(config, args);
    else if (keyword == "LABEL") return set_labels(config, args);
    else if (keyword == "EXPOSE") return expose(config, args);
    else if (keyword == "VOLUME") return volumes(config, args);
    else if (keyword == "WORKDIR") return workdir(config, args);
    else if (keyword == "USER") config["User"] = std::string(args);
    else if (keyword == "STOPSIGNAL") config["StopSignal"] = std::string(args);
    else return Error{EINVAL, fmt::format("{} is not a valid change command", keyword)};
    return sys::ok();
}

}  // namespace engine::image
