#pragma once

#include <string>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// Keeps the services enabled by profiles (compose-spec 15-profiles.md, compose-go
/// Project.WithProfiles / WithServicesEnabled) and removes the others from the model, as
/// `docker compose config` does. A service without profiles is always enabled; another one
/// when any of its profiles is `active` ("*" activates all). A service named in
/// `requested_services` (the command line's) activates its profiles, so services sharing one
/// are enabled too. An enabled service that needs a disabled one (depends_on with
/// required: true, links, volumes_from, `service:x` in network_mode/ipc/pid/uts/cgroup) is an
/// error naming both; a required: false dependency on a disabled service is dropped.
/// Names that are no service are left to validation. Throws schema::LoadError, located.
void apply_profiles(Document& doc, const std::vector<std::string>& active,
                    const std::vector<std::string>& requested_services);

/// apply_profiles() on a model without locations (errors name paths but no file).
void apply_profiles(Tree& model, const std::vector<std::string>& active,
                    const std::vector<std::string>& requested_services);

/// Every profile some service names, sorted and unique (`config --profiles`). Call it before
/// apply_profiles(), which removes the disabled services and their profiles with them.
std::vector<std::string> all_profiles(const Tree& model);

}  // namespace compose
