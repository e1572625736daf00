#include <unistd.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "engine/shim/internal.hpp"
#include "engine/shim/proc.hpp"
#include "engine/shim/shim.hpp"
#include "engine/sys/files.hpp"
#include "tests/support/temp_dir.hpp"

using namespace engine::shim;

namespace {

pid_t dead_pid() {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

void write_state(const TempDir& dir, pid_t shim, pid_t pid) {
    ShimState s{shim, process_start_time(shim).value_or(1), pid, process_start_time(pid).value_or(1), "2026-11-29T03:04:05Z"};
    dir.write(kStateFile, nlohmann::json(s).dump());
}

}  // namespace

TEST_CASE("process start times tell a live process from a reused pid", "[shim]") {
    auto mine = process_start_time(::getpid());
    REQUIRE(mine);
    CHECK(process_alive(::getpid(), *mine));
    CHECK_FALSE(process_alive(::getpid(), *mine + 1));
    CHECK_FALSE(process_alive(dead_pid(), *mine));
    CHECK(exit_code_of(3 << 8) == 3);
    CHECK(exit_code_of(SIGKILL) == 137);
}

TEST_CASE("observe reads the phase from the files and the recorded processes", "[shim]") {
    TempDir dir;
    std::string d = dir.root.string();
    CHECK(observe(d).phase == Observed::Phase::kCreated);

    write_state(dir, ::getpid(), ::getpid());
    auto running = observe(d);
    CHECK(running.phase == Observed::Phase::kRunning);
    REQUIRE(running.state);
    CHECK(running.state->pid == ::getpid());

    write_state(dir, dead_pid(), dead_pid());
    auto died = observe(d);
    CHECK(died.phase == Observed::Phase::kExited);
    REQUIRE(died.exit);
    CHECK(died.exit->exit_code == 255);
    CHECK(died.exit->error == "shim died");
    CHECK(wait_exit(d, 100).value().error == "shim died");

    dir.write(kExitFile, R"({"exit_code":3,"finished_at":"2026-11-29T03:04:06Z"})");
    auto exited = observe(d);
    CHECK(exited.phase == Observed::Phase::kExited);
    CHECK(exited.exit->exit_code == 3);
}

TEST_CASE("wait_exit wakes when exit.json appears and times out otherwise", "[shim]") {
    TempDir dir;
    std::string d = dir.root.string();
    auto timed_out = wait_exit(d, 50);
    REQUIRE_FALSE(timed_out);
    CHECK(timed_out.error().sys_errno == ETIMEDOUT);

    pid_t writer = ::fork();
    if (writer == 0) {
        ::usleep(100000);
        (void)engine::sys::write_file_atomic(d + "/" + kExitFile, R"({"exit_code":7})");
        ::_exit(0);
    }
    auto exit = wait_exit(d, 5000);
    ::waitpid(writer, nullptr, 0);
    REQUIRE(exit);
    CHECK(exit.value().exit_code == 7);
}

TEST_CASE("the shim's command line round-trips", "[shim]") {
    ShimOptions o{"/x/berth-shim", 1024, 3, true, false, true, 40, 120};
    auto argv = shim_command("/dir", o);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    auto parsed = parse_shim_command(static_cast<int>(raw.size()), raw.data());
    REQUIRE(parsed);
    CHECK(parsed->dir == "/dir");
    CHECK(parsed->options.log_max_size == 1024);
    CHECK(parsed->options.log_max_files == 3);
    CHECK(parsed->options.attach_stdin);
    CHECK_FALSE(parsed->options.wait_for_attach);
    CHECK(parsed->options.auto_remove);
    CHECK(parsed->options.console_rows == 40);
    CHECK(parsed->options.console_cols == 120);
    CHECK(start_failure_code(ENOENT) == 127);
    CHECK(start_failure_code(EACCES) == 126);
    CHECK(start_failure_code(EPERM) == 128);
}
