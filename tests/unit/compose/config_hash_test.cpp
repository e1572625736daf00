#include "compose/config_hash.hpp"

#include <catch2/catch.hpp>

TEST_CASE("config hash: sha256 of known input", "[compose]") {
    CHECK(compose::sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("config hash: key order and ignored keys do not change it", "[compose]") {
    auto a = compose::Tree::parse(R"({"image":"x","environment":{"A":"1","B":"2"},"scale":3})");
    auto b = compose::Tree::parse(R"({"environment":{"B":"2","A":"1"},"image":"x","build":{}})");
    CHECK(compose::service_hash(a) == compose::service_hash(b));
    auto c = compose::Tree::parse(R"({"image":"y"})");
    CHECK(compose::service_hash(a) != compose::service_hash(c));
}
