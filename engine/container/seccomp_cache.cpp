#include "engine/container/seccomp_cache.hpp"

#include <seccomp.h>
#include <sys/utsname.h>

#include "engine/image/digest.hpp"
#include "engine/runtime/security.hpp"
#include "engine/sys/files.hpp"

namespace engine::container {
namespace {

// Everything the compiled program depends on.
std::string cache_key(const std::string& profile, const std::vector<std::string>& caps) {
    utsname u{};
    ::uname(&u);
    const scmp_version* v = seccomp_version();
    std::string key = profile + '\0' + u.release + '\0' + u.machine + '\0' +
                      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    for (const auto& cap : caps) key += '\0' + cap;
    key += std::string("\0binary-tree", 12);  // the layout compile_seccomp asks libseccomp for
    image::Sha256 hash;
    hash.update(key.data(), key.size());
    return hash.digest().substr(7);
}

}  // namespace

Result<std::string> cached_seccomp_program(const std::string& dir, const std::string& profile,
                                           const std::vector<std::string>& caps) {
    if (profile == "unconfined") return std::string();
    std::string path = dir + "/" + cache_key(profile, caps) + ".bpf";
    if (sys::exists(path)) return path;
    auto program = runtime::compile_seccomp(profile, caps);
    if (!program) return program.error();
    if (auto made = sys::make_dirs(dir, 0700); !made) return made.error();
    if (auto written = sys::write_file_atomic(path, program.value(), 0600, sys::Durability::kAtomicOnly); !written)
        return written.error();
    return path;
}

}  // namespace engine::container
