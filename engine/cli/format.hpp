#pragma once

// docker's --format: a small Go text/template subset over nlohmann::json rows.
//   {{.Field}}  {{.A.B}}  {{.}}  {{json .}}  {{json .Field}}  {{upper .X}}  {{lower .X}}
//   {{join .List ", "}}    "table " prefix: a header row, then tab-aligned columns
// `\t` and `\n` written literally in the format are turned into tab and newline, as docker does.

#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"

namespace engine::cli {

class GoTemplate {
public:
    /// Parses `text`; errors read like Go's ("template: :1: function \"x\" not defined").
    static Result<GoTemplate> parse(std::string_view text);
    /// Renders with `dot` as "."; a missing field renders "<no value>", as Go does for maps.
    std::string render(const nlohmann::json& dot) const;
    /// Renders the header row: each field becomes headers[field], else its name upper-cased.
    std::string render_header(const std::map<std::string, std::string>& headers) const;

    struct Node {
        enum class Kind { kText, kAction } kind;
        std::string text;               ///< literal text (kText)
        std::string function;           ///< "", "json", "upper", "lower", "join"
        std::vector<std::string> args;  ///< ".A.B" fields or "\"quoted\"" literals
    };

private:
    std::vector<Node> nodes_;
};

/// Docker's human size with 3 significant digits in SI units: "4.26MB", "512B", "1.2kB".
std::string human_size(double bytes);

/// Go's json.Marshal spelling of a value: compact, with <, > and & escaped as \u003c etc.
std::string go_json(const nlohmann::json& value);

/// Aligns tab-separated lines like Go's tabwriter(minwidth 10, padding 3) as docker's tables.
std::string align_table(const std::vector<std::string>& lines);

/// Prints `rows` per a --format value: "" or "table" use `default_table` (a "table …"
/// template); "json" prints {{json .}} per row; "table …" prints a header and aligned rows;
/// anything else renders the template once per row.
Status print_rows(std::ostream& out, const std::string& format, const std::string& default_table,
                  const std::vector<nlohmann::json>& rows,
                  const std::map<std::string, std::string>& headers);

/// `inspect` output: the documents as an indented JSON array, or `format` rendered once per
/// document (docker inspect -f).
Status print_documents(std::ostream& out, const nlohmann::ordered_json& docs, const std::string& format);

}  // namespace engine::cli
