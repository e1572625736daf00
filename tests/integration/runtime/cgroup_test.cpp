// The cgroup driver on the host's real hierarchies: a forked child stands in for a container.
#include "engine/runtime/cgroup.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "tests/support/root_test.hpp"

namespace {

using engine::runtime::open_cgroup;
using engine::runtime::Resources;

std::string random_suffix() {
    std::mt19937_64 rng(std::random_device{}());
    return fmt::format("{:012x}", rng() & 0xffffffffffffULL);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

// A child blocked on a pipe until released: added to the cgroup first, then let go to run
// `body`. Killed and reaped at the end whatever happened.
class Child {
public:
    template <typename Body>
    explicit Child(Body body) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::close(fds[1]);
            char c;
            if (::read(fds[0], &c, 1) != 1) ::_exit(100);
            ::_exit(body());
        }
        ::close(fds[0]);
        release_fd_ = fds[1];
    }
    ~Child() {
        if (release_fd_ >= 0) ::close(release_fd_);
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    void release() {
        REQUIRE(::write(release_fd_, "x", 1) == 1);
        ::close(release_fd_);
        release_fd_ = -1;
    }
    int wait() {
        int status = 0;
        REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        reaped_ = true;
        return status;
    }
    void kill() { ::kill(pid_, SIGKILL); }

private:
    pid_t pid_ = -1;
    int release_fd_ = -1;
    bool reaped_ = false;
};

// The test's cgroup parent, removed from every hierarchy (with anything left below it) at the end.
struct CgroupParent {
    std::string name = "berth-test-" + random_suffix();
    ~CgroupParent() {
        std::error_code ec;
        for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
            auto dir = h.path() / name;
            if (!std::filesystem::is_directory(dir, ec)) continue;
            for (const auto& sub : std::filesystem::directory_iterator(dir, ec))
                if (sub.is_directory(ec)) ::rmdir(sub.path().c_str());
            ::rmdir(dir.c_str());
        }
    }
};

bool exists_in_any_hierarchy(const std::string& rel) {
    std::error_code ec;
    for (const auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup", ec))
        if (std::filesystem::exists(h.path() / rel, ec)) return true;
    return false;
}

}  // namespace

TEST_CASE("cgroup on the host: limits, stats, freeze, destroy", "[.root][root][cgroup]") {
    REQUIRE_ROOT();
    CgroupParent parent;
    auto cg = open_cgroup(parent.name, "c1");
    Resources r;
    r.memory = 64 << 20;
    r.pids_limit = 50;
    r.nano_cpus = 500000000;
    REQUIRE(cg->create(r).ok());
    // Shrinking memory below the current memsw limit and growing it again both work: the
    // kernel's memory ≤ memsw rule decides the order of the writes.
    Resources smaller = r;
    smaller.memory = 32 << 20;
    smaller.memory_swap = 48 << 20;
    auto shrunk = cg->create(smaller);
    INFO((shrunk.ok() ? std::string() : shrunk.error().message));
    REQUIRE(shrunk.ok());
    REQUIRE(cg->create(r).ok());

    Child child([] {
        ::pause();
        return 0;
    });
    auto added = cg->add(child.pid());
    INFO((added.ok() ? std::string() : added.error().message));
    REQUIRE(added.ok());
    child.release();

    auto st = cg->stats();
    REQUIRE(st.ok());
    CHECK(st.value().memory_limit == (64u << 20));
    CHECK(st.value().pids == 1);
    auto pids = cg->pids();
    REQUIRE(pids.ok());
    CHECK(pids.value() == std::vector<pid_t>{child.pid()});

    bool v1 = engine::runtime::detect_cgroup_version() == 1;
    std::string freezer = v1 ? "/sys/fs/cgroup/freezer/" + parent.name + "/c1/freezer.state" : "";
    REQUIRE(cg->freeze(true).ok());
    if (v1) CHECK(read_text(freezer) == "FROZEN");
    REQUIRE(cg->freeze(false).ok());
    if (v1) CHECK(read_text(freezer) == "THAWED");

    child.kill();
    int status = child.wait();
    CHECK(WIFSIGNALED(status));
    auto destroyed = cg->destroy();
    INFO((destroyed.ok() ? std::string() : destroyed.error().message));
    CHECK(destroyed.ok());
    CHECK_FALSE(exists_in_any_hierarchy(parent.name + "/c1"));
    CHECK(cg->destroy().ok());  // idempotent
}

TEST_CASE("cgroup on the host: the OOM killer takes a process over its memory limit",
          "[.root][root][cgroup]") {
    REQUIRE_ROOT();
    CgroupParent parent;
    auto cg = open_cgroup(parent.name, "oom");
    Resources r;
    r.memory = 16 << 20;
    REQUIRE(cg->create(r).ok());

    Child child([] {
        const std::size_t size = 64 << 20;
        auto* p = static_cast<volatile char*>(std::malloc(size));
        if (!p) return 2;
        for (std::size_t i = 0; i < size; i += 4096) p[i] = 1;  // touch every page
        return 0;
    });
    REQUIRE(cg->add(child.pid()).ok());
    child.release();
    int status = child.wait();
    CHECK(WIFSIGNALED(status));
    if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == SIGKILL);
    auto st = cg->stats();
    REQUIRE(st.ok());
    CHECK(st.value().oom_kills >= 1);
    CHECK(cg->destroy().ok());
}

TEST_CASE("cgroup v2 on the host's unified hierarchy: add, freeze, destroy", "[.root][root][cgroup]") {
    REQUIRE_ROOT();
    const std::string unified = "/sys/fs/cgroup/unified";
    if (engine::runtime::detect_cgroup_version() == 2) {
        SUCCEED("pure v2 host: covered by the test above");
        return;
    }
    if (engine::runtime::detect_cgroup_version(unified) != 2) {
        WARN("no unified cgroup2 mount on this hybrid host: skipped");
        return;
    }
    CgroupParent parent;
    auto cg = engine::runtime::open_cgroup_v2(parent.name, "v2", unified);
    REQUIRE(cg->create(Resources{}).ok());
    Child child([] {
        ::pause();
        return 0;
    });
    REQUIRE(cg->add(child.pid()).ok());
    child.release();
    auto pids = cg->pids();
    REQUIRE(pids.ok());
    CHECK(pids.value() == std::vector<pid_t>{child.pid()});

    std::string events = unified + "/" + parent.name + "/v2/cgroup.events";
    auto frozen = cg->freeze(true);
    INFO((frozen.ok() ? std::string() : frozen.error().message));
    REQUIRE(frozen.ok());
    CHECK(read_text(events).find("frozen 1") != std::string::npos);
    REQUIRE(cg->freeze(false).ok());
    CHECK(read_text(events).find("frozen 0") != std::string::npos);

    child.kill();
    child.wait();
    CHECK(cg->destroy().ok());
    CHECK_FALSE(std::filesystem::exists(unified + "/" + parent.name + "/v2"));
}
