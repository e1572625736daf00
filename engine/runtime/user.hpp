#pragma once

// The container process's identity and program, decided from the image's own files as Docker
// (moby/sys/user GetExecUser) does. Pure: callers pass the file contents and a probe.

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::runtime {

struct ExecUser {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  ///< supplementary groups
    std::string home = "/";
};

/// Resolves `user` ("", "uid", "name", "uid:gid", "name:group", …) against the image's
/// /etc/passwd and /etc/group texts (empty when the files are missing), adding `group_add`
/// (names or gids). A name that is not in the files is an error, as in Docker; a number need not be.
Result<ExecUser> resolve_user(const std::string& user, const std::vector<std::string>& group_add,
                              const std::string& passwd, const std::string& group);

/// The path execve gets for `program`: as given when it contains a '/', else the first
/// executable regular file along `path_env` (PATH's value). Docker's message when there is none.
Result<std::string> find_executable(const std::string& program, const std::string& path_env,
                                    const std::function<bool(const std::string&)>& is_executable);

/// The value of `key` in a "KEY=value" list, or `fallback`.
std::string env_value(const std::vector<std::string>& env, const std::string& key,
                      const std::string& fallback = "");

}  // namespace engine::runtime
