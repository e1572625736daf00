#include "engine/runtime/security.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

#include "engine/runtime/seccomp_profile.hpp"

using namespace engine::runtime;

namespace {

using Caps = std::vector<std::string>;

bool has(const Caps& caps, const std::string& cap) { return std::find(caps.begin(), caps.end(), cap) != caps.end(); }

Caps sorted(Caps caps) {
    std::sort(caps.begin(), caps.end());
    return caps;
}

// Every syscall name the profile allows in `ctx`, with the action of its first applicable rule.
bool allows(const SeccompProfile& profile, const SeccompContext& ctx, const std::string& name,
            bool with_args = false) {
    for (const SeccompRule* rule : applicable_rules(profile, ctx))
        if (std::find(rule->names.begin(), rule->names.end(), name) != rule->names.end() &&
            rule->action == SeccompAction::kAllow && (with_args || rule->args.empty()))
            return true;
    return false;
}

SeccompContext amd64(Caps caps) { return {std::move(caps), "amd64", "6.1.0"}; }

}  // namespace

TEST_CASE("capabilities: Docker's 14 defaults", "[runtime][security]") {
    const auto& caps = default_capabilities();
    CHECK(caps.size() == 14);
    CHECK(has(caps, "CAP_AUDIT_WRITE"));
    CHECK(has(caps, "CAP_NET_BIND_SERVICE"));
    CHECK_FALSE(has(caps, "CAP_SYS_ADMIN"));
    CHECK_FALSE(has(caps, "CAP_NET_ADMIN"));
    auto all = all_capabilities();
    CHECK(all.size() >= 38);
    CHECK(all.front() == "CAP_CHOWN");
    for (const auto& cap : caps) CHECK(has(all, cap));
}

TEST_CASE("capabilities: cap-add and cap-drop as Docker resolves them", "[runtime][security]") {
    SECTION("nothing asked: the defaults") {
        auto caps = resolve_capabilities({}, {}, false);
        REQUIRE(caps.ok());
        CHECK(caps.value() == default_capabilities());
    }
    SECTION("names with or without CAP_, any case") {
        auto caps = resolve_capabilities({"net_admin", "Cap_Sys_Ptrace"}, {"chown", "CAP_KILL"}, false);
        REQUIRE(caps.ok());
        CHECK(has(caps.value(), "CAP_NET_ADMIN"));
        CHECK(has(caps.value(), "CAP_SYS_PTRACE"));
        CHECK_FALSE(has(caps.value(), "CAP_CHOWN"));
        CHECK_FALSE(has(caps.value(), "CAP_KILL"));
        CHECK(caps.value().size() == 14);
    }
    SECTION("drop ALL then add one") {
        auto caps = resolve_capabilities({"NET_BIND_SERVICE"}, {"ALL"}, false);
        REQUIRE(caps.ok());
        CHECK(caps.value() == Caps{"CAP_NET_BIND_SERVICE"});
    }
    SECTION("add ALL except the dropped") {
        auto caps = resolve_capabilities({"all"}, {"SYS_ADMIN"}, false);
        REQUIRE(caps.ok());
        CHECK(caps.value().size() == grantable_capabilities().size() - 1);
        CHECK_FALSE(has(caps.value(), "CAP_SYS_ADMIN"));
    }
    SECTION("adding a default twice lists it once") {
        auto caps = resolve_capabilities({"CHOWN"}, {}, false);
        REQUIRE(caps.ok());
        CHECK(sorted(caps.value()) == sorted(default_capabilities()));
    }
    SECTION("privileged: everything, whatever is dropped") {
        auto caps = resolve_capabilities({}, {"ALL"}, true);
        REQUIRE(caps.ok());
        CHECK(caps.value() == grantable_capabilities());
    }
    SECTION("unknown names are errors naming them") {
        auto caps = resolve_capabilities({"NET_FOO"}, {}, false);
        REQUIRE_FALSE(caps.ok());
        CHECK(caps.error().message == "unknown capability: \"CAP_NET_FOO\"");
        auto dropped = resolve_capabilities({}, {"bogus"}, false);
        REQUIRE_FALSE(dropped.ok());
        CHECK(dropped.error().message.find("CAP_BOGUS") != std::string::npos);
    }
}

TEST_CASE("masked and read-only paths are Docker's", "[runtime][security]") {
    const auto& masked = default_masked_paths();
    for (const char* p : {"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                          "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
                          "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware"})
        CHECK(has(masked, p));
    for (const auto& p : masked)
        if (p.rfind("/sys/devices/system/cpu/", 0) == 0) CHECK(p.find("/thermal_throttle") != std::string::npos);
    CHECK(default_readonly_paths() == Caps{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});
}

TEST_CASE("seccomp default profile: what a default container may call", "[runtime][seccomp]") {
    auto profile = default_seccomp_profile();
    CHECK(profile.default_action == SeccompAction::kErrno);
    CHECK(profile.default_errno == EPERM);
#if defined(__x86_64__)
    CHECK(profile.arches == Caps{"x86_64", "x86", "x32"});
#endif
    auto ctx = amd64(default_capabilities());
    for (const char* name : {"read", "write", "getpid", "openat", "execve", "fork", "chroot", "mknod",
                             "arch_prctl", "modify_ldt", "ptrace", "clock_adjtime", "memfd_create"})
        CHECK(allows(profile, ctx, name));
    for (const char* name : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "request_key",
                             "kexec_load", "init_module", "bpf", "perf_event_open", "userfaultfd",
                             "io_uring_setup", "swapon", "reboot", "acct", "syslog", "settimeofday",
                             "open_by_handle_at", "sethostname", "iopl", "mbind", "kcmp"})
        CHECK_FALSE(allows(profile, ctx, name, true));
    // Older kernels let ptrace bypass the filter: not without CAP_SYS_PTRACE there.
    CHECK_FALSE(allows(profile, {default_capabilities(), "amd64", "4.4.0"}, "ptrace"));
    // s390 and arm-only calls stay out on amd64.
    CHECK_FALSE(allows(profile, ctx, "s390_runtime_instr"));
    CHECK_FALSE(allows(profile, ctx, "cacheflush"));
}

TEST_CASE("seccomp default profile: clone, clone3, socket and personality rules", "[runtime][seccomp]") {
    auto profile = default_seccomp_profile();
    auto rules_for = [&](const SeccompContext& ctx, const std::string& name) {
        std::vector<const SeccompRule*> out;
        for (const SeccompRule* r : applicable_rules(profile, ctx))
            if (std::find(r->names.begin(), r->names.end(), name) != r->names.end()) out.push_back(r);
        return out;
    };
    auto plain = amd64(default_capabilities());
    auto clone = rules_for(plain, "clone");
    REQUIRE(clone.size() == 1);
    REQUIRE(clone[0]->args.size() == 1);
    CHECK(clone[0]->args[0].op == SeccompOp::kMaskedEqual);
    CHECK(clone[0]->args[0].value == 0x7E020000);
    CHECK(clone[0]->args[0].value_two == 0);
    auto clone3 = rules_for(plain, "clone3");
    REQUIRE(clone3.size() == 1);
    CHECK(clone3[0]->action == SeccompAction::kErrno);
    CHECK(clone3[0]->errno_ret == ENOSYS);

    auto admin = amd64({"CAP_SYS_ADMIN"});
    CHECK(allows(profile, admin, "clone"));
    CHECK(allows(profile, admin, "clone3"));
    CHECK(allows(profile, admin, "mount"));
    CHECK(rules_for(admin, "clone").size() == 1);  // only the unconditional allow
    CHECK(allows(profile, amd64({"sys_admin"}), "unshare"));  // any spelling of the cap

    auto socket = rules_for(plain, "socket");
    REQUIRE(socket.size() == 3);
    CHECK(socket[0]->args[0].op == SeccompOp::kLessThan);
    CHECK(socket[0]->args[0].value == 38);  // AF_ALG
    CHECK(socket[1]->args[0].value == 39);
    CHECK(socket[2]->args[0].op == SeccompOp::kGreaterThan);
    CHECK(socket[2]->args[0].value == 40);  // AF_VSOCK

    std::vector<std::uint64_t> personalities;
    for (const auto* r : rules_for(plain, "personality")) personalities.push_back(r->args.at(0).value);
    CHECK(personalities == std::vector<std::uint64_t>{0, 8, 0x20000, 0x20008, 0xffffffff});

    for (const auto& [cap, name] : std::vector<std::pair<std::string, std::string>>{
             {"CAP_SYS_BOOT", "reboot"}, {"CAP_SYS_MODULE", "finit_module"}, {"CAP_SYS_PACCT", "acct"},
             {"CAP_SYS_PTRACE", "pidfd_getfd"}, {"CAP_SYS_RAWIO", "ioperm"},
             {"CAP_SYS_TIME", "clock_settime"}, {"CAP_SYS_TTY_CONFIG", "vhangup"},
             {"CAP_SYS_NICE", "set_mempolicy"}, {"CAP_SYSLOG", "syslog"}, {"CAP_BPF", "bpf"},
             {"CAP_PERFMON", "perf_event_open"}, {"CAP_DAC_READ_SEARCH", "open_by_handle_at"}}) {
        INFO(cap << " " << name);
        CHECK(allows(profile, amd64({cap}), name));
        CHECK_FALSE(allows(profile, plain, name));
    }
}

TEST_CASE("seccomp: Docker-format JSON profiles", "[runtime][seccomp]") {
    auto parsed = parse_seccomp_profile(R"({
        "defaultAction": "SCMP_ACT_ALLOW",
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
        ],
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"name": "chmod", "action": "SCMP_ACT_KILL_PROCESS",
             "args": [{"index": 1, "value": 2048, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
             "includes": {"caps": ["CAP_FOWNER"], "minKernel": "5.1"},
             "excludes": {"arches": ["s390x"]}}
        ]
    })");
    REQUIRE(parsed.ok());
    const auto& p = parsed.value();
    CHECK(p.default_action == SeccompAction::kAllow);
#if defined(__x86_64__)
    CHECK(p.arches == Caps{"x86_64", "x86", "x32"});
#endif
    REQUIRE(p.rules.size() == 2);
    CHECK(p.rules[0].names == Caps{"mkdir", "mkdirat"});
    CHECK(p.rules[0].errno_ret == 13);
    CHECK(p.rules[1].names == Caps{"chmod"});
    CHECK(p.rules[1].action == SeccompAction::kKillProcess);
    REQUIRE(p.rules[1].args.size() == 1);
    CHECK(p.rules[1].args[0].index == 1);
    CHECK(p.rules[1].args[0].value == 2048);
    CHECK(p.rules[1].includes.caps == Caps{"CAP_FOWNER"});
    CHECK(p.rules[1].includes.min_kernel == "5.1");
    CHECK(p.rules[1].excludes.arches == Caps{"s390x"});
    CHECK(applicable_rules(p, amd64({"CAP_FOWNER"})).size() == 2);
    CHECK(applicable_rules(p, amd64({})).size() == 1);
    CHECK(applicable_rules(p, {{"CAP_FOWNER"}, "amd64", "4.19"}).size() == 1);

    CHECK_FALSE(parse_seccomp_profile("{not json").ok());
    CHECK_FALSE(parse_seccomp_profile("[]").ok());
    CHECK_FALSE(parse_seccomp_profile(R"({"syscalls": []})").ok());
    auto bad_action = parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_MAYBE"})");
    REQUIRE_FALSE(bad_action.ok());
    CHECK(bad_action.error().message.find("SCMP_ACT_MAYBE") != std::string::npos);
    auto bad_type = parse_seccomp_profile(R"({"defaultAction": 3})");
    CHECK_FALSE(bad_type.ok());
    auto bad_op = parse_seccomp_profile(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_SORTA"}]}]})");
    REQUIRE_FALSE(bad_op.ok());
    CHECK(bad_op.error().message.find("SCMP_CMP_SORTA") != std::string::npos);
}
