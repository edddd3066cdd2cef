// RTMP as a play client needs it: the chunk stream a server sends, parsed into messages; the
// client's own messages cut into chunks; AMF0 values both ways; FLV tags from audio, video and
// data messages. What a server sends is input from anyone: every length is checked against what
// arrived, and what is kept for messages not whole yet is bounded.
//
// librtmp did this before (RTMP_ReadPacket): Debian's 2.4 writes past a message's buffer when a
// server grows the chunk size and starts a larger message on a chunk stream with one unfinished,
// and leaks a body cut mid-message (both found by the `rtmp` fuzz target).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace su::media::rtmp {

enum class RtmpError { Protocol = 1 };
GQuark errorDomainOf(RtmpError);

enum MessageType : std::uint8_t {
  kSetChunkSize = 1,
  kAbort = 2,
  kAcknowledgement = 3,
  kUserControl = 4,
  kWindowAckSize = 5,
  kSetPeerBandwidth = 6,
  kAudio = 8,
  kVideo = 9,
  kCommandAmf3 = 17,
  kData = 18,
  kCommand = 20,
  kAggregate = 22,
};

struct Message {
  std::uint32_t chunkStream = 0;
  std::uint8_t type = 0;
  std::uint32_t timestamp = 0;  // absolute, in ms
  std::uint32_t streamId = 0;
  std::string payload;
};

class ChunkReader {
 public:
  // What is kept of messages not whole yet, all chunk streams together, and how many chunk
  // streams may have one.
  static constexpr std::size_t kMaxPending = 32u << 20;
  static constexpr std::size_t kMaxChunkStreams = 64;

  // The messages `bytes` complete (with what came before), in order; an error when they are not
  // a chunk stream (the connection cannot go on then). Set Chunk Size and Abort are applied here,
  // from the next chunk on, and not handed out.
  Result<std::vector<Message>> feed(std::string_view bytes);

 private:
  Result<void> setChunkSize(std::uint32_t size);
  void abort(std::uint32_t chunkStream);
  struct Stream {
    std::uint32_t length = 0;
    std::uint8_t type = 0;
    std::uint32_t streamId = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t delta = 0;
    bool extended = false;  // its last header had an extended timestamp
    std::string partial;
    bool inProgress = false;
  };
  // One chunk from the front of `in`: its size, 0 when more bytes are needed.
  Result<std::size_t> parseChunk(std::string_view in, std::vector<Message>& whole);
  std::size_t pending() const;

  std::string buffer_;
  std::map<std::uint32_t, Stream> streams_;
  std::uint32_t chunkSize_ = 128;
};

// `message` as chunks of `chunkSize` on `chunkStream` (type 0 header, then type 3).
std::string encodeChunks(const Message& message, std::uint32_t chunkSize);

// AMF0, the values RTMP's commands and data are made of.
struct Value {
  enum class Kind { Number, Boolean, String, Object, Null, Array, Other };
  Kind kind = Kind::Null;
  double number = 0;
  bool boolean = false;
  std::string string;
  // An object's (or ECMA array's) members, names[i] naming children[i]; a strict array's
  // elements, without names.
  std::vector<std::string> names;
  std::vector<Value> children;

  const Value* member(std::string_view name) const;
};

// Every value of `payload`, in order; an error for what is not AMF0 (or nests deeper than 16).
Result<std::vector<Value>> decodeValues(std::string_view payload);

class Amf0Writer {
 public:
  Amf0Writer& number(double value);
  Amf0Writer& boolean(bool value);
  Amf0Writer& string(std::string_view value);
  Amf0Writer& null();
  Amf0Writer& beginObject();
  Amf0Writer& key(std::string_view name);
  Amf0Writer& endObject();
  const std::string& bytes() const noexcept { return bytes_; }

 private:
  void put16(std::size_t value);
  std::string bytes_;
};

// FLV (what flvdemux reads): the file header with the media it says follow, one tag, and the
// tags of an aggregate message with their timestamps moved to the message's.
inline constexpr unsigned char kFlvAudio = 4, kFlvVideo = 1;
std::string flvHeader(unsigned char media);
void appendTag(std::string& out, std::uint8_t type, std::uint32_t timestamp, std::string_view body);
void appendAggregate(std::string& out, std::uint32_t timestamp, std::string_view body);

}  // namespace su::media::rtmp
