// Checks berth's key table against the upstream compose-spec JSON schema, which is test data
// kept outside this repository. Built only when that file exists (see tests/CMakeLists.txt).
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "compose/cast.hpp"
#include "compose/loader.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/sample_models.hpp"
#include "compose/validate.hpp"
#include "compose/yaml_parse.hpp"
#include "schema/keys.hpp"

namespace {
using Json = nlohmann::json;

Json read_json(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    auto text = std::string(std::istreambuf_iterator<char>(in), {});
    // compose-go's 2020-12 copy renames "definitions"; nothing else differs for this walk.
    for (std::string from : {"\"$defs\"", "#/$defs/"}) {
        std::string to = from == "\"$defs\"" ? "\"definitions\"" : "#/definitions/";
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at))
            text.replace(at, from.size(), to);
    }
    return Json::parse(text);
}

std::string sibling(const std::string& name) {
    std::string path = BERTH_UPSTREAM_SCHEMA;
    return path.substr(0, path.rfind('/') + 1) + name;
}

// Every key path upstream describes, in berth's pattern syntax: "*" for names, "[]" for items.
class PathCollector {
public:
    explicit PathCollector(const Json& root) : root_(root) {}

    std::set<std::string> collect() {
        walk(root_, "", 0);
        return paths_;
    }

private:
    const Json& resolve(const Json& node) const {
        const Json* at = &node;
        while (at->is_object() && at->contains("$ref")) {
            auto ref = (*at)["$ref"].get<std::string>();
            at = &root_["definitions"][ref.substr(ref.rfind('/') + 1)];
        }
        return *at;
    }

    void walk(const Json& raw, const std::string& path, int depth) {
        const auto& node = resolve(raw);
        if (!node.is_object() || depth > 16) return;
        if (!path.empty()) paths_.insert(path);
        auto join = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
        if (node.contains("properties"))
            for (const auto& [key, child] : node["properties"].items())
                walk(child, join(key), depth + 1);
        if (node.contains("patternProperties"))
            for (const auto& [key, child] : node["patternProperties"].items())
                if (key != "^x-") walk(child, join("*"), depth + 1);
        if (node.contains("additionalProperties") && node["additionalProperties"].is_object())
            walk(node["additionalProperties"], join("*"), depth + 1);
        if (node.contains("items") && node["items"].is_object())
            walk(node["items"], path + "[]", depth + 1);
        for (const char* alternatives : {"oneOf", "anyOf", "allOf"})
            if (node.contains(alternatives))
                for (const auto& alternative : node[alternatives])
                    walk(alternative, path, depth + 1);
    }

    const Json& root_;
    std::set<std::string> paths_;
};

std::set<std::string> upstream_paths() {
    auto paths = PathCollector(read_json(BERTH_UPSTREAM_SCHEMA)).collect();
    std::ifstream newer(sibling("compose-spec.compose-go-2020-12.json"));
    if (newer) {
        auto more =
            PathCollector(read_json(sibling("compose-spec.compose-go-2020-12.json"))).collect();
        paths.insert(more.begin(), more.end());
    }
    return paths;
}

std::string upstream_errors(const compose::Tree& model) {
    static const Json schema_json = read_json(BERTH_UPSTREAM_SCHEMA);
    // valijson::Schema can be neither copied nor moved, so it is filled in place, once.
    static valijson::Schema schema;
    static const bool parsed = [] {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(schema_json);
        parser.populateSchema(adapter, schema);
        return true;
    }();
    (void)parsed;
    Json document = Json::parse(model.dump());
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(document);
    if (validator.validate(schema, target, &results)) return "";
    std::string out;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
        for (const auto& part : error.context)
            out += part;
        out += ": " + error.description + "\n";
    }
    return out;
}

compose::Document load(const std::string& text) {
    auto docs = compose::parse_yaml(text, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    compose::cast_types(docs.front());
    return docs.front();
}
}  // namespace

TEST_CASE("upstream: every key path of compose-spec.json has a KeySpec", "[upstream]") {
    auto paths = upstream_paths();
    CHECK(paths.size() > 450);  // the walk itself works: upstream has about 480 key paths
    std::string missing;
    for (const auto& path : paths)
        if (!schema::find(schema::split_pattern(path))) missing += path + "\n";
    INFO("keys upstream knows and berth does not:\n" << missing);
    CHECK(missing.empty());
}

TEST_CASE("upstream: every KeySpec names an upstream key", "[upstream]") {
    auto paths = upstream_paths();
    // Values of storage_opt are free-form upstream; berth names them to check they are scalars.
    const std::set<std::string> berth_only{"services.*.storage_opt.*"};
    std::string extra;
    for (const auto& k : schema::keys()) {
        std::string pattern(k.pattern);
        if (!paths.count(pattern) && !berth_only.count(pattern)) extra += pattern + "\n";
    }
    INFO("keys berth describes that upstream does not:\n" << extra);
    CHECK(extra.empty());
}

TEST_CASE("upstream: berth's long-syntax samples are valid upstream too", "[upstream]") {
    const char* samples[] = {
        kLongSyntaxModel,
        R"(
services:
  app:
    build: ./app
    command: [sh, -c, "echo hi"]
    ports: ["8080:80", "127.0.0.1:53:53/udp"]
    volumes: ["./src:/src:ro"]
    environment: [A=1]
    depends_on: [cache]
    tty: true
    restart: unless-stopped
  cache:
    image: redis
)",
    };
    for (const char* text : samples) {
        auto doc = load(text);
        INFO(text);
        CHECK(upstream_errors(doc.tree) == "");
        CHECK_NOTHROW(compose::validate(doc));
    }
}

TEST_CASE("upstream: what upstream rejects, berth rejects", "[upstream]") {
    const char* samples[] = {
        "services:\n  web:\n    image: nginx\n    imgae: nginx\n",
        "services:\n  web:\n    image: nginx\n    volumes: [{type: bnd, target: /a}]\n",
        "services:\n  web:\n    image: nginx\n    depends_on: {db: {required: true}}\n",
        "services:\n  web app:\n    image: nginx\n",
        "services:\n  web:\n    image: nginx\n    cap_add: [A, A]\n",
    };
    for (const char* text : samples) {
        auto doc = load(text);
        INFO(text);
        CHECK(upstream_errors(doc.tree) != "");
        CHECK_THROWS_AS(compose::validate(doc), schema::LoadError);
    }
}

namespace {

// The projects of the golden corpus and samples/ that resolve, each as `config` would.
std::vector<std::pair<std::string, compose::Tree>> resolved_projects() {
    std::vector<std::pair<std::string, compose::Tree>> out;
    for (const auto& dir : golden_dirs(BERTH_SOURCE_DIR)) {
        if (!std::filesystem::exists(dir / "expected.yaml")) continue;
        out.emplace_back(dir.filename().string(), compose::load(golden_options(dir)).model);
    }
    return out;
}

}  // namespace

TEST_CASE("upstream: every resolved golden project is valid upstream", "[upstream]") {
    auto projects = resolved_projects();
    REQUIRE(projects.size() >= 10);
    for (const auto& [name, model] : projects) {
        INFO("project " << name);
        CHECK(upstream_errors(model) == "");
    }
}
