#pragma once

#include <string>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// Restricts the model to the services named on the command line and everything they depend
/// on, transitively (depends_on, links, volumes_from, "service:x" namespaces), as docker
/// compose's `config SERVICE...` does (compose-go Project.WithSelectedServices). depends_on
/// entries that point outside the selection (a required: false dependency on a disabled
/// service) are dropped. An empty `names` keeps every service. A name that is no service
/// throws schema::LoadError "no such service: NAME"; a dangling reference throws it too.
void select_services(Document& doc, const std::vector<std::string>& names);

}  // namespace compose
