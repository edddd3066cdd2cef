#include "media/rtmp_protocol.hpp"

#include <bit>
#include <cstring>

namespace su::media::rtmp {

namespace {

constexpr std::uint32_t kExtendedTimestamp = 0xffffff;
constexpr std::size_t kMessageHeaderSizes[] = {11, 7, 3, 0};
constexpr int kMaxDepth = 16;
constexpr std::size_t kFlvTagHeader = 11, kFlvTagTrailer = 4;

Error protocolError(std::string message) {
  return makeError(RtmpError::Protocol, std::move(message));
}

std::uint32_t bigEndian(const char* at, std::size_t bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    value = (value << 8) | static_cast<unsigned char>(at[i]);
  return value;
}

void putBigEndian(std::string& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = bytes; i > 0; --i)
    out.push_back(static_cast<char>(value >> (8 * (i - 1))));
}

std::string chunkBasicHeader(unsigned format, std::uint32_t chunkStream) {
  std::string header;
  if (chunkStream < 64) {
    header.push_back(static_cast<char>((format << 6) | chunkStream));
  } else if (chunkStream < 320) {
    header.push_back(static_cast<char>(format << 6));
    header.push_back(static_cast<char>(chunkStream - 64));
  } else {
    header.push_back(static_cast<char>((format << 6) | 1));
    header.push_back(static_cast<char>((chunkStream - 64) & 0xff));
    header.push_back(static_cast<char>((chunkStream - 64) >> 8));
  }
  return header;
}

// AMF0, read with every length checked against what is left.
class Amf0Reader {
 public:
  explicit Amf0Reader(std::string_view bytes) : bytes_(bytes) {}
  bool atEnd() const { return at_ == bytes_.size(); }

  Result<Value> value(int depth) {
    if (depth > kMaxDepth) return protocolError("AMF0 values nest deeper than 16");
    auto marker = take(1);
    if (!marker) return marker.error();
    Value value;
    switch (static_cast<unsigned char>((*marker)[0])) {
      case 0: {  // number
        auto bits = take(8);
        if (!bits) return bits.error();
        std::uint64_t raw = 0;
        for (char byte : *bits)
          raw = (raw << 8) | static_cast<unsigned char>(byte);
        value.kind = Value::Kind::Number;
        value.number = std::bit_cast<double>(raw);
        return value;
      }
      case 1: {  // boolean
        auto flag = take(1);
        if (!flag) return flag.error();
        value.kind = Value::Kind::Boolean;
        value.boolean = (*flag)[0] != 0;
        return value;
      }
      case 2:     // string
      case 12:    // long string
      case 15: {  // XML document
        auto text = string(static_cast<unsigned char>((*marker)[0]) == 2 ? 2 : 4);
        if (!text) return text.error();
        value.kind = Value::Kind::String;
        value.string = std::move(*text);
        return value;
      }
      case 3:  // object
        value.kind = Value::Kind::Object;
        if (auto members = properties(value, depth); !members) return members.error();
        return value;
      case 8: {  // ECMA array: a count (not trusted), then properties as an object's
        if (auto count = take(4); !count) return count.error();
        value.kind = Value::Kind::Object;
        if (auto members = properties(value, depth); !members) return members.error();
        return value;
      }
      case 10: {  // strict array
        auto count = take(4);
        if (!count) return count.error();
        value.kind = Value::Kind::Array;
        for (std::uint32_t i = bigEndian(count->data(), 4); i > 0; --i) {
          auto element = this->value(depth + 1);  // each takes a byte at least: bounded
          if (!element) return element.error();
          value.children.push_back(std::move(*element));
        }
        return value;
      }
      case 5:   // null
      case 6:   // undefined
      case 13:  // unsupported
        return value;
      case 11: {  // date: milliseconds and a time zone
        if (auto date = take(10); !date) return date.error();
        value.kind = Value::Kind::Other;
        return value;
      }
      default:
        return protocolError("AMF0 type " +
                             std::to_string(static_cast<unsigned char>((*marker)[0])) +
                             " is not one a server sends");
    }
  }

 private:
  Result<std::string_view> take(std::size_t count) {
    if (bytes_.size() - at_ < count) return protocolError("an AMF0 value runs past its message");
    const std::string_view taken = bytes_.substr(at_, count);
    at_ += count;
    return taken;
  }
  Result<std::string> string(std::size_t lengthBytes) {
    auto length = take(lengthBytes);
    if (!length) return length.error();
    auto text = take(bigEndian(length->data(), lengthBytes));
    if (!text) return text.error();
    return std::string(*text);
  }
  // Name and value pairs until the empty name and the end marker (9).
  Result<void> properties(Value& object, int depth) {
    for (;;) {
      auto name = string(2);
      if (!name) return name.error();
      if (name->empty() && at_ < bytes_.size() && bytes_[at_] == 9) {
        ++at_;
        return {};
      }
      auto member = value(depth + 1);
      if (!member) return member.error();
      object.names.push_back(std::move(*name));
      object.children.push_back(std::move(*member));
    }
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace

GQuark errorDomainOf(RtmpError) {
  return g_quark_from_static_string("su-rtmp-error");
}

Result<void> ChunkReader::setChunkSize(std::uint32_t size) {
  size &= 0x7fffffff;  // the top bit is always 0
  if (size == 0 || size > 0x7fffffff) {
    return protocolError("a chunk size of " + std::to_string(size) + " (1 to 2^31 - 1)");
  }
  chunkSize_ = size;
  return {};
}

void ChunkReader::abort(std::uint32_t chunkStream) {
  auto stream = streams_.find(chunkStream);
  if (stream == streams_.end()) return;
  stream->second.partial.clear();
  stream->second.partial.shrink_to_fit();
  stream->second.inProgress = false;
}

std::size_t ChunkReader::pending() const {
  std::size_t total = 0;
  for (const auto& [id, stream] : streams_)
    total += stream.partial.size();
  return total;
}

Result<std::vector<Message>> ChunkReader::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::vector<Message> whole;
  std::size_t at = 0;
  for (;;) {
    auto size = parseChunk(std::string_view(buffer_).substr(at), whole);
    if (!size) return size.error();
    if (*size == 0) break;
    at += *size;
  }
  buffer_.erase(0, at);
  return whole;
}

Result<std::size_t> ChunkReader::parseChunk(std::string_view in, std::vector<Message>& whole) {
  // Nothing changes until the whole chunk is there: a chunk cut short is parsed again with more.
  if (in.empty()) return std::size_t{0};
  const unsigned format = static_cast<unsigned char>(in[0]) >> 6;
  std::uint32_t id = static_cast<unsigned char>(in[0]) & 0x3f;
  std::size_t at = 1;
  if (id == 0 || id == 1) {
    const std::size_t extra = id == 0 ? 1 : 2;
    if (in.size() < at + extra) return std::size_t{0};
    id = 64 + static_cast<unsigned char>(in[1]) +
         (extra == 2 ? 256u * static_cast<unsigned char>(in[2]) : 0u);
    at += extra;
  }
  const std::size_t headerSize = kMessageHeaderSizes[format];
  if (in.size() < at + headerSize) return std::size_t{0};
  const auto known = streams_.find(id);
  if (format != 0 && known == streams_.end()) {
    return protocolError("chunk stream " + std::to_string(id) + " continues before it began");
  }
  if (known == streams_.end() && streams_.size() >= kMaxChunkStreams) {
    return protocolError("more than " + std::to_string(kMaxChunkStreams) + " chunk streams");
  }
  const Stream* last = known == streams_.end() ? nullptr : &known->second;
  if (format < 3 && last && last->inProgress) {
    return protocolError("a new message began on chunk stream " + std::to_string(id) +
                         " before the last one ended");
  }
  const char* header = in.data() + at;
  std::uint32_t stamp = format < 3 ? bigEndian(header, 3) : 0;
  std::uint32_t length = last ? last->length : 0;
  std::uint8_t type = last ? last->type : 0;
  std::uint32_t streamId = last ? last->streamId : 0;
  if (format < 2) {
    length = bigEndian(header + 3, 3);
    type = static_cast<std::uint8_t>(header[6]);
  }
  if (format == 0) {
    streamId = static_cast<unsigned char>(header[7]) |
               (static_cast<unsigned char>(header[8]) << 8) |
               (static_cast<unsigned char>(header[9]) << 16) |
               (static_cast<std::uint32_t>(static_cast<unsigned char>(header[10])) << 24);
  }
  at += headerSize;
  // A type 3 chunk has an extended timestamp when its stream's last header had one.
  const bool extended = format < 3 ? stamp == kExtendedTimestamp : last->extended;
  if (extended) {
    if (in.size() < at + 4) return std::size_t{0};
    stamp = bigEndian(in.data() + at, 4);
    at += 4;
  }
  const std::size_t already = last && last->inProgress ? last->partial.size() : 0;
  const std::size_t wanted = std::min<std::size_t>(chunkSize_, length - already);
  if (in.size() < at + wanted) return std::size_t{0};
  if (pending() + wanted > kMaxPending) {
    return protocolError("messages in progress hold more than " +
                         std::to_string(kMaxPending >> 20) + " MiB");
  }

  Stream& stream = streams_[id];
  if (!stream.inProgress) {
    // A new message: its time is absolute (type 0), or a delta from the stream's last message
    // (type 1 and 2 give it, type 3 repeats the last one).
    if (format == 0) {
      stream.timestamp = stamp;
      stream.delta = 0;
    } else {
      if (format < 3) stream.delta = stamp;
      stream.timestamp += stream.delta;
    }
  }
  if (format < 3) stream.extended = extended;
  stream.length = length;
  stream.type = type;
  stream.streamId = streamId;
  stream.partial.append(in.data() + at, wanted);
  at += wanted;
  stream.inProgress = stream.partial.size() < length;
  if (stream.inProgress) return at;
  Message message{.chunkStream = id,
                  .type = type,
                  .timestamp = stream.timestamp,
                  .streamId = streamId,
                  .payload = std::exchange(stream.partial, {})};
  // The chunk stream's own control applies from the next chunk on, not once the caller got to it.
  if (type == kSetChunkSize || type == kAbort) {
    if (message.payload.size() < 4) return protocolError("a short Set Chunk Size or Abort");
    const std::uint32_t value = bigEndian(message.payload.data(), 4);
    if (type == kAbort) {
      abort(value);
    } else if (auto set = setChunkSize(value); !set) {
      return set.error();
    }
    return at;
  }
  whole.push_back(std::move(message));
  return at;
}

std::string encodeChunks(const Message& message, std::uint32_t chunkSize) {
  std::string out = chunkBasicHeader(0, message.chunkStream);
  const bool extended = message.timestamp >= kExtendedTimestamp;
  putBigEndian(out, extended ? kExtendedTimestamp : message.timestamp, 3);
  putBigEndian(out, message.payload.size(), 3);
  out.push_back(static_cast<char>(message.type));
  for (int i = 0; i < 4; ++i)  // the message stream id is little-endian
    out.push_back(static_cast<char>(message.streamId >> (8 * i)));
  if (extended) putBigEndian(out, message.timestamp, 4);
  for (std::size_t at = 0; at < message.payload.size() || at == 0;) {
    if (at > 0) {
      out += chunkBasicHeader(3, message.chunkStream);
      if (extended) putBigEndian(out, message.timestamp, 4);
    }
    const std::size_t size = std::min<std::size_t>(chunkSize, message.payload.size() - at);
    out.append(message.payload, at, size);
    at += size;
    if (size == 0) break;
  }
  return out;
}

const Value* Value::member(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return &children[i];
  }
  return nullptr;
}

Result<std::vector<Value>> decodeValues(std::string_view payload) {
  Amf0Reader reader(payload);
  std::vector<Value> values;
  while (!reader.atEnd()) {
    auto value = reader.value(0);
    if (!value) return value.error();
    values.push_back(std::move(*value));
  }
  return values;
}

void Amf0Writer::put16(std::size_t value) {
  putBigEndian(bytes_, value, 2);
}

Amf0Writer& Amf0Writer::number(double value) {
  bytes_.push_back(0);
  putBigEndian(bytes_, std::bit_cast<std::uint64_t>(value), 8);
  return *this;
}

Amf0Writer& Amf0Writer::boolean(bool value) {
  bytes_.push_back(1);
  bytes_.push_back(value ? 1 : 0);
  return *this;
}

Amf0Writer& Amf0Writer::string(std::string_view value) {
  if (value.size() > 0xffff) {
    bytes_.push_back(12);
    putBigEndian(bytes_, value.size(), 4);
  } else {
    bytes_.push_back(2);
    put16(value.size());
  }
  bytes_.append(value);
  return *this;
}

Amf0Writer& Amf0Writer::null() {
  bytes_.push_back(5);
  return *this;
}

Amf0Writer& Amf0Writer::beginObject() {
  bytes_.push_back(3);
  return *this;
}

Amf0Writer& Amf0Writer::key(std::string_view name) {
  put16(name.size());
  bytes_.append(name);
  return *this;
}

Amf0Writer& Amf0Writer::endObject() {
  put16(0);
  bytes_.push_back(9);
  return *this;
}

std::string flvHeader(unsigned char media) {
  return std::string{'F', 'L', 'V', 1, static_cast<char>(media), 0, 0, 0, 9, 0, 0, 0, 0};
}

void appendTag(std::string& out, std::uint8_t type, std::uint32_t timestamp,
               std::string_view body) {
  out.push_back(static_cast<char>(type));
  putBigEndian(out, body.size(), 3);
  putBigEndian(out, timestamp & 0xffffff, 3);
  out.push_back(static_cast<char>(timestamp >> 24));
  putBigEndian(out, 0, 3);
  out.append(body);
  putBigEndian(out, kFlvTagHeader + body.size(), 4);
}

void appendAggregate(std::string& out, std::uint32_t timestamp, std::string_view body) {
  std::optional<std::uint32_t> first;
  for (std::size_t at = 0; body.size() - at >= kFlvTagHeader + kFlvTagTrailer;) {
    const std::uint32_t size = bigEndian(body.data() + at + 1, 3);
    if (body.size() - at - kFlvTagHeader - kFlvTagTrailer < size) break;  // runs past the end
    const std::uint32_t stamp = bigEndian(body.data() + at + 4, 3) |
                                (std::uint32_t{static_cast<unsigned char>(body[at + 7])} << 24);
    if (!first) first = stamp;
    appendTag(out, static_cast<std::uint8_t>(body[at]), stamp - *first + timestamp,
              body.substr(at + kFlvTagHeader, size));
    at += kFlvTagHeader + size + kFlvTagTrailer;
  }
}

}  // namespace su::media::rtmp
