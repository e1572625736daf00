// The image endpoints on top of the image store: list, inspect, history, tag, remove.
#include "engine/container/usage.hpp"
#include "engine/daemon/api.hpp"
#include "engine/image/removal.hpp"
#include "engine/image/views.hpp"
#include "engine/sys/clock.hpp"

namespace engine::daemon {
namespace {

using nlohmann::json;

std::int64_t created_seconds(const image::Image& img) {
    auto t = sys::parse_rfc3339(img.config.value("created", ""));
    return t ? *t / 1000000000 : 0;
}

json list_item(const image::Image& img) {
    json labels = img.config.value("config", json::object()).value("Labels", json());
    return {{"Id", img.id},
            {"ParentId", ""},
            {"RepoTags", img.repo_tags},
            {"RepoDigests", img.repo_digests},
            {"Created", created_seconds(img)},
            {"Size", img.size},
            {"VirtualSize", img.size},
            {"SharedSize", -1},
            {"Containers", -1},
            {"Labels", labels}};
}

Result<json> list_images(const image::ImageStore& store, const Query& q) {
    auto filters = parse_filters(q.get("filters"));
    if (!filters) return filters.error();
    auto listed = image::list_images(store, {filter_strings(filters.value()), ""});
    if (!listed) return listed.error();
    // The listing has one row per tag; the API has one item per image.
    json items = json::array();
    std::set<std::string> seen;
    for (const auto& row : listed.value())
        if (seen.insert(row.image.id).second) items.push_back(list_item(row.image));
    return items;
}

Result<json> history(const image::ImageStore& store, const std::string& name) {
    auto img = store.get(name);
    if (!img) return img.error();
    json rows = json::array();
    bool top = true;
    for (const auto& h : image::image_history(store, img.value())) {
        auto t = sys::parse_rfc3339(h.created);
        rows.push_back({{"Id", h.id},
                        {"Created", t ? *t / 1000000000 : 0},
                        {"CreatedBy", h.created_by},
                        {"Tags", top ? json(img.value().repo_tags) : json(nullptr)},
                        {"Size", h.size},
                        {"Comment", h.comment}});
        top = false;
    }
    return rows;
}

}  // namespace

void add_image_routes(Router<Handler>& router, ApiContext& c) {
    router.add("GET", "/images/json", [&c](Exchange& ex) -> awaitable<void> {
        auto list = [&c, &ex] { return list_images(c.engine.images(), ex.query()); };
        auto items = co_await ex.blocking(list);
        if (!items) co_return co_await fail(ex, items.error());
        co_await ex.json(http::status::ok, items.value());
    });
    router.add("GET", "/images/{name*}/json", [&c](Exchange& ex) -> awaitable<void> {
        auto inspect = [&c, name = ex.param("name")]() -> Result<json> {
            auto img = c.engine.images().get(name);
            if (!img) return img.error();
            json doc = json::parse(image::inspect_image(img.value()).dump());
            // docker-compose 1.x reads ContainerConfig when it recreates a container.
            if (!doc.contains("ContainerConfig")) doc["ContainerConfig"] = doc.value("Config", json::object());
            return doc;
        };
        auto doc = co_await ex.blocking(inspect);
        if (!doc) co_return co_await fail(ex, doc.error());
        co_await ex.json(http::status::ok, doc.value());
    });
    router.add("GET", "/images/{name*}/history", [&c](Exchange& ex) -> awaitable<void> {
        auto read_history = [&c, name = ex.param("name")] { return history(c.engine.images(), name); };
        auto rows = co_await ex.blocking(read_history);
        if (!rows) co_return co_await fail(ex, rows.error());
        co_await ex.json(http::status::ok, rows.value());
    });
    router.add("POST", "/images/{name*}/tag", [&c](Exchange& ex) -> awaitable<void> {
        std::string repo = ex.query().get("repo");
        std::string tag = ex.query().get("tag");
        if (repo.empty()) co_return co_await ex.error(http::status::bad_request, "repository name must be given");
        auto tag_image = [&c, name = ex.param("name"), target = repo + (tag.empty() ? "" : ":" + tag)]() -> Status {
            auto id = c.engine.images().resolve(name);
            if (!id) return id.error();
            auto ref = image::parse_reference(target);
            if (!ref) return Error{EINVAL, ref.error().message};
            return c.engine.images().tag(id.value(), ref.value());
        };
        auto tagged = co_await ex.blocking(tag_image);
        if (!tagged) co_return co_await fail(ex, tagged.error());
        std::map<std::string, std::string> attributes = {{"name", repo + ":" + (tag.empty() ? "latest" : tag)}};
        c.events.publish(Event{"image", "tag", ex.param("name"), std::move(attributes)});
        co_await ex.empty(http::status::created);
    });
    router.add("DELETE", "/images/{name*}", [&c](Exchange& ex) -> awaitable<void> {
        auto force = ex.query().flag("force");
        if (!force) co_return co_await fail(ex, force.error());
        auto remove_image = [&c, name = ex.param("name"), force = force.value()] {
            return image::remove_image_ref(c.engine.images(), name, force, container::images_in_use(c.root));
        };
        auto lines = co_await ex.blocking(remove_image);
        if (!lines) co_return co_await fail(ex, lines.error());
        json out = json::array();
        for (const auto& line : lines.value()) {
            auto colon = line.find(": ");
            if (colon == std::string::npos) continue;
            std::string kind = line.substr(0, colon) == "Untagged" ? "Untagged" : "Deleted";
            json item = {{kind, line.substr(colon + 2)}};
            out.push_back(std::move(item));
            c.events.publish(Event{"image", kind == "Untagged" ? "untag" : "delete", line.substr(colon + 2), {}});
        }
        co_await ex.json(http::status::ok, out);
    });
}

}  // namespace engine::daemon
