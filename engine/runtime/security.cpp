#include "engine/runtime/security.hpp"

namespace engine::runtime {

// Placeholders until the security profile lands.
const std::vector<std::string>& default_capabilities() {
    static const std::vector<std::string> caps;
    return caps;
}
std::vector<std::string> all_capabilities() { return {}; }
Result<std::vector<std::string>> resolve_capabilities(const std::vector<std::string>&,
                                                      const std::vector<std::string>&, bool) {
    return sys::Error{ENOSYS, "capabilities: not implemented yet"};
}
const std::vector<std::string>& default_masked_paths() { return default_capabilities(); }
const std::vector<std::string>& default_readonly_paths() { return default_capabilities(); }
Status apply_capabilities(const std::vector<std::string>&) {
    return sys::Error{ENOSYS, "capabilities: not implemented yet"};
}
Status apply_seccomp(const std::string&, const std::vector<std::string>&) {
    return sys::Error{ENOSYS, "seccomp: not implemented yet"};
}

}  // namespace engine::runtime
