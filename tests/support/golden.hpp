#pragma once

// The golden projects: every directory under tests/data/golden/ and samples/, with the
// compose flags of its `args` file (one per line: "-f a.yaml", "--profile x", "-p name",
// "--env-file e", "--project-directory d", "--all-resources", "--env NAME=value").

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "compose/loader.hpp"

inline std::vector<std::filesystem::path> golden_dirs(const std::filesystem::path& source_dir) {
    std::vector<std::filesystem::path> dirs;
    for (const char* root : {"tests/data/golden", "samples"}) {
        auto base = source_dir / root;
        if (!std::filesystem::is_directory(base)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(base))
            if (entry.is_directory()) dirs.push_back(entry.path());
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

/// The switches that only turn a loader stage off.
inline bool apply_golden_switch(compose::LoadOptions& o, const std::string& flag) {
    static const std::map<std::string, bool compose::LoadOptions::*> switches{
        {"--no-interpolate", &compose::LoadOptions::interpolate},
        {"--no-normalize", &compose::LoadOptions::normalize},
        {"--no-consistency", &compose::LoadOptions::consistency},
        {"--no-env-resolution", &compose::LoadOptions::resolve_environment},
        {"--no-path-resolution", &compose::LoadOptions::resolve_paths},
    };
    auto it = switches.find(flag);
    if (it == switches.end()) return false;
    o.*(it->second) = false;
    return true;
}

/// Loader options for a golden project, run from its directory (or --workdir) with a fixed
/// environment; a line that is no flag names a service to select.
inline compose::LoadOptions golden_options(const std::filesystem::path& dir) {
    compose::LoadOptions o;
    o.working_directory = dir.string();
    o.os_environment = {{"HOME", "/home/user"}, {"SHELL_VAR", "from-shell"}};
    std::ifstream args(dir / "args");
    for (std::string line; std::getline(args, line);) {
        if (line.empty()) continue;
        if (line[0] != '-') {
            o.services.push_back(line);
            continue;
        }
        auto space = line.find(' ');
        std::string flag = line.substr(0, space);
        std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        if (flag == "-f") o.files.push_back(value);
        else if (flag == "-p") o.project_name = value;
        else if (flag == "--profile") o.profiles.push_back(value);
        else if (flag == "--env-file") o.env_files.push_back(value);
        else if (flag == "--project-directory") o.project_directory = value;
        else if (flag == "--all-resources") o.all_resources = true;
        else if (flag == "--workdir") o.working_directory = (dir / value).string();
        else if (flag == "--env")
            o.os_environment[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
        else apply_golden_switch(o, flag);
    }
    return o;
}
