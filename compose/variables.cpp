// Lists the variables templates use (`config --variables`), with the same hand-written lexer
// substitute() runs on.
#include <map>

#include "compose/interpolate.hpp"
#include "compose/template_scan.hpp"

namespace compose {

namespace {

using template_scan::Op;
using template_scan::Token;

// compose-go appends the variables after the closing `}` first, then the variable itself, then
// those nested in its argument; merging keeps the first non-empty default, so order matters.
void extract(std::string_view text, std::vector<Variable>& out) {
    size_t i = 0;
    while ((i = text.find('$', i)) != std::string_view::npos) {
        Token token = template_scan::next(text, i);
        i = token.end;
        if (token.kind == Token::Kind::variable) out.push_back({std::string(token.name)});
        if (token.kind != Token::Kind::expression) continue;
        extract(token.rest, out);
        Variable variable{std::string(token.name)};
        std::string argument(token.argument);
        switch (token.op) {
        case Op::none: break;
        case Op::required_non_empty:
        case Op::required: variable.required = true; break;
        case Op::default_if_empty:
        case Op::default_if_unset: variable.default_value = argument; break;
        case Op::alternate_if_non_empty:
        case Op::alternate_if_set: variable.alternate = argument; break;
        }
        out.push_back(std::move(variable));
        extract(token.argument, out);
    }
}

void extract_tree(const Tree& node, std::vector<Variable>& out) {
    if (node.is_string()) {
        extract(node.get_ref<const std::string&>(), out);
    } else if (node.is_structured()) {
        for (const auto& child : node) extract_tree(child, out);
    }
}

void keep_first_non_empty(std::optional<std::string>& kept, const std::optional<std::string>& seen) {
    if (seen && (!kept || kept->empty())) kept = seen;
}

}  // namespace

std::vector<Variable> variables(const Tree& tree) {
    std::vector<Variable> uses;
    extract_tree(tree, uses);
    // One use that is required makes the variable required: that use fails when it is unset.
    std::map<std::string, Variable> merged;
    for (const auto& use : uses) {
        auto [it, inserted] = merged.try_emplace(use.name, use);
        if (inserted) continue;
        it->second.required = it->second.required || use.required;
        keep_first_non_empty(it->second.default_value, use.default_value);
        keep_first_non_empty(it->second.alternate, use.alternate);
    }
    std::vector<Variable> result;
    for (auto& [name, variable] : merged) result.push_back(std::move(variable));
    return result;
}

}  // namespace compose
