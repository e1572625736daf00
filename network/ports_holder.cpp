// Who holds a port: /proc/net/{tcp,udp}[6] give the socket inode, /proc/<pid>/fd links
// ("socket:[inode]") give the process. Written by hand; no library maps ports to processes.
#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <sstream>

#include "engine/sys/files.hpp"
#include "network/ports.hpp"

namespace network {

namespace {

// The owner of socket `inode`: "pid 1234 (nginx)", or "" when no visible process has it.
std::string find_socket_owner(unsigned long inode) {
    const auto wanted = fmt::format("socket:[{}]", inode);
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) return "";
    while (auto* entry = ::readdir(proc.get())) {
        int pid = 0;
        auto name = std::string_view(entry->d_name);
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (ec != std::errc() || end != name.data() + name.size()) continue;
        auto fd_dir = fmt::format("/proc/{}/fd", pid);
        std::unique_ptr<DIR, int (*)(DIR*)> fds(::opendir(fd_dir.c_str()), ::closedir);
        if (!fds) continue;
        while (auto* fd = ::readdir(fds.get())) {
            char target[64] = {};
            auto path = fd_dir + "/" + fd->d_name;
            if (::readlink(path.c_str(), target, sizeof target - 1) <= 0) continue;
            if (wanted != target) continue;
            auto comm = engine::sys::read_file(fmt::format("/proc/{}/comm", pid));
            auto command = comm ? comm.value() : std::string();
            while (!command.empty() && command.back() == '\n') command.pop_back();
            return command.empty() ? fmt::format("pid {}", pid)
                                   : fmt::format("pid {} ({})", pid, command);
        }
    }
    return "";
}

}  // namespace

std::vector<ProcSocket> parse_proc_net_sockets(std::string_view table, bool tcp) {
    // Line format (proc(5)): "sl local_address rem_address st tx:rx tr:when retrnsmt uid
    // timeout inode ...", addresses as HEXIP:HEXPORT; TCP state 0A is LISTEN.
    std::vector<ProcSocket> out;
    std::istringstream lines{std::string(table)};
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
              timeout >> inode))
            continue;
        if (tcp && state != "0A") continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos) continue;
        unsigned port = 0;
        auto hex = std::string_view(local).substr(colon + 1);
        if (std::from_chars(hex.data(), hex.data() + hex.size(), port, 16).ec != std::errc())
            continue;
        out.push_back({static_cast<std::uint16_t>(port), inode});
    }
    return out;
}

std::string describe_port_holder(std::uint16_t port, Protocol protocol) {
    if (protocol == Protocol::sctp) return "";
    const bool tcp = protocol == Protocol::tcp;
    for (const char* suffix : {"", "6"}) {
        auto table = engine::sys::read_file(fmt::format("/proc/net/{}{}", tcp ? "tcp" : "udp",
                                                        suffix));
        if (!table) continue;
        for (const auto& socket : parse_proc_net_sockets(table.value(), tcp)) {
            if (socket.port != port || socket.inode == 0) continue;
            if (auto owner = find_socket_owner(socket.inode); !owner.empty()) return owner;
        }
    }
    return "";
}

}  // namespace network
