#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compose/environment.hpp"
#include "compose/loader.hpp"

namespace compose {

/// Reads a .env file into variables; `lookup` resolves ${VAR} inside it.
using DotenvReader = std::function<Environment(const std::string& path, const Lookup& lookup)>;

/// Where a project's files are and which variables its interpolation sees.
struct Discovery {
    std::vector<std::string> files;     ///< absolute paths in load order; "-" for stdin
    std::string working_directory;      ///< absolute
    std::string project_directory;      ///< absolute
    Environment environment;            ///< the process environment over the .env files
    std::vector<std::string> env_files; ///< the .env / --env-file files read, in order
};

/// Finds the compose files (-f, COMPOSE_FILE, or the default names searched upward from the
/// working directory, plus the matching override file) and reads the .env files, as docker
/// compose v2 does: the working directory's .env (or --env-file) first, then the project
/// directory's .env for the variables still missing; the process environment wins over both.
/// Throws schema::LoadError when no file is found or a named file does not exist.
Discovery discover(const LoadOptions& options, const DotenvReader& read_dotenv);

/// docker compose's normalization of a name taken from a directory: lowercase, only
/// [a-z0-9_-], no leading '_' or '-'.
std::string normalize_project_name(const std::string& name);

/// Whether an explicitly given project name is acceptable as it is.
bool valid_project_name(const std::string& name);

/// How a file is named in messages: relative to the working directory when inside it.
std::string display_path(const std::string& absolute, const std::string& working_directory);

}  // namespace compose
