#include "compose/extends.hpp"

#include <set>
#include <vector>

#include <fmt/format.h>

#include "compose/merge.hpp"
#include "compose/merge_detail.hpp"
#include "compose/paths.hpp"

namespace compose {
namespace {

// A long chain is a cycle through files the loader names differently each time; stop it.
constexpr size_t kMaxChain = 64;

/// One service on the way from the service being resolved to the one it finally extends.
struct Link {
    const Document* doc;
    std::string service;
};

struct ExtendsRef {
    std::string service;
    std::string file;        ///< "" for the same file
    std::string at_service;  ///< the key path of the service name, for errors
    std::string extender;    ///< the service that extends, for errors
};

std::string service_path(const std::string& name) { return child_path("services", name); }

[[noreturn]] void fail(const Document& doc, const std::string& path, std::string message) {
    throw schema::LoadError({doc.diagnostic(path, std::move(message))});
}

ExtendsRef parse_ref(const Document& doc, const Tree& extends, const std::string& path) {
    if (extends.is_string()) return {extends.get<std::string>(), "", path};
    if (extends.is_object() && extends.contains("service") && extends["service"].is_string()) {
        auto file = extends.find("file");
        auto service = extends["service"].get<std::string>();
        auto at = child_path(path, "service");
        if (file == extends.end() || file->is_null()) return {service, "", at};
        if (file->is_string()) return {service, file->get<std::string>(), at};
    }
    fail(doc, path, "extends must be a service name or a mapping with a \"service\" name");
}

// The names on the cycle, from the service that closes it back to it; other files' services
// are qualified by their file so the user can find them.
std::string cycle_text(const std::vector<Link>& chain, size_t from, const Document& root) {
    std::string out;
    for (size_t i = from; i < chain.size(); ++i) {
        const auto& l = chain[i];
        out += (l.doc->file == root.file ? l.service : l.doc->file + ":" + l.service) + " -> ";
    }
    return out + chain[from].service;
}

// Paths of services read from another file keep naming what they named there.
void rebase_paths(Document& other) {
    if (!other.tree.contains("services")) return;
    rewrite_relative_paths(other.tree["services"], {"services"}, [&](const std::string& value) {
        if (value.front() == '~') return value;  // the path stage expands it with the user's HOME
        return absolute_path(value, other.directory, "");
    });
}

class Resolver {
public:
    Resolver(Document& doc, const ExtendsLoader& load, std::vector<Link>& chain)
        : doc_(doc), load_(load), chain_(chain) {}

    /// Resolves the service `name` of the document in place: its `extends` merged and removed.
    void resolve(const std::string& name);

    /// Marks the services of this document on the chain as finished, so a cycle is reported
    /// once rather than once per member.
    void give_up() {
        for (const auto& link : chain_)
            if (link.doc == &doc_) done_.insert(link.service);
    }

private:
    void check_cycle(const std::string& name);
    Document load_other(const std::string& file, const std::string& at);
    // The extended service, resolved, its locations placed under `target`.
    Tree base_of(const ExtendsRef& ref, const std::string& at, const std::string& target,
                 SourceMap& locations);

    Document& doc_;
    const ExtendsLoader& load_;
    std::vector<Link>& chain_;
    std::set<std::string> done_;
};

void Resolver::check_cycle(const std::string& name) {
    for (size_t i = 0; i < chain_.size(); ++i) {
        const auto& link = chain_[i];
        if (link.service != name || (link.doc != &doc_ && link.doc->file != doc_.file)) continue;
        fail(*link.doc, service_path(link.service),
             "circular reference in extends: " +
                 cycle_text(chain_, i, *chain_.front().doc));
    }
    if (chain_.size() >= kMaxChain)
        fail(doc_, service_path(name), fmt::format("extends chain longer than {}", kMaxChain));
}

Document Resolver::load_other(const std::string& file, const std::string& at) {
    try {
        return load_(file, doc_);
    } catch (const schema::LoadError&) {
        throw;
    } catch (const std::exception& e) {
        fail(doc_, at, fmt::format("cannot load \"{}\": {}", file, e.what()));
    }
}

Tree Resolver::base_of(const ExtendsRef& ref, const std::string& at, const std::string& target,
                       SourceMap& locations) {
    const auto from = service_path(ref.service);
    if (ref.file.empty()) {
        if (!doc_.tree["services"].contains(ref.service))
            fail(doc_, ref.at_service,
                 fmt::format("cannot extend service \"{}\": service \"{}\" not found",
                             ref.extender, ref.service));
        resolve(ref.service);
        Tree base = doc_.tree["services"][ref.service];
        SourceMap scratch;  // a base that extends nothing still carries its own !reset keys
        detail::strip_resets(base, from, doc_.tags, scratch);
        locations.copy_subtree(doc_.locations, from, target);
        return base;
    }
    Document other = load_other(ref.file, child_path(at, "file"));
    rebase_paths(other);
    const Tree& services = other.tree.is_object() ? other.tree.value("services", Tree()) : Tree();
    if (!services.is_object() || !services.contains(ref.service))
        fail(doc_, ref.at_service,
             fmt::format("cannot extend service \"{}\": service \"{}\" not found in \"{}\"",
                         ref.extender, ref.service, ref.file));
    Resolver(other, load_, chain_).resolve(ref.service);
    Tree base = other.tree["services"][ref.service];
    SourceMap scratch;
    detail::strip_resets(base, from, other.tags, scratch);
    locations.copy_subtree(other.locations, from, target);
    return base;
}

void Resolver::resolve(const std::string& name) {
    if (done_.count(name)) return;
    const auto path = service_path(name);
    const Tree& service = doc_.tree["services"][name];
    if (!service.is_object() || !service.contains("extends")) {
        done_.insert(name);
        return;
    }
    const auto at = child_path(path, "extends");
    auto ref = parse_ref(doc_, service["extends"], at);
    ref.extender = name;
    check_cycle(name);
    chain_.push_back({&doc_, name});
    SourceMap locations;
    Tree merged = base_of(ref, at, path, locations);
    chain_.pop_back();
    // An empty base (`nil:`) extends to the local service alone.
    if (!merged.is_object()) merged = Tree::object();
    merge_value(merged, locations, doc_, path, {"services", name});
    merged.erase("extends");
    locations.erase_subtree(at);
    enforce_unicity(merged, locations, path, {"services", name});
    doc_.tree["services"][name] = std::move(merged);
    doc_.locations.erase_subtree(path);
    doc_.locations.copy_subtree(locations, path, path);
    done_.insert(name);
}

}  // namespace

void apply_extends(Document& doc, const ExtendsLoader& load) {
    if (!doc.tree.is_object() || !doc.tree.contains("services")) return;
    if (!doc.tree["services"].is_object()) return;
    std::vector<std::string> names;
    for (const auto& [name, _] : doc.tree["services"].items()) names.push_back(name);
    std::vector<Link> chain;
    Resolver resolver(doc, load, chain);
    std::vector<schema::Diagnostic> errors;
    for (const auto& name : names) {
        chain.clear();
        try {
            resolver.resolve(name);
        } catch (const schema::LoadError& e) {
            errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
            resolver.give_up();
        }
    }
    if (!errors.empty()) throw schema::LoadError(std::move(errors));
}

}  // namespace compose
