#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// One entry of the top-level `include` (compose-spec 14-include.md), its paths made absolute
/// against the including project's directory ("~" paths are left as written).
struct IncludeSpec {
    std::vector<std::string> paths;      ///< the main file first, then files that override it
    std::string project_directory;       ///< as given, else the directory of the main file
    /// Read into the included project's variables where the including project sets none;
    /// empty: `<project_directory>/.env` if it exists.
    std::vector<std::string> env_files;
    /// The main files of the includes that led here, this one last: pass it to apply_includes()
    /// of the included project so include cycles are found.
    std::vector<std::string> chain;
    std::string at;  ///< the entry's key path ("include[1]"), for the loader's own messages
};

/// Loads an included project the way the root one is loaded (its own environment, extends,
/// merge of `paths`, and its own includes via apply_includes(..., spec.chain)), with
/// `directory` set to `spec.project_directory`. Throw schema::LoadError for errors inside it;
/// any other std::exception (no such file) is reported at the include entry.
using IncludeLoader = std::function<Document(const IncludeSpec& spec, const Document& from)>;

/// Applies the top-level `include` of `doc` (compose-go loader/include.go): each entry is loaded
/// as its own project and its services, networks, volumes, secrets, configs and models are
/// copied into `doc`, their relative paths made absolute against the included project's
/// directory. `include` is removed. `chain` holds the absolute paths of `doc`'s own files.
/// Throws schema::LoadError with every problem: a malformed entry, an include cycle
/// (`include cycle detected: /p/a.yaml -> /p/b.yaml -> /p/a.yaml`, at the entry), an unreadable
/// file, a resource defined both here and in an included project with different content
/// (`services.web: conflicts with imported resource`, at the local definition).
void apply_includes(Document& doc, const IncludeLoader& load,
                    const std::vector<std::string>& chain = {});

}  // namespace compose
