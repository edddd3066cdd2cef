#include "media/rtmp_play.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/uri.hpp"

namespace su::media::rtmp {

namespace {

constexpr std::size_t kSignature = 1536;
constexpr std::uint32_t kOurChunkSize = 128;  // the default: ours are a few small commands
constexpr std::uint32_t kControlStream = 2, kCommandStream = 3, kPlayStream = 8;
constexpr std::uint16_t kSetBufferLength = 3, kPingRequest = 6, kPingResponse = 7;
constexpr std::uint32_t kBufferMs = 3000;

Error playError(PlayError code, std::string message) {
  return makeError(code, std::move(message));
}

std::uint32_t bigEndian(std::string_view bytes) {
  std::uint32_t value = 0;
  for (char byte : bytes)
    value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

std::string bigEndianBytes(std::uint32_t value, std::size_t bytes) {
  std::string out;
  for (std::size_t i = bytes; i > 0; --i)
    out.push_back(static_cast<char>(value >> (8 * (i - 1))));
  return out;
}

std::string stringOf(const Value* value) {
  return value && value->kind == Value::Kind::String ? value->string : std::string();
}

// What a refusal says: its code, and its description when there is one.
std::string refusalOf(const std::vector<Value>& values) {
  const Value* info = values.size() > 3 ? &values[3] : nullptr;
  std::string code = info ? stringOf(info->member("code")) : "";
  const std::string description = info ? stringOf(info->member("description")) : "";
  if (code.empty()) code = "no reason given";
  return description.empty() ? code : code + " (" + description + ")";
}

}  // namespace

GQuark errorDomainOf(PlayError) {
  return g_quark_from_static_string("su-rtmp-play-error");
}

std::optional<PlayTarget> parsePlayUrl(std::string_view url) {
  auto parts = uri::split(url);
  if (!parts || parts->scheme != "rtmp" || parts->host.empty()) return std::nullopt;
  const std::string& path = parts->path;
  const std::size_t last = path.rfind('/');
  if (path.size() < 2 || last == std::string::npos || last == 0 || last + 1 == path.size()) {
    return std::nullopt;  // needs /app/stream
  }
  PlayTarget target;
  target.host = parts->host;
  if (parts->port > 0) target.port = static_cast<std::uint16_t>(parts->port);
  target.app = uri::unescape(path.substr(1, last - 1));
  target.stream = uri::unescape(path.substr(last + 1));
  if (parts->query) target.stream += "?" + *parts->query;
  const bool v6 = target.host.find(':') != std::string::npos;
  target.tcUrl = "rtmp://" + (v6 ? "[" + target.host + "]" : target.host) + ":" +
                 std::to_string(target.port) + "/" + target.app;
  return target;
}

Result<void> PlaySession::handshake() {
  // C0 and C1 (version 3; time, zeros, random), S0 and S1, C2 (S1 echoed), S2 (not checked:
  // servers echo C1 or not).
  std::string hello(1 + kSignature, '\0');
  hello[0] = 3;
  std::mt19937 random(std::random_device{}());
  for (std::size_t i = 9; i < hello.size(); ++i)
    hello[i] = static_cast<char>(random());
  if (::send(fd_, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()))
    return playError(PlayError::Handshake, "it did not take our greeting");
  std::string answer(1 + 2 * kSignature, '\0');
  for (std::size_t at = 0; at < answer.size();) {
    const ssize_t got = ::recv(fd_, answer.data() + at, answer.size() - at, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return playError(PlayError::Handshake, "it did not answer our greeting");
    if (at == 0 && answer[0] != 3)
      return playError(PlayError::NotRtmp, "it does not speak RTMP version 3");
    at += static_cast<std::size_t>(got);
  }
  received_ += answer.size();
  const std::string_view s1 = std::string_view(answer).substr(1, kSignature);
  if (::send(fd_, s1.data(), s1.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s1.size()))
    return playError(PlayError::Handshake, "it did not take our echo");
  return {};
}

Result<void> PlaySession::start(const PlayTarget& target) {
  if (auto greeted = handshake(); !greeted) return greeted.error();
  Amf0Writer connect;
  connect.string("connect").number(1).beginObject();
  connect.key("app").string(target.app);
  connect.key("flashVer").string("LNX 9,0,124,2");
  connect.key("tcUrl").string(target.tcUrl);
  connect.key("fpad").boolean(false);
  connect.key("capabilities").number(15);
  connect.key("audioCodecs").number(3191);
  connect.key("videoCodecs").number(252);
  connect.key("videoFunction").number(1);
  connect.endObject();
  if (auto sent = sendCommand(kCommandStream, 0, connect.bytes()); !sent) return sent.error();
  if (auto connected = awaitResult(1, "connect to the application"); !connected)
    return connected.error();

  Amf0Writer create;
  create.string("createStream").number(2).null();
  if (auto sent = sendCommand(kCommandStream, 0, create.bytes()); !sent) return sent.error();
  auto created = awaitResult(2, "make a stream");
  if (!created) return created.error();
  if (created->size() < 4 || (*created)[3].kind != Value::Kind::Number ||
      !((*created)[3].number >= 0 && (*created)[3].number < 4294967296.0)) {
    return playError(PlayError::NotRtmp, "its createStream result has no stream id");
  }
  const auto streamId = static_cast<std::uint32_t>((*created)[3].number);

  Amf0Writer play;
  play.string("play").number(0).null().string(target.stream).number(-1000);
  if (auto sent = sendCommand(kPlayStream, streamId, play.bytes()); !sent) return sent.error();
  return send(Message{.chunkStream = kControlStream,
                      .type = kUserControl,
                      .payload = bigEndianBytes(kSetBufferLength, 2) + bigEndianBytes(streamId, 4) +
                                 bigEndianBytes(kBufferMs, 4)});
}

Result<void> PlaySession::send(const Message& message) {
  const std::string bytes = encodeChunks(message, kOurChunkSize);
  for (std::size_t at = 0; at < bytes.size();) {
    const ssize_t sent = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (sent <= 0) return playError(PlayError::Lost, std::strerror(errno));
    at += static_cast<std::size_t>(sent);
  }
  return {};
}

Result<void> PlaySession::sendCommand(std::uint32_t chunkStream, std::uint32_t streamId,
                                      const std::string& payload) {
  return send(Message{
      .chunkStream = chunkStream, .type = kCommand, .streamId = streamId, .payload = payload});
}

Result<void> PlaySession::receive() {
  std::array<char, 64 * 1024> buffer;
  ssize_t got = 0;
  do {
    got = ::recv(fd_, buffer.data(), buffer.size(), 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return playError(PlayError::TimedOut, "nothing came within the timeout");
  if (got <= 0) return playError(PlayError::Lost, got == 0 ? "closed" : std::strerror(errno));
  received_ += static_cast<std::size_t>(got);
  if (window_ > 0 && received_ - acknowledged_ >= window_) {
    acknowledged_ = received_;
    auto sent = send(Message{.chunkStream = kControlStream,
                             .type = kAcknowledgement,
                             .payload = bigEndianBytes(static_cast<std::uint32_t>(received_), 4)});
    if (!sent) return sent.error();
  }
  auto whole = reader_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
  if (!whole) return playError(PlayError::NotRtmp, whole.error().message);
  for (Message& message : *whole)
    ready_.push_back(std::move(message));
  return {};
}

Result<Message> PlaySession::next() {
  for (;;) {
    while (ready_.empty()) {
      if (auto received = receive(); !received) return received.error();
    }
    Message message = std::move(ready_.front());
    ready_.pop_front();
    const std::string_view payload = message.payload;
    switch (message.type) {
      case kWindowAckSize:
        if (payload.size() >= 4) window_ = bigEndian(payload.substr(0, 4));
        continue;
      case kSetPeerBandwidth:
        // Answered with the same window, as clients do.
        if (payload.size() >= 4) {
          auto sent = send(Message{.chunkStream = kControlStream,
                                   .type = kWindowAckSize,
                                   .payload = std::string(payload.substr(0, 4))});
          if (!sent) return sent.error();
        }
        continue;
      case kUserControl:
        if (payload.size() >= 6 && bigEndian(payload.substr(0, 2)) == kPingRequest) {
          auto sent = send(Message{
              .chunkStream = kControlStream,
              .type = kUserControl,
              .payload = bigEndianBytes(kPingResponse, 2) + std::string(payload.substr(2, 4))});
          if (!sent) return sent.error();
        }
        continue;  // Stream Begin and the rest: nothing to do
      case kAcknowledgement:
        continue;
      default:
        return message;
    }
  }
}

Result<std::vector<Value>> PlaySession::awaitResult(double transaction, std::string_view step) {
  for (;;) {
    auto message = next();
    if (!message) {
      if (message.error().is(PlayError::Lost) || message.error().is(PlayError::TimedOut)) {
        return playError(PlayError::Refused,
                         "it did not let us " + std::string(step) + ": " + message.error().message);
      }
      return message.error();
    }
    if (message->type != kCommand && message->type != kCommandAmf3) continue;
    std::string_view payload = message->payload;
    if (message->type == kCommandAmf3 && !payload.empty()) payload.remove_prefix(1);
    auto values = decodeValues(payload);
    if (!values) return playError(PlayError::NotRtmp, values.error().message);
    const std::string name = values->empty() ? "" : stringOf(&(*values)[0]);
    const bool ours = values->size() > 1 && (*values)[1].kind == Value::Kind::Number &&
                      (*values)[1].number == transaction;
    if (name == "_result" && ours) return std::move(*values);
    if (name == "_error" && ours) {
      return playError(PlayError::Refused,
                       "it did not let us " + std::string(step) + ": " + refusalOf(*values));
    }
    if (name == "onStatus") {
      if (auto ends = onStatusEnds(*values); !ends) return ends.error();
    }
  }
}

Result<bool> PlaySession::onStatusEnds(const std::vector<Value>& values) {
  const Value* info = values.size() > 3 ? &values[3] : nullptr;
  const std::string code = info ? stringOf(info->member("code")) : "";
  const std::string level = info ? stringOf(info->member("level")) : "";
  if (code == "NetStream.Play.Complete" || code == "NetStream.Play.Stop" ||
      code == "NetStream.Play.UnpublishNotify") {
    return true;
  }
  if (level == "error" || code.ends_with(".Failed") || code == "NetStream.Play.StreamNotFound" ||
      code == "NetConnection.Connect.InvalidApp" || code == "NetConnection.Connect.Rejected") {
    return playError(PlayError::Refused, "it refused to play the stream: " + refusalOf(values));
  }
  return false;
}

Result<PlaySession::Read> PlaySession::readMedia(std::string& flv, unsigned char& media,
                                                 std::uint32_t& timestamp) {
  for (;;) {
    auto message = next();
    if (!message) return message.error();
    const std::string_view payload = message->payload;
    switch (message->type) {
      case kAudio:
      case kVideo:
        // As librtmp's reader: a video message without a frame, an audio one without a sample.
        if (payload.size() <= (message->type == kVideo ? 5u : 1u)) continue;
        appendTag(flv, message->type, message->timestamp, payload);
        media |= message->type == kAudio ? kFlvAudio : kFlvVideo;
        break;
      case kAggregate:
        appendAggregate(flv, message->timestamp, payload);
        break;
      case kData: {
        // The stream's metadata goes on (flvdemux reads it); the rest of what servers say here
        // (|RtmpSampleAccess...) does not.
        auto values = decodeValues(payload);
        if (!values || values->empty() || stringOf(&(*values)[0]) != "onMetaData") continue;
        appendTag(flv, kData, message->timestamp, payload);
        break;
      }
      case kCommand:
      case kCommandAmf3: {
        std::string_view command = payload;
        if (message->type == kCommandAmf3 && !command.empty()) command.remove_prefix(1);
        auto values = decodeValues(command);
        if (!values) return playError(PlayError::NotRtmp, values.error().message);
        if (values->empty() || stringOf(&(*values)[0]) != "onStatus") continue;
        auto ends = onStatusEnds(*values);
        if (!ends) return ends.error();
        if (*ends) return Read::Ended;
        continue;
      }
      default:
        continue;
    }
    timestamp = message->timestamp;
    receivedMedia_ = true;
    return Read::Media;
  }
}

}  // namespace su::media::rtmp
