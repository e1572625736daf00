#include "engine/runtime/security.hpp"

#include <seccomp.h>
#include <sys/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "engine/runtime/seccomp_profile.hpp"
#include "engine/sys/unique_fd.hpp"
#include "engine/sys/files.hpp"

namespace engine::runtime {
namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// Docker's NormalizeLegacyCapabilities: upper case, "ALL" kept, CAP_ prefix added, and every
// name must be one the kernel knows.
Result<std::vector<std::string>> normalize(const std::vector<std::string>& names,
                                           const std::vector<std::string>& valid) {
    std::vector<std::string> out;
    for (const auto& name : names) {
        std::string cap = upper(name);
        if (cap != "ALL" && cap.rfind("CAP_", 0) != 0) cap = "CAP_" + cap;
        if (cap != "ALL" && !contains(valid, cap))
            return Error{EINVAL, fmt::format("unknown capability: \"{}\"", cap)};
        out.push_back(cap);
    }
    return out;
}

Result<cap_value_t> cap_value(const std::string& name) {
    cap_value_t value;
    if (cap_from_name(lower(name).c_str(), &value) != 0)
        return Error{EINVAL, fmt::format("unknown capability: \"{}\"", name)};
    return value;
}

struct CapState {
    cap_t caps = nullptr;
    ~CapState() {
        if (caps) cap_free(caps);
    }
};

// Masked paths that depend on the host: each possible CPU's thermal_throttle directory.
void add_thermal_throttle_paths(std::vector<std::string>& paths) {
    for (int cpu = 0; cpu < 4096; ++cpu) {
        std::string dir = fmt::format("/sys/devices/system/cpu/cpu{}", cpu);
        if (!sys::exists(dir)) break;
        if (sys::exists(dir + "/thermal_throttle")) paths.push_back(dir + "/thermal_throttle");
    }
}

std::uint32_t scmp_action(SeccompAction action, int errno_ret) {
    switch (action) {
        case SeccompAction::kKillThread: return SCMP_ACT_KILL_THREAD;
        case SeccompAction::kKillProcess: return SCMP_ACT_KILL_PROCESS;
        case SeccompAction::kTrap: return SCMP_ACT_TRAP;
        case SeccompAction::kErrno: return SCMP_ACT_ERRNO(static_cast<std::uint16_t>(errno_ret));
        case SeccompAction::kTrace: return SCMP_ACT_TRACE(static_cast<std::uint16_t>(errno_ret));
        case SeccompAction::kAllow: return SCMP_ACT_ALLOW;
        case SeccompAction::kLog: return SCMP_ACT_LOG;
    }
    return SCMP_ACT_KILL_PROCESS;
}

scmp_arg_cmp scmp_condition(const SeccompArg& arg) {
    static const scmp_compare kOps[] = {SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ,
                                        SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ};
    return scmp_arg_cmp{arg.index, kOps[static_cast<int>(arg.op)], arg.value, arg.value_two};
}

struct SeccompFilter {
    scmp_filter_ctx ctx = nullptr;
    ~SeccompFilter() {
        if (ctx) seccomp_release(ctx);
    }
};

Error seccomp_error(int rc, const std::string& what) {
    errno = -rc;
    return sys::errno_error("{}", what);
}

bool repeats_an_index(const std::vector<SeccompArg>& args) {
    for (std::size_t i = 0; i < args.size(); ++i)
        for (std::size_t k = i + 1; k < args.size(); ++k)
            if (args[i].index == args[k].index) return true;
    return false;
}

Status add_rule(scmp_filter_ctx ctx, const SeccompRule& rule, std::uint32_t action) {
    for (const auto& name : rule.names) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: skipped, as Docker does
        std::vector<scmp_arg_cmp> conds;
        for (const auto& arg : rule.args) conds.push_back(scmp_condition(arg));
        int rc = 0;
        if (repeats_an_index(rule.args)) {
            // libseccomp takes each argument once per rule; like runc, make one rule per check.
            for (const auto& c : conds)
                if ((rc = seccomp_rule_add_array(ctx, action, nr, 1, &c)) != 0) break;
        } else {
            rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()), conds.data());
        }
        if (rc != 0) return seccomp_error(rc, fmt::format("add seccomp rule for {}", name));
    }
    return sys::ok();
}

// The profile compiled to a classic BPF program (libseccomp's export), ready for seccomp(2).
Result<std::string> compile_profile(const SeccompProfile& profile, const std::vector<std::string>& caps) {
    std::uint32_t default_action = scmp_action(profile.default_action, profile.default_errno);
    SeccompFilter filter;
    filter.ctx = seccomp_init(default_action);
    if (!filter.ctx) return Error{EINVAL, "load seccomp profile: seccomp_init failed"};
    // no_new_privs is the caller's decision (--security-opt no-new-privileges), not libseccomp's.
    if (int rc = seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        return seccomp_error(rc, "load seccomp profile: clear no_new_privs attribute");
    // A binary tree over syscall numbers instead of one long chain: the same verdicts, but the
    // kernel emulates the filter for every syscall number when loading it (its action cache),
    // which took ~0.7 ms of every container start for the default profile's chain.
    if (int rc = seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0)
        return seccomp_error(rc, "load seccomp profile: set the binary tree layout");
    for (const auto& name : profile.arches) {
        std::uint32_t arch = seccomp_arch_resolve_name(name.c_str());
        if (arch == 0) return Error{EINVAL, fmt::format("load seccomp profile: unknown architecture \"{}\"", name)};
        int rc = seccomp_arch_add(filter.ctx, arch);
        if (rc != 0 && rc != -EEXIST) return seccomp_error(rc, fmt::format("add seccomp architecture {}", name));
    }
    for (const SeccompRule* rule : applicable_rules(profile, host_seccomp_context(caps))) {
        std::uint32_t action = scmp_action(rule->action, rule->errno_ret.value_or(profile.default_errno));
        if (action == default_action) continue;  // libseccomp refuses rules that change nothing
        if (auto s = add_rule(filter.ctx, *rule, action); !s) return s.error();
    }
    sys::UniqueFd out(::memfd_create("seccomp", MFD_CLOEXEC));
    if (!out) return sys::errno_error("compile seccomp profile: memfd");
    if (int rc = seccomp_export_bpf(filter.ctx, out.get()); rc != 0)
        return seccomp_error(rc, "compile seccomp profile");
    off_t size = ::lseek(out.get(), 0, SEEK_END);
    std::string program(static_cast<size_t>(size), '\0');
    if (::pread(out.get(), program.data(), program.size(), 0) != size)
        return sys::errno_error("compile seccomp profile: read the program");
    return program;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    };
    return caps;
}

std::vector<std::string> all_capabilities() {
    std::vector<std::string> caps;
    for (int value = 0; value < static_cast<int>(cap_max_bits()); ++value) {
        char* name = cap_to_name(static_cast<cap_value_t>(value));
        if (!name) continue;
        caps.push_back(upper(name));
        cap_free(name);
    }
    return caps;
}

// "Everything" is what this process can hand on: a berth that itself runs with a reduced
// bounding set (inside another container, say) cannot grant what it lacks.
std::vector<std::string> grantable_capabilities() {
    std::vector<std::string> out;
    for (const auto& name : all_capabilities()) {
        cap_value_t value;
        if (cap_from_name(name.c_str(), &value) == 0 && cap_get_bound(value) == 1) out.push_back(name);
    }
    return out;
}

// Docker's TweakCapabilities: privileged gets everything; "ALL" in --cap-add means everything
// but --cap-drop; "ALL" in --cap-drop means only --cap-add; else defaults − drop + add.
Result<std::vector<std::string>> resolve_capabilities(const std::vector<std::string>& add,
                                                      const std::vector<std::string>& drop,
                                                      bool privileged) {
    auto all = all_capabilities();
    if (privileged) return grantable_capabilities();
    if (add.empty() && drop.empty()) return default_capabilities();
    auto to_drop = normalize(drop, all);
    if (!to_drop) return to_drop.error();
    auto to_add = normalize(add, all);
    if (!to_add) return to_add.error();
    std::vector<std::string> caps;
    auto append = [&caps](const std::string& cap) {
        if (cap != "ALL" && !contains(caps, cap)) caps.push_back(cap);
    };
    if (contains(to_add.value(), "ALL")) {
        for (const auto& cap : grantable_capabilities())
            if (!contains(to_drop.value(), cap)) append(cap);
    } else if (contains(to_drop.value(), "ALL")) {
        for (const auto& cap : to_add.value()) append(cap);
    } else {
        for (const auto& cap : default_capabilities())
            if (!contains(to_drop.value(), cap)) append(cap);
        for (const auto& cap : to_add.value()) append(cap);
    }
    return caps;
}

const std::vector<std::string>& default_masked_paths() {
    static const std::vector<std::string> paths = [] {
        std::vector<std::string> p = {
            "/proc/acpi",        "/proc/asound",       "/proc/interrupts", "/proc/kcore",
            "/proc/keys",        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
            "/proc/timer_list",  "/proc/timer_stats",  "/sys/devices/virtual/powercap",
            "/sys/firmware",
        };
        add_thermal_throttle_paths(p);
        return p;
    }();
    return paths;
}

const std::vector<std::string>& default_readonly_paths() {
    static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                   "/proc/sysrq-trigger"};
    return paths;
}

Status apply_capabilities(const std::vector<std::string>& caps) {
    std::vector<cap_value_t> values;
    for (const auto& name : caps) {
        auto value = cap_value(name);
        if (!value) return Error{EINVAL, "apply capabilities: " + value.error().message};
        values.push_back(value.value());
    }
    // Dropping from the bounding set needs CAP_SETPCAP in the effective set, which setuid to a
    // non-root user cleared (keepcaps keeps only the permitted set): raise it again first.
    CapState current{cap_get_proc()};
    if (!current.caps) return sys::errno_error("apply capabilities: read current set");
    cap_flag_value_t has_setpcap = CAP_CLEAR;
    cap_get_flag(current.caps, CAP_SETPCAP, CAP_PERMITTED, &has_setpcap);
    if (has_setpcap == CAP_SET) {
        cap_value_t setpcap = CAP_SETPCAP;
        cap_set_flag(current.caps, CAP_EFFECTIVE, 1, &setpcap, CAP_SET);
        if (cap_set_proc(current.caps) != 0) return sys::errno_error("apply capabilities: raise CAP_SETPCAP");
    }
    for (int value = 0; value < static_cast<int>(cap_max_bits()); ++value) {
        if (std::find(values.begin(), values.end(), value) != values.end()) continue;
        if (::prctl(PR_CAPBSET_DROP, value, 0, 0, 0) != 0 && errno != EINVAL)
            return sys::errno_error("apply capabilities: drop {} from the bounding set", value);
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return sys::errno_error("apply capabilities: clear the ambient set");
    // moby's SetCapabilities: root gets the list as permitted and effective; any other user only
    // as the bounding set, as execve would leave it. Inheritable and ambient stay empty
    // (CVE-2022-24769).
    CapState final_set{cap_init()};
    if (!final_set.caps) return sys::errno_error("apply capabilities: allocate set");
    if (::geteuid() == 0 && !values.empty()) {
        cap_set_flag(final_set.caps, CAP_PERMITTED, static_cast<int>(values.size()), values.data(), CAP_SET);
        cap_set_flag(final_set.caps, CAP_EFFECTIVE, static_cast<int>(values.size()), values.data(), CAP_SET);
    }
    if (cap_set_proc(final_set.caps) != 0) return sys::errno_error("apply capabilities: set process capabilities");
    return sys::ok();
}

Result<std::string> compile_seccomp(const std::string& profile, const std::vector<std::string>& caps) {
    if (profile == "unconfined") return std::string();
    if (profile.empty() || profile == "default") return compile_profile(default_seccomp_profile(), caps);
    auto parsed = parse_seccomp_profile(profile);
    if (!parsed) return parsed.error();
    return compile_profile(parsed.value(), caps);
}

Status load_seccomp_program(const std::string& program) {
    if (program.empty()) return sys::ok();
    if (program.size() % sizeof(sock_filter) != 0) return Error{EINVAL, "load seccomp program: truncated program"};
    sock_fprog prog{static_cast<unsigned short>(program.size() / sizeof(sock_filter)),
                    reinterpret_cast<sock_filter*>(const_cast<char*>(program.data()))};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return sys::errno_error("load seccomp profile");
    return sys::ok();
}

Status apply_seccomp(const std::string& profile, const std::vector<std::string>& caps) {
    auto program = compile_seccomp(profile, caps);
    if (!program) return program.error();
    return load_seccomp_program(program.value());
}

}  // namespace engine::runtime
