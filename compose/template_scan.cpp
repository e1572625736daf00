// A hand-written lexer: it mirrors compose-go's template regexp, which no C++ regex engine
// reproduces (RE2's leftmost-first matching with `.` stopping at newlines).
#include "compose/template_scan.hpp"

#include <utility>

namespace compose::template_scan {

namespace {

bool is_name_start(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

size_t name_end(std::string_view text, size_t from) {
    while (from < text.size() && is_name_char(text[from])) ++from;
    return from;
}

// The operator at text[at] and its length; {none, 0} when there is none.
std::pair<Op, size_t> operator_at(std::string_view text, size_t at) {
    auto op_for = [](char c, bool colon) {
        switch (c) {
        case '?': return colon ? Op::required_non_empty : Op::required;
        case '-': return colon ? Op::default_if_empty : Op::default_if_unset;
        case '+': return colon ? Op::alternate_if_non_empty : Op::alternate_if_set;
        default: return Op::none;
        }
    };
    if (at >= text.size()) return {Op::none, 0};
    if (text[at] == ':') {
        if (at + 1 >= text.size()) return {Op::none, 0};
        Op op = op_for(text[at + 1], true);
        return {op, op == Op::none ? 0 : 2};
    }
    Op op = op_for(text[at], false);
    return {op, op == Op::none ? 0 : 1};
}

// compose-go's brace matcher, quirks included: every `{` opens a level and skips the character
// after it, every `}` closes one; the index of the `}` that closes the first level, or npos.
size_t first_closing_brace(std::string_view match) {
    int open = 0;
    for (size_t i = 0; i < match.size(); ++i) {
        if (match[i] == '}' && --open == 0) return i;
        if (match[i] == '{') {
            ++open;
            ++i;
        }
    }
    return std::string_view::npos;
}

Token literal(std::string_view text, size_t end) {
    Token token;
    token.name = text;
    token.end = end;
    return token;
}

Token invalid(size_t dollar) {
    Token token;
    token.kind = Token::Kind::invalid;
    token.end = dollar + 2;
    return token;
}

// `${NAME<op><argument>}<rest>`: the regexp's `(.*)}` runs to the last `}` on the line, then
// the brace matcher cuts the expression at the `}` that balances the opening one.
Token braced(std::string_view text, size_t dollar) {
    size_t name_begin = dollar + 2;
    if (name_begin >= text.size() || !is_name_start(text[name_begin])) return invalid(dollar);
    Token token;
    token.kind = Token::Kind::expression;
    size_t name_stop = name_end(text, name_begin);
    token.name = text.substr(name_begin, name_stop - name_begin);
    if (name_stop < text.size() && text[name_stop] == '}') {
        token.end = name_stop + 1;
        return token;
    }
    auto [op, op_length] = operator_at(text, name_stop);
    if (op == Op::none) return invalid(dollar);
    size_t line_end = text.find('\n', name_stop);
    if (line_end == std::string_view::npos) line_end = text.size();
    size_t argument_begin = name_stop + op_length;
    size_t last = text.substr(0, line_end).rfind('}');
    if (last == std::string_view::npos || last < argument_begin) return invalid(dollar);

    std::string_view match = text.substr(dollar, last + 1 - dollar);
    size_t close = first_closing_brace(match);
    if (close == std::string_view::npos) close = match.size() - 1;
    token.op = op;
    token.argument = match.substr(argument_begin - dollar, close - (argument_begin - dollar));
    token.rest = match.substr(close + 1);
    token.end = last + 1;
    return token;
}

}  // namespace

Token next(std::string_view text, size_t dollar) {
    if (dollar + 1 >= text.size()) return literal("$", dollar + 1);
    char after = text[dollar + 1];
    if (after == '$') return literal("$", dollar + 2);
    if (after == '{') return braced(text, dollar);
    if (!is_name_start(after)) return literal("$", dollar + 1);
    Token token;
    token.kind = Token::Kind::variable;
    size_t stop = name_end(text, dollar + 1);
    token.name = text.substr(dollar + 1, stop - dollar - 1);
    token.end = stop;
    return token;
}

}  // namespace compose::template_scan
