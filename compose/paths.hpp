#pragma once

#include <functional>
#include <string>

#include "compose/document.hpp"

namespace compose {

/// Rewrites a relative path; gets the value as written, returns the value to store.
using PathRewrite = std::function<std::string(const std::string&)>;

/// Applies `rewrite` to every value under `node` whose schema key is a path (schema::PathKind),
/// skipping absolute paths, URLs for build contexts, and non-bind mount sources. `at` is the
/// schema path of `node` as segments, e.g. {"services", "web"} for a service tree.
void rewrite_relative_paths(Tree& node, std::vector<std::string> at, const PathRewrite& rewrite);

/// `path` made absolute against `base` ("~" and "~/x" against `home`), lexically normalized.
std::string absolute_path(const std::string& path, const std::string& base, const std::string& home);

/// True for build contexts that name a remote source rather than a directory.
bool is_remote_context(const std::string& context);

}  // namespace compose
