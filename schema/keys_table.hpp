#pragma once

#include <vector>

#include "schema/keys.hpp"

// The sections of the one key table behind schema::keys(); split by file only to keep each
// file readable. Order inside a section follows upstream's compose-spec.json.
namespace schema::table {

/// Top-level keys: version, name, include, services, models, networks, volumes, secrets, configs.
std::vector<KeySpec> project_keys();
/// Keys directly under a service, with their list items and map values.
std::vector<KeySpec> service_keys();
/// Service sub-trees that carry their own structure: build, deploy, develop, blkio_config.
std::vector<KeySpec> build_deploy_keys();
/// Other service sub-trees: healthcheck, ports, volumes, networks, depends_on, secrets...
std::vector<KeySpec> service_nested_keys();

}  // namespace schema::table
