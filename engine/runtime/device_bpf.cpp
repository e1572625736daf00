#include "engine/runtime/device_bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

#include "engine/sys/unique_fd.hpp"

namespace engine::runtime {
namespace {

// ---------------------------------------------------------------------------------------------
// Parsing and the v1 semantics (security/device_cgroup.c: devcgroup_update_access).

// A rule as written to devices.allow/deny; type 'a' stands for every device.
struct ParsedRule {
    DeviceException ex;
    bool all = false;
};

Result<std::int64_t> parse_device_number(const std::string& text) {
    if (text == "*") return DeviceException::kAnyDevice;
    auto digit = [](unsigned char c) { return std::isdigit(c) != 0; };
    // Nine digits stay below 2^31, so the number fits a jump's signed 32-bit immediate.
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), digit))
        return Error{EINVAL, fmt::format("bad device number \"{}\"", text)};
    return std::stoll(text);
}

Result<unsigned> parse_access(const std::string& text) {
    unsigned access = 0;
    for (char c : text) {
        if (c == 'r') access |= BPF_DEVCG_ACC_READ;
        else if (c == 'w') access |= BPF_DEVCG_ACC_WRITE;
        else if (c == 'm') access |= BPF_DEVCG_ACC_MKNOD;
        else return Error{EINVAL, fmt::format("bad access \"{}\"", text)};
    }
    if (access == 0) return Error{EINVAL, "no access given"};
    return access;
}

Result<ParsedRule> parse_rule(const std::string& rule) {
    std::istringstream fields(rule);
    std::string type, numbers, access;
    fields >> type >> numbers >> access;
    auto invalid = [&](const std::string& why) {
        return Error{EINVAL, fmt::format("parse device rule \"{}\": {}", rule, why)};
    };
    // The kernel takes "a" alone and ignores whatever follows it.
    if (type == "a") return ParsedRule{{}, true};
    if (type != "c" && type != "b") return invalid("type must be a, b or c");
    auto colon = numbers.find(':');
    if (colon == std::string::npos) return invalid("expected major:minor");
    auto major = parse_device_number(numbers.substr(0, colon));
    auto minor = parse_device_number(numbers.substr(colon + 1));
    auto bits = parse_access(access);
    if (!major) return invalid(major.error().message);
    if (!minor) return invalid(minor.error().message);
    if (!bits) return invalid(bits.error().message);
    return ParsedRule{{type[0], major.value(), minor.value(), bits.value()}, false};
}

bool same_device(const DeviceException& a, const DeviceException& b) {
    return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

// dev_exception_add: an exact match gains the access, else a new exception.
void add_exception(DevicePolicy& policy, const DeviceException& ex) {
    for (auto& e : policy.exceptions)
        if (same_device(e, ex)) {
            e.access |= ex.access;
            return;
        }
    policy.exceptions.push_back(ex);
}

// dev_exception_rm: only exact matches lose the access; a narrower rule does not punch a hole
// in a wildcard exception, in v1 as here.
void remove_exception(DevicePolicy& policy, const DeviceException& ex) {
    for (auto& e : policy.exceptions)
        if (same_device(e, ex)) e.access &= ~ex.access;
    auto& list = policy.exceptions;
    auto emptied = [](const DeviceException& e) { return e.access == 0; };
    list.erase(std::remove_if(list.begin(), list.end(), emptied), list.end());
}

// ---------------------------------------------------------------------------------------------
// Code generation. Written by hand, as runc's devicefilter and crun's ebpf.c do: no library
// emits cgroup device programs, libbpf is not a dependency, and the shim links statically.
//
//   r2 = ctx->access_type & 0xffff   device type (BPF_DEVCG_DEV_*)
//   r3 = ctx->access_type >> 16      requested access (BPF_DEVCG_ACC_*)
//   r4 = ctx->major, r5 = ctx->minor
//   per exception:  type, access, major, minor each jump past the block on mismatch;
//                   a full match returns the exception's decision
//   end:            return the default

constexpr std::uint8_t kCtx = BPF_REG_1, kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4,
                       kMinor = BPF_REG_5, kScratch = BPF_REG_1;  // ctx is dead once read

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
              std::int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn load_ctx_word(std::uint8_t dst, std::int16_t offset) {
    return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}
bpf_insn alu_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
    return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov_reg(std::uint8_t dst, std::uint8_t src) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// Jump offsets are patched once the block's length is known.
bpf_insn jump_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) {
    return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

void emit_return(std::vector<bpf_insn>& out, bool allow) {
    out.push_back(alu_imm(BPF_MOV, BPF_REG_0, allow ? 1 : 0));
    out.push_back(exit_insn());
}

// One exception: falls through to the next block unless the request matches it.
void emit_exception(std::vector<bpf_insn>& out, const DeviceException& ex, bool default_allow) {
    std::vector<bpf_insn> block;
    int type = ex.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    block.push_back(jump_imm(BPF_JNE, kType, type));
    block.push_back(mov_reg(kScratch, kAccess));
    if (default_allow) {
        // match_exception_partial: a denied exception matches when any requested access is in it.
        block.push_back(alu_imm(BPF_AND, kScratch, static_cast<std::int32_t>(ex.access)));
        block.push_back(jump_imm(BPF_JEQ, kScratch, 0));
    } else {
        // match_exception: an allowed exception must grant every requested access.
        block.push_back(alu_imm(BPF_AND, kScratch, static_cast<std::int32_t>(~ex.access)));
        block.push_back(jump_imm(BPF_JNE, kScratch, 0));
    }
    if (ex.major != DeviceException::kAnyDevice)
        block.push_back(jump_imm(BPF_JNE, kMajor, static_cast<std::int32_t>(ex.major)));
    if (ex.minor != DeviceException::kAnyDevice)
        block.push_back(jump_imm(BPF_JNE, kMinor, static_cast<std::int32_t>(ex.minor)));
    emit_return(block, !default_allow);
    for (std::size_t i = 0; i < block.size(); ++i)
        if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT)
            block[i].off = static_cast<std::int16_t>(block.size() - (i + 1));
    out.insert(out.end(), block.begin(), block.end());
}

// ---------------------------------------------------------------------------------------------
// Loading (bpf(2) by hand; glibc has no wrapper).

long bpf_call(int cmd, bpf_attr& attr) { return ::syscall(__NR_bpf, cmd, &attr, sizeof(attr)); }

std::uint64_t address_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

// The license only gates GPL-only helpers, and the program calls no helper at all.
constexpr char kLicense[] = "Apache-2.0";

std::string log_tail(const std::string& log) {
    std::string text(log.c_str());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    constexpr std::size_t kKeep = 2048;
    return text.size() > kKeep ? "..." + text.substr(text.size() - kKeep) : text;
}

Result<sys::UniqueFd> load_program(const std::vector<bpf_insn>& program) {
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = address_of(program.data());
    attr.insn_cnt = static_cast<std::uint32_t>(program.size());
    attr.license = address_of(kLicense);
    std::strncpy(attr.prog_name, "berth_devices", sizeof(attr.prog_name) - 1);
    int fd = static_cast<int>(bpf_call(BPF_PROG_LOAD, attr));
    if (fd >= 0) return sys::UniqueFd(fd);
    int err = errno;
    // Again with the verifier's log, only now: logging slows every successful load.
    std::string log(64 * 1024, '\0');
    attr.log_level = 1;
    attr.log_buf = address_of(log.data());
    attr.log_size = static_cast<std::uint32_t>(log.size());
    fd = static_cast<int>(bpf_call(BPF_PROG_LOAD, attr));
    if (fd >= 0) return sys::UniqueFd(fd);
    std::string verifier = log_tail(log);
    return Error{err, fmt::format("load device bpf program: {}{}", std::strerror(err),
                                  verifier.empty() ? "" : " (verifier: " + verifier + ")")};
}

// The ids of the device programs attached to the cgroup itself (not its ancestors').
Result<std::vector<std::uint32_t>> attached_program_ids(int dir_fd) {
    std::vector<std::uint32_t> ids(64);  // the kernel's BPF_CGROUP_MAX_PROGS
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(dir_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = address_of(ids.data());
    attr.query.prog_cnt = static_cast<std::uint32_t>(ids.size());
    if (bpf_call(BPF_PROG_QUERY, attr) != 0) return sys::errno_error("query device bpf programs");
    ids.resize(std::min<std::size_t>(attr.query.prog_cnt, ids.size()));
    return ids;
}

// A program already gone (ENOENT) is fine: someone else removed it.
Status detach_program(int dir_fd, std::uint32_t id) {
    bpf_attr get{};
    get.prog_id = id;
    sys::UniqueFd prog(static_cast<int>(bpf_call(BPF_PROG_GET_FD_BY_ID, get)));
    if (!prog)
        return errno == ENOENT ? sys::ok() : sys::errno_error("open device bpf program {}", id);
    bpf_attr attr{};
    attr.target_fd = static_cast<std::uint32_t>(dir_fd);
    attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (bpf_call(BPF_PROG_DETACH, attr) != 0 && errno != ENOENT)
        return sys::errno_error("detach device bpf program {}", id);
    return sys::ok();
}

}  // namespace

Result<DevicePolicy> device_policy(const std::vector<DeviceRule>& rules) {
    DevicePolicy policy;
    for (const auto& r : rules) {
        auto parsed = parse_rule(r.rule);
        if (!parsed) return parsed.error();
        if (parsed.value().all) {
            policy = DevicePolicy{r.allow, {}};
            continue;
        }
        // An exception is the opposite of the default: a rule agreeing with it takes one away.
        if (r.allow != policy.default_allow) add_exception(policy, parsed.value().ex);
        else remove_exception(policy, parsed.value().ex);
    }
    return policy;
}

Result<std::vector<bpf_insn>> compile_device_program(const std::vector<DeviceRule>& rules) {
    auto policy = device_policy(rules);
    if (!policy) return policy.error();
    std::vector<bpf_insn> out{
        load_ctx_word(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
        mov_reg(kAccess, kType),
        alu_imm(BPF_AND, kType, 0xffff),
        alu_imm(BPF_RSH, kAccess, 16),
        load_ctx_word(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
        load_ctx_word(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    for (const auto& ex : policy.value().exceptions)
        emit_exception(out, ex, policy.value().default_allow);
    emit_return(out, policy.value().default_allow);
    return out;
}

Status attach_device_program(const std::string& cgroup_dir, const std::vector<bpf_insn>& program) {
    auto prog = load_program(program);
    std::string what = fmt::format("restrict devices of cgroup {}", cgroup_dir);
    if (!prog) return std::move(prog).context(what).error();
    sys::UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys::errno_error("open cgroup {}", cgroup_dir);
    auto earlier = attached_program_ids(dir.get());
    if (!earlier) return std::move(earlier).context(what).error();
    bpf_attr attr{};
    attr.target_fd = static_cast<std::uint32_t>(dir.get());
    attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.value().get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    // Multi: a program on an ancestor (systemd's, a parent's) keeps applying as well.
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf_call(BPF_PROG_ATTACH, attr) != 0)
        return sys::errno_error("attach device bpf program to cgroup {}", cgroup_dir);
    // Only now drop what a reused cgroup had: the cgroup is never without a program, and the
    // kernel's limit of 64 programs per cgroup is never reached by restarts.
    for (auto id : earlier.value())
        if (auto s = detach_program(dir.get(), id); !s)
            return std::move(s).context(what);
    return sys::ok();  // the attachment holds the program; our fd may close
}

Status attach_device_rules(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
    auto program = compile_device_program(rules);
    if (!program) return program.error();
    return attach_device_program(cgroup_dir, program.value());
}

}  // namespace engine::runtime
