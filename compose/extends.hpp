#pragma once

#include <functional>
#include <string>

#include "compose/document.hpp"

namespace compose {

/// Reads the file an `extends.file` names, as written (relative to `from.directory`, the
/// declaring document's), parsed, interpolated and canonicalized. The returned Document's
/// `file` names it the same way each time it is loaded (cycles are found by name) and its
/// `directory` is the directory its relative paths resolve against. Throw schema::LoadError
/// for errors inside that file; any other std::exception (no such file, unreadable) is
/// reported at the `extends` key that named the file.
using ExtendsLoader = std::function<Document(const std::string& file, const Document& from)>;

/// Resolves `extends: {service, file?}` of every service of `doc` (compose-spec 05-services.md,
/// compose-go loader/extends.go): the extended service, itself resolved first (chains of any
/// length, across files), is the base and the local service is merged onto it with the merge
/// rules (merge_value); `extends` is removed. Relative paths of a service taken from another
/// file are made absolute against that file's directory, so they keep naming the same files
/// ("~" is left for path resolution). Throws schema::LoadError with every problem found: a
/// cycle (`services.a: circular reference in extends: a -> b -> a`), a missing service or
/// file, a malformed `extends`, each located at the service or its `extends` key.
void apply_extends(Document& doc, const ExtendsLoader& load);

}  // namespace compose
