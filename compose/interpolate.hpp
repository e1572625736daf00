#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "compose/document.hpp"
#include "compose/environment.hpp"

namespace compose {

/// Told the name of a variable that a template used without a default while it was unset
/// (it then stands for ""). Called once per such use, in template order.
using UnsetVariableFn = std::function<void(const std::string& name)>;

/// The default UnsetVariableFn: logs compose's warning at warn level through compose::log().
void log_unset_variable(const std::string& name);

/// Why substitute() failed; the caller adds the location.
class SubstituteError : public std::runtime_error {
public:
    enum class Kind {
        invalid_template,  ///< malformed `${...}`; template() holds the text that held it
        missing_required,  ///< `${X:?msg}` / `${X?msg}` with X missing; variable() is X
    };

    /// `subject` is the template for invalid_template, the variable for missing_required.
    SubstituteError(Kind kind, std::string subject, const std::string& reason = {});
    Kind kind() const { return kind_; }
    const std::string& subject() const { return subject_; }

private:
    Kind kind_;
    std::string subject_;
};

/// Expands compose-spec templates in `text` the way compose-go's template package does:
/// `$$` is a literal `$`; `$VAR` and `${VAR}`; `${VAR:-d}` / `${VAR-d}` default when unset or
/// empty / unset; `${VAR:?e}` / `${VAR?e}` fail when unset or empty / unset; `${VAR:+a}` /
/// `${VAR+a}` give `a` when set and non-empty / set. Defaults, alternates and messages may
/// hold templates themselves and are only expanded when used. A `$` that starts no template
/// (`$`, `$}`, `$1`) stays as it is. Throws SubstituteError.
std::string substitute(std::string_view text, const Lookup& lookup,
                       const UnsetVariableFn& on_unset = log_unset_variable);

/// Substitutes every string value of doc.tree (mapping keys are left alone). Values keep
/// their locations. Throws schema::LoadError with one diagnostic per failing value, e.g.
/// `compose.yaml:3:12: services.web.image: required variable TAG is missing a value: set TAG`.
void interpolate(Document& doc, const Lookup& lookup,
                 const UnsetVariableFn& on_unset = log_unset_variable);

/// One variable the templates of a tree use, as `config --variables` lists it.
struct Variable {
    std::string name;
    bool required = false;                     ///< some use is `${X:?..}` or `${X?..}`
    std::optional<std::string> default_value;  ///< raw text after `:-` / `-`, first non-empty
    std::optional<std::string> alternate;      ///< raw text after `:+` / `+`, first non-empty

    bool operator==(const Variable&) const = default;
};

/// Every variable used by the string values of `tree`, nested templates included, sorted by
/// name, one entry per name (uses are merged as compose-go does). Malformed templates are
/// skipped: interpolate() reports them.
std::vector<Variable> variables(const Tree& tree);

}  // namespace compose
