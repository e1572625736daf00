// berth save / berth load against themselves, skopeo and a private dockerd, all local.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/berth_cli.hpp"
#include "tests/support/private_dockerd.hpp"

using nlohmann::json;
using test_support::BerthCli;
using test_support::PrivateDockerd;
using test_support::shell_quote;

namespace {

struct Shell {
    int code = -1;
    std::string out;
};

// Runs a shell command, capturing stdout and stderr together.
Shell sh(const std::string& command) {
    Shell r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.out.append(buf, n);
    int status = ::pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string image_id(const BerthCli& berth, const std::string& ref) {
    auto o = berth.run({"image", "inspect", "-f", "{{.Id}}", ref});
    INFO(o.err);
    REQUIRE(o.code == 0);
    return o.out.substr(0, o.out.find('\n'));
}

std::string tags(const BerthCli& berth) {
    return berth.run({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out;
}

// The unpacked layer directories of an image, top-most first.
std::vector<std::string> layer_dirs(const BerthCli& berth, const std::string& id) {
    auto config = json::parse(berth.run({"image", "inspect", "-f", "{{json .RootFS.Layers}}", id}).out);
    std::vector<std::string> dirs;
    for (const auto& diff_id : config)
        dirs.push_back(berth.root() + "/image/layers/" + diff_id.get<std::string>().substr(7) + "/diff");
    return dirs;
}

// Both trees hold the same names, types, modes, owners and contents.
void require_same_tree(const std::string& a, const std::string& b) {
    auto listing = [](const std::string& dir) {
        return sh("cd " + shell_quote(dir) + " && find . -printf '%p %y %m %U:%G %l\\n' | sort").out;
    };
    CHECK(listing(a) == listing(b));
    auto diff = sh("diff -r --no-dereference " + shell_quote(a) + " " + shell_quote(b));
    INFO(diff.out);
    CHECK(diff.code == 0);
}

Shell berth_load(const BerthCli& berth, const std::string& file) {
    auto o = berth.run({"load", "-i", file});
    return {o.code, o.out + o.err};
}

// The image id skopeo's copy records: the config digest in the manifest it wrote.
std::string skopeo_config_digest(const std::string& transport) {
    auto raw = sh("skopeo inspect --raw " + shell_quote(transport));
    INFO(raw.out);
    REQUIRE(raw.code == 0);
    return json::parse(raw.out)["config"]["digest"].get<std::string>();
}

}  // namespace

TEST_CASE("xfer: save, then load into another root: same id, tags and layer content", "[.root][image][xfer]") {
    REQUIRE_ROOT();
    BerthCli source, target;
    source.import_busybox("busybox:latest");
    REQUIRE(source.run({"tag", "busybox", "localhost:5000/tools/box:v1"}).code == 0);
    std::string id = image_id(source, "busybox");
    std::string archive = (source.dir() / "saved.tar").string();
    auto saved = source.run({"save", "-o", archive, "busybox", "localhost:5000/tools/box:v1"});
    INFO(saved.err);
    REQUIRE(saved.code == 0);

    auto loaded = target.run({"load", "-i", archive});
    INFO(loaded.err);
    REQUIRE(loaded.code == 0);
    CHECK(loaded.out == "Loaded image: busybox:latest\nLoaded image: localhost:5000/tools/box:v1\n");
    CHECK(image_id(target, "busybox") == id);
    CHECK(tags(target) == tags(source));
    auto a = layer_dirs(source, id), b = layer_dirs(target, id);
    REQUIRE(a.size() == 1);
    REQUIRE(a.size() == b.size());
    require_same_tree(a[0], b[0]);

    // Through a pipe, gzip-compressed, by id: the image comes back untagged.
    BerthCli third;
    auto piped = sh(shell_quote(BERTH_BINARY) + " --root " + shell_quote(source.root()) + " save " + id.substr(7, 12) +
                    " | gzip | " + shell_quote(BERTH_BINARY) + " --root " + shell_quote(third.root()) + " load -q");
    CHECK(piped.out == "Loaded image ID: " + id + "\n");
    CHECK(image_id(third, id) == id);

    // An unknown image fails before anything is written.
    auto unknown = source.run({"save", "-o", (source.dir() / "none.tar").string(), "nosuch:1"});
    CHECK(unknown.code == 1);
    CHECK(unknown.err == "Error: No such image: nosuch:1\n");
    CHECK_FALSE(std::filesystem::exists(source.dir() / "none.tar"));
    CHECK(sh("ls " + shell_quote(source.dir().string()) + " | grep -c berth-tmp").out == "0\n");
}

TEST_CASE("xfer: skopeo reads berth's archive, and berth loads what skopeo converts it to", "[.root][image][xfer]") {
    REQUIRE_ROOT();
    BerthCli source;
    source.import_busybox("busybox:latest");
    std::string id = image_id(source, "busybox");
    auto dir = source.dir();
    std::string archive = (dir / "saved.tar").string();
    REQUIRE(source.run({"save", "-o", archive, "busybox"}).code == 0);

    auto inspect = sh("skopeo inspect docker-archive:" + archive);
    INFO(inspect.out);
    REQUIRE(inspect.code == 0);
    CHECK(json::parse(inspect.out)["Layers"].size() == 1);
    CHECK(sh("skopeo inspect oci-archive:" + archive).code == 0);  // the same file as an OCI layout

    SECTION("oci: directory (gzip layers), tarred") {
        std::string oci = (dir / "oci").string();
        REQUIRE(sh("skopeo copy docker-archive:" + archive + " oci:" + oci + ":v1").code == 0);
        std::string expected = skopeo_config_digest("oci:" + oci + ":v1");
        REQUIRE(sh("tar -C " + shell_quote(oci) + " -cf " + shell_quote(oci + ".tar") + " .").code == 0);
        BerthCli target;
        auto loaded = berth_load(target, oci + ".tar");
        INFO(loaded.out);
        REQUIRE(loaded.code == 0);
        CHECK(loaded.out == "Loaded image ID: " + expected + "\n");  // skopeo's bare tag names no repository
        require_same_tree(layer_dirs(source, id)[0], layer_dirs(target, expected)[0]);
    }
    SECTION("oci-archive with zstd layers and a full name") {
        std::string oa = (dir / "oci-archive.tar").string();
        REQUIRE(sh("skopeo copy --dest-compress-format zstd docker-archive:" + archive + " oci-archive:" + oa +
                   ":localhost/copied:v2").code == 0);
        std::string expected = skopeo_config_digest("oci-archive:" + oa);
        BerthCli target;
        auto loaded = berth_load(target, oa);
        INFO(loaded.out);
        REQUIRE(loaded.code == 0);
        CHECK(loaded.out == "Loaded image: localhost/copied:v2\n");
        CHECK(image_id(target, "localhost/copied:v2") == expected);
    }
    SECTION("dir: and back to a docker-archive keeps the image id") {
        std::string d = (dir / "dir").string(), back = (dir / "back.tar").string();
        REQUIRE(sh("skopeo copy docker-archive:" + archive + " dir:" + d).code == 0);
        REQUIRE(sh("skopeo copy dir:" + d + " docker-archive:" + back + ":busybox:copied").code == 0);
        std::string expected = skopeo_config_digest("docker-archive:" + back);
        BerthCli target;
        auto loaded = berth_load(target, back);
        INFO(loaded.out);
        REQUIRE(loaded.code == 0);
        CHECK(loaded.out == "Loaded image: busybox:copied\n");
        CHECK(image_id(target, "busybox:copied") == expected);
        require_same_tree(layer_dirs(source, id)[0], layer_dirs(target, expected)[0]);
    }
}

TEST_CASE("xfer: docker 20.10 loads berth's archive and berth loads docker's save", "[.root][image][xfer]") {
    REQUIRE_ROOT();
    BerthCli source, target;
    source.import_busybox("busybox:latest");
    REQUIRE(source.run({"tag", "busybox", "berth/roundtrip:1"}).code == 0);
    // The same layer under another config: docker 20.10 saves it once and links the second copy.
    REQUIRE(source.run({"import", "-m", "second", (source.dir() / "busybox.tar").string(), "berth/second:1"}).code == 0);
    std::string id = image_id(source, "busybox"), second = image_id(source, "berth/second:1");
    REQUIRE(second != id);
    std::string archive = (source.dir() / "saved.tar").string(), back = (source.dir() / "docker.tar").string();
    REQUIRE(source.run({"save", "-o", archive, "busybox:latest", "berth/roundtrip:1", "berth/second:1"}).code == 0);

    PrivateDockerd docker;
    std::string failure = docker.wait_ready();
    INFO(failure);
    REQUIRE(failure.empty());
    auto loaded = sh(docker.docker("load -i " + shell_quote(archive)));
    INFO(loaded.out);
    REQUIRE(loaded.code == 0);
    CHECK(loaded.out.find("Loaded image: berth/roundtrip:1") != std::string::npos);
    CHECK(sh(docker.docker("image inspect -f '{{.Id}}' berth/roundtrip:1")).out == id + "\n");

    CHECK(sh(docker.docker("image inspect -f '{{.Id}}' berth/second:1")).out == second + "\n");

    auto saved = sh(docker.docker("save -o " + shell_quote(back) + " busybox:latest berth/roundtrip:1 berth/second:1"));
    INFO(saved.out);
    REQUIRE(saved.code == 0);
    CHECK(sh("tar -tvf " + shell_quote(back) + " | grep -c '^l'").out == "1\n");  // the linked layer
    auto reloaded = berth_load(target, back);
    INFO(reloaded.out);
    REQUIRE(reloaded.code == 0);
    CHECK(image_id(target, "berth/roundtrip:1") == id);
    CHECK(image_id(target, "busybox:latest") == id);
    CHECK(image_id(target, "berth/second:1") == second);
    require_same_tree(layer_dirs(source, id)[0], layer_dirs(target, id)[0]);
}
