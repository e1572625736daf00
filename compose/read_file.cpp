#include "compose/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "schema/location.hpp"

namespace compose {

std::string read_user_file(const std::string& path, const std::string& shown,
                           const std::string& what, size_t limit) {
    auto fail = [&](const std::string& why) {
        return schema::LoadError({shown, 0, 0}, "", what + ": " + why);
    };
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec) throw fail(ec == std::errc::no_such_file_or_directory ? "no such file or directory"
                                                                   : ec.message());
    if (std::filesystem::is_directory(status)) throw fail("it is a directory");
    if (!std::filesystem::is_regular_file(status)) throw fail("not a regular file");
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > limit)
        throw fail(fmt::format("larger than {} MiB", limit >> 20));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fail(std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) throw fail(std::strerror(errno));
    return content.str();
}

}  // namespace compose
