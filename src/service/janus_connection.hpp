// One Janus session with the two plugin clients a broadcast needs. The session keeps itself
// alive and reconnects (re-attaching the clients' handles) as its options say.
#pragma once

#include <memory>

#include "core/task.hpp"
#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"

namespace su::service {

class JanusConnection {
 public:
  static Result<std::unique_ptr<JanusConnection>> create(GMainContext* context,
                                                         janus::SessionOptions options);
  ~JanusConnection();

  // Connects to the options' url, creates the session, attaches Streaming and VideoRoom.
  void connect(Callback<void> done);
  bool connected() const noexcept { return streaming_ && videoroom_; }

  const std::string& url() const noexcept { return url_; }
  janus::Session& session() noexcept { return *session_; }
  // After connect() succeeded.
  janus::StreamingClient& streaming() noexcept { return *streaming_; }
  janus::VideoRoomClient& videoroom() noexcept { return *videoroom_; }

  JanusConnection(const JanusConnection&) = delete;
  JanusConnection& operator=(const JanusConnection&) = delete;

 private:
  JanusConnection(std::unique_ptr<janus::Session> session, std::string url)
      : session_(std::move(session)), url_(std::move(url)) {}
  Task<void> connecting();

  std::unique_ptr<janus::Session> session_;
  std::string url_;
  std::unique_ptr<janus::StreamingClient> streaming_;
  std::unique_ptr<janus::VideoRoomClient> videoroom_;
  Task<void> connect_;
};

}  // namespace su::service
