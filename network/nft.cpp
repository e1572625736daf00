#include "network/nft.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include <nftables/libnftables.h>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"
#include "network/log.hpp"

namespace network {

namespace {

struct NftCtxDeleter {
    void operator()(nft_ctx* ctx) const { ::nft_ctx_free(ctx); }
};
using NftCtx = std::unique_ptr<nft_ctx, NftCtxDeleter>;

Result<NftCtx> open_context(unsigned output_flags) {
    NftCtx ctx(::nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx) return Error{ENOMEM, "nftables: cannot create a context"};
    ::nft_ctx_output_set_flags(ctx.get(), output_flags);
    // Buffered, so nothing is printed and the error text ends up in the Error.
    if (::nft_ctx_buffer_output(ctx.get()) != 0 || ::nft_ctx_buffer_error(ctx.get()) != 0)
        return Error{ENOMEM, "nftables: cannot buffer output"};
    return ctx;
}

std::string trimmed(const char* text) {
    std::string out = text ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

Status write_sysctl(const std::string& path, std::string_view value) {
    engine::sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return engine::sys::errno_error("set {}", path);
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        return engine::sys::errno_error("set {}", path);
    return engine::sys::ok();
}

Status set_sysctls(const NftState& state) {
    bool forwarding = false;
    for (const auto& network : state.networks) {
        if (state.permission_family == PermissionFamily::inet)
            if (auto on = enable_bridge_netfilter(network.bridge); !on) return on;
        if (network.internal) continue;
        forwarding = true;
        // Lets DNAT'd packets from 127.0.0.1 leave through the bridge (as netavark does).
        auto localnet = fmt::format("/proc/sys/net/ipv4/conf/{}/route_localnet", network.bridge);
        if (auto set = write_sysctl(localnet, "1"); !set) return set;
    }
    if (!forwarding) return engine::sys::ok();
    return write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
}

// Deletes of berth's old DOCKER-USER rules, then inserts of the new ones; empty when Docker's
// chain does not exist.
std::string docker_user_script(const NftState* state) {
    auto listing = nft_list("list chain ip filter DOCKER-USER");
    if (!listing) return "";
    std::string script;
    for (int handle : berth_rule_handles(listing.value()))
        script += fmt::format("delete rule ip filter DOCKER-USER handle {}\n", handle);
    if (state)
        for (const auto& rule : docker_user_rules(*state)) script += rule + "\n";
    return script;
}

}  // namespace

Status run_nft(const std::string& script) {
    auto ctx = open_context(0);
    if (!ctx) return ctx.error();
    if (::nft_run_cmd_from_buffer(ctx.value().get(), script.c_str()) != 0)
        return Error{EINVAL, "nftables: " + trimmed(::nft_ctx_get_error_buffer(ctx.value().get()))};
    return engine::sys::ok();
}

Result<std::string> nft_list(const std::string& command) {
    auto ctx = open_context(NFT_CTX_OUTPUT_HANDLE);
    if (!ctx) return ctx.error();
    if (::nft_run_cmd_from_buffer(ctx.value().get(), command.c_str()) != 0)
        return Error{ENOENT, "nftables: " + trimmed(::nft_ctx_get_error_buffer(ctx.value().get()))};
    return std::string(::nft_ctx_get_output_buffer(ctx.value().get()));
}

PermissionFamily detect_permission_family() {
    return engine::sys::exists("/proc/sys/net/bridge/bridge-nf-call-iptables")
               ? PermissionFamily::inet
               : PermissionFamily::bridge;
}

Result<std::vector<PortBinding>> reserve_host_ports(const NftState& current,
                                                    std::vector<PortBinding> requested) {
    std::vector<PortBinding> out;
    for (auto& binding : requested) {
        // Published ports hold no socket (DNAT does the work), so bind() alone cannot see them.
        std::set<std::uint16_t> taken;
        for (const auto& endpoint : current.endpoints)
            for (const auto& port : endpoint.ports)
                if (port.protocol == binding.protocol) taken.insert(port.host_port);
        for (const auto& done : out)
            if (done.protocol == binding.protocol) taken.insert(done.host_port);
        auto resolved = resolve_host_ports({binding}, taken);
        if (!resolved) return resolved.error();
        out.push_back(resolved.value().front());
    }
    return out;
}

Status apply(const NftState& state) {
    if (auto conflicts = check_published_conflicts(state); !conflicts) return conflicts;
    if (auto sysctls = set_sysctls(state); !sysctls) return sysctls;
    auto script = compile_ruleset(state) + docker_user_script(&state);
    log().debug("[nft] applying {} networks, {} endpoints, {} protected addresses",
                state.networks.size(), state.endpoints.size(), state.protections.size());
    return run_nft(script);
}

Status teardown() { return run_nft(teardown_script() + docker_user_script(nullptr)); }

}  // namespace network
