#pragma once

// Image references in Docker's grammar (distribution/reference): [domain/]path[:tag][@digest].

#include <string>
#include <string_view>

#include "engine/sys/result.hpp"

namespace engine::image {

/// A parsed, normalised reference: `busybox` is domain "docker.io", path "library/busybox",
/// tag "latest".
struct Reference {
    std::string domain;  ///< "docker.io", "localhost:5000", "quay.io"
    std::string path;    ///< "library/busybox", "team/app"
    std::string tag;     ///< empty when only a digest was given
    std::string digest;  ///< "sha256:<64 hex>" or empty

    /// "docker.io/library/busybox".
    std::string name() const;
    /// "busybox" (docker.io and library/ dropped), as `docker images` prints REPOSITORY.
    std::string familiar_name() const;
    /// The full normalised form: "docker.io/library/busybox:latest", with "@digest" if any.
    std::string full() const;
    /// The form docker prints: "busybox:latest", "localhost:5000/app@sha256:…".
    std::string familiar() const;
};

/// Parses and normalises `text`; a reference with neither tag nor digest gets tag "latest".
/// Errors read like docker's: "invalid reference format: repository name must be lowercase".
Result<Reference> parse_reference(std::string_view text);

/// Same, without adding "latest" (for filters and `docker images NAME`).
Result<Reference> parse_reference_name_only(std::string_view text);

/// True for "sha256:<64 lowercase hex>".
bool is_valid_digest(std::string_view digest);

/// True for 1..64 lowercase hex characters (a possibly shortened image id).
bool is_hex_prefix(std::string_view text);

}  // namespace engine::image
