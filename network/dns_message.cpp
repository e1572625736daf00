// DNS wire format by hand (see dns_message.hpp for why). Every read is bounds-checked through
// Reader, so hostile packets end in an error, never in an out-of-bounds access.
#include "network/dns_message.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace network::dns {

namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_name_length = 255;  // wire bytes, RFC 1035 2.3.4
constexpr std::size_t max_label_length = 63;
// Pointers only go backwards (checked), so they cannot loop; this caps the work anyway.
constexpr int max_pointer_jumps = 32;

Error malformed(std::string why) { return Error{0, "malformed dns message: " + std::move(why)}; }

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> packet) : packet_(packet) {}

    std::size_t offset() const { return offset_; }
    std::size_t remaining() const { return packet_.size() - offset_; }

    bool u8(std::uint8_t& out) {
        if (remaining() < 1) return false;
        out = packet_[offset_++];
        return true;
    }
    bool u16(std::uint16_t& out) {
        if (remaining() < 2) return false;
        out = static_cast<std::uint16_t>(packet_[offset_] << 8 | packet_[offset_ + 1]);
        offset_ += 2;
        return true;
    }
    bool skip(std::size_t count) {
        if (remaining() < count) return false;
        offset_ += count;
        return true;
    }

    /// Reads a possibly compressed name; the reader ends up after the name's in-place part.
    Result<Question> name();

private:
    std::span<const std::uint8_t> packet_;
    std::size_t offset_ = 0;
};

void append_presentation(std::string& out, std::span<const std::uint8_t> label) {
    if (!out.empty()) out += '.';
    for (std::uint8_t byte : label) {
        bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                     (byte >= '0' && byte <= '9') || byte == '-' || byte == '_';
        if (plain) {
            out += static_cast<char>(byte);
        } else {
            out += fmt::format("\\{:03}", byte);
        }
    }
}

Result<Question> Reader::name() {
    Question question;
    std::size_t position = offset_;
    std::size_t resume_at = 0;  // where the reader continues after the first pointer
    int jumps = 0;
    while (true) {
        if (position >= packet_.size()) return malformed("name runs past the end");
        std::uint8_t length = packet_[position];
        if ((length & 0xC0) == 0xC0) {
            if (position + 1 >= packet_.size()) return malformed("truncated compression pointer");
            std::size_t target = static_cast<std::size_t>(length & 0x3F) << 8 | packet_[position + 1];
            if (target >= position) return malformed("compression pointer does not point backwards");
            if (++jumps > max_pointer_jumps) return malformed("too many compression pointers");
            if (resume_at == 0) resume_at = position + 2;
            position = target;
            continue;
        }
        if (length & 0xC0) return malformed(fmt::format("label length byte 0x{:02x} is reserved", length));
        if (length > max_label_length) return malformed("label longer than 63 bytes");
        if (question.wire_name.size() + 1 + length > max_name_length) {
            return malformed("name longer than 255 bytes");
        }
        if (position + 1 + length > packet_.size()) return malformed("label runs past the end");
        auto label = packet_.subspan(position + 1, length);
        question.wire_name.push_back(length);
        question.wire_name.insert(question.wire_name.end(), label.begin(), label.end());
        position += 1 + length;
        if (length == 0) break;
        append_presentation(question.name, label);
    }
    offset_ = resume_at != 0 ? resume_at : position;
    return question;
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    put_u16(out, static_cast<std::uint16_t>(value >> 16));
    put_u16(out, static_cast<std::uint16_t>(value));
}

void put_header(std::vector<std::uint8_t>& out, const Header& header) {
    put_u16(out, header.id);
    std::uint8_t high = static_cast<std::uint8_t>((header.response ? 0x80 : 0) | (header.opcode & 0x0F) << 3 |
                                                  (header.authoritative ? 0x04 : 0) |
                                                  (header.truncated ? 0x02 : 0) |
                                                  (header.recursion_desired ? 0x01 : 0));
    std::uint8_t low = static_cast<std::uint8_t>((header.recursion_available ? 0x80 : 0) |
                                                 (static_cast<std::uint8_t>(header.rcode) & 0x0F));
    out.push_back(high);
    out.push_back(low);
    put_u16(out, header.question_count);
    put_u16(out, header.answer_count);
    put_u16(out, header.authority_count);
    put_u16(out, header.additional_count);
}

// The OPT pseudo-record we answer EDNS queries with: root owner, our buffer size, no options.
void put_opt(std::vector<std::uint8_t>& out) {
    out.push_back(0);
    put_u16(out, type::opt);
    put_u16(out, static_cast<std::uint16_t>(edns_udp_limit));
    put_u32(out, 0);  // extended rcode, version 0, no DO bit
    put_u16(out, 0);
}

Header response_header(const Header& query, Rcode rcode) {
    Header header;
    header.id = query.id;
    header.response = true;
    header.opcode = query.opcode;
    header.recursion_desired = query.recursion_desired;
    header.recursion_available = true;
    header.rcode = rcode;
    return header;
}

Result<bool> skip_record(Reader& reader) {
    auto owner = reader.name();
    if (!owner) return owner.error();
    std::uint16_t rtype = 0, rclass = 0, length = 0;
    if (!reader.u16(rtype) || !reader.u16(rclass) || !reader.skip(4) || !reader.u16(length) ||
        !reader.skip(length)) {
        return malformed("record runs past the end");
    }
    return true;
}

}  // namespace

Result<Header> parse_header(std::span<const std::uint8_t> packet) {
    if (packet.size() < header_size) {
        return malformed(fmt::format("{} bytes is shorter than a header", packet.size()));
    }
    Header header;
    header.id = static_cast<std::uint16_t>(packet[0] << 8 | packet[1]);
    header.response = packet[2] & 0x80;
    header.opcode = (packet[2] >> 3) & 0x0F;
    header.authoritative = packet[2] & 0x04;
    header.truncated = packet[2] & 0x02;
    header.recursion_desired = packet[2] & 0x01;
    header.recursion_available = packet[3] & 0x80;
    header.rcode = static_cast<Rcode>(packet[3] & 0x0F);
    auto count = [&](std::size_t at) { return static_cast<std::uint16_t>(packet[at] << 8 | packet[at + 1]); };
    header.question_count = count(4);
    header.answer_count = count(6);
    header.authority_count = count(8);
    header.additional_count = count(10);
    return header;
}

Result<Query> parse_query(std::span<const std::uint8_t> packet) {
    auto header = parse_header(packet);
    if (!header) return header.error();
    Query query;
    query.header = header.value();
    Reader reader(packet);
    reader.skip(header_size);
    for (int i = 0; i < query.header.question_count; ++i) {
        auto question = reader.name();
        if (!question) return question.error();
        if (!reader.u16(question.value().type) || !reader.u16(question.value().qclass)) {
            return malformed("question runs past the end");
        }
        query.questions.push_back(std::move(question.value()));
    }
    // Queries carry no answers or authority, but tolerating them costs nothing.
    int skipped = query.header.answer_count + query.header.authority_count;
    for (int i = 0; i < skipped; ++i) {
        auto skipped_ok = skip_record(reader);
        if (!skipped_ok) return skipped_ok.error();
    }
    for (int i = 0; i < query.header.additional_count; ++i) {
        auto owner = reader.name();
        if (!owner) return owner.error();
        std::uint16_t rtype = 0, rclass = 0, length = 0;
        if (!reader.u16(rtype) || !reader.u16(rclass) || !reader.skip(4) || !reader.u16(length) ||
            !reader.skip(length)) {
            return malformed("additional record runs past the end");
        }
        if (rtype == type::opt && owner.value().name.empty()) query.edns_udp_size = rclass;
    }
    return query;
}

Record address_record(std::size_t question, std::span<const std::uint8_t> address, std::uint32_t ttl) {
    return Record{question, address.size() == 16 ? type::aaaa : type::a, ttl,
                  std::vector<std::uint8_t>(address.begin(), address.end())};
}

std::optional<Record> ptr_record(std::size_t question, std::string_view target, std::uint32_t ttl) {
    Record record{question, type::ptr, ttl, {}};
    while (!target.empty()) {
        std::size_t dot = std::min(target.find('.'), target.size());
        if (dot == 0 || dot > max_label_length) return std::nullopt;
        record.data.push_back(static_cast<std::uint8_t>(dot));
        record.data.insert(record.data.end(), target.begin(), target.begin() + static_cast<long>(dot));
        target.remove_prefix(std::min(dot + 1, target.size()));
    }
    record.data.push_back(0);
    if (record.data.size() > max_name_length) return std::nullopt;
    return record;
}

std::size_t answer_size_limit(const Query& query, Transport transport) {
    if (transport == Transport::tcp) return 65535;
    if (!query.edns_udp_size) return classic_udp_limit;
    return std::clamp<std::size_t>(*query.edns_udp_size, classic_udp_limit, edns_udp_limit);
}

std::vector<std::uint8_t> build_response(const Query& query, Rcode rcode, const std::vector<Record>& answers,
                                         bool authoritative, Transport transport) {
    Header header = response_header(query.header, rcode);
    header.authoritative = authoritative;
    header.question_count = static_cast<std::uint16_t>(query.questions.size());
    header.additional_count = query.edns_udp_size ? 1 : 0;

    std::vector<std::uint8_t> body;
    std::vector<std::size_t> question_offsets;
    for (const auto& question : query.questions) {
        question_offsets.push_back(header_size + body.size());
        body.insert(body.end(), question.wire_name.begin(), question.wire_name.end());
        put_u16(body, question.type);
        put_u16(body, question.qclass);
    }
    std::size_t questions_end = body.size();

    std::uint16_t answer_count = 0;
    for (const auto& record : answers) {
        if (record.question >= question_offsets.size()) continue;  // caller bug; skip, never crash
        std::size_t offset = question_offsets[record.question];
        if (offset > 0x3FFF) continue;  // cannot be pointed at (questions fill 16 KiB: absurd)
        put_u16(body, static_cast<std::uint16_t>(0xC000 | offset));
        put_u16(body, record.type);
        put_u16(body, class_in);
        put_u32(body, record.ttl);
        put_u16(body, static_cast<std::uint16_t>(record.data.size()));
        body.insert(body.end(), record.data.begin(), record.data.end());
        ++answer_count;
    }
    std::size_t opt_size = query.edns_udp_size ? 11 : 0;
    if (header_size + body.size() + opt_size > answer_size_limit(query, transport)) {
        body.resize(questions_end);
        answer_count = 0;
        header.truncated = true;
        if (header_size + body.size() + opt_size > answer_size_limit(query, transport)) {
            body.clear();  // even the echoed questions do not fit
            header.question_count = 0;
        }
    }
    header.answer_count = answer_count;
    if (query.edns_udp_size) put_opt(body);

    std::vector<std::uint8_t> out;
    out.reserve(header_size + body.size());
    put_header(out, header);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

std::vector<std::uint8_t> build_error(const Header& query_header, Rcode rcode) {
    std::vector<std::uint8_t> out;
    put_header(out, response_header(query_header, rcode));
    return out;
}

void set_id(std::span<std::uint8_t> packet, std::uint16_t id) {
    if (packet.size() < 2) return;
    packet[0] = static_cast<std::uint8_t>(id >> 8);
    packet[1] = static_cast<std::uint8_t>(id);
}

}  // namespace network::dns
