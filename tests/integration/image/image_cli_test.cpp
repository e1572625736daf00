// The image commands end to end through the berth binary.
#include <catch2/catch.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

size_t count_entries(const std::filesystem::path& dir) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().filename().string()[0] != '.';
    return n;
}

}  // namespace

TEST_CASE("image cli: import, images, tag, history, inspect, rmi", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto inspect = berth.run({"image", "inspect", "-f", "{{.Id}} {{.Os}} {{json .RepoTags}}", "busybox"});
    REQUIRE(inspect.code == 0);
    std::string id = inspect.out.substr(0, 71);
    CHECK(inspect.out == id + " linux [\"busybox:latest\"]\n");

    auto images = lines(berth.run({"images"}).out);
    REQUIRE(images.size() == 2);
    CHECK(images[0] == "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE");
    CHECK(images[1].rfind("busybox      latest    " + id.substr(7, 12) + "   ", 0) == 0);

    REQUIRE(berth.run({"tag", "busybox", "localhost:5000/box:v1"}).code == 0);
    CHECK(berth.run({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out ==
          "busybox:latest\nlocalhost:5000/box:v1\n");
    CHECK(berth.run({"image", "ls", "-q", "--no-trunc"}).out == id + "\n" + id + "\n");

    auto history = lines(berth.run({"history", "busybox"}).out);
    REQUIRE(history.size() == 2);
    CHECK(history[0] == "IMAGE          CREATED                  CREATED BY   SIZE      COMMENT");
    CHECK(history[1].find("Imported from -") != std::string::npos);

    auto rmi = berth.run({"rmi", "busybox", "localhost:5000/box:v1"});
    CHECK(rmi.out == "Untagged: busybox:latest\nUntagged: localhost:5000/box:v1\nDeleted: " + id + "\n");
    auto missing = berth.run({"rmi", "busybox"});
    CHECK(missing.code == 1);
    CHECK(missing.err == "Error: No such image: busybox:latest\n");
    CHECK(count_entries(berth.root() + "/image/layers") == 0);
}

TEST_CASE("image cli: the same layer imported twice is stored once", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox("one");
    // The same tar again (a rebuilt rootfs could differ in its mtimes).
    REQUIRE(berth.run({"import", (berth.dir() / "busybox.tar").string(), "two"}).code == 0);
    CHECK(lines(berth.run({"images", "-q"}).out).size() == 2);
    CHECK(count_entries(berth.root() + "/image/layers") == 1);
    REQUIRE(berth.run({"rmi", "one"}).code == 0);
    CHECK(count_entries(berth.root() + "/image/layers") == 1);
    auto run = berth.run({"image", "inspect", "-f", "{{.Size}}", "two"});
    CHECK(run.code == 0);
}

TEST_CASE("image cli: rmi refuses an image a container was created from", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto created = berth.run({"create", "--name", "user1", "busybox", "sh"});
    INFO(created.err);
    REQUIRE(created.code == 0);
    auto refused = berth.run({"rmi", "busybox"});
    CHECK(refused.code == 1);
    CHECK(refused.err.find("conflict: unable to remove repository reference \"busybox:latest\" (must force) - "
                           "container user1 is using its referenced image") != std::string::npos);
    auto forced = berth.run({"rmi", "-f", "busybox"});
    CHECK(forced.out == "Untagged: busybox:latest\n");
    CHECK(berth.run({"images", "-q", "--filter", "dangling=true"}).out.size() == 13);
    auto pruned = berth.run({"image", "prune", "-a", "-f"});
    CHECK(pruned.out == "Total reclaimed space: 0B\n");  // still used by the container
}

TEST_CASE("image cli: parallel imports lose no name and share one layer", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox("first");
    std::string tar = (berth.dir() / "busybox.tar").string();
    std::string cmd;
    for (int i = 0; i < 4; ++i)
        cmd += test_support::shell_quote(BERTH_BINARY) + " --root " + test_support::shell_quote(berth.root()) +
               " import " + test_support::shell_quote(tar) + " p" + std::to_string(i) + " >/dev/null & ";
    REQUIRE(std::system((cmd + "wait").c_str()) == 0);
    CHECK(berth.run({"images", "--format", "{{.Repository}}", "--filter", "reference=p*"}).out.size() == 12);
    CHECK(count_entries(berth.root() + "/image/layers") == 1);
}

TEST_CASE("image cli: import from stdin with changes and a message", "[.root][image]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    std::ifstream in(berth.dir() / "busybox.tar", std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto o = berth.run({"import", "-c", "ENTRYPOINT [\"/bin/sh\"]", "--change", "ENV A=1", "-m", "by hand", "-",
                        "withcfg:1"}, data);
    INFO(o.err);
    REQUIRE(o.code == 0);
    CHECK(o.out.rfind("sha256:", 0) == 0);
    CHECK(berth.run({"image", "inspect", "-f", "{{json .Config.Entrypoint}} {{.Config.Env}} {{.Comment}}", "withcfg:1"})
              .out == "[\"/bin/sh\"] [A=1] by hand\n");
    auto bad = berth.run({"import", "-c", "FROM x", "-", "bad"}, data);
    CHECK(bad.code == 1);
    CHECK(bad.err == "Error: FROM is not a valid change command\n");
}
