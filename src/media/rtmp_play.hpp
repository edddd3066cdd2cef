// One RTMP play conversation over a connected socket that blocks (the RTMP reader's streaming
// thread): the handshake, connect, createStream and play, then the stream's messages as FLV, the
// protocol's chores answered on the way (acknowledgements, pings, bandwidth). Every wait is
// bounded by the socket's receive timeout; shutting the socket down ends one at once.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "media/rtmp_protocol.hpp"

namespace su::media::rtmp {

struct PlayTarget {
  std::string host;
  std::uint16_t port = 1935;
  std::string app;     // what the server's application is (nginx-rtmp's `application`)
  std::string stream;  // the stream key, with its query: a secret, never in a message
  std::string tcUrl;   // rtmp://host:port/app
};

// rtmp://host[:port]/app[/instance]/stream[?query]: the stream is the last segment. Nothing for
// what is not plain rtmp:// with an app and a stream.
std::optional<PlayTarget> parsePlayUrl(std::string_view url);

enum class PlayError { Handshake = 1, Refused, Lost, TimedOut, NotRtmp };
GQuark errorDomainOf(PlayError);

class PlaySession {
 public:
  // `fd` stays the caller's.
  explicit PlaySession(int fd) : fd_(fd) {}

  // The handshake, then connect, createStream and play: errors say which step failed.
  Result<void> start(const PlayTarget& target);

  enum class Read { Media, Ended };
  // Appends the next media message as FLV to `flv`: a tag for audio, video or metadata, the tags
  // of an aggregate; `media` gets the FLV flags of what came, `timestamp` its time. Ended when
  // the server ends the stream (Play.Complete, Play.Stop, UnpublishNotify).
  Result<Read> readMedia(std::string& flv, unsigned char& media, std::uint32_t& timestamp);
  bool receivedAny() const noexcept { return receivedMedia_; }

 private:
  Result<void> handshake();
  // The next whole message (protocol control answered or applied on the way).
  Result<Message> next();
  Result<void> receive();
  Result<void> send(const Message& message);
  Result<void> sendCommand(std::uint32_t chunkStream, std::uint32_t streamId,
                           const std::string& payload);
  // A command's answer: the values of `_result` for `transaction`, or why not.
  Result<std::vector<Value>> awaitResult(double transaction, std::string_view step);
  // What a server says of the stream: nothing to do, its end, or a refusal.
  Result<bool> onStatusEnds(const std::vector<Value>& values);

  int fd_;
  ChunkReader reader_;
  std::deque<Message> ready_;
  std::uint64_t received_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::uint32_t window_ = 0;  // the server's Window Acknowledgement Size (0: none asked)
  bool receivedMedia_ = false;
};

}  // namespace su::media::rtmp
