// One Janus session with the two plugin clients a broadcast needs. The session keeps itself
// alive and reconnects (re-attaching the clients' handles) as its options say.
#pragma once

#include <memory>

#include "core/task.hpp"
#include "janus/session.hpp"
#include "janus/streaming.hpp"
#include "janus/videoroom.hpp"

namespace su::janus {

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> create(GMainContext* context, SessionOptions options);
  ~Connection();

  // Connects to the options' url, creates the session, attaches Streaming and VideoRoom.
  void connect(Callback<void> done);
  bool connected() const noexcept { return streaming_ && videoroom_; }

  const std::string& url() const noexcept { return url_; }
  Session& session() noexcept { return *session_; }
  // After connect() succeeded.
  StreamingClient& streaming() noexcept { return *streaming_; }
  VideoRoomClient& videoroom() noexcept { return *videoroom_; }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

 private:
  Connection(std::unique_ptr<Session> session, std::string url)
      : session_(std::move(session)), url_(std::move(url)) {}
  Task<void> connecting();

  std::unique_ptr<Session> session_;
  std::string url_;
  std::unique_ptr<StreamingClient> streaming_;
  std::unique_ptr<VideoRoomClient> videoroom_;
  Task<void> connect_;
};

}  // namespace su::janus
