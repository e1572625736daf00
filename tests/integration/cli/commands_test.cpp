// End to end through the berth binary: every container command and the run flags docker users
// reach for, checked by what the container itself reports.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;
using nlohmann::json;

namespace {

std::string in_box(const BerthCli& berth, std::vector<std::string> flags, const std::string& script) {
    std::vector<std::string> args = {"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"busybox", "sh", "-c", script});
    auto o = berth.run(args);
    INFO(o.err);
    CHECK(o.code == 0);
    return o.out;
}

json inspect(const BerthCli& berth, const std::string& ref) {
    auto o = berth.run({"inspect", ref});
    INFO(o.err);
    REQUIRE(o.code == 0);
    return json::parse(o.out)[0];
}

std::string start_sleeper(const BerthCli& berth, const std::string& name, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"run", "-d", "--name", name};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"});
    auto o = berth.run(args);
    INFO(o.err);
    REQUIRE(o.code == 0);
    return o.out.substr(0, 64);
}

}  // namespace

TEST_CASE("run flags: env, env-file, workdir, user, entrypoint, hostname, labels", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    std::ofstream(berth.dir() / "env.list") << "# comment\nFROM_FILE=yes\nEMPTY=\n";
    CHECK(in_box(berth, {"-e", "A=1", "--env-file", (berth.dir() / "env.list").string()},
                 "echo $A $FROM_FILE; env | grep -c EMPTY=") == "1 yes\n1\n");
    CHECK(in_box(berth, {"-w", "/srv/app", "-u", "app", "-h", "boxname"}, "pwd; id -un; hostname") ==
          "/srv/app\napp\nboxname\n");
    auto entry = berth.run({"run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint"});
    CHECK(entry.out == "via entrypoint\n");
    auto id = berth.run({"create", "-l", "tier=web", "--label", "team=core", "busybox", "true"}).out.substr(0, 64);
    CHECK(inspect(berth, id)["Config"]["Labels"] == json({{"team", "core"}, {"tier", "web"}}));
    CHECK(berth.run({"ps", "-a", "--filter", "label=tier=web", "-q"}).out == id.substr(0, 12) + "\n");
    CHECK(berth.run({"ps", "-a", "--filter", "label=tier=db", "-q"}).out == "");
    // A name the image's passwd does not know.
    auto nouser = berth.run({"run", "--rm", "-u", "ghost", "busybox", "true"});
    CHECK(nouser.code == 125);
    CHECK(nouser.err.find("unable to find user ghost") != std::string::npos);
}

TEST_CASE("run flags: read-only, tmpfs, caps, privileged, no-new-privileges, ulimit", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    CHECK(in_box(berth, {"--read-only", "--tmpfs", "/scratch:size=1m"},
                 "(touch /x) 2>/dev/null || echo ro; touch /scratch/y && echo tmp") == "ro\ntmp\n");
    CHECK(in_box(berth, {}, "grep CapEff /proc/self/status") == "CapEff:\t00000000a80425fb\n");
    CHECK(in_box(berth, {"--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE"},
                 "grep CapEff /proc/self/status") == "CapEff:\t0000000000000400\n");
    CHECK(in_box(berth, {"--cap-add", "SYS_ADMIN"}, "mkdir /m && mount -t tmpfs t /m && echo mounted") ==
          "mounted\n");
    CHECK(in_box(berth, {"--privileged"}, "grep CapBnd /proc/self/status") ==
          test_support::run_capture("grep CapBnd /proc/self/status"));
    CHECK(in_box(berth, {"--security-opt", "no-new-privileges"}, "grep NoNewPrivs /proc/self/status") ==
          "NoNewPrivs:\t1\n");
    CHECK(in_box(berth, {}, "grep NoNewPrivs /proc/self/status") == "NoNewPrivs:\t0\n");
    CHECK(in_box(berth, {"--ulimit", "nofile=256:512"}, "ulimit -n; ulimit -Hn") == "256\n512\n");
    auto bad = berth.run({"run", "--rm", "--cap-add", "NOT_A_CAP", "busybox", "true"});
    CHECK(bad.code == 125);
}

TEST_CASE("resources: memory, cpus, shares and pids land in the container's cgroups", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto id = start_sleeper(berth, "limited", {"-m", "64m", "--cpus", "0.5", "--cpu-shares", "512",
                                               "--pids-limit", "50"});
    std::string base = "/sys/fs/cgroup/";
    std::string path = "/" + berth.cgroup_parent() + "/" + id + "/";
    auto value = [&](const std::string& file) { return test_support::run_capture("cat " + base + file); };
    CHECK(value("memory" + path + "memory.limit_in_bytes") == "67108864\n");
    CHECK(value("cpu" + path + "cpu.cfs_quota_us") == "50000\n");
    CHECK(value("cpu" + path + "cpu.shares") == "512\n");
    CHECK(value("pids" + path + "pids.max") == "50\n");
    auto stats = berth.run({"stats", "--no-stream", "limited"});
    CHECK(stats.out.find("64MiB") != std::string::npos);
    REQUIRE(berth.run({"rm", "-f", "limited"}).code == 0);
    CHECK_FALSE(std::filesystem::exists(base + "memory" + path));
}

TEST_CASE("pause, unpause, top, rename, wait, restart, kill", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    start_sleeper(berth, "worker");
    REQUIRE(berth.run({"pause", "worker"}).code == 0);
    CHECK(inspect(berth, "worker")["State"]["Status"] == "paused");
    CHECK(berth.run({"ps", "--format", "{{.Names}} {{.Status}}"}).out.find("(Paused)") != std::string::npos);
    REQUIRE(berth.run({"unpause", "worker"}).code == 0);
    CHECK(inspect(berth, "worker")["State"]["Status"] == "running");
    auto top = berth.run({"top", "worker"});
    CHECK(top.out.rfind("UID", 0) == 0);
    CHECK(top.out.find("while true") != std::string::npos);
    REQUIRE(berth.run({"rename", "worker", "renamed"}).code == 0);
    CHECK(inspect(berth, "renamed")["Name"] == "/renamed");
    CHECK(berth.run({"inspect", "worker"}).code == 1);
    REQUIRE(berth.run({"restart", "-t", "1", "renamed"}).code == 0);
    CHECK(inspect(berth, "renamed")["State"]["Running"] == true);
    REQUIRE(berth.run({"kill", "-s", "TERM", "renamed"}).code == 0);
    CHECK(berth.run({"wait", "renamed"}).out == "0\n");
    auto exits = berth.run({"run", "-d", "busybox", "sh", "-c", "sleep 0.2; exit 5"}).out.substr(0, 64);
    CHECK(berth.run({"wait", exits}).out == "5\n");
    CHECK(berth.run({"ps", "-a", "--filter", "exited=5", "-q"}).out == exits.substr(0, 12) + "\n");
    CHECK(berth.run({"pause", exits}).code == 1);
}

TEST_CASE("exec: env, user, workdir, exit codes, and a missing command", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    start_sleeper(berth, "target", {"-e", "FROM_RUN=1"});
    auto o = berth.run({"exec", "-e", "X=2", "-u", "app", "-w", "/tmp", "target", "sh", "-c",
                        "echo $FROM_RUN $X; id -un; pwd; cat /proc/1/cmdline | head -c 2"});
    INFO(o.err);
    CHECK(o.out == "1 2\napp\n/tmp\nsh");
    CHECK(berth.run({"exec", "target", "sh", "-c", "exit 4"}).code == 4);
    auto missing = berth.run({"exec", "target", "nope"});
    CHECK(missing.code == 127);
    CHECK(berth.run({"exec", "-i", "target", "cat"}, "piped\n").out == "piped\n");
    // The exec'd process is in the container's pid namespace.
    CHECK(berth.run({"exec", "target", "sh", "-c", "ls /proc | grep -c '^[0-9]'"}).out != "");
    REQUIRE(berth.run({"stop", "target"}).code == 0);
    CHECK(berth.run({"exec", "target", "true"}).code == 1);
}

TEST_CASE("cp both ways, export, diff", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    start_sleeper(berth, "files");
    REQUIRE(berth.run({"exec", "files", "sh", "-c", "mkdir -p /data/sub; echo in > /data/sub/f; rm /etc/group"}).code == 0);
    auto out = berth.dir() / "out";
    std::filesystem::create_directories(out);
    REQUIRE(berth.run({"cp", "files:/data", out.string()}).code == 0);
    CHECK(test_support::run_capture("cat " + (out / "data/sub/f").string()) == "in\n");
    REQUIRE(berth.run({"cp", "files:/data/sub/f", (out / "renamed").string()}).code == 0);
    CHECK(test_support::run_capture("cat " + (out / "renamed").string()) == "in\n");
    std::ofstream(berth.dir() / "host.txt") << "from host\n";
    REQUIRE(berth.run({"cp", (berth.dir() / "host.txt").string(), "files:/data/"}).code == 0);
    CHECK(berth.run({"exec", "files", "cat", "/data/host.txt"}).out == "from host\n");
    CHECK(berth.run({"cp", "files:/nope", out.string()}).code == 1);
    auto diff = berth.run({"diff", "files"});
    CHECK(diff.out.find("A /data\n") != std::string::npos);
    CHECK(diff.out.find("D /etc/group\n") != std::string::npos);
    auto tar = berth.dir() / "export.tar";
    REQUIRE(berth.run({"export", "-o", tar.string(), "files"}).code == 0);
    auto listing = test_support::run_capture("tar -tf " + tar.string());
    CHECK(listing.find("data/sub/f") != std::string::npos);
    CHECK(listing.find("bin/busybox") != std::string::npos);
    CHECK(listing.find("etc/group") == std::string::npos);
    CHECK(listing.find("proc/1") == std::string::npos);
    // A symlink in the container pointing at a host path is resolved inside the container.
    REQUIRE(berth.run({"exec", "files", "ln", "-s", "/etc/shadow-host", "/data/link"}).code == 0);
    REQUIRE(berth.run({"cp", "files:/data/link", (out / "link").string()}).code == 0);
    CHECK(std::filesystem::is_symlink(out / "link"));
}

TEST_CASE("run -d --rm removes the container when it exits", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto id = berth.run({"run", "-d", "--rm", "busybox", "sleep", "0.2"}).out.substr(0, 64);
    for (int i = 0; i < 200 && berth.run({"ps", "-aq"}).out != ""; ++i) ::usleep(20000);
    CHECK(berth.run({"ps", "-aq"}).out == "");
    CHECK(berth.run({"inspect", id}).code == 1);
}

TEST_CASE("commit: the writable layer and changes become a new image", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    start_sleeper(berth, "source");
    REQUIRE(berth.run({"exec", "source", "sh", "-c", "echo kept > /etc/note; rm /etc/group"}).code == 0);
    auto committed = berth.run({"commit", "-a", "tester", "-m", "snapshot", "-c", "CMD [\"cat\", \"/etc/note\"]",
                                "source", "snap:v1"});
    INFO(committed.err);
    REQUIRE(committed.code == 0);
    CHECK(committed.out.rfind("sha256:", 0) == 0);
    // Still running after the pause the commit took.
    CHECK(inspect(berth, "source")["State"]["Status"] == "running");
    CHECK(berth.run({"run", "--rm", "snap:v1"}).out == "kept\n");
    CHECK(in_box(berth, {}, "test -e /etc/group && echo base-untouched") == "base-untouched\n");
    auto gone = berth.run({"run", "--rm", "snap:v1", "sh", "-c", "test -e /etc/group || echo deleted"});
    CHECK(gone.out == "deleted\n");
    auto image = json::parse(berth.run({"image", "inspect", "snap:v1"}).out)[0];
    CHECK(image["RootFS"]["Layers"].size() == 2);
    CHECK(image["Author"] == "tester");
    CHECK(berth.run({"history", "-q", "snap:v1"}).out.find(committed.out.substr(7, 12)) == 0);
    CHECK(berth.run({"commit", "-c", "BOGUS x", "source"}).code == 1);
}
