// End to end through the berth binary: import, run, ps, logs, stop, rm, exit codes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/support/berth_cli.hpp"

using test_support::BerthCli;

TEST_CASE("berth run: output, exit codes and --rm", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto hello = berth.run({"run", "--rm", "busybox", "echo", "hello"});
    CHECK(hello.err == "");
    CHECK(hello.out == "hello\n");
    CHECK(hello.code == 0);
    CHECK(berth.run({"run", "--rm", "busybox", "sh", "-c", "exit 3"}).code == 3);
    // pid 1 ignores SIGKILL from inside its own namespace (as in Docker); behind --init, sh is pid 2.
    CHECK(berth.run({"run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"}).code == 137);
    CHECK(berth.run({"ps", "-aq"}).out == "");
}

TEST_CASE("berth run: a missing command is exit 127 with docker's message", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto missing = berth.run({"run", "--rm", "busybox", "no-such-program"});
    CHECK(missing.code == 127);
    CHECK(missing.err.find("exec: \"no-such-program\": executable file not found in $PATH") != std::string::npos);
}

TEST_CASE("berth run -d, ps, logs, stop, start, rm", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto started = berth.run({"run", "-d", "--name", "ticker", "busybox", "sh", "-c",
                              "echo out; echo err >&2; trap 'exit 0' TERM; while true; do sleep 0.1; done"});
    REQUIRE(started.code == 0);
    REQUIRE(started.out.size() == 65);
    auto ps = berth.run({"ps"});
    CHECK(ps.out.find("ticker") != std::string::npos);
    CHECK(ps.out.find("Up ") != std::string::npos);
    auto inspect = nlohmann::json::parse(berth.run({"inspect", "ticker"}).out);
    CHECK(inspect[0]["State"]["Running"] == true);
    CHECK(inspect[0]["Name"] == "/ticker");
    CHECK(berth.run({"stop", "ticker"}).out == "ticker\n");
    auto after = nlohmann::json::parse(berth.run({"inspect", "ticker"}).out);
    CHECK(after[0]["State"]["Status"] == "exited");
    CHECK(after[0]["State"]["ExitCode"] == 0);
    CHECK(berth.run({"ps", "-q"}).out == "");
    CHECK(berth.run({"ps", "-aq"}).out == started.out.substr(0, 12) + "\n");
    auto logs = berth.run({"logs", "ticker"});
    CHECK(logs.out == "out\n");
    CHECK(logs.err == "err\n");
    REQUIRE(berth.run({"start", "ticker"}).code == 0);
    CHECK(berth.run({"rm", "ticker"}).code == 1);
    CHECK(berth.run({"rm", "-f", "ticker"}).out == "ticker\n");
    CHECK(berth.run({"ps", "-aq"}).out == "");
}

TEST_CASE("berth ps -a tells the truth after the shim is killed", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto id = berth.run({"run", "-d", "busybox", "sleep", "1000"}).out.substr(0, 64);
    auto state = nlohmann::json::parse(berth.run({"inspect", id}).out)[0]["State"];
    REQUIRE(state["Running"] == true);
    int pid = state["Pid"];
    // The shim is the container process's parent; kill both as a crash would.
    auto stat = test_support::run_capture("cut -d' ' -f4 /proc/" + std::to_string(pid) + "/stat");
    int shim = std::stoi(stat);
    ::kill(shim, SIGKILL);
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(10000);
    auto after = nlohmann::json::parse(berth.run({"inspect", id}).out)[0]["State"];
    CHECK(after["Running"] == false);
    CHECK(after["Status"] == "exited");
    CHECK(berth.run({"ps", "-q"}).out == "");
}
