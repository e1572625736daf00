#pragma once

#include <string>
#include <string_view>

#include "engine/sys/result.hpp"

namespace engine::sys {

/// Reads a whole file.
Result<std::string> read_file(const std::string& path);

/// How far write_file_atomic goes: kDurable survives a power cut (fsync of the file and its
/// directory); kAtomicOnly still never exposes a partial file but may lose the write on a crash,
/// for files regenerated on every use (a container's spec.json, hosts, resolv.conf).
enum class Durability { kDurable, kAtomicOnly };

/// Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename, then
/// fsync of the directory. A reader sees the old or the new content, never a mix; a crash leaves
/// no partial file at `path`.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644,
                         Durability durability = Durability::kDurable);

/// mkdir -p with `mode` for every directory it creates.
Status make_dirs(const std::string& path, unsigned mode = 0755);

/// rm -rf that never follows symlinks and never crosses into another mount (a leftover mount
/// inside a container directory is an error, not something to delete through).
Status remove_tree(const std::string& path);

/// True when `path` exists (lstat, symlinks are not followed).
bool exists(const std::string& path);

}  // namespace engine::sys
