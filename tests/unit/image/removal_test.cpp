#include <fcntl.h>

#include <catch2/catch.hpp>

#include "engine/image/import.hpp"
#include "engine/image/removal.hpp"
#include "engine/image/views.hpp"
#include "engine/sys/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/image/layer_tar.hpp"

using namespace engine::image;

namespace {

struct Fixture {
    TempDir tmp{"berth-rmi"};
    ImageStore store = ImageStore::open(tmp.root.string()).value();
    std::string tar = (tmp.root / "layer.tar").string();

    Fixture() { image_test::write_tar(tar, {image_test::tar_file("hello", "world")}); }

    std::string import(const std::string& ref, std::vector<std::string> changes = {}) {
        engine::sys::UniqueFd fd(::open(tar.c_str(), O_RDONLY));
        ImportRequest req;
        if (!ref.empty()) req.ref = parse_reference(ref).value();
        req.changes = std::move(changes);
        return import_image(store, fd.get(), req).value();
    }
    std::vector<std::string> rmi(const std::string& ref, bool force = false, const ImagesInUse& in_use = {}) {
        auto lines = remove_image_ref(store, ref, force, in_use);
        INFO((lines.ok() ? "" : lines.error().message));
        REQUIRE(lines.ok());
        return lines.value();
    }
    std::string rmi_error(const std::string& ref, const ImagesInUse& in_use = {}) {
        auto lines = remove_image_ref(store, ref, false, in_use);
        REQUIRE_FALSE(lines.ok());
        return lines.error().message;
    }
};

}  // namespace

TEST_CASE("rmi: a name is untagged, the image deleted with its last name", "[image][rmi]") {
    Fixture f;
    std::string id = f.import("busybox");
    REQUIRE(f.store.tag(id, parse_reference("mybox:v1").value()).ok());
    CHECK(f.rmi("busybox") == std::vector<std::string>{"Untagged: busybox:latest"});
    CHECK(f.rmi("mybox:v1") == std::vector<std::string>{"Untagged: mybox:v1", "Deleted: " + id});
    CHECK(f.store.layers().list().empty());
}

TEST_CASE("rmi: by id refuses several names unless forced", "[image][rmi]") {
    Fixture f;
    std::string id = f.import("a");
    REQUIRE(f.store.tag(id, parse_reference("b").value()).ok());
    std::string short_id = id.substr(7, 12);
    CHECK(f.rmi_error(short_id) == "conflict: unable to delete " + short_id +
                                       " (must be forced) - image is referenced in multiple repositories");
    CHECK(f.rmi(short_id, true) ==
          std::vector<std::string>{"Untagged: a:latest", "Untagged: b:latest", "Deleted: " + id});
}

TEST_CASE("rmi: an image a container uses is refused, and only untagged when forced", "[image][rmi]") {
    Fixture f;
    std::string id = f.import("busybox");
    ImagesInUse in_use = {{id, {"web"}}};
    CHECK(f.rmi_error("busybox", in_use) ==
          "conflict: unable to remove repository reference \"busybox:latest\" (must force) - container web is "
          "using its referenced image " + id.substr(7, 12));
    CHECK(f.rmi_error(id, in_use) == "conflict: unable to delete " + id.substr(7, 12) +
                                         " (must be forced) - image is being used by container web");
    auto lines = remove_image_ref(f.store, "busybox", true, in_use);
    REQUIRE(lines.ok());
    CHECK(lines.value() == std::vector<std::string>{"Untagged: busybox:latest"});
    CHECK(f.store.get(id).ok());  // its layers stay under the container
    CHECK(remove_image_ref(f.store, "nope", false, {}).error().message == "No such image: nope:latest");
}

TEST_CASE("prune: dangling by default, every unused image with all", "[image][prune]") {
    Fixture f;
    std::string dangling = f.import("");
    std::string tagged = f.import("keep");
    std::string used = f.import("");
    auto report = prune_images(f.store, false, {{used, {"c1"}}});
    REQUIRE(report.ok());
    CHECK(report.value().lines == std::vector<std::string>{"deleted: " + dangling});
    CHECK(report.value().reclaimed == 0);  // the layer is shared with the others
    report = prune_images(f.store, true, {});
    REQUIRE(report.ok());
    CHECK(report.value().lines.size() == 3);  // untagged keep, deleted both
    CHECK(report.value().reclaimed == 5);
}

TEST_CASE("images: filters as docker's", "[image][list]") {
    Fixture f;
    std::string old_id = f.import("old:1", {"LABEL tier=db"});
    std::string new_id = f.import("team/new:2");
    std::string none_id = f.import("");
    auto ids = [&](ListOptions o) {
        std::vector<std::string> out;
        auto rows = list_images(f.store, o);
        INFO((rows.ok() ? "" : rows.error().message));
        REQUIRE(rows.ok());
        for (const auto& r : rows.value()) out.push_back(r.repository + ":" + r.tag);
        return out;
    };
    CHECK(ids({}) == std::vector<std::string>{"<none>:<none>", "team/new:2", "old:1"});
    CHECK(ids({{"dangling=true"}, ""}) == std::vector<std::string>{"<none>:<none>"});
    CHECK(ids({{"dangling=false"}, ""}) == std::vector<std::string>{"team/new:2", "old:1"});
    CHECK(ids({{"reference=team/*"}, ""}) == std::vector<std::string>{"team/new:2"});
    CHECK(ids({{"reference=*"}, ""}) == std::vector<std::string>{"old:1"});  // '*' stops at '/'
    CHECK(ids({{}, "old:1"}) == std::vector<std::string>{"old:1"});
    CHECK(ids({{"label=tier=db"}, ""}) == std::vector<std::string>{"old:1"});
    CHECK(ids({{"label=tier"}, ""}) == std::vector<std::string>{"old:1"});
    CHECK(ids({{"before=team/new:2"}, ""}) == std::vector<std::string>{"old:1"});
    CHECK(ids({{"since=team/new:2"}, ""}) == std::vector<std::string>{"<none>:<none>"});
    CHECK(list_images(f.store, {{"dangling=maybe"}, ""}).error().message == "invalid filter 'dangling=maybe'");
    CHECK(list_images(f.store, {{"since=nope"}, ""}).error().message == "No such image: nope:latest");
}

TEST_CASE("history and inspect of an imported image", "[image][list]") {
    Fixture f;
    std::string id = f.import("busybox", {"CMD [\"sh\"]"});
    auto image = f.store.get("busybox").value();
    auto rows = image_history(f.store, image);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].id == id);
    CHECK(rows[0].size == 5);
    CHECK(rows[0].comment == "Imported from -");
    auto doc = inspect_image(image);
    CHECK(doc["Id"] == id);
    CHECK(doc["RepoTags"] == nlohmann::json::array({"busybox:latest"}));
    CHECK(doc["Config"]["Cmd"] == nlohmann::json::array({"sh"}));
    CHECK(doc["Config"]["Entrypoint"].is_null());
    CHECK(doc["RootFS"]["Layers"].size() == 1);
    CHECK(doc["Size"] == 5);
    CHECK(doc.begin().key() == "Id");
}
