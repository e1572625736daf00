#pragma once

#include <functional>
#include <string>

#include "compose/document.hpp"
#include "compose/environment.hpp"

namespace compose {

/// Reads a dotenv-format file (env_file, label_file): `raw` skips unquoting and interpolation.
/// A missing file yields an empty Environment when !required; otherwise the reader throws
/// (schema::LoadError to point into the file itself, any std::exception otherwise).
using EnvFileReader =
    std::function<Environment(const std::string& path, bool required, bool raw)>;

/// What normalization needs to know about the project.
struct NormalizeContext {
    std::string project_name;
    std::string project_directory;  ///< absolute; relative paths resolve against it
    std::string home;               ///< what "~" stands for
    Lookup lookup;                  ///< the project environment (shell over .env)
    bool resolve_paths = true;      ///< false: --no-path-resolution
    bool resolve_environment = true;  ///< false: --no-env-resolution
    bool all_resources = false;     ///< --all-resources: keep resources no service uses
    EnvFileReader read_env_file;
};

/// Applies compose-go's loader/normalize.go and `docker compose config` rules to the merged,
/// validated, canonical model: top-level `name`; services without networks or network_mode
/// join the implicit `default` network (declared only when used); build context "." and
/// dockerfile "Dockerfile" defaults; pull_policy if_not_present -> missing; implicit
/// depends_on for links, volumes_from and "service:x" namespaces; pre_start hooks inherit the
/// service image; unused networks/volumes/secrets/configs dropped unless all_resources; every
/// resource named (`<project>_<key>`, external ones `<key>`); then resolve_paths() and
/// resolve_environment() as the context asks. Throws schema::LoadError (env file failures).
void normalize(Document& doc, const NormalizeContext& ctx);

/// Drops the networks, volumes, secrets and configs no service refers to, as docker compose
/// does unless --all-resources (compose-go Project.WithoutUnnecessaryResources).
void remove_unused_resources(Tree& model);

/// Makes every relative path of the model absolute against ctx.project_directory ("~" is
/// ctx.home), as driven by schema::KeySpec::path, plus label_file, build.additional_contexts
/// and local bind-backed volumes (driver_opts o=bind, device). The loader calls it directly
/// under --no-normalize (docker compose still resolves paths then).
void resolve_paths(Document& doc, const NormalizeContext& ctx);

/// Resolves the container environment: keys without a value (null) in environment and
/// build.args take ctx.lookup's value (environment keeps null when unset, args drop the key);
/// env_file contents are read with ctx.read_env_file and merged under `environment`, and
/// env_file is removed; label_file contents are merged under `labels`. The loader calls it
/// directly under --no-normalize. Throws schema::LoadError naming the env_file entry.
void resolve_environment(Document& doc, const NormalizeContext& ctx);

/// Gives `KEY: null` entries of services.*.environment the value `lookup` has for KEY, and
/// leaves the others null. Used for an included project, whose variables are its own.
void resolve_unset_environment(Document& doc, const Lookup& lookup);

}  // namespace compose
