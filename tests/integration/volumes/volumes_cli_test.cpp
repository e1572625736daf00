// Volumes end to end through the berth binary: persistence, sharing, copy-up, read-only
// mounts, rm -v, prune, driver options and hostile specifications.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

namespace {

// A busybox image whose /data holds files of other owners and modes, a symlink, and VOLUME /data.
void import_data_image(const BerthCli& berth, const std::string& ref, const std::string& escape_link = "") {
    auto rootfs = berth.dir() / ("rootfs-" + ref);
    test_support::make_busybox_rootfs(rootfs);
    if (!escape_link.empty()) {
        // An image trying to redirect a volume onto the host through its mount point.
        std::filesystem::create_symlink(escape_link, rootfs / "data");
    } else {
        std::filesystem::create_directories(rootfs / "data/sub");
        std::ofstream(rootfs / "data/file") << "from image\n";
        REQUIRE(::chown((rootfs / "data/file").c_str(), 1000, 1001) == 0);
        REQUIRE(::chmod((rootfs / "data/file").c_str(), 0640) == 0);
        REQUIRE(::chown((rootfs / "data/sub").c_str(), 1000, 1000) == 0);
        REQUIRE(::chmod((rootfs / "data/sub").c_str(), 0710) == 0);
        std::filesystem::create_symlink("file", rootfs / "data/link");
    }
    test_support::make_tar(rootfs, berth.dir() / "data.tar");
    auto o = berth.run({"import", "--change", "VOLUME /data", (berth.dir() / "data.tar").string(), ref});
    INFO(o.err);
    REQUIRE(o.code == 0);
}

std::string volume_names(const BerthCli& berth) { return berth.run({"volume", "ls", "-q"}).out; }

}  // namespace

TEST_CASE("volumes: data outlives the container that wrote it", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto write = berth.run({"run", "--name", "writer", "-v", "data:/data", "busybox", "sh", "-c", "echo hi > /data/f"});
    INFO(write.err);
    REQUIRE(write.code == 0);
    REQUIRE(berth.run({"rm", "-v", "writer"}).code == 0);  // a named volume survives rm -v
    auto read = berth.run({"run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f"});
    CHECK(read.out == "hi\n");
    CHECK(volume_names(berth) == "data\n");
    auto inspect = nlohmann::json::parse(berth.run({"volume", "inspect", "data"}).out);
    CHECK(inspect[0]["Mountpoint"] == berth.root() + "/volumes/data/_data");
    CHECK(inspect[0]["Driver"] == "local");
}

TEST_CASE("volumes: two running containers share a volume", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto server = berth.run({"run", "-d", "--name", "server", "-v", "shared:/s", "busybox", "sh", "-c",
                             "while [ ! -f /s/ping ]; do sleep 0.05; done; echo pong > /s/pong; sleep 60"});
    REQUIRE(server.code == 0);
    auto client = berth.run({"run", "--rm", "-v", "shared:/s", "busybox", "sh", "-c",
                             "touch /s/ping; for i in $(seq 100); do [ -f /s/pong ] && cat /s/pong && exit 0; "
                             "sleep 0.05; done; exit 1"});
    CHECK(client.out == "pong\n");
    CHECK(client.code == 0);
    // In use: refused, with the user named.
    auto rm = berth.run({"volume", "rm", "shared"});
    CHECK(rm.code == 1);
    CHECK(rm.err.find("remove shared: volume is in use - [") != std::string::npos);
}

TEST_CASE("volumes: copy-up keeps owners, modes and symlinks; nocopy does not copy", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    import_data_image(berth, "data-image");
    auto stat = berth.run({"run", "--rm", "-v", "cu:/data", "data-image", "sh", "-c",
                           "stat -c '%n %u:%g %a' /data/file /data/sub /data/link; readlink /data/link; cat /data/file"});
    INFO(stat.err);
    CHECK(stat.out == "/data/file 1000:1001 640\n/data/sub 1000:1000 710\n/data/link 0:0 777\nfile\nfrom image\n");
    auto nocopy = berth.run({"run", "--rm", "-v", "empty:/data:nocopy", "data-image", "ls", "-A", "/data"});
    CHECK(nocopy.out == "");
    // A volume with content is not overwritten by the image's.
    REQUIRE(berth.run({"run", "--rm", "-v", "cu:/data", "data-image", "sh", "-c", "echo mine > /data/file"}).code == 0);
    CHECK(berth.run({"run", "--rm", "-v", "cu:/data", "data-image", "cat", "/data/file"}).out == "mine\n");
}

TEST_CASE("volumes: image VOLUME makes an anonymous volume; rm -v removes it", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    import_data_image(berth, "data-image");
    REQUIRE(berth.run({"create", "--name", "holder", "-v", "keep:/keep", "data-image", "true"}).code == 0);
    auto mounts = nlohmann::json::parse(berth.run({"inspect", "holder"}).out)[0]["Mounts"];
    REQUIRE(mounts.size() == 2);
    const auto& anon = mounts[0]["Destination"] == "/data" ? mounts[0] : mounts[1];
    std::string name = anon["Name"];
    CHECK(name.size() == 64);
    CHECK(anon["Type"] == "volume");
    CHECK(anon["Source"] == berth.root() + "/volumes/" + name + "/_data");
    CHECK(anon["RW"] == true);
    auto vol = nlohmann::json::parse(berth.run({"volume", "inspect", name}).out);
    CHECK(vol[0]["Labels"].contains("com.docker.volume.anonymous"));
    CHECK(berth.run({"run", "--rm", "--volumes-from", "holder:ro", "data-image", "sh", "-c",
                     "cat /data/file; touch /data/x"}).out == "from image\n");
    REQUIRE(berth.run({"rm", "-v", "holder"}).code == 0);
    CHECK(volume_names(berth) == "keep\n");
}

TEST_CASE("volumes: read-only mounts refuse writes", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto ro = berth.run({"run", "--rm", "-v", "rov:/d:ro", "busybox", "touch", "/d/x"});
    CHECK(ro.code != 0);
    CHECK(ro.err.find("Read-only file system") != std::string::npos);
    auto host = berth.dir() / "hostdir";
    std::filesystem::create_directories(host);
    auto bind = berth.run({"run", "--rm", "--mount", "type=bind,src=" + host.string() + ",dst=/h,readonly",
                           "busybox", "touch", "/h/x"});
    CHECK(bind.err.find("Read-only file system") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(host / "x"));
    auto rw = berth.run({"run", "--rm", "-v", host.string() + ":/h", "busybox", "sh", "-c", "echo w > /h/x"});
    CHECK(rw.code == 0);
    CHECK(std::filesystem::exists(host / "x"));
}

TEST_CASE("volumes: prune removes unused anonymous volumes, -a every unused one", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    REQUIRE(berth.run({"volume", "create", "named"}).code == 0);
    REQUIRE(berth.run({"volume", "create", "used"}).code == 0);
    REQUIRE(berth.run({"create", "-v", "used:/u", "busybox", "true"}).code == 0);
    REQUIRE(berth.run({"run", "--name", "anon", "-v", "/scratch", "busybox", "true"}).code == 0);
    REQUIRE(berth.run({"rm", "anon"}).code == 0);  // without -v: the anonymous volume stays
    CHECK(berth.run({"volume", "ls", "-q", "--filter", "dangling=true"}).out.size() == 65 + 6);
    auto pruned = berth.run({"volume", "prune", "-f"});
    CHECK(pruned.out.find("Deleted Volumes:\n") == 0);
    CHECK(volume_names(berth) == "named\nused\n");
    auto all = berth.run({"volume", "prune", "-a", "-f"});
    CHECK(all.out == "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n");
    CHECK(volume_names(berth) == "used\n");
}

TEST_CASE("volumes: a tmpfs driver volume is mounted while in use", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    REQUIRE(berth.run({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m,uid=1000",
                       "tv"}).code == 0);
    auto seen = berth.run({"run", "--rm", "-v", "tv:/t", "busybox", "sh", "-c",
                           "grep ' /t ' /proc/mounts | cut -d' ' -f3; stat -c %u /t"});
    INFO(seen.err);
    CHECK(seen.out == "tmpfs\n1000\n");
    REQUIRE(berth.run({"volume", "rm", "tv"}).code == 0);
    CHECK_FALSE(std::filesystem::exists(berth.root() + "/volumes/tv"));
}

TEST_CASE("volumes: --mount tmpfs with size and mode", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto seen = berth.run({"run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=2m,tmpfs-mode=1770", "busybox",
                           "sh", "-c", "stat -c %a /t; grep ' /t ' /proc/mounts | grep -o size=[0-9a-z]*"});
    CHECK(seen.out == "1770\nsize=2048k\n");
}

TEST_CASE("volumes: hostile specifications are refused and create nothing", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto missing = berth.dir() / "missing";
    auto refuse = [&](std::vector<std::string> args, const std::string& message) {
        args.insert(args.begin(), "create");
        args.insert(args.end(), {"busybox", "true"});
        auto o = berth.run(args);
        INFO(o.err);
        CHECK(o.code != 0);
        CHECK(o.err.find(message) != std::string::npos);
    };
    refuse({"--mount", "type=bind,src=" + missing.string() + ",dst=/x"}, "bind source path does not exist");
    refuse({"-v", "/tmp:rel"}, "mount path must be absolute");
    refuse({"-v", "/tmp:/"}, "destination can't be '/'");
    refuse({"--mount", "type=volume,dst=/x/.."}, "destination can't be '/'");
    refuse({"-v", "../etc:/x"}, "includes invalid characters for a local volume name");
    refuse({"-v", "a/b:/x"}, "includes invalid characters");
    refuse({"-v", "v1:/x", "-v", "v2:/x"}, "Duplicate mount point: /x");
    refuse({"--volumes-from", "nosuch"}, "nosuch");
    CHECK(berth.run({"ps", "-aq"}).out == "");
    CHECK(volume_names(berth) == "");
    CHECK_FALSE(std::filesystem::exists(missing));
    // Requested creation is allowed.
    CHECK(berth.run({"create", "--mount", "type=bind,src=" + missing.string() + ",dst=/x,bind-create-host-path",
                     "busybox", "true"}).code == 0);
    CHECK(std::filesystem::is_directory(missing));
}

TEST_CASE("volumes: an image's symlinked mount point stays inside the container", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    auto host_target = berth.dir() / "host-target";
    SECTION("to a host path that the container does not have: a clear error") {
        import_data_image(berth, "escape", "/../../../.." + host_target.string());
        auto o = berth.run({"run", "--rm", "-v", "esc:/data", "escape", "sh", "-c", "echo x > /data/f"});
        CHECK(o.code != 0);
        CHECK(o.err.find("resolve /data in the container") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(host_target));
    }
    SECTION("to a directory both have: the container's one") {
        import_data_image(berth, "escape", "../../../../../tmp");
        auto o = berth.run({"run", "--rm", "-v", "esc:/data", "escape", "sh", "-c", "echo x > /tmp/marker-$$; echo $$"});
        INFO(o.err);
        CHECK(o.code == 0);
        CHECK_FALSE(std::filesystem::exists("/tmp/marker-" + o.out.substr(0, o.out.size() - 1)));
        CHECK(std::filesystem::exists(berth.root() + "/volumes/esc/_data/marker-" + o.out.substr(0, o.out.size() - 1)));
    }
}

TEST_CASE("volumes: a symlinked bind source is resolved on the host", "[.root][volumes]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto real = berth.dir() / "real";
    std::filesystem::create_directories(real);
    std::filesystem::create_symlink(real, berth.dir() / "link");
    auto o = berth.run({"run", "--rm", "-v", (berth.dir() / "link").string() + ":/h", "busybox", "sh", "-c",
                        "echo y > /h/f"});
    CHECK(o.code == 0);
    CHECK(std::filesystem::exists(real / "f"));
    CHECK(std::filesystem::is_symlink(berth.dir() / "link"));
}
