#include "engine/runtime/launcher.hpp"

namespace engine::runtime {

// Placeholder until the launcher lands; every call fails clearly.
Result<Launched> launch(const ContainerSpec&, const Stdio&) {
    return sys::Error{ENOSYS, "launch container: not implemented yet"};
}
Result<pid_t> launch_exec(const ExecSpec&, pid_t, const Stdio&) {
    return sys::Error{ENOSYS, "exec in container: not implemented yet"};
}
Status destroy_cgroup(const ContainerSpec&) { return sys::ok(); }

}  // namespace engine::runtime
