// A hand-written template expander: no library implements compose-spec's `${...}` dialect.
#include "compose/interpolate.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include "compose/log.hpp"
#include "compose/template_scan.hpp"

namespace compose {

namespace {

std::string error_message(SubstituteError::Kind kind, const std::string& subject,
                          const std::string& reason) {
    if (kind == SubstituteError::Kind::invalid_template)
        return fmt::format(
            "invalid interpolation format: \"{}\": you may need to escape any $ with another $",
            subject);
    if (reason.empty()) return fmt::format("required variable {} is missing a value", subject);
    return fmt::format("required variable {} is missing a value: {}", subject, reason);
}

class Expander {
public:
    Expander(const Lookup& lookup, const UnsetVariableFn& on_unset)
        : lookup_(lookup), on_unset_(on_unset) {}

    std::string expand(std::string_view text) const {
        std::string out;
        size_t i = 0;
        while (i < text.size()) {
            size_t dollar = text.find('$', i);
            if (dollar == std::string_view::npos) dollar = text.size();
            out.append(text.substr(i, dollar - i));
            if (dollar == text.size()) break;
            auto token = template_scan::next(text, dollar);
            i = token.end;
            out += replace(text, token);
        }
        return out;
    }

private:
    std::string replace(std::string_view text, const template_scan::Token& token) const {
        using template_scan::Token;
        switch (token.kind) {
        case Token::Kind::literal: return std::string(token.name);
        case Token::Kind::invalid:
            throw SubstituteError(SubstituteError::Kind::invalid_template, std::string(text));
        case Token::Kind::variable: return value_or_warn(std::string(token.name));
        case Token::Kind::expression:
            // compose-go expands what follows the matching `}` as a template of its own.
            return evaluate(token) + expand(token.rest);
        }
        return {};
    }

    std::string value_or_warn(const std::string& name) const {
        auto value = lookup_(name);
        if (value) return *value;
        if (on_unset_) on_unset_(name);
        return {};
    }

    std::string evaluate(const template_scan::Token& token) const {
        using Op = template_scan::Op;
        std::string name(token.name);
        auto value = lookup_(name);
        bool empty = !value || value->empty();
        switch (token.op) {
        case Op::none: return value_or_warn(name);
        case Op::required_non_empty:
            if (empty) fail_required(name, token.argument);
            return *value;
        case Op::required:
            if (!value) fail_required(name, token.argument);
            return *value;
        case Op::default_if_empty: return empty ? expand(token.argument) : *value;
        case Op::default_if_unset: return value ? *value : expand(token.argument);
        case Op::alternate_if_non_empty: return empty ? value.value_or("") : expand(token.argument);
        case Op::alternate_if_set: return value ? expand(token.argument) : std::string();
        }
        return {};
    }

    [[noreturn]] void fail_required(const std::string& name, std::string_view message) const {
        throw SubstituteError(SubstituteError::Kind::missing_required, name, expand(message));
    }

    const Lookup& lookup_;
    const UnsetVariableFn& on_unset_;
};

// Substitutes the string values under `node`, collecting one diagnostic per failing value.
void interpolate_node(Tree& node, const std::string& path, const Document& doc,
                      const Expander& expander, std::vector<schema::Diagnostic>& diagnostics) {
    if (node.is_string()) {
        try {
            node = expander.expand(node.get_ref<const std::string&>());
        } catch (const SubstituteError& e) {
            // compose-go names the key in this message; scripts grep for that phrase.
            bool invalid = e.kind() == SubstituteError::Kind::invalid_template;
            diagnostics.push_back(doc.diagnostic(
                path, invalid ? fmt::format("invalid interpolation format for {}: \"{}\": you "
                                            "may need to escape any $ with another $",
                                            path, e.subject())
                              : e.what()));
        }
    } else if (node.is_object()) {
        for (auto& [key, child] : node.items())
            interpolate_node(child, child_path(path, key), doc, expander, diagnostics);
    } else if (node.is_array()) {
        for (size_t i = 0; i < node.size(); ++i)
            interpolate_node(node[i], item_path(path, i), doc, expander, diagnostics);
    }
}

}  // namespace

SubstituteError::SubstituteError(Kind kind, std::string subject, const std::string& reason)
    : std::runtime_error(error_message(kind, subject, reason)),
      kind_(kind),
      subject_(std::move(subject)) {}

void log_unset_variable(const std::string& name) {
    // Worded as compose-go words it, so scripts matching docker compose's output still match.
    log().warn("The \"{}\" variable is not set. Defaulting to a blank string.", name);
}

std::string substitute(std::string_view text, const Lookup& lookup,
                       const UnsetVariableFn& on_unset) {
    return Expander(lookup, on_unset).expand(text);
}

void interpolate(Document& doc, const Lookup& lookup, const UnsetVariableFn& on_unset) {
    std::vector<schema::Diagnostic> diagnostics;
    interpolate_node(doc.tree, "", doc, Expander(lookup, on_unset), diagnostics);
    if (!diagnostics.empty()) throw schema::LoadError(std::move(diagnostics));
}

}  // namespace compose
