#pragma once

#include <optional>
#include <string>

#include "compose/document.hpp"
#include "schema/keys.hpp"

namespace compose {

/// Converts, in place, every string value whose schema key has a Cast (schema::KeySpec::cast):
/// "8080" -> 8080, "1.5" -> 1.5, "true" -> true. Runs per file right after interpolation, so
/// values written as "${PORT}" get their real type. A string that does not convert is left as
/// it is for validate() to report. YAML 1.1 booleans (yes/no/on/off/y/n) are converted with a
/// warning, as compose-go does.
void cast_types(Document& doc);

/// The value of `text` converted by `cast`, or nothing when it does not convert.
std::optional<Tree> cast_value(const std::string& text, schema::Cast cast);

}  // namespace compose
