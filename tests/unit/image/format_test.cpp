#include <sstream>

#include <catch2/catch.hpp>

#include "engine/cli/format.hpp"

using engine::cli::GoTemplate;
using nlohmann::json;

namespace {
std::string render(const std::string& tmpl, const json& dot) {
    auto t = GoTemplate::parse(tmpl);
    INFO(tmpl);
    REQUIRE(t.ok());
    return t.value().render(dot);
}
std::string print(const std::string& format, const std::vector<json>& rows) {
    std::ostringstream out;
    auto s = engine::cli::print_rows(out, format, "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}", rows,
                                     {{"ID", "IMAGE ID"}});
    REQUIRE(s.ok());
    return out.str();
}
}  // namespace

TEST_CASE("format: fields, nested fields and functions", "[image][format]") {
    json dot = {{"Repository", "busybox"}, {"Tag", "latest"}, {"Config", {{"Cmd", {"sh", "-c"}}, {"User", ""}}},
                {"Labels", {{"a", "b<"}}}, {"Size", 42}};
    CHECK(render("{{.Repository}}:{{.Tag}}", dot) == "busybox:latest");
    CHECK(render("{{ .Config.Cmd }}", dot) == "[sh -c]");
    CHECK(render("{{json .Config.Cmd}}", dot) == R"(["sh","-c"])");
    CHECK(render("{{json .Labels}}", dot) == R"({"a":"b\u003c"})");
    CHECK(render("{{.Missing}}|{{.Config.Nope.X}}", dot) == "<no value>|<no value>");
    CHECK(render("{{upper .Tag}} {{lower \"AB\"}} {{join .Config.Cmd \",\"}}", dot) == "LATEST ab sh,-c");
    CHECK(render("{{.Size}} {{.Labels}}", dot) == "42 map[a:b<]");
    CHECK(render("a  {{- .Tag -}}  b", dot) == "alatestb");
    CHECK(render("{{json .}}", json{{"A", 1}}) == R"({"A":1})");
}

TEST_CASE("format: template errors read like Go's", "[image][format]") {
    CHECK(GoTemplate::parse("{{.A").error().message == "template: :1: unclosed action");
    CHECK(GoTemplate::parse("{{nope .A}}").error().message == "template: :1: function \"nope\" not defined");
    CHECK(GoTemplate::parse("{{}}").error().message == "template: :1: missing value for command");
    CHECK(GoTemplate::parse("{{json .A .B}}").error().message == "template: :1: wrong number of args for json: want 1 got 2");
}

TEST_CASE("format: table, json and plain output as docker prints them", "[image][format]") {
    std::vector<json> rows = {{{"Repository", "busybox"}, {"Tag", "latest"}, {"ID", "0123456789ab"}},
                              {{"Repository", "<none>"}, {"Tag", "<none>"}, {"ID", "ba9876543210"}}};
    CHECK(print("", rows) ==
          "REPOSITORY   TAG       IMAGE ID\n"
          "busybox      latest    0123456789ab\n"
          "<none>       <none>    ba9876543210\n");
    CHECK(print("table {{.ID}}\\t{{.Tag}}", rows) ==
          "IMAGE ID       TAG\n"
          "0123456789ab   latest\n"
          "ba9876543210   <none>\n");
    CHECK(print("{{.Repository}}:{{.Tag}}", rows) == "busybox:latest\n<none>:<none>\n");
    CHECK(print("json", {rows[1]}) == R"({"ID":"ba9876543210","Repository":"\u003cnone\u003e","Tag":"\u003cnone\u003e"})" "\n");
}

TEST_CASE("format: docker's human sizes", "[image][format]") {
    using engine::cli::human_size;
    CHECK(human_size(0) == "0B");
    CHECK(human_size(512) == "512B");
    CHECK(human_size(1234) == "1.23kB");
    CHECK(human_size(4264000) == "4.26MB");
    CHECK(human_size(1.5e9) == "1.5GB");
}
