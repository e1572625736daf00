#pragma once

#include <cstddef>
#include <string>

namespace compose {

/// Reads a user-named file whole. Only regular files up to `limit` bytes are read, so a path
/// such as /dev/zero or a FIFO can never hang the loader. Throws schema::LoadError located at
/// `shown` (the name the user wrote) with "<what>: <why>".
std::string read_user_file(const std::string& path, const std::string& shown,
                           const std::string& what = "cannot read file",
                           size_t limit = 64u << 20);

}  // namespace compose
