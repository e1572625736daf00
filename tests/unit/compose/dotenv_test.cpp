#include "compose/dotenv.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <unistd.h>

using compose::EnvEntry;
using compose::EnvFileFormat;
using compose::Environment;

namespace {
struct Parsed {
    Environment env;
    std::vector<std::string> unset;  // variables templates used while unset
};

Parsed parse_full(const std::string& text, const Environment& shell = {},
                  EnvFileFormat format = EnvFileFormat::dotenv) {
    Parsed parsed;
    auto record = [&parsed](const std::string& name) { parsed.unset.push_back(name); };
    for (auto& entry :
         compose::parse_dotenv(text, ".env", compose::lookup_in(shell), format, record))
        if (entry.value) parsed.env[entry.name] = *entry.value;
    return parsed;
}

Environment parse(const std::string& text, const Environment& shell = {}) {
    return parse_full(text, shell).env;
}

Environment parse_raw(const std::string& text, const Environment& shell = {}) {
    return parse_full(text, shell, EnvFileFormat::raw).env;
}

std::string error_of(const std::string& text, EnvFileFormat format = EnvFileFormat::dotenv,
                     const Environment& shell = {}) {
    try {
        compose::parse_dotenv(text, ".env", compose::lookup_in(shell), format, {});
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

// A scratch directory removed at the end of the test.
struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("berth-dotenv-" + std::to_string(::getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name, std::ios::binary) << content;
        return (path / name).string();
    }
};
}  // namespace

TEST_CASE("dotenv: plain KEY=VALUE lines, blanks around = trimmed", "[compose][dotenv]") {
    auto env = parse("OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n"
                     "456 = ABC\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n");
    // compose-go's Read() drops keys starting with a digit, but the loader's path does not.
    CHECK(env == Environment{{"OPTION_A", "1"}, {"OPTION_B", "2"}, {"OPTION_C", "3"},
                             {"OPTION_D", "4"}, {"OPTION_E", "5"}, {"456", "ABC"},
                             {"OPTION_F", ""}, {"OPTION_G", ""}, {"OPTION_H", "my string"}});
}

TEST_CASE("dotenv: each line form gives its key and value", "[compose][dotenv]") {
    struct Case {
        std::string input, key, value;
    };
    std::vector<Case> cases = {
        {"FOO=bar", "FOO", "bar"},
        {"FOO =bar", "FOO", "bar"},
        {"FOO= bar", "FOO", "bar"},
        {R"(FOO="bar")", "FOO", "bar"},
        {"FOO='bar'", "FOO", "bar"},
        {R"(FOO="escaped\"bar")", "FOO", R"(escaped"bar)"},
        {R"(FOO="\"quoted\"")", "FOO", R"("quoted")"},
        {R"(FOO="'d'")", "FOO", "'d'"},
        {"OPTION_A: 1", "OPTION_A", "1"},
        {"OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"},
        {"OPTION_A=1:B", "OPTION_A", "1:B"},
        {"export OPTION_A=2", "OPTION_A", "2"},
        {R"(export OPTION_B='\n')", "OPTION_B", R"(\n)"},
        {"export exportFoo=2", "exportFoo", "2"},
        {"exportFOO=2", "exportFOO", "2"},
        {"export_FOO =2", "export_FOO", "2"},
        {"export.FOO= 2", "export.FOO", "2"},
        {"export\tOPTION_A=2", "OPTION_A", "2"},
        {"  export OPTION_A=2", "OPTION_A", "2"},
        {"\texport OPTION_A=2", "OPTION_A", "2"},
        {R"(export OPTION_A="export A")", "OPTION_A", "export A"},
        {"FOO.BAR=foobar", "FOO.BAR", "foobar"},
        {"FOO=foobar=", "FOO", "foobar="},
        {"FOO=bar ", "FOO", "bar"},
        {R"(="value")", "", "value"},
        {" KEY =value", "KEY", "value"},
        {"   KEY=value", "KEY", "value"},
        {"\tKEY=value", "KEY", "value"},
        {"VAR-WITH-DASHES=dashes", "VAR-WITH-DASHES", "dashes"},
        {"ARR[0]=x", "ARR[0]", "x"},
        {"KEY=value\r\n", "KEY", "value"},
    };
    for (const auto& c : cases) {
        INFO(c.input);
        CHECK(parse(c.input) == Environment{{c.key, c.value}});
    }
}

TEST_CASE("dotenv: comments", "[compose][dotenv]") {
    CHECK(parse("FOO=bar # this is foo") == Environment{{"FOO", "bar"}});
    CHECK(parse("FOO=bar #this is foo") == Environment{{"FOO", "bar"}});
    CHECK(parse("FOO=bar #") == Environment{{"FOO", "bar"}});
    CHECK(parse("FOO=123#not-an-inline-comment") ==
          Environment{{"FOO", "123#not-an-inline-comment"}});
    CHECK(parse(R"(FOO="bar#baz")") == Environment{{"FOO", "bar#baz"}});
    CHECK(parse(R"(FOO="bar#baz"#)") == Environment{{"FOO", "bar#baz"}});
    CHECK(parse(R"(FOO="bar#baz" # comment)") == Environment{{"FOO", "bar#baz"}});
    CHECK(parse("FOO='bar#baz' # comment") == Environment{{"FOO", "bar#baz"}});
    CHECK(parse(R"(FOO="bar#baz#bang" # comment)") == Environment{{"FOO", "bar#baz#bang"}});
    CHECK(parse(R"(FOO="ba#r")") == Environment{{"FOO", "ba#r"}});
    CHECK(parse("FOO='ba#r'") == Environment{{"FOO", "ba#r"}});
    SECTION("only a space before # starts a comment, as in compose-go") {
        CHECK(parse("FOO=bar\t# c") == Environment{{"FOO", "bar\t# c"}});
        CHECK(parse("FOO= # c") == Environment{{"FOO", "# c"}});
    }
}

TEST_CASE("dotenv: blank and comment lines are ignored", "[compose][dotenv]") {
    for (std::string text : {"\n", "\r\n", "\t\t ", "# Comment", "\t # comment", ""}) {
        INFO(text);
        CHECK(compose::parse_dotenv(text, ".env", {}).empty());
    }
}

TEST_CASE("dotenv: quoted values", "[compose][dotenv]") {
    auto env = parse(R"(OPTION_A='1'
OPTION_B='2'
OPTION_C=''
OPTION_D='\n'
OPTION_E="1"
OPTION_F="2"
OPTION_G=""
OPTION_H="\n"
OPTION_I = "echo 'asd'" # Inline comment
OPTION_J = 'first line
second line
third line
and so on'
OPTION_K='Let\'s go!'
OPTION_Z = "last value"
)");
    CHECK(env == Environment{{"OPTION_A", "1"}, {"OPTION_B", "2"}, {"OPTION_C", ""},
                             {"OPTION_D", R"(\n)"}, {"OPTION_E", "1"}, {"OPTION_F", "2"},
                             {"OPTION_G", ""}, {"OPTION_H", "\n"}, {"OPTION_I", "echo 'asd'"},
                             {"OPTION_J", "first line\nsecond line\nthird line\nand so on"},
                             {"OPTION_K", "Let's go!"}, {"OPTION_Z", "last value"}});
    CHECK(parse("ONE=1\nTWO='2'\nTHREE = \"3\"") ==
          Environment{{"ONE", "1"}, {"TWO", "2"}, {"THREE", "3"}});
    CHECK(parse("TEST_URLS=\"stratum+tcp://a.com:3333\nstratum+tcp://a.com:443\"") ==
          Environment{{"TEST_URLS", "stratum+tcp://a.com:3333\nstratum+tcp://a.com:443"}});
}

TEST_CASE("dotenv: unquoted values are trimmed, quotes inside them kept", "[compose][dotenv]") {
    auto env = parse(R"(OPTION_A = "some quoted phrase"
OPTION_B=first one with an unquoted phrase
OPTION_C = then another one with an unquoted phrase
OPTION_D = then another one with an unquoted phrase special è char
OPTION_E = "then another one quoted phrase"
)");
    CHECK(env == Environment{{"OPTION_A", "some quoted phrase"},
                             {"OPTION_B", "first one with an unquoted phrase"},
                             {"OPTION_C", "then another one with an unquoted phrase"},
                             {"OPTION_D", "then another one with an unquoted phrase special è char"},
                             {"OPTION_E", "then another one quoted phrase"}});
    CHECK(parse("A=say \"hi\"") == Environment{{"A", "say \"hi\""}});
    CHECK(parse(R"(FOO=a\tb)") == Environment{{"FOO", R"(a\tb)"}});
}

TEST_CASE("dotenv: escapes in double quotes", "[compose][dotenv]") {
    CHECK(parse(R"(FOO="bar\nbaz")") == Environment{{"FOO", "bar\nbaz"}});
    CHECK(parse(R"(FOO="a\tb")") == Environment{{"FOO", "a\tb"}});
    CHECK(parse(R"(KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z")") ==
          Environment{{"KEY", "Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"}});
    CHECK(parse(R"(FOO="bar\n\ b\az")") == Environment{{"FOO", "bar\n\\ b\az"}});
    CHECK(parse(R"(FOO="bar\\\n\ b\az")") == Environment{{"FOO", "bar\\\n\\ b\az"}});
    CHECK(parse(R"(FOO="bar\\r\ b\az")") == Environment{{"FOO", "bar\\r\\ b\az"}});
    CHECK(parse(R"(FOO="bar\nbaz\\")") == Environment{{"FOO", "bar\nbaz\\"}});
    SECTION("octal needs \\0 and three octal digits") {
        CHECK(parse(R"(KEY="\0123")") == Environment{{"KEY", "S"}});
        CHECK(parse(R"(KEY="\0351")") == Environment{{"KEY", "\xC3\xA9"}});
        CHECK(parse(R"(KEY="\012")") == Environment{{"KEY", R"(\12)"}});
        CHECK(parse(R"(KEY="\0")") == Environment{{"KEY", R"(\)"}});
        CHECK(parse(R"(KEY="\0777")") == Environment{{"KEY", R"(\777)"}});
    }
    SECTION("Go's other escapes are not supported") {
        CHECK(parse(R"(KEY="\x07")") == Environment{{"KEY", R"(\x07)"}});
        CHECK(parse(R"(KEY="\u12e4")") == Environment{{"KEY", R"(\u12e4)"}});
        CHECK(parse(R"(KEY="\U00101234")") == Environment{{"KEY", R"(\U00101234)"}});
        CHECK(parse(R"(KEY="\c")") == Environment{{"KEY", R"(\c)"}});
    }
    SECTION("single quotes keep backslashes, except before a single quote") {
        CHECK(parse(R"(KEY='a\tb\"c')") == Environment{{"KEY", R"(a\tb\"c)"}});
    }
}

TEST_CASE("dotenv: values are interpolated, the shell before the file's earlier keys",
          "[compose][dotenv]") {
    CHECK(parse("FOO=test\nBAR=$FOO") == Environment{{"FOO", "test"}, {"BAR", "test"}});
    CHECK(parse("FOO=test\nBAR=${FOO}bar") == Environment{{"FOO", "test"}, {"BAR", "testbar"}});
    CHECK(parse("FOO=test\nBAR=\"quote $FOO\"") ==
          Environment{{"FOO", "test"}, {"BAR", "quote test"}});
    CHECK(parse("BAR='quote $FOO'") == Environment{{"BAR", "quote $FOO"}});
    CHECK(parse(R"(FOO="foo\$BAR")") == Environment{{"FOO", "foo$BAR"}});
    CHECK(parse(R"(FOO="foo\${BAR}")") == Environment{{"FOO", "foo${BAR}"}});
    CHECK(parse("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"") ==
          Environment{{"FOO", "test"}, {"BAR", "foo${FOO} test"}});
    CHECK(parse("TEST=$ME", {{"ME", "YES"}}) == Environment{{"TEST", "YES"}});
    CHECK(parse("A=$$B") == Environment{{"A", "$B"}});

    const std::string substitutions =
        "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n"
        "OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
    CHECK(parse(substitutions) == Environment{{"OPTION_A", "1"}, {"OPTION_B", "1"},
                                              {"OPTION_C", "1"}, {"OPTION_D", "1_1"},
                                              {"OPTION_E", ""}});
    SECTION("the file's own value is returned as written, its references see the shell") {
        CHECK(parse(substitutions, {{"OPTION_A", "5"}}) ==
              Environment{{"OPTION_A", "1"}, {"OPTION_B", "5"}, {"OPTION_C", "5"},
                          {"OPTION_D", "5_5"}, {"OPTION_E", ""}});
    }
    const std::string with_default =
        "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n"
        "OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
    SECTION("a default applies only when neither the shell nor the file define the variable") {
        CHECK(parse(with_default, {{"OPTION_A", "5"}}) ==
              Environment{{"OPTION_A", "5"}, {"OPTION_B", "5"}, {"OPTION_C", "5"},
                          {"OPTION_D", "5_5"}, {"OPTION_E", ""}});
        CHECK(parse(with_default) == Environment{{"OPTION_A", "1"}, {"OPTION_B", "1"},
                                                 {"OPTION_C", "1"}, {"OPTION_D", "1_1"},
                                                 {"OPTION_E", ""}});
    }
    SECTION("unset variables are reported") {
        CHECK(parse_full(substitutions).unset == std::vector<std::string>{"OPTION_NOT_DEFINED"});
    }
}

TEST_CASE("dotenv: several files, each read against the shell", "[compose][dotenv]") {
    const std::string base = "\nENV_HOSTNAME=localhost\nENV_MY_URL=\"http://${ENV_HOSTNAME}\"\n";
    const std::string override_ =
        "\nENV_HOSTNAME=dev.my-company.com\nENV_MY_URL=\"http://${ENV_HOSTNAME}\"\n";
    auto merged = [&](const Environment& shell) {
        Environment env = parse(base, shell);
        for (auto& [k, v] : parse(override_, shell)) env[k] = v;
        return env;
    };
    CHECK(merged({}) == Environment{{"ENV_HOSTNAME", "dev.my-company.com"},
                                    {"ENV_MY_URL", "http://dev.my-company.com"}});
    // The file value is returned; the caller lets the shell's value win when merging.
    CHECK(merged({{"ENV_HOSTNAME", "host.local"}}) ==
          Environment{{"ENV_HOSTNAME", "dev.my-company.com"},
                      {"ENV_MY_URL", "http://host.local"}});
}

TEST_CASE("dotenv: a bare KEY takes its value from the lookup", "[compose][dotenv]") {
    const Environment shell = {{"VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"}};
    CHECK(parse("foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n", shell) ==
          Environment{{"VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"},
                      {"foo", "bar"},
                      {"bar", "baz"}});
    CHECK(parse("VAR_TO_BE_LOADED_FROM_OS_ENV\n", shell) == shell);
    CHECK(parse("VAR_TO_BE_LOADED_FROM_OS_ENV", shell) == shell);
    SECTION("and stays undefined when the lookup has none") {
        auto entries = compose::parse_dotenv("A=1\nVARIABLE_NOT_FOUND\n", ".env", {});
        CHECK(entries == std::vector<EnvEntry>{{"A", "1", 1}, {"VARIABLE_NOT_FOUND", {}, 2}});
        CHECK(parse("VARIABLE_NOT_FOUND\n").empty());
    }
}

TEST_CASE("dotenv: entries keep file order and their first line", "[compose][dotenv]") {
    auto entries = compose::parse_dotenv("\xEF\xBB\xBF# c\nA=1\nB=\"x\ny\" C='z'\n\nD: 2\nA=3",
                                         ".env", {});
    CHECK(entries == std::vector<EnvEntry>{
                         {"A", "1", 2}, {"B", "x\ny", 3}, {"C", "z", 4}, {"D", "2", 6},
                         {"A", "3", 7}});
    SECTION("after a closing quote, the rest of the line is the next statement") {
        CHECK(parse("FOO=\"a\"BAR", {{"BAR", "b"}}) == Environment{{"FOO", "a"}, {"BAR", "b"}});
    }
    SECTION("a leading byte order mark is skipped") {
        CHECK(parse("\xEF\xBB\xBFOPTION_A=1\nOPTION_B=2\n") ==
              Environment{{"OPTION_A", "1"}, {"OPTION_B", "2"}});
    }
    SECTION("the yaml-like colon form") {
        CHECK(parse("FOO:BAR\nZOT:QIX") == Environment{{"FOO", "BAR"}, {"ZOT", "QIX"}});
    }
    SECTION("special characters in keys") {
        CHECK(parse("VAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=underscores\n"
                    "VAR-WITH-DASHES=dashes\n") ==
              Environment{{"VAR.WITH.DOTS", "dots"}, {"VAR_WITH_UNDERSCORES", "underscores"},
                          {"VAR-WITH-DASHES", "dashes"}});
    }
    SECTION("export files") {
        CHECK(parse("export OPTION_A=2\nexport OPTION_B='\\n'\n") ==
              Environment{{"OPTION_A", "2"}, {"OPTION_B", R"(\n)"}});
        CHECK(parse("export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n\n") ==
              Environment{{"OPTION_A", "postgres://localhost:5432/database?sslmode=disable"}});
    }
}

TEST_CASE("dotenv: an invalid key is reported at file:line", "[compose][dotenv]") {
    CHECK(error_of("lol$wut") ==
          ".env:1: invalid variable name \"lol$wut\": unexpected character \"$\"");
    CHECK(error_of("# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix") ==
          ".env:7: invalid variable name \"INVALID LINE\": a key cannot contain a space");
    SECTION("every invalid line is reported") {
        CHECK(error_of("A B=1\nOK=1\nexport C!=2\n") ==
              ".env:1: invalid variable name \"A B\": a key cannot contain a space\n"
              ".env:3: invalid variable name \"C!=2\": unexpected character \"!\"");
    }
}

TEST_CASE("dotenv: an unterminated quote is reported at its line", "[compose][dotenv]") {
    for (std::string value : {R"(")", R"("value)", R"("value\")", R"("value')", R"(')",
                              R"('value)", R"('value\')", R"('value")"}) {
        INFO(value);
        CHECK(error_of("A=1\nKEY=" + value + "\nB=2\n") ==
              ".env:2: unterminated quoted value for \"KEY\": " + value);
    }
}

TEST_CASE("dotenv: a failing template is reported at its line", "[compose][dotenv]") {
    CHECK(error_of("A=1\nB=${NOPE:?set NOPE}\n") ==
          ".env:2: required variable NOPE is missing a value: set NOPE");
    CHECK(error_of("A=\"x\ny\"\nB=\"${oops }\"\n") ==
          ".env:3: invalid interpolation format: \"${oops }\": you may need to escape any $ "
          "with another $");
}

TEST_CASE("dotenv: raw format takes values verbatim", "[compose][dotenv]") {
    CHECK(parse_raw("FOO=\"bar\" # not a comment\nA=${B}\nC= spaced \r\nD=x=y\n", {{"B", "b"}}) ==
          Environment{{"FOO", "\"bar\" # not a comment"}, {"A", "${B}"}, {"C", " spaced "},
                      {"D", "x=y"}});
    CHECK(parse_raw("\xEF\xBB\xBF# comment\n\n   \t\n  # indented\n  KEY=v\n") ==
          Environment{{"KEY", "v"}});
    SECTION("a bare KEY comes from the lookup") {
        CHECK(parse_raw("HOME\nNOPE\n", {{"HOME", "/root"}}) == Environment{{"HOME", "/root"}});
    }
    SECTION("keys with whitespace or without a name are errors") {
        CHECK(error_of("OK=1\nFOO BAR=1\n=x\nFOO =bar\n", EnvFileFormat::raw) ==
              ".env:2: invalid variable name \"FOO BAR\": it contains whitespace\n"
              ".env:3: missing variable name\n"
              ".env:4: invalid variable name \"FOO \": it contains whitespace");
    }
}

TEST_CASE("dotenv: read_dotenv_file reads a file into a map", "[compose][dotenv]") {
    TempDir dir;
    auto path = dir.write("app.env", "A=1\nB=${A}2\nA=3\nGONE\n");
    CHECK(compose::read_dotenv_file(path, compose::lookup_in({})) ==
          Environment{{"A", "3"}, {"B", "12"}});
    CHECK(compose::read_dotenv_file(path, {}, EnvFileFormat::raw) ==
          Environment{{"A", "3"}, {"B", "${A}2"}});

    auto error_reading = [](const std::string& p) -> std::string {
        try {
            compose::read_dotenv_file(p, {});
        } catch (const schema::LoadError& e) {
            return e.what();
        }
        return "";
    };
    CHECK(error_reading(dir.path / "missing.env") ==
          (dir.path / "missing.env").string() +
              ": cannot read env file: no such file or directory");
    CHECK(error_reading(dir.path.string()) ==
          dir.path.string() + ": cannot read env file: it is a directory");
    auto bad = dir.write("bad.env", "OK=1\nNOT OK\n");
    CHECK(error_reading(bad) ==
          bad + ":2: invalid variable name \"NOT OK\": a key cannot contain a space");
}
