// libFuzzer target: one compose file through the whole loader. Any input must end in a
// project or a schema::LoadError, never a crash, a hang or another exception.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <spdlog/spdlog.h>

#include "compose/loader.hpp"
#include "schema/location.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool quiet = [] {
        spdlog::set_level(spdlog::level::off);
        return true;
    }();
    (void)quiet;
    compose::LoadOptions options;
    options.files = {"-"};
    options.stdin_content.assign(reinterpret_cast<const char*>(data), size);
    options.project_name = "fuzz";
    options.working_directory = std::filesystem::temp_directory_path().string();
    options.os_environment = {{"HOME", "/nonexistent"}, {"SET", "value"}};
    try {
        compose::load(options);
    } catch (const schema::LoadError&) {
    }
    return 0;
}
