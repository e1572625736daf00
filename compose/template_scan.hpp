#pragma once

#include <cstddef>
#include <string_view>

/// The lexer shared by substitute() and variables(): it finds where one `$...` template ends
/// and what it asks for, exactly as compose-go's template regexp plus brace matcher split it.
namespace compose::template_scan {

/// The operator between a braced variable's name and its argument.
enum class Op {
    none,                    ///< `${X}`
    required_non_empty,      ///< `${X:?msg}`
    required,                ///< `${X?msg}`
    default_if_empty,        ///< `${X:-default}`
    default_if_unset,        ///< `${X-default}`
    alternate_if_non_empty,  ///< `${X:+alternate}`
    alternate_if_set,        ///< `${X+alternate}`
};

/// One template, or a `$` that starts none.
struct Token {
    enum class Kind {
        literal,     ///< `$$`, or a `$` starting no template; `name` holds the text it stands for
        variable,    ///< `$X`
        expression,  ///< `${X}` or `${X<op><argument>}`
        invalid,     ///< `${` not followed by a well-formed expression
    };
    Kind kind = Kind::literal;
    std::string_view name;
    Op op = Op::none;
    std::string_view argument;  ///< unexpanded text after the operator
    /// Text after the `}` that closes the expression but still inside the match: compose-go
    /// matches `${X:-...}` up to the last `}` of the line and expands this tail separately.
    std::string_view rest;
    size_t end = 0;  ///< index in the scanned text just past the token
};

/// Scans the template starting at `text[dollar]`, which must be `$`.
Token next(std::string_view text, size_t dollar);

}  // namespace compose::template_scan
