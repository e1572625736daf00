// The cgroup drivers against plain directories laid out like a v1 and a v2 mount: which file
// gets which value, in Docker's units.
#include "engine/runtime/cgroup.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using engine::runtime::open_cgroup_v1;
using engine::runtime::open_cgroup_v2;
using engine::runtime::Resources;

namespace {

// A v1 host: a hierarchy per controller, cpu and cpuacct joint behind symlinks as systemd does.
struct V1Layout {
    TempDir dir{"berth-cgv1"};
    V1Layout() {
        for (const char* c : {"memory", "cpuset", "pids", "freezer", "blkio", "cpu,cpuacct"})
            dir.write(std::string(c) + "/cgroup.procs", "");
        ::symlink("cpu,cpuacct", (dir.root / "cpu").c_str());
        ::symlink("cpu,cpuacct", (dir.root / "cpuacct").c_str());
        dir.write("memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        dir.write("cpuset/cpuset.cpus", "0-3\n");
        dir.write("cpuset/cpuset.mems", "0\n");
    }
    std::string read(const std::string& rel) const { return dir.read(rel); }
    std::string root() const { return dir.root.string(); }
};

struct V2Layout {
    TempDir dir{"berth-cgv2"};
    V2Layout() {
        dir.write("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        dir.write("cgroup.subtree_control", "");
        dir.write("berth/cgroup.controllers", "cpuset cpu memory pids\n");
    }
    std::string read(const std::string& rel) const { return dir.read(rel); }
    std::string root() const { return dir.root.string(); }
};

}  // namespace

TEST_CASE("cgroup v1: Docker's limits go to each controller's files", "[runtime][cgroup]") {
    V1Layout host;
    Resources r;
    r.memory = 64 << 20;
    r.memory_swap = 128 << 20;
    r.nano_cpus = 1500000000;  // --cpus 1.5
    r.cpu_shares = 512;
    r.cpuset_cpus = "1";
    r.pids_limit = 100;
    auto cg = open_cgroup_v1("berth", "abc", host.root());
    REQUIRE(cg->create(r).ok());

    CHECK(host.read("memory/berth/abc/memory.limit_in_bytes") == "67108864");
    CHECK(host.read("memory/berth/abc/memory.memsw.limit_in_bytes") == "134217728");
    CHECK(host.read("cpu,cpuacct/berth/abc/cpu.cfs_period_us") == "100000");
    CHECK(host.read("cpu,cpuacct/berth/abc/cpu.cfs_quota_us") == "150000");
    CHECK(host.read("cpu,cpuacct/berth/abc/cpu.shares") == "512");
    CHECK(host.read("cpuset/berth/abc/cpuset.cpus") == "1");
    CHECK(host.read("pids/berth/abc/pids.max") == "100");
    // The parent level gets the root's cpus and mems so that the kernel accepts tasks below it.
    CHECK(host.read("cpuset/berth/cpuset.cpus") == "0-3");
    CHECK(host.read("cpuset/berth/cpuset.mems") == "0");
    CHECK(host.read("cpuset/berth/abc/cpuset.mems") == "0");
    CHECK(std::filesystem::is_directory(host.dir.root / "freezer/berth/abc"));
    CHECK(std::filesystem::is_directory(host.dir.root / "blkio/berth/abc"));

    SECTION("create again is harmless") { CHECK(cg->create(r).ok()); }
}

TEST_CASE("cgroup v1: swap defaults and unlimited values", "[runtime][cgroup]") {
    V1Layout host;
    auto cg = open_cgroup_v1("berth", "abc", host.root());
    Resources r;
    r.memory = 16 << 20;
    r.pids_limit = 0;
    REQUIRE(cg->create(r).ok());
    // Without --memory-swap Docker grants as much swap as memory: memsw = 2 × memory.
    CHECK(host.read("memory/berth/abc/memory.memsw.limit_in_bytes") == "33554432");
    CHECK(host.read("pids/berth/abc/pids.max") == "max");

    r.memory_swap = -1;
    REQUIRE(cg->create(r).ok());
    CHECK(host.read("memory/berth/abc/memory.memsw.limit_in_bytes") == "-1");
    CHECK(host.read("memory/berth/abc/memory.limit_in_bytes") == "16777216");
}

TEST_CASE("cgroup v1: nothing asked, nothing written", "[runtime][cgroup]") {
    V1Layout host;
    auto cg = open_cgroup_v1("berth", "abc", host.root());
    REQUIRE(cg->create(Resources{}).ok());
    CHECK_FALSE(std::filesystem::exists(host.dir.root / "memory/berth/abc/memory.limit_in_bytes"));
    CHECK_FALSE(std::filesystem::exists(host.dir.root / "pids/berth/abc/pids.max"));
    CHECK_FALSE(std::filesystem::exists(host.dir.root / "cpu,cpuacct/berth/abc/cpu.cfs_quota_us"));
}

TEST_CASE("cgroup v1: add, freeze, stats, pids", "[runtime][cgroup]") {
    V1Layout host;
    auto cg = open_cgroup_v1("berth", "abc", host.root());
    REQUIRE(cg->create(Resources{}).ok());
    REQUIRE(cg->add(4242).ok());
    for (const char* c : {"memory", "cpuset", "pids", "freezer", "blkio", "cpu,cpuacct"})
        CHECK(host.read(std::string(c) + "/berth/abc/cgroup.procs") == "4242");

    REQUIRE(cg->freeze(true).ok());
    CHECK(host.read("freezer/berth/abc/freezer.state") == "FROZEN");
    REQUIRE(cg->freeze(false).ok());
    CHECK(host.read("freezer/berth/abc/freezer.state") == "THAWED");

    host.dir.write("memory/berth/abc/memory.usage_in_bytes", "1234\n");
    host.dir.write("memory/berth/abc/memory.limit_in_bytes", "9223372036854771712\n");
    host.dir.write("memory/berth/abc/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    host.dir.write("cpu,cpuacct/berth/abc/cpuacct.usage", "5000\n");
    host.dir.write("pids/berth/abc/pids.current", "3\n");
    host.dir.write("pids/berth/abc/cgroup.procs", "10\n11\n12\n");
    auto st = cg->stats();
    REQUIRE(st.ok());
    CHECK(st.value().memory_usage == 1234);
    CHECK(st.value().memory_limit == 0);
    CHECK(st.value().oom_kills == 2);
    CHECK(st.value().cpu_usage_ns == 5000);
    CHECK(st.value().pids == 3);
    auto pids = cg->pids();
    REQUIRE(pids.ok());
    CHECK(pids.value() == std::vector<pid_t>{10, 11, 12});
}

TEST_CASE("cgroup: destroy of a cgroup that is gone succeeds", "[runtime][cgroup]") {
    V1Layout v1;
    CHECK(open_cgroup_v1("berth", "missing", v1.root())->destroy().ok());
    V2Layout v2;
    CHECK(open_cgroup_v2("berth", "missing", v2.root())->destroy().ok());
}

TEST_CASE("cgroup v2: controllers enabled and limits in v2 units", "[runtime][cgroup]") {
    V2Layout host;
    Resources r;
    r.memory = 64 << 20;
    r.memory_swap = 96 << 20;
    r.nano_cpus = 500000000;
    r.cpu_shares = 1024;
    r.cpuset_cpus = "0-1";
    r.cpuset_mems = "0";
    r.pids_limit = -1;
    host.dir.write("berth/abc/memory.swap.max", "max\n");
    auto cg = open_cgroup_v2("berth", "abc", host.root());
    REQUIRE(cg->create(r).ok());

    CHECK(host.read("cgroup.subtree_control") == "+cpu +cpuset +memory +pids");
    CHECK(host.read("berth/cgroup.subtree_control") == "+cpu +cpuset +memory +pids");
    CHECK(host.read("berth/abc/memory.max") == "67108864");
    CHECK(host.read("berth/abc/memory.swap.max") == "33554432");  // swap alone: 96 − 64 MiB
    CHECK(host.read("berth/abc/cpu.max") == "50000 100000");
    CHECK(host.read("berth/abc/cpu.weight") == "39");  // runc: 1 + (1022 × 9999) / 262142
    CHECK(host.read("berth/abc/cpuset.cpus") == "0-1");
    CHECK(host.read("berth/abc/cpuset.mems") == "0");
    CHECK(host.read("berth/abc/pids.max") == "max");

    r.memory_swap = -1;
    REQUIRE(cg->create(r).ok());
    CHECK(host.read("berth/abc/memory.swap.max") == "max");
}

TEST_CASE("cgroup v2: add, freeze, stats", "[runtime][cgroup]") {
    V2Layout host;
    auto cg = open_cgroup_v2("berth", "abc", host.root());
    REQUIRE(cg->create(Resources{}).ok());
    REQUIRE(cg->add(77).ok());
    CHECK(host.read("berth/abc/cgroup.procs") == "77");

    host.dir.write("berth/abc/cgroup.events", "populated 1\nfrozen 1\n");
    REQUIRE(cg->freeze(true).ok());
    CHECK(host.read("berth/abc/cgroup.freeze") == "1");
    host.dir.write("berth/abc/cgroup.events", "populated 1\nfrozen 0\n");
    REQUIRE(cg->freeze(false).ok());
    CHECK(host.read("berth/abc/cgroup.freeze") == "0");

    host.dir.write("berth/abc/memory.current", "4096\n");
    host.dir.write("berth/abc/memory.max", "max\n");
    host.dir.write("berth/abc/cpu.stat", "usage_usec 7\nuser_usec 5\nsystem_usec 2\n");
    host.dir.write("berth/abc/pids.current", "1\n");
    host.dir.write("berth/abc/memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
    auto st = cg->stats();
    REQUIRE(st.ok());
    CHECK(st.value().memory_usage == 4096);
    CHECK(st.value().memory_limit == 0);
    CHECK(st.value().cpu_usage_ns == 7000);
    CHECK(st.value().pids == 1);
    CHECK(st.value().oom_kills == 1);
}

TEST_CASE("detect_cgroup_version: a plain directory is not cgroup2", "[runtime][cgroup]") {
    TempDir dir;
    CHECK(engine::runtime::detect_cgroup_version(dir.root.string()) == 1);
}

TEST_CASE("cgroup v1: joint mounts without symlinks and missing controllers", "[runtime][cgroup]") {
    TempDir dir{"berth-cgv1"};
    for (const char* c : {"memory", "freezer", "cpu,cpuacct"}) dir.write(std::string(c) + "/cgroup.procs", "");
    auto cg = open_cgroup_v1("berth", "abc", dir.root.string());
    Resources r;
    r.nano_cpus = 2000000000;
    REQUIRE(cg->create(r).ok());
    CHECK(dir.read("cpu,cpuacct/berth/abc/cpu.cfs_quota_us") == "200000");
    // No memsw file at the hierarchy's root: swap is not accounted, only the limit is written.
    r.memory = 1 << 20;
    REQUIRE(cg->create(r).ok());
    CHECK(dir.read("memory/berth/abc/memory.limit_in_bytes") == "1048576");
    CHECK_FALSE(std::filesystem::exists(dir.root / "memory/berth/abc/memory.memsw.limit_in_bytes"));

    r.pids_limit = 10;
    auto no_pids = cg->create(r);
    REQUIRE_FALSE(no_pids.ok());
    CHECK(no_pids.error().message.find("cgroup controller pids: not mounted") != std::string::npos);
}

TEST_CASE("cgroup v1: nested parents get cpuset values at every level", "[runtime][cgroup]") {
    V1Layout host;
    auto cg = open_cgroup_v1("berth/project", "abc", host.root());
    REQUIRE(cg->create(Resources{}).ok());
    CHECK(host.read("cpuset/berth/cpuset.cpus") == "0-3");
    CHECK(host.read("cpuset/berth/project/cpuset.cpus") == "0-3");
    CHECK(host.read("cpuset/berth/project/abc/cpuset.mems") == "0");
}
