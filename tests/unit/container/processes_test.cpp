#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/container/processes.hpp"

TEST_CASE("parse_proc_stat: a comm with spaces and parentheses", "[container]") {
    auto st = engine::container::parse_proc_stat(
        "4242 (my (odd) prog) S 1 4242 4242 34816 4242 4194560 100 0 0 0 25 7 0 0 20 0 1 0 "
        "123456 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0");
    REQUIRE(st);
    CHECK(st->pid == 4242);
    CHECK(st->ppid == 1);
    CHECK(st->tty_nr == 34816);
    CHECK(st->utime == 25);
    CHECK(st->stime == 7);
    CHECK(st->start_time == 123456);
    CHECK_FALSE(engine::container::parse_proc_stat("garbage"));
}

TEST_CASE("process_tree and process_rows: this test process and a child", "[container]") {
    pid_t child = ::fork();
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    auto tree = engine::container::process_tree(::getpid());
    CHECK(std::find(tree.begin(), tree.end(), child) != tree.end());
    auto rows = engine::container::process_rows({child});
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].pid == std::to_string(child));
    CHECK(rows[0].ppid == std::to_string(::getpid()));
}
