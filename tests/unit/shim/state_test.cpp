#include <catch2/catch.hpp>

#include "engine/shim/shim.hpp"

using namespace engine::shim;

TEST_CASE("shim state and exit status round-trip through JSON", "[shim]") {
    ShimState state{42, 1234, 43, 5678, "2026-11-29T03:04:05.123456789Z"};
    ShimState back = nlohmann::json(state).get<ShimState>();
    CHECK(back.shim_pid == 42);
    CHECK(back.shim_start_time == 1234);
    CHECK(back.pid == 43);
    CHECK(back.pid_start_time == 5678);
    CHECK(back.started_at == state.started_at);

    ExitStatus exit{137, true, "2026-11-29T03:04:06Z", ""};
    nlohmann::json j = exit;
    CHECK_FALSE(j.contains("error"));
    ExitStatus e = j.get<ExitStatus>();
    CHECK(e.exit_code == 137);
    CHECK(e.oom_killed);
    CHECK(e.finished_at == exit.finished_at);

    ExitStatus failed = nlohmann::json::parse(R"({"exit_code":127,"error":"not found"})").get<ExitStatus>();
    CHECK(failed.exit_code == 127);
    CHECK_FALSE(failed.oom_killed);
    CHECK(failed.error == "not found");
}
