#include "compose/config_hash.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>


namespace compose {

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
    return out;
}

std::string service_hash(const Tree& service) {
    Tree hashed = service;
    for (const char* key : {"build", "pull_policy", "scale", "depends_on", "profiles"})
        hashed.erase(key);
    if (hashed.contains("deploy") && hashed["deploy"].is_object()) hashed["deploy"].erase("replicas");
    // Tree keeps mapping keys sorted, so equal configs dump, and hash, equally.
    return sha256_hex(hashed.dump());
}

}  // namespace compose
