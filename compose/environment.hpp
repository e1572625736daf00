#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace compose {

/// Variables visible to interpolation: the shell's environment over the .env files'.
using Environment = std::map<std::string, std::string>;

/// Looks a variable up; nullopt when it is not set (set-but-empty is "").
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

/// A Lookup over an Environment.
inline Lookup lookup_in(const Environment& env) {
    return [&env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
}

}  // namespace compose
