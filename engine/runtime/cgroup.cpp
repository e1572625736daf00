#include "engine/runtime/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::runtime {
namespace {

constexpr std::int64_t kCfsPeriodUs = 100000;
// The kernel reports "no limit" in v1 as the largest page-aligned long; anything this large is it.
constexpr std::uint64_t kV1Unlimited = 1ULL << 62;

std::string trim(std::string s) {
    auto end = s.find_last_not_of(" \t\n");
    s.erase(end == std::string::npos ? 0 : end + 1);
    return s;
}

// Control files are written in one write(2) each, as the kernel parses one value per write.
// O_CREAT only matters for plain directories laid out like a cgroup mount (tests): on cgroupfs
// every control file already exists.
Status write_value(const std::string& path, const std::string& value) {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return sys::errno_error("write \"{}\" to {}", value, path);
    ssize_t n;
    do n = ::write(fd.get(), value.data(), value.size());
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(value.size())) return sys::errno_error("write \"{}\" to {}", value, path);
    return sys::ok();
}

std::string read_trimmed(const std::string& path) {
    auto text = sys::read_file(path);
    return text ? trim(text.value()) : std::string();
}

Result<std::uint64_t> read_number(const std::string& path) {
    auto text = sys::read_file(path);
    if (!text) return text.error();
    std::string value = trim(text.value());
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || errno != 0 || *end != '\0')
        return Error{EINVAL, fmt::format("read {}: \"{}\" is not a number", path, value)};
    return static_cast<std::uint64_t>(n);
}

// The value of "key N" in a flat keyed file (memory.events, cpu.stat, memory.oom_control).
std::uint64_t keyed_value(const std::string& text, std::string_view key) {
    std::string_view rest = text;
    while (!rest.empty()) {
        auto eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
            return std::strtoull(std::string(line.substr(key.size() + 1)).c_str(), nullptr, 10);
    }
    return 0;
}

std::uint64_t keyed_file_value(const std::string& path, std::string_view key) {
    auto text = sys::read_file(path);
    return text ? keyed_value(text.value(), key) : 0;
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    ::nanosleep(&ts, nullptr);
}

// rmdir that tolerates a missing directory and waits out the short EBUSY window after the last
// task exits (the kernel frees the css asynchronously).
Status remove_cgroup_dir(const std::string& dir) {
    for (int attempt = 0;; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return sys::ok();
        if (errno != EBUSY || attempt >= 50) return sys::errno_error("remove cgroup {}", dir);
        sleep_ms(20);
    }
}

Result<std::vector<pid_t>> read_procs(const std::string& path) {
    auto text = sys::read_file(path);
    if (!text) return text.error();
    std::vector<pid_t> pids;
    std::string_view rest = text.value();
    while (!rest.empty()) {
        auto eol = rest.find('\n');
        std::string line(rest.substr(0, eol));
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (!line.empty()) pids.push_back(static_cast<pid_t>(std::atol(line.c_str())));
    }
    return pids;
}

// Polls `done` for up to ~5 s; `nudge` is re-run now and then (a freeze can stall on tasks in
// vfork or uninterruptible sleep, and writing the state again retries it, as runc does).
template <typename Done, typename Nudge>
bool wait_until(Done done, Nudge nudge) {
    for (int i = 0; i < 500; ++i) {
        if (done()) return true;
        if (i % 50 == 49) nudge();
        sleep_ms(10);
    }
    return done();
}

// Docker's --memory-swap defaults: unset with --memory means as much swap as memory
// (moby's adaptContainerSettings sets MemorySwap = 2 × Memory).
std::optional<std::int64_t> effective_memory_swap(const Resources& r) {
    if (r.memory_swap && *r.memory_swap != 0) return r.memory_swap;
    if (r.memory && *r.memory > 0) return *r.memory * 2;
    return std::nullopt;
}

std::int64_t cpu_quota_us(std::int64_t nano_cpus) { return nano_cpus * kCfsPeriodUs / 1000000000; }

// ---------------------------------------------------------------------------------------------
// v1: one directory per hierarchy.

struct Hierarchy {
    std::string controller;  // the name we looked it up by
    std::string mount;       // the hierarchy's root (resolved, so joint mounts appear once)
};

const char* const kV1Controllers[] = {"memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio"};

bool has_component(const std::string& name, std::string_view controller) {
    std::string_view rest = name;
    while (true) {
        auto comma = rest.find(',');
        if (rest.substr(0, comma) == controller) return true;
        if (comma == std::string_view::npos) return false;
        rest = rest.substr(comma + 1);
    }
}

// Where `controller` is mounted: <root>/<controller> (often a symlink to a joint mount such as
// cpu,cpuacct), else a directory whose comma-separated name includes it.
std::string find_hierarchy(const std::string& root, const std::string& controller) {
    std::string direct = root + "/" + controller;
    if (char* real = ::realpath(direct.c_str(), nullptr)) {
        std::string resolved = real;
        std::free(real);
        return resolved;
    }
    DIR* dir = ::opendir(root.c_str());
    if (!dir) return {};
    std::string found;
    while (dirent* entry = ::readdir(dir))
        if (has_component(entry->d_name, controller)) {
            found = root + "/" + entry->d_name;
            break;
        }
    ::closedir(dir);
    return found;
}

class CgroupV1 final : public Cgroup {
public:
    CgroupV1(std::string parent, std::string id, std::string root)
        : parent_(std::move(parent)), id_(std::move(id)) {
        for (const char* controller : kV1Controllers) {
            std::string mount = find_hierarchy(root, controller);
            if (!mount.empty()) hierarchies_.push_back({controller, mount});
        }
    }

    Status create(const Resources& r) override {
        for (const auto& dir : unique_dirs()) {
            if (auto made = sys::make_dirs(dir, 0755); !made) return std::move(made).context("create cgroup");
        }
        if (auto s = prepare_cpuset(); !s) return s;
        return write_resources(r).context(fmt::format("set resources of cgroup {}/{}", parent_, id_));
    }

    Status add(pid_t pid) override {
        for (const auto& dir : unique_dirs())
            if (auto s = write_value(dir + "/cgroup.procs", std::to_string(pid)); !s) return s;
        return sys::ok();
    }

    Status freeze(bool frozen) override {
        auto dir = dir_of("freezer");
        if (!dir) return dir.error();
        std::string state_file = dir.value() + "/freezer.state";
        std::string want = frozen ? "FROZEN" : "THAWED";
        if (auto s = write_value(state_file, want); !s) return s;
        if (wait_until([&] { return read_trimmed(state_file) == want; },
                       [&] { (void)write_value(state_file, want); }))
            return sys::ok();
        if (frozen) (void)write_value(state_file, "THAWED");
        return Error{EBUSY, fmt::format("{} cgroup {}/{}: timed out", frozen ? "freeze" : "thaw", parent_, id_)};
    }

    Result<CgroupStats> stats() const override {
        CgroupStats st;
        if (auto dir = dir_of("memory")) {
            if (auto usage = read_number(dir.value() + "/memory.usage_in_bytes")) st.memory_usage = usage.value();
            if (auto limit = read_number(dir.value() + "/memory.limit_in_bytes"))
                st.memory_limit = limit.value() >= kV1Unlimited ? 0 : limit.value();
            st.oom_kills = keyed_file_value(dir.value() + "/memory.oom_control", "oom_kill");
        }
        if (auto dir = dir_of("cpuacct"))
            if (auto usage = read_number(dir.value() + "/cpuacct.usage")) st.cpu_usage_ns = usage.value();
        if (auto dir = dir_of("pids"))
            if (auto n = read_number(dir.value() + "/pids.current")) st.pids = n.value();
        return st;
    }

    Result<std::vector<pid_t>> pids() const override {
        auto dirs = unique_dirs();
        if (dirs.empty()) return Error{ENOENT, "list cgroup processes: no cgroup hierarchy is mounted"};
        auto dir = dir_of("pids");
        return read_procs((dir ? dir.value() : dirs.front()) + "/cgroup.procs");
    }

    Status destroy() override {
        Status result = sys::ok();
        for (const auto& dir : unique_dirs())
            if (auto s = remove_cgroup_dir(dir); !s && result) result = s;
        return result;
    }

private:
    std::string path_in(const std::string& mount) const { return mount + "/" + parent_ + "/" + id_; }

    // The hierarchy's root for `controller`, "" when it is not mounted.
    std::string mount_of(const std::string& controller) const {
        for (const auto& h : hierarchies_)
            if (h.controller == controller) return h.mount;
        return {};
    }

    Result<std::string> dir_of(const std::string& controller) const {
        for (const auto& h : hierarchies_)
            if (h.controller == controller) return path_in(h.mount);
        return Error{ENOENT, fmt::format("cgroup controller {}: not mounted", controller)};
    }

    std::vector<std::string> unique_dirs() const {
        std::vector<std::string> dirs;
        for (const auto& h : hierarchies_) {
            std::string dir = path_in(h.mount);
            bool seen = false;
            for (const auto& d : dirs) seen = seen || d == dir;
            if (!seen) dirs.push_back(dir);
        }
        return dirs;
    }

    // A new cpuset cgroup starts with empty cpus and mems, and the kernel refuses tasks into it
    // until both are set: copy them down from the nearest ancestor at each level.
    Status prepare_cpuset() const {
        std::string dir = mount_of("cpuset");
        if (dir.empty()) return sys::ok();
        std::vector<std::string> levels;
        for (std::string_view rest = parent_; !rest.empty();) {
            auto slash = rest.find('/');
            if (slash != 0) levels.emplace_back(rest.substr(0, slash));
            rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        }
        levels.push_back(id_);
        for (const auto& level : levels) {
            std::string child = dir + "/" + level;
            for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
                if (!read_trimmed(child + "/" + file).empty()) continue;
                if (auto s = write_value(child + "/" + file, read_trimmed(dir + "/" + file)); !s) return s;
            }
            dir = child;
        }
        return sys::ok();
    }

    Status write_memory(const Resources& r) const {
        auto swap = effective_memory_swap(r);
        if (!r.memory && !swap) return sys::ok();
        auto dir = dir_of("memory");
        if (!dir) return dir.error();
        std::string limit_file = dir.value() + "/memory.limit_in_bytes";
        std::string memsw_file = dir.value() + "/memory.memsw.limit_in_bytes";
        // The memsw file exists only when the kernel accounts swap; look at the hierarchy's root
        // since the new directory's files may be created lazily in a test layout.
        bool has_memsw = sys::exists(mount_of("memory") + "/memory.memsw.limit_in_bytes");
        std::string memory = r.memory && *r.memory > 0 ? std::to_string(*r.memory) : "-1";
        std::string memsw = swap && *swap > 0 ? std::to_string(*swap) : "-1";
        if (!has_memsw) return write_value(limit_file, memory);
        // The kernel keeps memory ≤ memsw at every step, so which goes first depends on whether
        // the limits grow or shrink; try one order, then the other (as runc does).
        if (write_value(limit_file, memory) && write_value(memsw_file, memsw)) return sys::ok();
        if (auto s = write_value(memsw_file, memsw); !s) return s;
        return write_value(limit_file, memory);
    }

    Status write_resources(const Resources& r) const {
        if (auto s = write_memory(r); !s) return s;
        if (r.nano_cpus && *r.nano_cpus > 0) {
            auto dir = dir_of("cpu");
            if (!dir) return dir.error();
            if (auto s = write_value(dir.value() + "/cpu.cfs_period_us", std::to_string(kCfsPeriodUs)); !s) return s;
            if (auto s = write_value(dir.value() + "/cpu.cfs_quota_us", std::to_string(cpu_quota_us(*r.nano_cpus))); !s)
                return s;
        }
        if (r.cpu_shares && *r.cpu_shares > 0) {
            auto dir = dir_of("cpu");
            if (!dir) return dir.error();
            if (auto s = write_value(dir.value() + "/cpu.shares", std::to_string(*r.cpu_shares)); !s) return s;
        }
        if (!r.cpuset_cpus.empty() || !r.cpuset_mems.empty()) {
            auto dir = dir_of("cpuset");
            if (!dir) return dir.error();
            if (!r.cpuset_cpus.empty())
                if (auto s = write_value(dir.value() + "/cpuset.cpus", r.cpuset_cpus); !s) return s;
            if (!r.cpuset_mems.empty())
                if (auto s = write_value(dir.value() + "/cpuset.mems", r.cpuset_mems); !s) return s;
        }
        if (r.pids_limit) {
            auto dir = dir_of("pids");
            if (!dir) return dir.error();
            std::string value = *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit);
            if (auto s = write_value(dir.value() + "/pids.max", value); !s) return s;
        }
        return sys::ok();
    }

    std::string parent_;
    std::string id_;
    std::vector<Hierarchy> hierarchies_;
};

// ---------------------------------------------------------------------------------------------
// v2: one unified directory; controllers are handed down through cgroup.subtree_control.

const char* const kV2Controllers[] = {"cpu", "cpuset", "memory", "pids"};

class CgroupV2 final : public Cgroup {
public:
    CgroupV2(std::string parent, std::string id, std::string root)
        : root_(std::move(root)), parent_(std::move(parent)), id_(std::move(id)),
          dir_(root_ + "/" + parent_ + "/" + id_) {}

    Status create(const Resources& r) override {
        if (auto made = sys::make_dirs(root_ + "/" + parent_, 0755); !made) return std::move(made).context("create cgroup");
        // Controllers must be enabled at every level above the container's cgroup.
        if (auto s = enable_controllers(root_); !s) return s;
        if (auto s = enable_controllers(root_ + "/" + parent_); !s) return s;
        if (auto made = sys::make_dirs(dir_, 0755); !made) return std::move(made).context("create cgroup");
        return write_resources(r).context(fmt::format("set resources of cgroup {}/{}", parent_, id_));
    }

    Status add(pid_t pid) override { return write_value(dir_ + "/cgroup.procs", std::to_string(pid)); }

    Status freeze(bool frozen) override {
        if (auto s = write_value(dir_ + "/cgroup.freeze", frozen ? "1" : "0"); !s) return s;
        std::uint64_t want = frozen ? 1 : 0;
        auto settled = [&] { return keyed_file_value(dir_ + "/cgroup.events", "frozen") == want; };
        if (wait_until(settled, [] {})) return sys::ok();
        if (frozen) (void)write_value(dir_ + "/cgroup.freeze", "0");
        return Error{EBUSY, fmt::format("{} cgroup {}/{}: timed out", frozen ? "freeze" : "thaw", parent_, id_)};
    }

    Result<CgroupStats> stats() const override {
        CgroupStats st;
        if (auto usage = read_number(dir_ + "/memory.current")) st.memory_usage = usage.value();
        if (auto limit = read_number(dir_ + "/memory.max")) st.memory_limit = limit.value();  // "max" → 0
        st.cpu_usage_ns = keyed_file_value(dir_ + "/cpu.stat", "usage_usec") * 1000;
        if (auto n = read_number(dir_ + "/pids.current")) st.pids = n.value();
        st.oom_kills = keyed_file_value(dir_ + "/memory.events", "oom_kill");
        return st;
    }

    Result<std::vector<pid_t>> pids() const override { return read_procs(dir_ + "/cgroup.procs"); }

    Status destroy() override { return remove_cgroup_dir(dir_); }

private:
    // Enables, in `dir`'s children, the controllers we use that `dir` has.
    Status enable_controllers(const std::string& dir) const {
        std::string available = " " + read_trimmed(dir + "/cgroup.controllers") + " ";
        std::string wanted;
        for (const char* c : kV2Controllers)
            if (available.find(std::string(" ") + c + " ") != std::string::npos)
                wanted += (wanted.empty() ? "+" : " +") + std::string(c);
        if (wanted.empty()) return sys::ok();
        return write_value(dir + "/cgroup.subtree_control", wanted);
    }

    Status write_resources(const Resources& r) const {
        if (r.memory)
            if (auto s = write_value(dir_ + "/memory.max", *r.memory > 0 ? std::to_string(*r.memory) : "max"); !s)
                return s;
        if (auto swap = effective_memory_swap(r)) {
            // v2 limits swap alone, where Docker's figure is memory + swap.
            std::string value = "max";
            if (*swap > 0 && r.memory && *r.memory > 0) value = std::to_string(*swap - *r.memory);
            if (sys::exists(dir_ + "/memory.swap.max") || sys::exists(root_ + "/" + parent_ + "/memory.swap.max"))
                if (auto s = write_value(dir_ + "/memory.swap.max", value); !s) return s;
        }
        if (r.nano_cpus && *r.nano_cpus > 0)
            if (auto s = write_value(dir_ + "/cpu.max",
                                     fmt::format("{} {}", cpu_quota_us(*r.nano_cpus), kCfsPeriodUs));
                !s)
                return s;
        if (r.cpu_shares && *r.cpu_shares > 0) {
            // runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000].
            std::uint64_t weight = 1 + ((*r.cpu_shares - 2) * 9999) / 262142;
            if (auto s = write_value(dir_ + "/cpu.weight", std::to_string(weight)); !s) return s;
        }
        if (!r.cpuset_cpus.empty())
            if (auto s = write_value(dir_ + "/cpuset.cpus", r.cpuset_cpus); !s) return s;
        if (!r.cpuset_mems.empty())
            if (auto s = write_value(dir_ + "/cpuset.mems", r.cpuset_mems); !s) return s;
        if (r.pids_limit)
            if (auto s = write_value(dir_ + "/pids.max", *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
                !s)
                return s;
        return sys::ok();
    }

    std::string root_;
    std::string parent_;
    std::string id_;
    std::string dir_;
};

}  // namespace

std::map<std::string, std::string> cgroup_hierarchies() {
    std::map<std::string, std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, target, options, field;
        fields >> id >> parent >> devno >> root >> target >> options;
        while (fields >> field && field != "-") {
        }
        std::string fstype, source, super;
        fields >> fstype >> source >> super;
        const std::string prefix = "/sys/fs/cgroup/";
        if (target.rfind(prefix, 0) != 0 || target.find('/', prefix.size()) != std::string::npos)
            continue;
        std::string name = target.substr(prefix.size());
        if (fstype == "cgroup2") out[name] = "";
        if (fstype != "cgroup") continue;
        std::string controllers;
        std::istringstream opts(super);
        for (std::string opt; std::getline(opts, opt, ',');)
            if (opt != "rw" && opt != "ro" && opt.rfind("clone_children", 0) != 0 &&
                opt.rfind("release_agent", 0) != 0 && opt != "noprefix")
                controllers += (controllers.empty() ? "" : ",") + opt;
        out[name] = controllers;
    }
    return out;
}

Result<std::vector<std::string>> cgroup_dirs_of(pid_t pid) {
    auto text = sys::read_file("/proc/" + std::to_string(pid) + "/cgroup");
    if (!text) return text.error();
    auto mounts = cgroup_hierarchies();
    std::vector<std::string> dirs;
    std::istringstream in(text.value());
    for (std::string line; std::getline(in, line);) {
        auto first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (mounts.empty() && controllers.empty()) dirs.push_back("/sys/fs/cgroup" + path);
        for (const auto& [name, ctrls] : mounts)
            if (ctrls == controllers) dirs.push_back("/sys/fs/cgroup/" + name + path);
    }
    return dirs;
}

void prewarm_cgroup_moves() {
    // Any one hierarchy will do: the lock is global. Read off the caller's path too.
    std::thread([pid = ::getpid()] {
        auto dirs = cgroup_dirs_of(pid);
        if (!dirs) return;
        std::string text = std::to_string(pid);
        for (const auto& dir : dirs.value()) {
            sys::UniqueFd fd(::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
            if (fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()))
                return;
        }
    }).detach();
}

int detect_cgroup_version(const std::string& mount_root) {
    struct statfs fs {};
    if (::statfs(mount_root.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return 2;
    return 1;
}

std::unique_ptr<Cgroup> open_cgroup_v1(const std::string& parent, const std::string& id,
                                       const std::string& mount_root) {
    return std::make_unique<CgroupV1>(parent, id, mount_root);
}

std::unique_ptr<Cgroup> open_cgroup_v2(const std::string& parent, const std::string& id,
                                       const std::string& mount_root) {
    return std::make_unique<CgroupV2>(parent, id, mount_root);
}

std::unique_ptr<Cgroup> open_cgroup(const std::string& parent, const std::string& id,
                                    const std::string& mount_root) {
    if (detect_cgroup_version(mount_root) == 2) return open_cgroup_v2(parent, id, mount_root);
    return open_cgroup_v1(parent, id, mount_root);
}

}  // namespace engine::runtime
