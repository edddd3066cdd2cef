// Messages from Janus, read as the session reads them (janus/session.hpp readIncoming): the
// envelope, a core error, a plugin's reply or its error, and every plugin reply the clients
// parse (Streaming create/info/list, VideoRoom rtp_forward, listforwarders, publishers).
#include "fuzz.hpp"
#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"

namespace {

// The rtp_forward the reply is matched against: one audio and one video stream.
su::model::RtpForwardRequestSpec forwardRequest() {
  su::model::RtpForwardRequestSpec request{.room = 1234, .publisherId = 42};
  request.streams.push_back({.mid = "0", .port = 5002});
  request.streams.push_back({.mid = "1", .port = 5004});
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace su::janus;
  auto incoming = readIncoming(su::fuzz::textOf(data, size), 1 << 16);
  if (!incoming) return 0;
  if (incoming->kind == "error") (void)coreError(*incoming, "fuzz request");
  auto reply = readPluginReply(*incoming, "fuzz request");
  if (!reply) return 0;
  (void)parseCreated(reply->data);
  (void)parseInfo(reply->data);
  (void)parseList(reply->data);
  (void)parseForwarders(reply->data);
  (void)parsePublishers(reply->data);
  static const su::model::RtpForwardRequestSpec request = forwardRequest();
  (void)matchForwarders(request, reply->data);
  return 0;
}
