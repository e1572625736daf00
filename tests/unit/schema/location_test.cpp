#include "schema/location.hpp"

#include <catch2/catch.hpp>

TEST_CASE("did_you_mean: plausible typos only", "[schema]") {
    std::vector<std::string> keys{"image", "init", "ipc", "environment", "networks"};
    CHECK(schema::did_you_mean("imgae", keys) == "image");  // swapped letters count once
    CHECK(schema::did_you_mean("imag", keys) == "image");
    CHECK(schema::did_you_mean("enviroment", keys) == "environment");
    CHECK(schema::did_you_mean("network", keys) == "networks");
    CHECK(schema::did_you_mean("volumes", keys) == "");
    CHECK(schema::did_you_mean("x", keys) == "");
}
