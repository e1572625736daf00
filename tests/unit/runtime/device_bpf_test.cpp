// The cgroup v2 device program compiler, run in a small BPF interpreter (below) that knows only
// the opcodes the compiler emits, and checked against the v1 devices cgroup's decisions.
#include "engine/runtime/device_bpf.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using engine::runtime::compile_device_program;
using engine::runtime::default_device_rules;
using engine::runtime::device_policy;
using engine::runtime::DeviceException;
using engine::runtime::DeviceRule;

// What the kernel passes the program: BPF_DEVCG_DEV_* type, BPF_DEVCG_ACC_* access bits.
struct Request {
    char type;
    std::uint32_t major;
    std::uint32_t minor;
    std::string access;  ///< "rw", "m", ...
};

unsigned access_bits(const std::string& text) {
    unsigned bits = 0;
    for (char c : text)
        bits |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    return bits;
}

// A test-only interpreter for the subset of eBPF the compiler emits. r1 holds a marker for the
// context; loads through it read the bpf_cgroup_dev_ctx. Anything else fails the test.
std::optional<std::uint64_t> run(const std::vector<bpf_insn>& prog, const Request& req) {
    constexpr std::uint64_t kCtxMarker = 0xc0ffee0000000000ULL;
    bpf_cgroup_dev_ctx ctx{};
    ctx.access_type = (access_bits(req.access) << 16) |
                      (req.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    ctx.major = req.major;
    ctx.minor = req.minor;
    std::uint64_t r[11] = {};
    bool set[11] = {};
    r[1] = kCtxMarker;
    set[1] = true;
    std::size_t pc = 0;
    for (int steps = 0; steps < 10000 && pc < prog.size(); ++steps) {
        const bpf_insn& i = prog[pc++];
        auto imm = static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm));  // sign-extended
        if (i.dst_reg > 10 || i.src_reg > 10) return std::nullopt;
        switch (i.code) {
        case BPF_LDX | BPF_MEM | BPF_W: {
            if (!set[i.src_reg] || r[i.src_reg] != kCtxMarker || i.off < 0 ||
                i.off + 4 > static_cast<int>(sizeof(ctx)) || i.off % 4 != 0)
                return std::nullopt;
            std::uint32_t word;
            std::memcpy(&word, reinterpret_cast<const char*>(&ctx) + i.off, 4);
            r[i.dst_reg] = word;
            break;
        }
        case BPF_ALU64 | BPF_MOV | BPF_K: r[i.dst_reg] = imm; break;
        case BPF_ALU64 | BPF_MOV | BPF_X:
            if (!set[i.src_reg]) return std::nullopt;
            r[i.dst_reg] = r[i.src_reg];
            break;
        case BPF_ALU64 | BPF_AND | BPF_K: r[i.dst_reg] &= imm; break;
        case BPF_ALU64 | BPF_RSH | BPF_K: r[i.dst_reg] >>= (imm & 63); break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_K: {
            if (!set[i.dst_reg]) return std::nullopt;
            bool equal = r[i.dst_reg] == imm;
            if (equal == (BPF_OP(i.code) == BPF_JEQ)) pc += i.off;
            continue;
        }
        case BPF_JMP | BPF_EXIT:
            if (!set[0]) return std::nullopt;
            return r[0];
        default: return std::nullopt;
        }
        set[i.dst_reg] = true;
    }
    return std::nullopt;  // ran off the end or looped
}

bool allowed(const std::vector<DeviceRule>& rules, const Request& req) {
    auto prog = compile_device_program(rules);
    REQUIRE(prog.ok());
    auto result = run(prog.value(), req);
    INFO("request " << req.type << " " << req.major << ":" << req.minor << " " << req.access);
    REQUIRE(result.has_value());
    REQUIRE((*result == 0 || *result == 1));
    return *result == 1;
}

struct Case {
    Request req;
    bool allow;
};

void check_cases(const std::vector<DeviceRule>& rules, const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        INFO("request " << c.req.type << " " << c.req.major << ":" << c.req.minor << " " << c.req.access);
        CHECK(allowed(rules, c.req) == c.allow);
    }
}

}  // namespace

TEST_CASE("device bpf: the default rules decide as the v1 devices cgroup", "[runtime][bpfdev]") {
    check_cases(default_device_rules(false), {
        {{'c', 1, 3, "rw"}, true},    // /dev/null
        {{'c', 1, 3, "rwm"}, true},
        {{'c', 1, 5, "r"}, true},     // zero
        {{'c', 1, 7, "w"}, true},     // full
        {{'c', 1, 8, "r"}, true},     // random
        {{'c', 1, 9, "r"}, true},     // urandom
        {{'c', 5, 0, "rw"}, true},    // tty
        {{'c', 5, 1, "rw"}, true},    // console
        {{'c', 5, 2, "rw"}, true},    // ptmx
        {{'c', 136, 7, "rw"}, true},  // a pty replica
        {{'c', 10, 200, "rw"}, true}, // tun
        {{'c', 1, 1, "r"}, false},    // /dev/mem
        {{'c', 1, 1, "m"}, true},     // any char node may be made, not used
        {{'c', 1, 2, "rw"}, false},   // /dev/kmem
        {{'c', 10, 229, "rw"}, false},// fuse, denied by moby
        {{'c', 10, 229, "m"}, true},
        {{'c', 4, 1, "w"}, false},    // the host's tty1
        {{'b', 8, 0, "r"}, false},    // the host's disk
        {{'b', 8, 0, "w"}, false},
        {{'b', 8, 0, "m"}, true},
        {{'b', 7, 0, "rw"}, false},   // loop0
        {{'b', 1, 3, "r"}, false},    // block, not the char null
        {{'c', 136, 7, "m"}, true},
    });
}

TEST_CASE("device bpf: privileged rules allow everything", "[runtime][bpfdev]") {
    check_cases(default_device_rules(true), {
        {{'b', 8, 0, "rwm"}, true},
        {{'c', 1, 1, "r"}, true},
    });
    auto prog = compile_device_program(default_device_rules(true));
    REQUIRE(prog.ok());
    CHECK(prog.value().size() == 8);  // the ctx loads, then return 1
}

TEST_CASE("device bpf: later rules act on earlier ones as in v1", "[runtime][bpfdev]") {
    SECTION("a deny removes access from an exact allowed exception") {
        std::vector<DeviceRule> rules{{false, "a"}, {true, "c 1:3 rwm"}, {false, "c 1:3 w"}};
        check_cases(rules, {{{'c', 1, 3, "r"}, true}, {{'c', 1, 3, "m"}, true},
                            {{'c', 1, 3, "rw"}, false}, {{'c', 1, 3, "w"}, false}});
    }
    SECTION("a narrower deny does not punch a hole in a wildcard allow") {
        std::vector<DeviceRule> rules{{false, "a *:* rwm"}, {true, "c *:* rwm"}, {false, "c 1:1 rwm"}};
        check_cases(rules, {{{'c', 1, 1, "r"}, true}, {{'b', 1, 1, "r"}, false}});
    }
    SECTION("allows of one device add up") {
        std::vector<DeviceRule> rules{{false, "a"}, {true, "c 1:3 r"}, {true, "c 1:3 w"}};
        check_cases(rules, {{{'c', 1, 3, "rw"}, true}, {{'c', 1, 3, "m"}, false}});
    }
    SECTION("access from two exceptions does not combine") {
        std::vector<DeviceRule> rules{{false, "a"}, {true, "c 1:* r"}, {true, "c *:3 w"}};
        check_cases(rules, {{{'c', 1, 3, "r"}, true}, {{'c', 1, 3, "w"}, true},
                            {{'c', 1, 3, "rw"}, false}});
    }
    SECTION("'a' resets whatever came before") {
        std::vector<DeviceRule> rules{{true, "c 1:3 rwm"}, {false, "a *:* rwm"}};
        check_cases(rules, {{{'c', 1, 3, "r"}, false}});
    }
    SECTION("default allow: a denied exception matches on any requested access") {
        std::vector<DeviceRule> rules{{true, "a"}, {false, "c 1:3 w"}, {false, "b 8:* rwm"}};
        check_cases(rules, {{{'c', 1, 3, "r"}, true}, {{'c', 1, 3, "rw"}, false},
                            {{'c', 1, 4, "rw"}, true}, {{'b', 8, 16, "r"}, false},
                            {{'b', 9, 0, "r"}, true}});
    }
    SECTION("default allow: an allow takes a denied exception back") {
        std::vector<DeviceRule> rules{{true, "a"}, {false, "c 1:3 rw"}, {true, "c 1:3 w"}};
        check_cases(rules, {{{'c', 1, 3, "w"}, true}, {{'c', 1, 3, "r"}, false}});
    }
}

TEST_CASE("device bpf: the policy of the default rules", "[runtime][bpfdev]") {
    auto policy = device_policy(default_device_rules(false));
    REQUIRE(policy.ok());
    CHECK_FALSE(policy.value().default_allow);
    // moby's deny of fuse falls on no exception: fuse is covered only by "c *:* m" after it.
    CHECK(policy.value().exceptions.size() == 12);
    constexpr unsigned m = BPF_DEVCG_ACC_MKNOD;
    constexpr auto any = DeviceException::kAnyDevice;
    CHECK(policy.value().exceptions[6] == DeviceException{'c', any, any, m});
}

TEST_CASE("device bpf: program size and shape", "[runtime][bpfdev]") {
    auto prog = compile_device_program(default_device_rules(false));
    REQUIRE(prog.ok());
    // 6 ctx loads, ≤ 8 per exception, 2 for the default.
    CHECK(prog.value().size() > 8);
    CHECK(prog.value().size() <= 6 + 12 * 8 + 2);
    CHECK(prog.value().back().code == (BPF_JMP | BPF_EXIT));
    for (std::size_t i = 0; i < prog.value().size(); ++i) {
        const auto& insn = prog.value()[i];
        if (BPF_CLASS(insn.code) != BPF_JMP || BPF_OP(insn.code) == BPF_EXIT) continue;
        INFO("jump at " << i);
        CHECK(insn.off > 0);  // forward only: the verifier rejects loops
        CHECK(i + 1 + insn.off < prog.value().size());
    }
}

TEST_CASE("device bpf: rules that do not parse are errors", "[runtime][bpfdev]") {
    auto check_error = [](const std::string& rule, const std::string& message) {
        auto prog = compile_device_program({{true, rule}});
        REQUIRE_FALSE(prog.ok());
        CHECK(prog.error().message == message);
    };
    check_error("x 1:3 rwm", "parse device rule \"x 1:3 rwm\": type must be a, b or c");
    check_error("c 1:3", "parse device rule \"c 1:3\": no access given");
    check_error("c 1:q rwm", "parse device rule \"c 1:q rwm\": bad device number \"q\"");
    check_error("c 13 rwm", "parse device rule \"c 13 rwm\": expected major:minor");
    check_error("b 8:0 rwx", "parse device rule \"b 8:0 rwx\": bad access \"rwx\"");
}
