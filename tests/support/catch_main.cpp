#define CATCH_CONFIG_RUNNER
#include <cstdlib>

#include <catch2/catch.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

// Library logs go to stderr and are quiet unless BERTH_TEST_LOG names a level (e.g. debug).
int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("test"));
    const char* level = std::getenv("BERTH_TEST_LOG");
    spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::off);
    return Catch::Session().run(argc, argv);
}
