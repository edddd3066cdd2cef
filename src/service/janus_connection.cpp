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
  connect_.reset();
  // The clients' handles detach before the session goes.
  videoroom_.reset();
  streaming_.reset();
}

void JanusConnection::connect(Callback<void> done) {
  connect_ = connecting();
  connect_.start(session_->context(), std::move(done));
}

Task<void> JanusConnection::connecting() {
  const Result<void> connected =
      co_await call<void>([this](Callback<void> done) { session_->connect(std::move(done)); });
  if (!connected) co_return connected;
  auto streaming = co_await call<std::unique_ptr<janus::StreamingClient>>(
      [this](Callback<std::unique_ptr<janus::StreamingClient>> done) {
        janus::StreamingClient::attach(*session_, std::move(done));
      });
  if (!streaming) co_return streaming.error();
  streaming_ = std::move(streaming).value();
  auto videoroom = co_await call<std::unique_ptr<janus::VideoRoomClient>>(
      [this](Callback<std::unique_ptr<janus::VideoRoomClient>> done) {
        janus::VideoRoomClient::attach(*session_, std::move(done));
      });
  if (!videoroom) co_return videoroom.error();
  videoroom_ = std::move(videoroom).value();
  co_return {};
}

}  // namespace su::service
