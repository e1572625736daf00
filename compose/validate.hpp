#pragma once

#include "compose/document.hpp"

namespace compose {

/// Checks a merged model against berth's schema (schema::keys()): unknown keys (with a
/// did-you-mean), "x-*" extensions where upstream allows them, JSON types, allowed values,
/// name and value patterns, required keys, one-of rules (a secret needs file, environment or
/// external), repeated list items, numeric bounds, and strings a Cast could not convert.
/// Accepts every short form the schema allows as well as the long forms.
/// Throws schema::LoadError carrying every problem found, each located in `merged`.
/// Warns once about an obsolete `version` and once per key berth accepts but ignores.
void validate(const Document& merged);

}  // namespace compose
