#pragma once

// Device control on cgroup v2. There is no devices controller in the unified hierarchy: for
// every open(2) and mknod(2) of a device node the kernel runs the BPF_PROG_TYPE_CGROUP_DEVICE
// programs attached to the task's cgroup (and its ancestors) and denies unless all return 1.
//
//   rules ──device_policy──► DevicePolicy ──compile──► bpf_insn[] ──load, attach──► cgroup dir
//   "a *:* rwm" deny          default and            written by hand      bpf(2),
//   "c 1:3 rwm" allow ...     exceptions, as v1      (no library)         BPF_F_ALLOW_MULTI
//
// The kernel also runs these hooks on a cgroup v1 hybrid host, for the task's cgroup in the
// unified hierarchy, which is how the root tests prove the programs on this kind of host.

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/runtime/devices.hpp"
#include "engine/sys/result.hpp"

namespace engine::runtime {

/// One exception of a v1 devices cgroup: a device type, numbers (kAnyDevice for "*") and the
/// accesses it grants or denies (BPF_DEVCG_ACC_* bits).
struct DeviceException {
    static constexpr std::int64_t kAnyDevice = -1;
    char type = 'c';  ///< 'c' or 'b'
    std::int64_t major = kAnyDevice;
    std::int64_t minor = kAnyDevice;
    unsigned access = 0;
    bool operator==(const DeviceException&) const = default;
};

/// What a rule list leaves in a v1 devices cgroup: a default and the exceptions to it (allowed
/// devices when the default is deny, denied ones when it is allow).
struct DevicePolicy {
    bool default_allow = true;  ///< a fresh v1 cgroup allows everything
    std::vector<DeviceException> exceptions;
};

/// Applies `rules` in order as the v1 kernel does when they are written to devices.allow and
/// devices.deny; an error names a rule that does not parse.
Result<DevicePolicy> device_policy(const std::vector<DeviceRule>& rules);

/// Compiles `rules` to a BPF_PROG_TYPE_CGROUP_DEVICE program deciding as the v1 cgroup would
/// (1 allow, 0 deny). Pure: no syscalls.
Result<std::vector<bpf_insn>> compile_device_program(const std::vector<DeviceRule>& rules);

/// Loads `program` and attaches it to the cgroup v2 directory `cgroup_dir` (BPF_F_ALLOW_MULTI,
/// so programs of ancestors keep applying), then detaches the programs attached to that cgroup
/// before (a reused cgroup). The attachment lives until the cgroup is removed.
/// The error carries the verifier's log when the kernel refuses the program.
Status attach_device_program(const std::string& cgroup_dir, const std::vector<bpf_insn>& program);

/// compile_device_program then attach_device_program.
Status attach_device_rules(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

}  // namespace engine::runtime
