#pragma once

#include <string>
#include <vector>

#include "compose/document.hpp"
#include "compose/environment.hpp"

namespace compose {

/// What the user asked for on the command line and in the process environment.
struct LoadOptions {
    std::vector<std::string> files;          ///< -f, in order; "-" is standard input
    std::string project_directory;           ///< --project-directory
    std::string project_name;                ///< -p
    std::vector<std::string> env_files;      ///< --env-file, in order
    std::vector<std::string> profiles;       ///< --profile
    std::vector<std::string> services;       ///< services named on the command line
    std::string working_directory;           ///< where the command runs; "" = the process cwd
    Environment os_environment;              ///< the process environment
    std::string stdin_content;               ///< what "-" reads (filled by the CLI)

    bool interpolate = true;         ///< false: --no-interpolate
    bool normalize = true;           ///< false: --no-normalize
    bool consistency = true;         ///< false: --no-consistency
    bool resolve_environment = true; ///< false: --no-env-resolution
    bool resolve_paths = true;       ///< false: --no-path-resolution
    bool all_resources = false;      ///< --all-resources: keep networks/volumes no service uses
};

/// A resolved project: the canonical model `docker compose config --format json` prints.
struct Project {
    std::string name;
    std::string working_directory;          ///< the project directory, absolute
    std::vector<std::string> config_files;  ///< absolute paths of the files loaded
    std::vector<std::string> env_files;     ///< the .env / --env-file files that were read
    Environment environment;                ///< variables used for interpolation
    std::vector<std::string> all_profiles;  ///< every profile any service names, sorted
    Tree model;
    SourceMap locations;
};

/// Runs the loader pipeline (discover, environment, parse, interpolate, include, extends,
/// merge, validate, profiles, normalize, consistency). Throws schema::LoadError.
Project load(const LoadOptions& options);

}  // namespace compose
