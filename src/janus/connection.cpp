#include "janus/connection.hpp"

namespace su::janus {

Result<std::unique_ptr<Connection>> Connection::create(GMainContext* context,
                                                       SessionOptions options) {
  std::string url = options.url;
  auto session = Session::create(context, std::move(options));
  if (!session) return session.error();
  return std::unique_ptr<Connection>(new Connection(std::move(session).value(), std::move(url)));
}

Connection::~Connection() {
  connect_.reset();
  // The clients' handles detach before the session goes.
  videoroom_.reset();
  streaming_.reset();
}

void Connection::connect(Callback<void> done) {
  connect_ = connecting();
  connect_.start(session_->context(), std::move(done));
}

Task<void> Connection::connecting() {
  const Result<void> connected =
      co_await call<void>([this](Callback<void> done) { session_->connect(std::move(done)); });
  if (!connected) co_return connected;
  auto streaming = co_await call<std::unique_ptr<StreamingClient>>(
      [this](Callback<std::unique_ptr<StreamingClient>> done) {
        StreamingClient::attach(*session_, std::move(done));
      });
  if (!streaming) co_return streaming.error();
  streaming_ = std::move(streaming).value();
  auto videoroom = co_await call<std::unique_ptr<VideoRoomClient>>(
      [this](Callback<std::unique_ptr<VideoRoomClient>> done) {
        VideoRoomClient::attach(*session_, std::move(done));
      });
  if (!videoroom) co_return videoroom.error();
  videoroom_ = std::move(videoroom).value();
  co_return {};
}

}  // namespace su::janus
