#pragma once

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::container {

/// One entry of `docker diff`: kind 'A' added, 'C' changed, 'D' deleted.
struct Change {
    char kind = 'C';
    std::string path;  ///< absolute in the container
    bool operator==(const Change&) const = default;
};

/// The changes a container's writable layer (an overlay upper dir) makes to its image's
/// layers (top first), sorted by path as docker prints them. Overlay whiteouts (character
/// device 0:0) are deletions; an entry that exists in a lower layer is a change.
Result<std::vector<Change>> filesystem_changes(const std::string& upper_dir,
                                               const std::vector<std::string>& lower_dirs);

}  // namespace engine::container
