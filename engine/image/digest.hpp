#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace engine::image {

/// Incremental SHA-256 (OpenSSL EVP), for hashing blobs and layer streams while they are copied.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(const void* data, size_t size);
    /// "sha256:<64 hex>"; call once, at the end.
    std::string digest();

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// "sha256:<64 hex>" of `data`.
std::string sha256_digest(std::string_view data);

/// The hex part of "sha256:<hex>" (the text itself when it has no algorithm prefix).
std::string digest_hex(std::string_view digest);

}  // namespace engine::image
