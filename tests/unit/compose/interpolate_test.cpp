#include "compose/interpolate.hpp"

#include <catch2/catch.hpp>

#include "compose/yaml_parse.hpp"

using compose::Environment;
using compose::SubstituteError;
using compose::Variable;

namespace {
// FOO is set, BAR is set but empty, anything else is unset.
const Environment kEnv = {{"FOO", "first"}, {"BAR", ""}, {"JSON", R"({"json":2})"}};

struct Run {
    std::string result;
    std::string error;
    std::vector<std::string> unset;  // variables reported as unset, in order
};

Run run(const std::string& text, const Environment& env = kEnv) {
    Run r;
    auto record = [&r](const std::string& name) { r.unset.push_back(name); };
    try {
        r.result = compose::substitute(text, compose::lookup_in(env), record);
    } catch (const SubstituteError& e) {
        r.error = e.what();
    }
    return r;
}

std::string expand(const std::string& text, const Environment& env = kEnv) {
    auto r = run(text, env);
    INFO(text << " failed: " << r.error);
    REQUIRE(r.error.empty());
    return r.result;
}

std::string error_of(const std::string& text, const Environment& env = kEnv) {
    return run(text, env).error;
}

std::string invalid(const std::string& text) {
    return "invalid interpolation format: \"" + text +
           "\": you may need to escape any $ with another $";
}

compose::Document load(const std::string& yaml) {
    auto docs = compose::parse_yaml(yaml, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    return docs.front();
}

std::string interpolate_error(const std::string& yaml, const Environment& env = kEnv) {
    auto doc = load(yaml);
    try {
        compose::interpolate(doc, compose::lookup_in(env), {});
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("interpolate: text without a template is unchanged", "[compose][interpolate]") {
    CHECK(expand("foo") == "foo");
    CHECK(expand("") == "");
    CHECK(expand("a $ string") == "a $ string");
    CHECK(expand("^REGEX$") == "^REGEX$");
    CHECK(expand("$}") == "$}");
    CHECK(expand("$") == "$");
    CHECK(expand("$1 and $-") == "$1 and $-");
}

TEST_CASE("interpolate: $$ is a literal dollar", "[compose][interpolate]") {
    CHECK(expand("$${foo}") == "${foo}");
    CHECK(expand("$$FOO") == "$FOO");
    CHECK(expand("$$$FOO") == "$first");
}

TEST_CASE("interpolate: $VAR and ${VAR}", "[compose][interpolate]") {
    CHECK(expand("$FOO-bar") == "first-bar");
    CHECK(expand("This $FOO var") == "This first var");
    CHECK(expand("This ${FOO} var") == "This first var");
    CHECK(expand("This ${BAR} var") == "This  var");
    CHECK(expand("$FOO$FOO") == "firstfirst");
    CHECK(expand("${foo_1}x", {{"foo_1", "v"}}) == "vx");
}

TEST_CASE("interpolate: an unset variable without default is blank and reported",
          "[compose][interpolate]") {
    auto r = run("This ${missing} var $other");
    CHECK(r.result == "This  var ");
    CHECK(r.unset == std::vector<std::string>{"missing", "other"});
    SECTION("a set but empty variable is not reported") { CHECK(run("${BAR}").unset.empty()); }
    SECTION("a used default is expanded and reports what it uses") {
        auto lazy = run("${A:-${B}}");
        CHECK(lazy.result == "");
        CHECK(lazy.unset == std::vector<std::string>{"B"});
    }
    SECTION("an unused branch is not expanded") {
        CHECK(run("${A:+${A},}B").unset.empty());
        CHECK(run("${A:+${A},}B").result == "B");
        auto required = run("${A?${B}}", {{"A", "value"}});
        CHECK(required.result == "value");
        CHECK(required.unset.empty());
    }
}

TEST_CASE("interpolate: defaults", "[compose][interpolate]") {
    CHECK(expand("ok ${missing:-def}") == "ok def");
    CHECK(expand("ok ${missing-def}") == "ok def");
    CHECK(expand("ok ${BAR:-def}") == "ok def");
    CHECK(expand("ok ${FOO:-def}") == "ok first");
    CHECK(expand("ok ${BAR-def}") == "ok ");
    CHECK(expand("ok ${BAR:-/non:-alphanumeric}") == "ok /non:-alphanumeric");
    CHECK(expand("${BAR:-default_value_for_empty_var}") == "default_value_for_empty_var");
    CHECK(expand("${UNSET_VAR-default_value_for_unset_var}") == "default_value_for_unset_var");
    CHECK(expand("${UNSET_VAR-myerror?msg}") == "myerror?msg");
    CHECK(expand("ok ${SUBDOMAIN:-redis}.${FOO:?}") == "ok redis.first");
    CHECK(expand("${A:-}x") == "x");
}

TEST_CASE("interpolate: alternates", "[compose][interpolate]") {
    CHECK(expand("ok ${UNSET_VAR:+presence_value}") == "ok ");
    CHECK(expand("ok ${UNSET_VAR+presence_value}") == "ok ");
    CHECK(expand("ok ${FOO:+presence_value}") == "ok presence_value");
    CHECK(expand("ok ${FOO+presence_value}") == "ok presence_value");
    CHECK(expand("ok ${BAR+presence_value}") == "ok presence_value");
    CHECK(expand("ok ${BAR:+presence_value}") == "ok ");
}

TEST_CASE("interpolate: operator characters around a template are plain text",
          "[compose][interpolate]") {
    CHECK(expand("-ok ${BAR:-defaultValue}") == "-ok defaultValue");
    CHECK(expand("+ok ${UNSET:-${BAR-defaultValue}}") == "+ok ");
    CHECK(expand("-ok ${FOO:-defaultValue}") == "-ok first");
    CHECK(expand(":-ok ${UNSET-defaultValue}") == ":-ok defaultValue");
    CHECK(expand(":-ok ${BAR-defaultValue}") == ":-ok ");
    CHECK(expand(":?ok ${BAR-defaultValue}") == ":?ok ");
    CHECK(expand(":?ok ${BAR:-defaultValue}") == ":?ok defaultValue");
    CHECK(expand(":+ok ${BAR:-defaultValue}") == ":+ok defaultValue");
    CHECK(expand("+ok ${BAR-defaultValue}") == "+ok ");
    CHECK(expand("?ok ${BAR:-defaultValue}") == "?ok defaultValue");
}

TEST_CASE("interpolate: the first operator after the name applies", "[compose][interpolate]") {
    const Environment empty = {{"VARNAME", ""}};
    CHECK(error_of("${VARNAME:?val?ue}", empty) ==
          "required variable VARNAME is missing a value: val?ue");
    CHECK(expand("${VARNAME?val:?ue}", empty) == "");
    CHECK(expand("${VARNAME?va-lu+e:?e}", empty) == "");
    CHECK(expand("${VARNAME?va+lu-e:?e}", empty) == "");
    CHECK(expand("${VARNAME:-value}", empty) == "value");
    CHECK(expand("${VARNAME-va:-lu:?e}", empty) == "");
    CHECK(expand("${VARNAME-va+lu?e}", {}) == "va+lu?e");
    CHECK(expand("${VARNAME-va?lu+e}", {}) == "va?lu+e");
    CHECK(expand("${VARNAME:+va:?lu:-e}", {{"VARNAME", "x"}}) == "va:?lu:-e");
    CHECK(expand("${VARNAME+va:+lue}", empty) == "va:+lue");
    CHECK(expand("${VARNAME+va?lu-e}", empty) == "va?lu-e");
    CHECK(expand("${VARNAME+va-lu?e}", empty) == "va-lu?e");
}

TEST_CASE("interpolate: nested templates in defaults and alternates", "[compose][interpolate]") {
    CHECK(expand("ok ${UNSET_VAR-$FOO}") == "ok first");
    CHECK(expand("ok ${UNSET_VAR-${FOO}}") == "ok first");
    CHECK(expand("ok ${UNSET_VAR-${FOO} ${FOO}}") == "ok first first");
    CHECK(expand("ok ${BAR:-$FOO}") == "ok first");
    CHECK(expand("ok ${BAR:-${FOO}}") == "ok first");
    CHECK(expand("ok ${BAR:-${FOO} ${FOO}}") == "ok first first");
    CHECK(expand("ok ${BAR+$FOO}") == "ok first");
    CHECK(expand("ok ${BAR+$FOO ${FOO:+second}}") == "ok first second");
    CHECK(expand("${A:-${B:-x}}") == "x");
    CHECK(expand("${A:-${B:-${C:-deep}}}/${FOO}") == "deep/first");
}

TEST_CASE("interpolate: braces inside defaults", "[compose][interpolate]") {
    CHECK(expand(R"(ok ${missing:-{"json":1}})") == R"(ok {"json":1})");
    CHECK(expand(R"(ok ${missing-{"json":1}})") == R"(ok {"json":1})");
    CHECK(expand(R"(ok ${JSON:-{"json":1}})") == R"(ok {"json":2})");
    CHECK(expand(R"(ok ${JSON-{"json":1}})") == R"(ok {"json":2})");
    SECTION("text after the expression, up to the line's last brace, is expanded too") {
        CHECK(expand("${A:-a} and ${FOO}}") == "a and first}");
        CHECK(expand("${A:-a}\n${B:-b}") == "a\nb");
    }
}

TEST_CASE("interpolate: required variables", "[compose][interpolate]") {
    CHECK(error_of("not ok ${UNSET_VAR:?Mandatory Variable Unset}") ==
          "required variable UNSET_VAR is missing a value: Mandatory Variable Unset");
    CHECK(error_of("not ok ${BAR:?Mandatory Variable Empty}") ==
          "required variable BAR is missing a value: Mandatory Variable Empty");
    CHECK(error_of("not ok ${UNSET_VAR:?}") == "required variable UNSET_VAR is missing a value");
    CHECK(error_of("not ok ${UNSET_VAR?Mandatory Variable Unset}") ==
          "required variable UNSET_VAR is missing a value: Mandatory Variable Unset");
    CHECK(error_of("not ok ${UNSET_VAR?}") == "required variable UNSET_VAR is missing a value");
    CHECK(error_of("${UNSET_VAR?bar-baz}") ==
          "required variable UNSET_VAR is missing a value: bar-baz");
    SECTION("the message is a template") {
        CHECK(error_of("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}") ==
              "required variable UNSET_VAR is missing a value: Mandatory Variable first");
        CHECK(error_of("not ok ${UNSET_VAR?Mandatory Variable ${FOO}}") ==
              "required variable UNSET_VAR is missing a value: Mandatory Variable first");
    }
    SECTION("a present value passes") {
        CHECK(expand("ok ${FOO:?err}") == "ok first");
        CHECK(expand("ok ${FOO?err}") == "ok first");
        CHECK(expand("ok ${BAR?err}") == "ok ");
        CHECK(expand("${FOO?bar-baz}") == "first");
    }
}

TEST_CASE("interpolate: malformed templates are errors", "[compose][interpolate]") {
    for (std::string text : {"${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "${1}",
                             "${foo:x}", "${foo:-x", "${foo:-\n}", "ok ${FOO} ${"}) {
        INFO(text);
        CHECK(error_of(text) == invalid(text));
    }
    SECTION("the error names the innermost template") {
        CHECK(error_of("x ${A:-${}}") == invalid("${}"));
    }
    SECTION("the kind and subject are kept for the caller") {
        try {
            compose::substitute("${X:?}", compose::lookup_in(kEnv), {});
            FAIL("no error");
        } catch (const SubstituteError& e) {
            CHECK(e.kind() == SubstituteError::Kind::missing_required);
            CHECK(e.subject() == "X");
        }
    }
}

TEST_CASE("interpolate: every string value of a document is substituted",
          "[compose][interpolate]") {
    auto doc = load(R"(
services:
  web:
    image: "nginx:${FOO}"
    ports: ["${PORT:-80}:80", 443]
    environment:
      $KEY: $$literal
    healthcheck: {disable: true}
)");
    compose::interpolate(doc, compose::lookup_in(kEnv), {});
    CHECK(doc.tree["services"]["web"]["image"] == "nginx:first");
    CHECK(doc.tree["services"]["web"]["ports"][0] == "80:80");
    CHECK(doc.tree["services"]["web"]["ports"][1] == 443);
    CHECK(doc.tree["services"]["web"]["environment"]["$KEY"] == "$literal");
    CHECK(doc.tree["services"]["web"]["healthcheck"]["disable"] == true);
    CHECK(doc.locations.find("services.web.image").to_string() == "compose.yaml:4:12");
}

TEST_CASE("interpolate: every failing value is reported at its location",
          "[compose][interpolate]") {
    CHECK(interpolate_error("services:\n  web:\n    image: ${TAG:?set TAG}\n") ==
          "compose.yaml:3:12: services.web.image: required variable TAG is missing a value: "
          "set TAG");
    CHECK(interpolate_error(R"(services:
  web:
    ports:
      - "80"
      - "${P:?}"
    command: echo ${ oops}
)") == "compose.yaml:5:9: services.web.ports[1]: required variable P is missing a value\n"
       "compose.yaml:6:14: services.web.command: invalid interpolation format for "
       "services.web.command: \"echo ${ oops}\": you may need to escape any $ with another $");
}

TEST_CASE("interpolate: variables lists every variable once, sorted", "[compose][interpolate]") {
    auto doc = load(R"(
services:
  web:
    image: "${IMAGE:-nginx}:${TAG?tag please}"
    command: $CMD ${CMD} $$NOT_A_VAR
    user: ${USER:+${UID:-1000}}
    labels: ["${A:-x}${A:-y}", "${BROKEN"]
  db:
    image: ${IMAGE}
    entrypoint: ${TAG:-latest}
)");
    auto vars = compose::variables(doc.tree);
    std::vector<Variable> expected = {
        {"A", false, "y", std::nullopt},
        {"CMD", false, std::nullopt, std::nullopt},
        {"IMAGE", false, "nginx", std::nullopt},
        {"TAG", true, "latest", std::nullopt},
        {"UID", false, "1000", std::nullopt},
        {"USER", false, std::nullopt, "${UID:-1000}"},
    };
    REQUIRE(vars.size() == expected.size());
    for (size_t i = 0; i < vars.size(); ++i) {
        INFO(vars[i].name);
        CHECK(vars[i] == expected[i]);
    }
}
