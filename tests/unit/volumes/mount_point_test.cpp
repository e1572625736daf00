#include <catch2/catch.hpp>

#include "volumes/mount_point.hpp"

using volumes::parse_api_mount;
using volumes::parse_bind;
using volumes::parse_mount_flag;

TEST_CASE("parse_bind: host path, named volume and anonymous volume", "[volumes]") {
    auto bind = parse_bind("/srv/data:/data:ro");
    REQUIRE(bind.ok());
    CHECK(bind.value().type == "bind");
    CHECK(bind.value().source == "/srv/data");
    CHECK(bind.value().destination == "/data");
    CHECK(bind.value().read_only);
    CHECK(bind.value().create_source);

    auto named = parse_bind("cache:/var/cache/");
    REQUIRE(named.ok());
    CHECK(named.value().type == "volume");
    CHECK(named.value().source == "cache");
    CHECK(named.value().destination == "/var/cache");
    CHECK_FALSE(named.value().read_only);

    auto anonymous = parse_bind("/scratch");
    REQUIRE(anonymous.ok());
    CHECK(anonymous.value().type == "volume");
    CHECK(anonymous.value().source == "");
    CHECK(anonymous.value().destination == "/scratch");
}

TEST_CASE("parse_bind: modes", "[volumes]") {
    auto m = parse_bind("/a:/b:ro,rslave");
    REQUIRE(m.ok());
    CHECK(m.value().propagation == "rslave");
    CHECK(m.value().mode == "ro,rslave");
    auto nocopy = parse_bind("v1:/b:nocopy");
    REQUIRE(nocopy.ok());
    CHECK_FALSE(nocopy.value().copy_data);
    CHECK(parse_bind("/a:/b:z").ok());
    CHECK(parse_bind("/a:/b:ro,rw").error().message == "invalid mode: ro,rw");
    CHECK(parse_bind("/a:/b:nocopy").error().message == "invalid mode: nocopy");
    CHECK(parse_bind("v1:/b:shared").error().message == "invalid mode: shared");
    CHECK(parse_bind("/a:/b:bogus").error().message == "invalid mode: bogus");
}

TEST_CASE("parse_bind: hostile and malformed specs", "[volumes]") {
    CHECK(parse_bind("").error().message == "invalid volume specification: ''");
    CHECK(parse_bind("a:b:c:d").error().message == "invalid volume specification: 'a:b:c:d'");
    CHECK(parse_bind("/a::ro").error().message == "invalid volume specification: '/a::ro'");
    CHECK(parse_bind("/a:rel").error().message ==
          "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": "
          "invalid mount path: 'rel' mount path must be absolute");
    CHECK(parse_bind("/a:/").error().message ==
          "invalid volume specification: '/a:/': invalid mount config for type \"bind\": "
          "invalid specification: destination can't be '/'");
    CHECK(parse_bind("v1:/x/..").error().message.find("destination can't be '/'") != std::string::npos);
    CHECK(parse_bind("relative").error().message.find("mount path must be absolute") != std::string::npos);
}

TEST_CASE("parse_mount_flag: docker's --mount fields", "[volumes]") {
    auto bind = parse_mount_flag("type=bind,source=/srv,target=/data,readonly,bind-propagation=rshared");
    REQUIRE(bind.ok());
    CHECK(bind.value() == nlohmann::json{{"Type", "bind"}, {"Source", "/srv"}, {"Target", "/data"},
                                         {"ReadOnly", true},
                                         {"BindOptions", {{"Propagation", "rshared"}}}});
    auto vol = parse_mount_flag("src=v1,dst=/d,volume-nocopy,volume-opt=type=tmpfs,volume-label=a=b");
    REQUIRE(vol.ok());
    CHECK(vol.value()["Type"] == "volume");
    CHECK(vol.value()["VolumeOptions"]["NoCopy"] == true);
    CHECK(vol.value()["VolumeOptions"]["DriverConfig"]["Options"]["type"] == "tmpfs");
    CHECK(vol.value()["VolumeOptions"]["Labels"]["a"] == "b");
    auto tmpfs = parse_mount_flag("type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770");
    REQUIRE(tmpfs.ok());
    CHECK(tmpfs.value()["TmpfsOptions"]["SizeBytes"] == 64 * 1024 * 1024);
    CHECK(tmpfs.value()["TmpfsOptions"]["Mode"] == 01770);
    auto created = parse_mount_flag("type=bind,src=/x,dst=/y,bind-create-host-path");
    REQUIRE(created.ok());
    CHECK(created.value()["BindOptions"]["CreateMountpoint"] == true);
    CHECK(parse_mount_flag("type=bind,src=/x").error().message ==
          "invalid argument \"type=bind,src=/x\" for \"--mount\" flag: target is required");
    CHECK(parse_mount_flag("type=bind,foo=1,dst=/x").error().message.find("unexpected key 'foo'") !=
          std::string::npos);
    CHECK(parse_mount_flag("src").error().message.find("must be a key=value pair") != std::string::npos);
    CHECK(parse_mount_flag("readonly=maybe,dst=/x").error().message.find("invalid value") != std::string::npos);
}

TEST_CASE("parse_api_mount: checks per type", "[volumes]") {
    using nlohmann::json;
    auto bind = parse_api_mount(json{{"Type", "bind"}, {"Source", "/a/"}, {"Target", "/b"},
                                     {"BindOptions", {{"CreateMountpoint", true}}}});
    REQUIRE(bind.ok());
    CHECK(bind.value().source == "/a");
    CHECK(bind.value().create_source);
    CHECK(parse_api_mount(json{{"Type", "bind"}, {"Target", "/b"}}).error().message ==
          "invalid mount config for type \"bind\": field Source must not be empty");
    CHECK(parse_api_mount(json{{"Type", "bind"}, {"Source", "rel"}, {"Target", "/b"}}).error().message ==
          "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute");
    CHECK(parse_api_mount(json{{"Type", "tmpfs"}, {"Target", "/"}}).error().message ==
          "invalid mount config for type \"tmpfs\": invalid specification: destination can't be '/'");
    CHECK(parse_api_mount(json{{"Type", "tmpfs"}, {"Source", "x"}, {"Target", "/t"}}).error().message ==
          "invalid mount config for type \"tmpfs\": field Source must not be specified");
    CHECK(parse_api_mount(json{{"Type", "npipe"}, {"Target", "/t"}}).error().message ==
          "invalid mount config: mount type unknown: \"npipe\"");
    CHECK(parse_api_mount(json{{"Type", "volume"}, {"Target", "/t"},
                               {"BindOptions", {{"Propagation", "shared"}}}}).error().message ==
          "invalid mount config for type \"volume\": field BindOptions must not be specified");
}

TEST_CASE("MountPoint: inspect shape and round trip", "[volumes]") {
    auto m = parse_bind("v1:/d:ro").value();
    CHECK(m.inspect("/root/volumes/v1/_data") ==
          nlohmann::json{{"Type", "volume"}, {"Name", "v1"}, {"Source", "/root/volumes/v1/_data"},
                         {"Destination", "/d"}, {"Driver", "local"}, {"Mode", "ro"}, {"RW", false},
                         {"Propagation", ""}});
    auto b = parse_bind("/h:/c").value();
    CHECK(b.inspect("") == nlohmann::json{{"Type", "bind"}, {"Source", "/h"}, {"Destination", "/c"},
                                          {"Mode", ""}, {"RW", true}, {"Propagation", "rprivate"}});
    volumes::MountPoint back = nlohmann::json(m).get<volumes::MountPoint>();
    CHECK(nlohmann::json(back) == nlohmann::json(m));
}

TEST_CASE("parse_volumes_from and parse_size", "[volumes]") {
    CHECK(volumes::parse_volumes_from("web:ro").value() == std::pair<std::string, std::string>{"web", "ro"});
    CHECK(volumes::parse_volumes_from("web").value().second == "");
    CHECK_FALSE(volumes::parse_volumes_from("web:xx").ok());
    CHECK(volumes::parse_size("64m").value() == 64 << 20);
    CHECK(volumes::parse_size("1.5k").value() == 1536);
    CHECK_FALSE(volumes::parse_size("12q").ok());
    CHECK_FALSE(volumes::parse_size("").ok());
}
