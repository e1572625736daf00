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

TEST_CASE("berth: a container's writable layer survives every process being killed", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    auto id = berth.run({"run", "-d", "--name", "keeper", "busybox", "sh", "-c",
                         "echo precious > /data.txt; sleep 1000"}).out.substr(0, 64);
    for (int i = 0; i < 100 && berth.run({"exec", "keeper", "cat", "/data.txt"}).out != "precious\n"; ++i)
        ::usleep(20000);
    int pid = nlohmann::json::parse(berth.run({"inspect", id}).out)[0]["State"]["Pid"];
    int shim = std::stoi(test_support::run_capture("cut -d' ' -f4 /proc/" + std::to_string(pid) + "/stat"));
    ::kill(shim, SIGKILL);
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(10000);
    REQUIRE(berth.run({"start", "keeper"}).code == 0);
    CHECK(berth.run({"exec", "keeper", "cat", "/data.txt"}).out == "precious\n");
}

TEST_CASE("berth stop: the stop signal, then SIGKILL after the grace period", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    // Ignores TERM; stops on USR1 as its declared stop signal.
    REQUIRE(berth.run({"run", "-d", "--name", "polite", "--stop-signal", "USR1", "busybox", "sh", "-c",
                       "trap '' TERM; trap 'exit 7' USR1; while true; do sleep 0.05; done"}).code == 0);
    REQUIRE(berth.run({"stop", "polite"}).code == 0);
    CHECK(berth.run({"inspect", "-f", "{{.State.ExitCode}}", "polite"}).out == "7\n");
    REQUIRE(berth.run({"run", "-d", "--name", "stubborn", "busybox", "sh", "-c",
                       "trap '' TERM; while true; do sleep 0.05; done"}).code == 0);
    REQUIRE(berth.run({"stop", "-t", "1", "stubborn"}).code == 0);
    CHECK(berth.run({"inspect", "-f", "{{.State.ExitCode}}", "stubborn"}).out == "137\n");
}

TEST_CASE("berth run -it: a real terminal with its size", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    // script(1) gives berth a terminal; stty inside reports the pty the container got.
    std::string cmd = "BERTH_CGROUP_PARENT=" + berth.cgroup_parent() + " BERTH_BRIDGE=" + berth.bridge() + " script -qec \"stty rows 33 cols 111; " +
                      std::string(BERTH_BINARY) + " --root " + berth.root() +
                      " run --rm -it busybox sh -c 'tty; stty size'\" /dev/null </dev/null";
    auto out = test_support::run_capture(cmd);
    INFO(out);
    // The terminal lives in the container's own devpts, as with runc.
    CHECK(out.find("/dev/pts/0") != std::string::npos);
    CHECK(out.find("33 111") != std::string::npos);
}

TEST_CASE("berth exec -it: the terminal is the container's own", "[.root][cli]") {
    REQUIRE_ROOT();
    BerthCli berth;
    berth.import_busybox();
    REQUIRE(berth.run({"run", "-d", "--name", "host", "busybox", "sleep", "1000"}).code == 0);
    std::string cmd = "BERTH_CGROUP_PARENT=" + berth.cgroup_parent() + " BERTH_BRIDGE=" + berth.bridge() + " script -qec \"stty rows 21 cols 77; " +
                      std::string(BERTH_BINARY) + " --root " + berth.root() +
                      " exec -it host sh -c 'tty; stty size; exit 3'; echo code=\\$?\" /dev/null </dev/null";
    auto out = test_support::run_capture(cmd);
    INFO(out);
    CHECK(out.find("/dev/pts/0") != std::string::npos);
    CHECK(out.find("21 77") != std::string::npos);
    CHECK(out.find("code=3") != std::string::npos);
}
