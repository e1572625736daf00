#pragma once

// CVE-2019-5736: a container process that re-executes the runtime (through `#!/proc/self/exe`,
// say) can reopen the host's binary through /proc/PID/exe and overwrite it. berth runs every
// process that enters a container (the shim, the container's init before its execve, exec
// helpers) from a read-only bind mount of its binary, so such a reopen for writing fails with
// EROFS: one mount shared by all containers, instead of runc's copy per container.

#include <string>

#include "engine/sys/result.hpp"

namespace engine::runtime {

/// A read-only bind mount of `binary` at `dir`/<its name>, made once and reused while it still
/// shows the same file (an upgraded binary gets a fresh mount). Returns the mounted path.
Result<std::string> protected_binary(const std::string& binary, const std::string& dir);

}  // namespace engine::runtime
