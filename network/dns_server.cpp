#include "network/dns_server.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <atomic>
#include <functional>
#include <unordered_set>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "engine/sys/files.hpp"
#include "network/dns_message.hpp"
#include "network/log.hpp"

namespace network::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Bytes = std::vector<std::uint8_t>;
using Strand = asio::strand<asio::io_context::executor_type>;
using Reply = std::function<void(Bytes)>;

namespace {

constexpr std::size_t max_upstream_attempts = 3;
constexpr std::size_t udp_receive_size = 65536;

std::uint16_t random_id() {
    std::uint16_t id = 0;
    // Forwarded ids must be unpredictable (with the random source port) against spoofed replies.
    if (getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<std::uint16_t>(std::rand());
    return id;
}

Address to_table_address(const asio::ip::address& address) {
    if (address.is_v6()) {
        auto v6 = address.to_v6();
        if (v6.is_v4_mapped()) return Ipv4Address{asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint()};
        Ipv6Address out;
        auto bytes = v6.to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.bytes);
        return out;
    }
    return Ipv4Address{address.to_v4().to_uint()};
}

Bytes address_bytes(const Address& address) {
    if (auto v4 = std::get_if<Ipv4Address>(&address)) {
        auto bytes = asio::ip::address_v4(v4->value).to_bytes();
        return Bytes(bytes.begin(), bytes.end());
    }
    const auto& v6 = std::get<Ipv6Address>(address);
    return Bytes(std::begin(v6.bytes), std::end(v6.bytes));
}

// Anything with a header that is not a response gets an answer, if only FORMERR.
bool is_query(const Bytes& packet) {
    auto header = parse_header(packet);
    return header && !header.value().response;
}

}  // namespace

ResolvConf parse_resolv_conf(std::string_view text) {
    ResolvConf conf;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        if (auto comment = line.find_first_of("#;"); comment != std::string_view::npos) line = line.substr(0, comment);
        std::vector<std::string> words;
        std::size_t at = 0;
        while (at < line.size()) {
            std::size_t begin = line.find_first_not_of(" \t\r", at);
            if (begin == std::string_view::npos) break;
            std::size_t finish = line.find_first_of(" \t\r", begin);
            if (finish == std::string_view::npos) finish = line.size();
            words.emplace_back(line.substr(begin, finish - begin));
            at = finish;
        }
        if (words.size() < 2) continue;
        if (words[0] == "nameserver") {
            conf.nameservers.push_back(words[1]);
        } else if (words[0] == "search" || words[0] == "domain") {
            conf.search.assign(words.begin() + 1, words.end());
        } else if (words[0] == "options") {
            conf.options.insert(conf.options.end(), words.begin() + 1, words.end());
        }
    }
    return conf;
}

Result<ResolvConf> read_resolv_conf(const std::string& path) {
    auto text = engine::sys::read_file(path);
    if (!text) return text.error();
    return parse_resolv_conf(text.value());
}

Result<std::pair<asio::ip::address, std::uint16_t>> parse_upstream(std::string_view text) {
    std::string host(text);
    std::uint16_t port = 53;
    auto split_port = [&](std::size_t colon) -> bool {
        std::string digits = host.substr(colon + 1);
        if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
        unsigned long value = std::stoul(digits);
        if (value == 0 || value > 65535) return false;
        port = static_cast<std::uint16_t>(value);
        return true;
    };
    bool ok = true;
    if (host.starts_with('[')) {
        auto close = host.find(']');
        if (close == std::string::npos) {
            ok = false;
        } else {
            if (close + 1 < host.size()) ok = host[close + 1] == ':' && split_port(close + 1);
            host = host.substr(1, close - 1);
        }
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
        auto colon = host.find(':');
        ok = split_port(colon);
        host = host.substr(0, colon);
    }
    // A scope ("fe80::1%eth0") is accepted by make_address.
    boost::system::error_code error;
    auto address = asio::ip::make_address(host, error);
    if (!ok || error) return Error{0, fmt::format("invalid dns server \"{}\"", text)};
    return std::pair{address, port};
}

// Everything the handlers share; they hold it by shared_ptr, so it outlives the Server object
// until the last handler has run. All of it is touched on the strand only.
struct Server::State : std::enable_shared_from_this<Server::State> {
    State(asio::io_context& io, const Table& table, ServerConfig config)
        : io(io), strand(asio::make_strand(io)), table(table), config(std::move(config)) {}

    asio::io_context& io;
    Strand strand;
    const Table& table;
    ServerConfig config;
    std::vector<std::unique_ptr<udp::socket>> udp_sockets;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::unordered_set<tcp::socket*> tcp_sessions;
    std::unordered_set<std::function<void()>*> forward_cancels;
    std::atomic<std::uint16_t> bound_port{0};
    bool stopped = false;

    std::atomic<std::uint64_t> answered_locally{0}, forwarded{0}, forward_failures{0}, refused{0};
    std::atomic<std::size_t> forwards_in_flight{0}, tcp_connections{0};

    Status bind(const asio::ip::address& address);
    void close_all();
    void receive_udp(udp::socket& socket, std::shared_ptr<Bytes> buffer, std::shared_ptr<udp::endpoint> sender);
    void accept_tcp(tcp::acceptor& acceptor);
    void serve_tcp(std::shared_ptr<tcp::socket> socket, std::shared_ptr<asio::steady_timer> idle);
    void handle(Bytes packet, const asio::ip::address& source, Transport transport, Reply reply);
    void handle_reverse(Bytes packet, Query query, const Address& target, const asio::ip::address& source,
                        Transport transport, Reply reply);
    /// A name that is not one of ours: NXDOMAIN for a sender only on internal networks, else
    /// forwarded to the sender's upstreams (the server's when it has none).
    void answer_elsewhere(Bytes packet, Query query, bool internal_only, const std::vector<std::string>& upstreams,
                          Transport transport, Reply reply);
    void forward(Bytes packet, Query query, std::vector<std::string> upstreams, Transport transport, Reply reply);
};

namespace {

// One forwarded query: tries the upstreams in turn with its own socket (a fresh random source
// port each time) and a random id, and hands the upstream's answer, id restored, to `reply`.
class Forward : public std::enable_shared_from_this<Forward> {
public:
    Forward(std::shared_ptr<Server::State> state, Bytes packet, Query query,
            std::vector<std::pair<asio::ip::address, std::uint16_t>> upstreams, Transport transport, Reply reply)
        : state_(std::move(state)), packet_(std::move(packet)), query_(std::move(query)),
          upstreams_(std::move(upstreams)), transport_(transport), reply_(std::move(reply)),
          udp_(state_->strand), tcp_(state_->strand), timer_(state_->strand) {}

    ~Forward() { release(); }

    void start() {
        ++state_->forwards_in_flight;
        ++state_->forwarded;
        cancel_ = [this] { finish_failed(); };
        state_->forward_cancels.insert(&cancel_);
        try_next();
    }

private:
    void try_next() {
        close_sockets();
        if (attempt_ >= upstreams_.size() || attempt_ >= max_upstream_attempts) return finish_failed();
        const auto& [address, port] = upstreams_[attempt_++];
        id_ = random_id();
        set_id(packet_, id_);
        auto self = shared_from_this();
        timer_.expires_after(state_->config.forward_timeout);
        timer_.async_wait([self, generation = attempt_](boost::system::error_code error) {
            if (!error && !self->done_ && generation == self->attempt_) {
                log().debug("[dns] upstream attempt {} timed out", generation);
                self->try_next();
            }
        });
        if (transport_ == Transport::udp) {
            start_udp(udp::endpoint(address, port));
        } else {
            start_tcp(tcp::endpoint(address, port));
        }
    }

    void start_udp(const udp::endpoint& upstream) {
        boost::system::error_code error;
        udp_.open(upstream.protocol(), error);
        if (!error) udp_.connect(upstream, error);  // connected: only the upstream's datagrams arrive
        if (!error) udp_.send(asio::buffer(packet_), 0, error);
        if (error) return upstream_failed(error);
        answer_.resize(udp_receive_size);
        auto self = shared_from_this();
        udp_.async_receive(asio::buffer(answer_), [self, generation = attempt_](boost::system::error_code error,
                                                                                std::size_t size) {
            if (self->done_ || generation != self->attempt_) return;
            if (error) return self->upstream_failed(error);
            self->answer_.resize(size);
            self->deliver_if_ours();
        });
    }

    void start_tcp(const tcp::endpoint& upstream) {
        auto self = shared_from_this();
        tcp_.async_connect(upstream, [self, generation = attempt_](boost::system::error_code error) {
            if (self->done_ || generation != self->attempt_) return;
            if (error) return self->upstream_failed(error);
            self->length_[0] = static_cast<std::uint8_t>(self->packet_.size() >> 8);
            self->length_[1] = static_cast<std::uint8_t>(self->packet_.size());
            std::array<asio::const_buffer, 2> out{asio::buffer(self->length_), asio::buffer(self->packet_)};
            asio::async_write(self->tcp_, out, [self, generation](boost::system::error_code error, std::size_t) {
                if (self->done_ || generation != self->attempt_) return;
                if (error) return self->upstream_failed(error);
                self->read_tcp_answer(generation);
            });
        });
    }

    void read_tcp_answer(std::size_t generation) {
        auto self = shared_from_this();
        asio::async_read(tcp_, asio::buffer(length_), [self, generation](boost::system::error_code error, std::size_t) {
            if (self->done_ || generation != self->attempt_) return;
            if (error) return self->upstream_failed(error);
            self->answer_.resize(static_cast<std::size_t>(self->length_[0] << 8 | self->length_[1]));
            asio::async_read(self->tcp_, asio::buffer(self->answer_),
                             [self, generation](boost::system::error_code error, std::size_t) {
                                 if (self->done_ || generation != self->attempt_) return;
                                 if (error) return self->upstream_failed(error);
                                 self->deliver_if_ours();
                             });
        });
    }

    void deliver_if_ours() {
        auto header = parse_header(answer_);
        if (!header || !header.value().response || header.value().id != id_ || !same_question()) {
            // Not the answer to our query (a stale or spoofed one): keep waiting on UDP.
            if (transport_ == Transport::udp) return start_waiting_again();
            return upstream_failed(boost::asio::error::invalid_argument);
        }
        set_id(answer_, query_.header.id);
        done_ = true;
        close_sockets();
        release();
        reply_(std::move(answer_));
    }

    // The answer echoes our question byte for byte (letter case included), or it is not ours.
    bool same_question() const {
        auto answer = parse_query(answer_);
        if (!answer) return false;
        // Errors such as FORMERR may come without the question.
        if (answer.value().questions.empty()) return answer.value().header.rcode != Rcode::no_error;
        if (answer.value().questions.size() != query_.questions.size()) return false;
        for (std::size_t i = 0; i < query_.questions.size(); ++i) {
            const auto& ours = query_.questions[i];
            const auto& theirs = answer.value().questions[i];
            if (ours.wire_name != theirs.wire_name || ours.type != theirs.type || ours.qclass != theirs.qclass) {
                return false;
            }
        }
        return true;
    }

    void start_waiting_again() {
        answer_.resize(udp_receive_size);
        auto self = shared_from_this();
        udp_.async_receive(asio::buffer(answer_), [self, generation = attempt_](boost::system::error_code error,
                                                                                std::size_t size) {
            if (self->done_ || generation != self->attempt_) return;
            if (error) return self->upstream_failed(error);
            self->answer_.resize(size);
            self->deliver_if_ours();
        });
    }

    void upstream_failed(const boost::system::error_code& error) {
        log().debug("[dns] upstream attempt {} failed: {}", attempt_, error.message());
        try_next();
    }

    void finish_failed() {
        if (done_) return;
        done_ = true;
        close_sockets();
        release();
        ++state_->forward_failures;
        reply_(build_response(query_, Rcode::server_failure, {}, false, transport_));
    }

    // Counted in flight until answered, not until the last cancelled handler lets go of us.
    void release() {
        if (released_) return;
        released_ = true;
        state_->forward_cancels.erase(&cancel_);
        --state_->forwards_in_flight;
    }

    void close_sockets() {
        boost::system::error_code ignored;
        timer_.cancel();
        udp_.close(ignored);
        tcp_.close(ignored);
    }

    std::shared_ptr<Server::State> state_;
    Bytes packet_;
    Query query_;
    std::vector<std::pair<asio::ip::address, std::uint16_t>> upstreams_;
    Transport transport_;
    Reply reply_;
    udp::socket udp_;
    tcp::socket tcp_;
    asio::steady_timer timer_;
    std::function<void()> cancel_;
    Bytes answer_;
    std::array<std::uint8_t, 2> length_{};
    std::size_t attempt_ = 0;
    std::uint16_t id_ = 0;
    bool done_ = false;
    bool released_ = false;
};

}  // namespace

Status Server::State::bind(const asio::ip::address& address) {
    boost::system::error_code error;
    auto where = [&](const char* proto) {
        return fmt::format("serve dns on {} {}:{}", proto, address.to_string(), bound_port.load());
    };
    auto socket = std::make_unique<udp::socket>(strand);
    socket->open(address.is_v6() ? udp::v6() : udp::v4(), error);
    if (!error) socket->bind(udp::endpoint(address, bound_port), error);
    if (error) return Error{error.value(), where("udp") + ": " + error.message()};
    if (bound_port == 0) bound_port = socket->local_endpoint().port();
    // Answers are sent without waiting: a full socket buffer drops one and the client retries,
    // instead of queueing answers without bound.
    socket->non_blocking(true, error);

    auto acceptor = std::make_unique<tcp::acceptor>(strand);
    acceptor->open(address.is_v6() ? tcp::v6() : tcp::v4(), error);
    if (!error) acceptor->set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor->bind(tcp::endpoint(address, bound_port), error);
    if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
    if (error) return Error{error.value(), where("tcp") + ": " + error.message()};

    udp_sockets.push_back(std::move(socket));
    acceptors.push_back(std::move(acceptor));
    return engine::sys::ok();
}

void Server::State::receive_udp(udp::socket& socket, std::shared_ptr<Bytes> buffer,
                                std::shared_ptr<udp::endpoint> sender) {
    auto self = shared_from_this();
    buffer->resize(udp_receive_size);
    socket.async_receive_from(
        asio::buffer(*buffer), *sender, [self, &socket, buffer, sender](boost::system::error_code error, std::size_t size) {
            if (self->stopped || error == asio::error::operation_aborted || error == asio::error::bad_descriptor) return;
            if (!error) {
                Bytes packet(buffer->begin(), buffer->begin() + static_cast<long>(size));
                udp::endpoint client = *sender;
                self->handle(std::move(packet), client.address(), Transport::udp, [self, &socket, client](Bytes answer) {
                    if (self->stopped) return;
                    boost::system::error_code ignored;
                    socket.send_to(asio::buffer(answer), client, 0, ignored);
                });
            }
            self->receive_udp(socket, buffer, sender);
        });
}

void Server::State::accept_tcp(tcp::acceptor& acceptor) {
    auto self = shared_from_this();
    acceptor.async_accept(strand, [self, &acceptor](boost::system::error_code error, tcp::socket socket) {
        if (self->stopped || error == asio::error::operation_aborted) return;
        if (!error && self->tcp_connections < self->config.max_tcp_connections) {
            auto shared = std::make_shared<tcp::socket>(std::move(socket));
            self->tcp_sessions.insert(shared.get());
            ++self->tcp_connections;
            self->serve_tcp(shared, std::make_shared<asio::steady_timer>(self->strand));
        }
        self->accept_tcp(acceptor);  // over the limit the socket just closes when it goes out of scope
    });
}

// One query at a time per connection: read the 2-byte length and the message, answer, repeat.
void Server::State::serve_tcp(std::shared_ptr<tcp::socket> socket, std::shared_ptr<asio::steady_timer> idle) {
    auto self = shared_from_this();
    auto close = [self, socket, idle] {
        if (self->tcp_sessions.erase(socket.get()) == 0) return;
        --self->tcp_connections;
        boost::system::error_code ignored;
        idle->cancel();
        socket->close(ignored);
    };
    idle->expires_after(config.tcp_idle_timeout);
    idle->async_wait([close](boost::system::error_code error) {
        if (!error) close();
    });
    auto length = std::make_shared<std::array<std::uint8_t, 2>>();
    asio::async_read(*socket, asio::buffer(*length), [self, socket, idle, length, close](boost::system::error_code error,
                                                                                            std::size_t) {
        if (error || self->stopped) return close();
        auto packet = std::make_shared<Bytes>(static_cast<std::size_t>((*length)[0] << 8 | (*length)[1]));
        asio::async_read(*socket, asio::buffer(*packet), [self, socket, idle, packet, close](
                                                              boost::system::error_code error, std::size_t) {
            if (error || self->stopped) return close();
            idle->cancel();
            boost::system::error_code peer_error;
            auto peer = socket->remote_endpoint(peer_error);
            if (peer_error || !is_query(*packet)) return close();  // nothing would be answered
            self->handle(std::move(*packet), peer.address(), Transport::tcp, [self, socket, idle, close](Bytes answer) {
                if (self->stopped || !socket->is_open()) return;
                auto framed = std::make_shared<Bytes>(answer.size() + 2);
                (*framed)[0] = static_cast<std::uint8_t>(answer.size() >> 8);
                (*framed)[1] = static_cast<std::uint8_t>(answer.size());
                std::copy(answer.begin(), answer.end(), framed->begin() + 2);
                asio::async_write(*socket, asio::buffer(*framed),
                                  [self, socket, idle, framed, close](boost::system::error_code error, std::size_t) {
                                      if (error || self->stopped) return close();
                                      self->serve_tcp(socket, idle);
                                  });
            });
        });
    });
}

void Server::State::handle(Bytes packet, const asio::ip::address& source, Transport transport, Reply reply) {
    if (!is_query(packet)) return;  // never answer answers (no reflection loops)
    auto header = parse_header(packet);
    auto parsed = parse_query(packet);
    if (!parsed) return reply(build_error(header.value(), Rcode::format_error));
    Query& query = parsed.value();
    if (query.header.opcode != opcode_query) return reply(build_error(query.header, Rcode::not_implemented));
    if (query.questions.size() != 1) return reply(build_error(query.header, Rcode::format_error));

    const Question& question = query.questions.front();
    if (question.type == type::ptr && question.qclass == class_in) {
        if (auto target = parse_reverse_name(question.name)) {
            return handle_reverse(std::move(packet), std::move(query), *target, source, transport, std::move(reply));
        }
    }
    Family family = question.type == type::aaaa ? Family::ipv6 : Family::ipv4;
    Lookup found = table.lookup(to_table_address(source), question.name, family);
    if (!found.known_source && config.refuse_unknown_sources) {
        ++refused;
        return reply(build_response(query, Rcode::refused, {}, false, transport));
    }
    if (found.name_found && question.qclass == class_in) {
        // Our own names: A and AAAA answered; other types get an empty answer (the name exists).
        std::vector<Record> answers;
        if (question.type == type::a || question.type == type::aaaa) {
            for (const auto& address : found.addresses) answers.push_back(address_record(0, address_bytes(address), config.ttl));
        }
        ++answered_locally;
        return reply(build_response(query, Rcode::no_error, answers, true, transport));
    }
    answer_elsewhere(std::move(packet), std::move(query), found.known_source && !found.may_forward,
                     found.upstreams, transport, std::move(reply));
}

void Server::State::handle_reverse(Bytes packet, Query query, const Address& target, const asio::ip::address& source,
                                   Transport transport, Reply reply) {
    Table::Reverse found = table.reverse_lookup(to_table_address(source), target);
    if (!found.known_source && config.refuse_unknown_sources) {
        ++refused;
        return reply(build_response(query, Rcode::refused, {}, false, transport));
    }
    if (!found.names.empty()) {
        std::vector<Record> answers;
        for (const auto& name : found.names) {
            if (auto record = ptr_record(0, name, config.ttl)) answers.push_back(std::move(*record));
        }
        ++answered_locally;
        return reply(build_response(query, Rcode::no_error, answers, true, transport));
    }
    answer_elsewhere(std::move(packet), std::move(query), found.known_source && !found.may_forward,
                     found.upstreams, transport, std::move(reply));
}

void Server::State::answer_elsewhere(Bytes packet, Query query, bool internal_only,
                                     const std::vector<std::string>& upstreams, Transport transport, Reply reply) {
    if (internal_only) {
        // Only internal networks: nothing outside exists for this container.
        ++answered_locally;
        return reply(build_response(query, Rcode::name_error, {}, false, transport));
    }
    forward(std::move(packet), std::move(query), upstreams.empty() ? config.upstreams : upstreams, transport,
            std::move(reply));
}

void Server::State::forward(Bytes packet, Query query, std::vector<std::string> upstreams, Transport transport,
                            Reply reply) {
    std::vector<std::pair<asio::ip::address, std::uint16_t>> parsed;
    for (const auto& text : upstreams) {
        auto upstream = parse_upstream(text);
        if (upstream) parsed.push_back(upstream.value());
    }
    if (parsed.empty() || forwards_in_flight >= config.max_forwards) {
        ++forward_failures;
        return reply(build_response(query, Rcode::server_failure, {}, false, transport));
    }
    std::make_shared<Forward>(shared_from_this(), std::move(packet), std::move(query), std::move(parsed), transport,
                              std::move(reply))
        ->start();
}

Server::Server(asio::io_context& io, const Table& table, ServerConfig config)
    : state_(std::make_shared<State>(io, table, std::move(config))) {}

Server::~Server() { stop(); }

Status Server::start() {
    state_->bound_port = state_->config.port;
    for (const auto& address : state_->config.listen) {
        auto bound = state_->bind(address);
        if (!bound) {
            state_->close_all();  // nothing is being served yet
            return bound;
        }
    }
    auto state = state_;
    asio::dispatch(state->strand, [state] {
        for (auto& socket : state->udp_sockets) {
            state->receive_udp(*socket, std::make_shared<Bytes>(), std::make_shared<udp::endpoint>());
        }
        for (auto& acceptor : state->acceptors) state->accept_tcp(*acceptor);
    });
    return engine::sys::ok();
}

void Server::State::close_all() {
    if (stopped) return;
    stopped = true;
    boost::system::error_code ignored;
    for (auto& socket : udp_sockets) socket->close(ignored);
    for (auto& acceptor : acceptors) acceptor->close(ignored);
    for (auto* socket : tcp_sessions) socket->close(ignored);
    // Abandoned forwards answer nothing: the listeners are closed.
    auto cancels = forward_cancels;
    for (auto* cancel : cancels) (*cancel)();
}

void Server::stop() {
    auto state = state_;
    // With no thread running the io_context nothing races with us, and a posted close would
    // never run.
    if (state->strand.running_in_this_thread() || state->io.stopped()) return state->close_all();
    asio::dispatch(state->strand, [state] { state->close_all(); });
}

std::uint16_t Server::port() const { return state_->bound_port; }

ServerStats Server::stats() const {
    return ServerStats{state_->answered_locally, state_->forwarded,          state_->forward_failures,
                       state_->refused,          state_->forwards_in_flight, state_->tcp_connections};
}

}  // namespace network::dns
