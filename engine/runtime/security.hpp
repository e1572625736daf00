#pragma once

// Docker's default security profile, as data: the capability set, masked and read-only paths,
// devices, and the seccomp filter (moby's default.json), applied with libcap/libseccomp.

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::runtime {

/// Docker's 14 default capabilities, "CAP_CHOWN" form.
const std::vector<std::string>& default_capabilities();
/// Every capability the running kernel knows (for --privileged and "ALL").
std::vector<std::string> all_capabilities();

/// The final capability list: the defaults (or all when privileged), then --cap-drop, then
/// --cap-add, with "ALL" and names with or without the CAP_ prefix, case-insensitive as Docker.
/// An unknown name is an error naming it.
Result<std::vector<std::string>> resolve_capabilities(const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop,
                                                      bool privileged);

/// Docker's masked and read-only paths (empty when privileged).
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

/// Sets the bounding, permitted, effective, inheritable and ambient sets to `caps`. Called in the
/// container child after setuid; returns errno + context.
Status apply_capabilities(const std::vector<std::string>& caps);

/// Loads the seccomp filter: `profile` is "default" (Docker's, adjusted for `caps` as moby does),
/// "unconfined" (nothing), or a Docker-format profile JSON text.
Status apply_seccomp(const std::string& profile, const std::vector<std::string>& caps);

}  // namespace engine::runtime
