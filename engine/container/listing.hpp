#pragma once

// What `docker ps` and GET /containers/json share: the filter semantics and the status text.

#include <map>
#include <string>
#include <vector>

#include "engine/container/containers.hpp"

namespace engine::container {

/// docker ps --filter: values of one key are alternatives (label filters must all match),
/// different keys must all match.
using ListFilters = std::map<std::string, std::vector<std::string>>;

/// Parses "key=value" filters: name= (substring), id= (prefix), status=, label=key[=value],
/// exited=N, ancestor=. Unknown keys are errors ("invalid filter 'x'").
Result<ListFilters> parse_list_filters(const std::vector<std::string>& given);

bool matches_filters(const ListFilters& filters, const ContainerRecord& r, const LiveState& s);

/// "Up 2 seconds", "Up 5 minutes (Paused)", "Exited (0) 3 minutes ago", "Created".
std::string status_text(const LiveState& s);

}  // namespace engine::container
