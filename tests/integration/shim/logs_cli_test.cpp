// `berth logs` end to end: the flags docker has, on a container that already exited.
#include <regex>
#include <thread>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

namespace {

void wait_exited(const BerthCli& berth, const std::string& name) {
    REQUIRE(berth.run({"wait", name}).code == 0);
}

}  // namespace

TEST_CASE("berth logs: tail, timestamps, since, until, streams", "[.root][shim]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    REQUIRE(berth.run({"run", "-d", "--name", "counter", "busybox", "seq", "1", "5"}).code == 0);
    wait_exited(berth, "counter");

    CHECK(berth.run({"logs", "counter"}).out == "1\n2\n3\n4\n5\n");
    CHECK(berth.run({"container", "logs", "counter"}).out == "1\n2\n3\n4\n5\n");
    CHECK(berth.run({"logs", "--tail", "2", "counter"}).out == "4\n5\n");
    CHECK(berth.run({"logs", "-n", "0", "counter"}).out == "");
    CHECK(berth.run({"logs", "--tail", "all", "counter"}).out == "1\n2\n3\n4\n5\n");
    CHECK(berth.run({"logs", "-f", "counter"}).out == "1\n2\n3\n4\n5\n");

    auto stamped = berth.run({"logs", "-t", "--tail", "1", "counter"});
    CHECK(std::regex_match(stamped.out, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 5\n)")));

    CHECK(berth.run({"logs", "--since", "1h", "counter"}).out == "1\n2\n3\n4\n5\n");
    CHECK(berth.run({"logs", "--until", "1h", "counter"}).out == "");
    CHECK(berth.run({"logs", "--since", "4102444800", "counter"}).out == "");  // 2100-01-01
    CHECK(berth.run({"logs", "--since", "2000-01-01T00:00:00Z", "--until", "4102444800", "counter"}).out ==
          "1\n2\n3\n4\n5\n");

    auto bad = berth.run({"logs", "--since", "yesterday", "counter"});
    CHECK(bad.code == 1);
    CHECK(bad.err.find("invalid value for \"since\"") != std::string::npos);
    CHECK(berth.run({"logs", "no-such-container"}).code == 1);

    REQUIRE(berth.run({"run", "-d", "--name", "both", "busybox", "ls", "/", "/nonexistent"}).code == 0);
    wait_exited(berth, "both");
    auto both = berth.run({"logs", "both"});
    CHECK(both.out.find("bin\n") != std::string::npos);
    CHECK(both.out.find("nonexistent") == std::string::npos);
    CHECK(both.err == "ls: /nonexistent: No such file or directory\n");
}

TEST_CASE("berth logs -f: follows a running container until it exits", "[.root][shim]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    // busybox `time` reports on stderr once the second has passed.
    REQUIRE(berth.run({"run", "-d", "--name", "slow", "busybox", "time", "sleep", "1"}).code == 0);
    auto followed = berth.run({"logs", "-f", "slow"});
    CHECK(followed.code == 0);
    CHECK(followed.err.find("real") != std::string::npos);
}
