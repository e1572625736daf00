#pragma once

// Seccomp profiles in Docker's model: a default action, the architectures the filter covers, and
// rules (syscall names, an action, argument checks) that apply only to containers with or
// without certain capabilities, on certain architectures or kernels. The default profile is our
// own table of moby's default.json; custom profiles are Docker-format JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::runtime {

enum class SeccompAction { kKillThread, kKillProcess, kTrap, kErrno, kTrace, kAllow, kLog };

/// Docker's "op" values; for kMaskedEqual the check is (arg & value) == value_two.
enum class SeccompOp { kNotEqual, kLessThan, kLessEqual, kEqualTo, kGreaterEqual, kGreaterThan, kMaskedEqual };

struct SeccompArg {
    unsigned index = 0;
    std::uint64_t value = 0;
    std::uint64_t value_two = 0;
    SeccompOp op = SeccompOp::kEqualTo;
};

/// When a rule applies (includes) or does not (excludes). Arches are Go's names ("amd64",
/// "x86", "arm64"), as Docker's profiles spell them; min_kernel is "major.minor".
struct SeccompCondition {
    std::vector<std::string> caps;
    std::vector<std::string> arches;
    std::string min_kernel;
};

struct SeccompRule {
    std::vector<std::string> names;
    SeccompAction action = SeccompAction::kAllow;
    std::optional<int> errno_ret;  ///< for kErrno/kTrace; the profile's default errno when unset
    std::vector<SeccompArg> args;
    SeccompCondition includes;
    SeccompCondition excludes;
};

struct SeccompProfile {
    SeccompAction default_action = SeccompAction::kErrno;
    int default_errno = 1;            ///< EPERM, Docker's defaultErrnoRet
    std::vector<std::string> arches;  ///< libseccomp names ("x86_64", "x86", "x32"); empty → native only
    std::vector<SeccompRule> rules;
};

/// Docker's default profile for this machine's architecture (moby/profiles default.json).
SeccompProfile default_seccomp_profile();

/// A Docker-format profile (defaultAction, defaultErrnoRet, archMap or architectures, syscalls
/// with names, action, errnoRet, args, includes, excludes). Malformed JSON or unknown actions,
/// operators and architectures are errors naming the value.
Result<SeccompProfile> parse_seccomp_profile(const std::string& json_text);

/// Where the filter is being built: the container's capabilities, the Go name of the native
/// architecture and the running kernel's "major.minor".
struct SeccompContext {
    std::vector<std::string> caps;  ///< "CAP_SYS_ADMIN" form
    std::string arch;
    std::string kernel;
};

/// This machine's context for `caps` (uname for the kernel).
SeccompContext host_seccomp_context(const std::vector<std::string>& caps);

/// The rules of `profile` that apply in `context`, in profile order, with Docker's semantics:
/// includes need every listed cap, a listed arch and at least min_kernel; excludes drop the rule
/// on any listed cap, a listed arch, or a kernel at least min_kernel.
std::vector<const SeccompRule*> applicable_rules(const SeccompProfile& profile, const SeccompContext& context);

}  // namespace engine::runtime
