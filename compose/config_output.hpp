#pragma once

#include <string>

#include "compose/document.hpp"

namespace compose {

/// The model as YAML in docker compose's layout: top-level keys in the order name, services,
/// networks, volumes, secrets, configs, then the rest; every other mapping sorted by key.
/// Strings that YAML would read back as another type are quoted and "$" is written "$$", so
/// the output loads again to the same model.
std::string to_yaml(const Tree& model);

/// The model as indented JSON with the same key order as to_yaml.
std::string to_json(const Tree& model);

}  // namespace compose
