#pragma once

#include <string>

#include "compose/document.hpp"

namespace compose {

/// SHA-256 (hex) of a service's canonical JSON, leaving out what does not change the running
/// container (build, pull_policy, scale, deploy.replicas, depends_on, profiles), as docker
/// compose's ServiceHash does. Deterministic: keys are hashed in sorted order.
std::string service_hash(const Tree& service);

/// Hex SHA-256 of arbitrary bytes.
std::string sha256_hex(const std::string& bytes);

}  // namespace compose
