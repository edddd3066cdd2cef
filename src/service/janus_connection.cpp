#include "service/janus_connection.hpp"

namespace su::service {

Result<std::unique_ptr<JanusConnection>> JanusConnection::create(GMainContext* context,
                                                                 janus::SessionOptions options) {
  std::string url = options.url;
  auto session = janus::Session::create(context, std::move(options));
  if (!session) return session.error();
  return std::unique_ptr<JanusConnection>(
      new JanusConnection(std::move(session).value(), std::move(url)));
}

JanusConnection::~JanusConnection() {
  *alive_ = false;
  // The clients' handles detach before the session goes.
  videoroom_.reset();
  streaming_.reset();
}

void JanusConnection::connect(Callback<void> done) {
  std::weak_ptr<bool> alive = alive_;
  session_->connect([this, alive, done](Result<void> connected) {
    if (alive.expired()) return;
    if (!connected) return done(connected.error());
    janus::StreamingClient::attach(
        *session_, [this, alive, done](Result<std::unique_ptr<janus::StreamingClient>> streaming) {
          if (alive.expired()) return;
          if (!streaming) return done(streaming.error());
          streaming_ = std::move(streaming).value();
          janus::VideoRoomClient::attach(
              *session_,
              [this, alive, done](Result<std::unique_ptr<janus::VideoRoomClient>> videoroom) {
                if (alive.expired()) return;
                if (!videoroom) return done(videoroom.error());
                videoroom_ = std::move(videoroom).value();
                done(Result<void>());
              });
        });
  });
}

}  // namespace su::service
