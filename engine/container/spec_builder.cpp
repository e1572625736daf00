#include "engine/container/spec_builder.hpp"

#include <cmath>
#include <sstream>

#include "engine/runtime/security.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

bool empty_list(const json& j) { return j.is_null() || (j.is_array() && j.empty()); }

std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

json merge_env(const json& image_env, const json& user_env) {
    std::vector<std::string> out;
    for (const auto& list : {image_env, user_env}) {
        if (!list.is_array()) continue;
        for (const auto& e : list) {
            std::string entry = e.get<std::string>();
            auto same = std::find_if(out.begin(), out.end(),
                                     [&](const auto& o) { return env_key(o) == env_key(entry); });
            if (same != out.end()) *same = entry;
            else out.push_back(entry);
        }
    }
    return out;
}

namespace {

json merge_objects(const json& image_obj, const json& user_obj) {
    json out = image_obj.is_object() ? image_obj : json::object();
    if (user_obj.is_object()) out.update(user_obj);
    return out;
}

std::string str(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}


}  // namespace

json merge_image_config(const json& user_config, const json& image_config) {
    json out = user_config.is_object() ? user_config : json::object();
    const json image = image_config.is_object() ? image_config : json::object();
    // moby daemon/create.go merge(): only an absent entrypoint inherits the image's, and only
    // then does an absent cmd inherit the image's cmd.
    if (empty_list(out.value("Entrypoint", json()))) {
        if (empty_list(out.value("Cmd", json()))) out["Cmd"] = image.value("Cmd", json());
        if (out.value("Entrypoint", json()).is_null()) out["Entrypoint"] = image.value("Entrypoint", json());
    }
    out["Env"] = merge_env(image.value("Env", json()), out.value("Env", json()));
    out["Labels"] = merge_objects(image.value("Labels", json()), out.value("Labels", json()));
    out["ExposedPorts"] = merge_objects(image.value("ExposedPorts", json()), out.value("ExposedPorts", json()));
    out["Volumes"] = merge_objects(image.value("Volumes", json()), out.value("Volumes", json()));
    for (const char* key : {"WorkingDir", "User", "StopSignal"})
        if (str(out, key).empty() && !str(image, key).empty()) out[key] = image[key];
    if (out.value("Healthcheck", json()).is_null() && image.contains("Healthcheck"))
        out["Healthcheck"] = image["Healthcheck"];
    return out;
}

Result<std::pair<std::string, std::vector<std::string>>> command_of(const json& config) {
    std::vector<std::string> argv;
    for (const char* key : {"Entrypoint", "Cmd"}) {
        auto it = config.find(key);
        if (it != config.end() && it->is_array())
            for (const auto& a : *it) argv.push_back(a.get<std::string>());
    }
    if (argv.empty()) return Error{EINVAL, "No command specified"};
    return std::make_pair(argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()));
}

Result<runtime::Rlimit> parse_ulimit(const std::string& text) {
    auto eq = text.find('=');
    auto bad = [&] { return Error{EINVAL, fmt::format("invalid ulimit argument: \"{}\"", text)}; };
    if (eq == std::string::npos || eq == 0) return bad();
    std::string values = text.substr(eq + 1);
    auto colon = values.find(':');
    try {
        size_t used = 0;
        std::string soft = values.substr(0, colon);
        std::string hard = colon == std::string::npos ? soft : values.substr(colon + 1);
        long long s = std::stoll(soft, &used);
        if (used != soft.size()) return bad();
        long long h = std::stoll(hard, &used);
        if (used != hard.size()) return bad();
        if (s > h)
            return Error{EINVAL, fmt::format("ulimit soft limit must be less than or equal to hard "
                                             "limit: {} > {}", s, h)};
        auto as_limit = [](long long v) { return v < 0 ? ~0ULL : static_cast<std::uint64_t>(v); };
        return runtime::Rlimit{text.substr(0, eq), as_limit(s), as_limit(h)};
    } catch (const std::exception&) {
        return bad();
    }
}

std::string container_resolv_conf(const std::string& host) {
    std::istringstream in(host);
    std::string out;
    bool any_nameserver = false;
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string key, value;
        words >> key >> value;
        if (key == "nameserver") {
            // Loopback resolvers (systemd-resolved, dnsmasq) live in the host's namespace.
            if (value.rfind("127.", 0) == 0 || value == "::1") continue;
            any_nameserver = true;
        }
        out += line + "\n";
    }
    if (!any_nameserver) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    return out;
}

std::string container_hosts(const std::string& hostname) {
    return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
           "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
           "ff02::2\tip6-allrouters\n127.0.1.1\t" + hostname + "\n";
}

Result<std::int64_t> parse_bytes(const std::string& text) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    std::string unit = end ? std::string(end) : "";
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!unit.empty() && unit.back() == 'b' && unit.size() == 2) unit.pop_back();
    static const std::string units = "bkmgtp";
    auto power = unit.empty() ? 0 : units.find(unit);
    if (end == text.c_str() || value < 0 || unit.size() > 1 || power == std::string::npos)
        return Error{EINVAL, fmt::format("invalid size: '{}'", text)};
    return static_cast<std::int64_t>(value * std::pow(1024.0, static_cast<double>(power)));
}

}  // namespace engine::container
