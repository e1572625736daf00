#include "engine/image/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace engine::image {
namespace {

// A digest needs neither openssl.cnf nor the cipher and digest name tables that OpenSSL's default
// initialisation loads on the first EVP call: ~0.6 ms of every `berth run` (its seccomp cache key).
void init_openssl() {
    static const bool done = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
                                                     OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                                     OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
                                                 nullptr) == 1;
    (void)done;
}

}  // namespace

struct Sha256::State {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_((init_openssl(), std::make_unique<State>())) {
    EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) { EVP_DigestUpdate(state_->ctx, data, size); }

std::string Sha256::digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(state_->ctx, md, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned i = 0; i < len; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 0xf];
    }
    return out;
}

std::string sha256_digest(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.digest();
}

std::string digest_hex(std::string_view digest) {
    auto colon = digest.find(':');
    return std::string(colon == std::string_view::npos ? digest : digest.substr(colon + 1));
}

}  // namespace engine::image
