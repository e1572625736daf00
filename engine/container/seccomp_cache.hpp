#pragma once

// Compiling a seccomp profile with libseccomp costs milliseconds of CPU on every container
// start; the program only depends on the profile, the capabilities, the kernel and libseccomp.
// It is compiled once and kept under the state root, and the launcher loads the stored program.

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::container {

/// The file holding the compiled program for (profile, caps) under `dir`, compiling and storing
/// it (atomically) the first time; "" when the profile is "unconfined".
Result<std::string> cached_seccomp_program(const std::string& dir, const std::string& profile,
                                           const std::vector<std::string>& caps);

}  // namespace engine::container
